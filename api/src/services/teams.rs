//! A team's season as its page shows it: every game with the result and the consensus's
//! pre-game chance for the team — for a played game the walk-forward forecast of the replay
//! (made from the games before it, as the back-test scores it), for a coming game the stored
//! forecast — and the record, regular season and playoffs apart. Reads only.

use std::collections::HashMap;

use chrono::NaiveDate;
use graph::{GameFilter, PageRequest, Season, TeamId};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Result, Services};

/// One game of the team's season.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SeasonGame {
    pub game_id: String,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub week: u8,
    pub playoff: bool,
    /// Whether the team was the home team.
    pub home: bool,
    pub opponent: String,
    /// The team's points and the opponent's, once played.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<[u16; 2]>,
    /// `W`, `L` or `T`, once played.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    /// The consensus's chance that the team wins, before the game.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub win_probability: Option<f64>,
    /// Where that chance comes from: `walk_forward` (the replay, from the games before it)
    /// or `stored` (the forecast recorded for a coming game).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forecast: Option<&'static str>,
    /// The game was found cancelled.
    pub cancelled: bool,
}

/// Won, lost, tied.
#[derive(Clone, Copy, Debug, Default, Serialize, ToSchema)]
pub struct Record {
    pub wins: u32,
    pub losses: u32,
    pub ties: u32,
}

/// A team's season.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamSeason {
    pub team: String,
    pub season: i32,
    pub regular_season: Record,
    pub playoffs: Record,
    /// Played games the consensus favoured the winner of, of those with a forecast (ties aside).
    pub called: u32,
    pub forecast_games: u32,
    pub games: Vec<SeasonGame>,
}

/// `season` of team `id` (default: the team's latest season with games).
pub async fn team_season(
    svc: &Services,
    id: &TeamId,
    season: Option<Season>,
) -> Result<TeamSeason> {
    let team = svc.graph.get_team(id).await?;
    let season = match season {
        Some(s) => s,
        None => latest_season(svc, &team.id).await?,
    };
    let games = svc
        .graph
        .list_games(
            &GameFilter {
                season: Some(season),
                team: Some(team.id.clone()),
                ..GameFilter::default()
            },
            PageRequest::parse(Some(1), Some(100))?,
        )
        .await?;
    // The replay's pre-game probabilities of the season's played games.
    let walk: HashMap<String, f64> = svc
        .predictor
        .latest()
        .map(|snap| {
            snap.scored(season.get(), season.get())
                .into_iter()
                .map(|(g, r)| (g.id.to_string(), r.consensus))
                .collect()
        })
        .unwrap_or_default();
    let mut out = TeamSeason {
        team: team.id.to_string(),
        season: season.get(),
        regular_season: Record::default(),
        playoffs: Record::default(),
        called: 0,
        forecast_games: 0,
        games: Vec::new(),
    };
    for g in games.items {
        let home = g.home_team == team.id;
        let for_team = |p_home: f64| if home { p_home } else { 1.0 - p_home };
        let (chance, source) = match (walk.get(g.id.as_str()), g.result) {
            (Some(p), _) => (Some(for_team(*p)), Some("walk_forward")),
            (None, None) => {
                let stored = svc
                    .graph
                    .game_predictions(&g.id)
                    .await?
                    .into_iter()
                    .find(|p| p.expert_id == runtime::CONSENSUS);
                match stored {
                    Some(c) => (Some(for_team(c.home_win_probability.get())), Some("stored")),
                    None => (None, None),
                }
            }
            (None, Some(_)) => (None, None),
        };
        let score = g.result.map(|r| {
            if home {
                [r.home(), r.away()]
            } else {
                [r.away(), r.home()]
            }
        });
        let outcome = score.map(|[us, them]| match us.cmp(&them) {
            std::cmp::Ordering::Greater => "W",
            std::cmp::Ordering::Less => "L",
            std::cmp::Ordering::Equal => "T",
        });
        if let Some(o) = outcome {
            let rec = if g.playoff {
                &mut out.playoffs
            } else {
                &mut out.regular_season
            };
            match o {
                "W" => rec.wins += 1,
                "L" => rec.losses += 1,
                _ => rec.ties += 1,
            }
            if let (Some(p), "W" | "L") = (chance, o) {
                out.forecast_games += 1;
                out.called += u32::from((p >= 0.5) == (o == "W"));
            }
        }
        out.games.push(SeasonGame {
            game_id: g.id.to_string(),
            date: g.date,
            week: g.week.get(),
            playoff: g.playoff,
            home,
            opponent: if home { &g.away_team } else { &g.home_team }.to_string(),
            score,
            outcome,
            win_probability: chance,
            forecast: source,
            cancelled: g.is_cancelled(),
        });
    }
    Ok(out)
}

/// The latest season in which the team has a game.
async fn latest_season(svc: &Services, team: &TeamId) -> Result<Season> {
    let filter = GameFilter {
        team: Some(team.clone()),
        ..GameFilter::default()
    };
    let first = svc
        .graph
        .list_games(&filter, PageRequest::parse(Some(1), Some(1))?)
        .await?;
    let last = svc
        .graph
        .list_games(
            &filter,
            PageRequest::parse(Some(first.total.max(1) as i64), Some(1))?,
        )
        .await?;
    Ok(last
        .items
        .first()
        .map(|g| g.season)
        .unwrap_or(Season::parse(i64::from(Season::FIRST))?))
}
