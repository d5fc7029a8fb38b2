//! A season's standings and playoff seeds through any date, by the league's tie-breaking
//! procedures (`season` crate), from the stored games. What decides the answer is the shared
//! history, so every instance of a fleet gives the same table; the route caches it under the
//! history generation.

use chrono::NaiveDate;
use graph::Season;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Error, Result, Services};

/// One team's line.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Line {
    pub team: String,
    pub name: String,
    /// `[won, lost, tied]`.
    pub record: [u16; 3],
    pub pct: f64,
    pub division_record: [u16; 3],
    pub conference_record: [u16; 3],
    pub points_for: u32,
    pub points_against: u32,
    /// `W3`, `L1`, `T1`.
    pub streak: String,
    /// The team's seed when the season ended (or would end) today: 1 is the best.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<usize>,
}

/// A division, best first (ties broken by the division procedure).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DivisionTable {
    pub conference: String,
    pub name: String,
    pub teams: Vec<Line>,
}

/// A tie and how it was broken.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Tie {
    pub tied: Vec<String>,
    pub first: String,
    /// The step that broke it: `head-to-head`, `division record`, … `coin toss`.
    pub step: String,
}

/// A conference's playoff field.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConferenceField {
    pub conference: String,
    /// Team codes, seed 1 first.
    pub seeds: Vec<String>,
    pub byes: Vec<String>,
    /// The first round if the season ended here: `[home, away]`, the better seed at home
    /// (later rounds are reseeded: the best remaining seed hosts the worst).
    pub first_round: Vec<[String; 2]>,
    pub ties: Vec<Tie>,
}

/// The standings of a season.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Standings {
    pub season: i32,
    /// The last day counted (none: every game played).
    #[schema(value_type = Option<String>, format = Date)]
    pub through: Option<NaiveDate>,
    /// Regular-season games counted.
    pub games: u32,
    pub divisions: Vec<DivisionTable>,
    pub conferences: Vec<ConferenceField>,
}

/// The standings and seeds of `season` through `through` (every game played when `None`).
pub async fn season_standings(
    svc: &Services,
    season: Season,
    through: Option<NaiveDate>,
) -> Result<Standings> {
    let s = season.get();
    if season::alignment::divisions(s).is_none() {
        return Err(Error::invalid(
            "season",
            format!(
                "{s} has no alignment this service knows (standings start in {})",
                season::alignment::FIRST_SEASON
            ),
        ));
    }
    let mut games = super::catalog::season_games(svc, season).await?;
    games.retain(|g| !g.is_cancelled());
    let Some(first) = games.iter().map(|g| g.date).min() else {
        return Err(Error::invalid(
            "season",
            format!("no games are stored for season {s}"),
        ));
    };
    if let Some(d) = through.filter(|d| *d < first) {
        return Err(Error::invalid(
            "through",
            format!("{d} is before season {s}'s first game ({first})"),
        ));
    }
    let counted: Vec<graph::Game> = games
        .into_iter()
        .filter(|g| through.is_none_or(|d| g.date <= d))
        .collect();
    let (lines, fields) = season::seeds::fields(s, &counted, u64::from(s.unsigned_abs()))
        .map_err(|e| Error::invalid("season", e.to_string()))?;
    let names = graph::teams::FRANCHISES;
    let name = |t: &str| {
        names
            .iter()
            .find(|f| f.0 == t)
            .map_or(t.to_string(), |f| f.1.to_string())
    };
    let seed = |t: &str| {
        fields
            .iter()
            .find_map(|f| f.seeds.iter().position(|x| *x == t).map(|i| i + 1))
    };
    let rec = |r: season::standings::Record| [r.wins, r.losses, r.ties];
    let tables = season::tiebreak::Tables::new(&lines, &counted, s, u64::from(s.unsigned_abs()));
    let mut divisions = Vec::new();
    for d in season::alignment::divisions(s).unwrap_or_default() {
        let (order, _) = tables.order(d.teams, season::tiebreak::Procedure::Division);
        let teams = order
            .iter()
            .map(|t| {
                let l = tables.line(t);
                Line {
                    team: t.to_string(),
                    name: name(t),
                    record: rec(l.overall),
                    pct: l.pct,
                    division_record: rec(l.division_record),
                    conference_record: rec(l.conference_record),
                    points_for: l.points_for,
                    points_against: l.points_against,
                    streak: l.streak.clone(),
                    seed: seed(t),
                }
            })
            .collect();
        divisions.push(DivisionTable {
            conference: d.conference.name().into(),
            name: d.name.into(),
            teams,
        });
    }
    let format = season::alignment::playoff_format(s);
    let conferences = fields
        .iter()
        .map(|f| ConferenceField {
            conference: f.conference.name().into(),
            seeds: f.seeds.iter().map(|t| t.to_string()).collect(),
            byes: f.byes.iter().map(|t| t.to_string()).collect(),
            first_round: format
                .map(|fm| season::bracket::first_round(fm.teams, fm.byes))
                .unwrap_or_default()
                .into_iter()
                .filter(|p| p.away <= f.seeds.len())
                .map(|p| {
                    [
                        f.seeds[p.home - 1].to_string(),
                        f.seeds[p.away - 1].to_string(),
                    ]
                })
                .collect(),
            ties: f
                .ties
                .iter()
                .map(|b| Tie {
                    tied: b.tied.iter().map(|t| t.to_string()).collect(),
                    first: b.first.to_string(),
                    step: b.step.label().into(),
                })
                .collect(),
        })
        .collect();
    Ok(Standings {
        season: s,
        through,
        games: counted
            .iter()
            .filter(|g| !g.playoff && g.is_final())
            .count() as u32,
        divisions,
        conferences,
    })
}

/// The response cache key of a season's standings: under the history generation, so any
/// change to the games anywhere in the fleet makes a new key (no invalidation needed).
pub async fn cache_key(
    svc: &Services,
    season: Season,
    through: Option<NaiveDate>,
) -> Result<String> {
    let generation = svc.graph.history_generation().await?;
    Ok(format!(
        "{}standings:{}:{}:{generation}",
        super::cache_keys::CACHE_KEY_VERSION,
        season.get(),
        through.map_or("all".to_string(), |d| d.to_string())
    ))
}
