//! A snapshot: the engine replayed through some date, with the tables that translate its
//! indices back to teams and games. Owns the replay (full, appended, or advanced to a past
//! date), the season-end ratings it records and the walk-forward quality it scores.
//! Pure and synchronous: no locks, no I/O. May call `forecast`, `graph`'s domain types,
//! `store::RatingPoint` and [`crate::shape`].

use std::collections::HashMap;

use chrono::NaiveDate;
use forecast::{ConsensusForecast, Engine, Matchup, Params, Played};
use graph::Game;

use crate::error::{Error, Result};
use crate::shape::{shape_from, GameForecast};

/// An engine replayed through some date, with the id tables to translate its indices.
pub struct Snapshot {
    /// The model version whose parameters the engine runs with.
    pub version: String,
    /// The history generation the snapshot holds every change up to (read before the games).
    pub generation: u64,
    pub(crate) engine: Engine,
    pub(crate) team_ix: HashMap<String, u16>,
    /// Team ids by engine index.
    pub(crate) team_ids: Vec<String>,
    /// The final games replayed, by engine history index.
    pub(crate) games: Vec<Game>,
    /// Every team's Elo and points rating at the end of each season it played.
    pub season_ratings: Vec<store::RatingPoint>,
    /// Walk-forward quality over the last seasons replayed (exported as metrics).
    pub quality: Option<Quality>,
}

/// Seasons scored for [`Quality`].
pub const QUALITY_SEASONS: usize = 2;

/// Walk-forward scores of the consensus and of each expert over the last seasons replayed.
#[derive(Clone, Debug)]
pub struct Quality {
    pub games: usize,
    pub consensus: forecast::metrics::Scores,
    /// (expert id, Brier score), in the engine's expert order; an expert that forecast none
    /// of the games (the market, when no game had lines) is left out.
    pub experts: Vec<(&'static str, f64)>,
}

fn quality(records: &[forecast::engine::Record]) -> Option<Quality> {
    if records.is_empty() {
        return None;
    }
    let pairs: Vec<(f64, f64)> = records.iter().map(|r| (r.consensus, r.result)).collect();
    let experts = forecast::EXPERTS
        .iter()
        .map(|e| e.spec())
        .enumerate()
        .filter_map(|(e, spec)| {
            let pairs: Vec<(f64, f64)> = records
                .iter()
                .map(|r| (r.experts[e], r.result))
                .filter(|(p, _)| p.is_finite())
                .collect();
            (!pairs.is_empty()).then(|| (spec.id, forecast::metrics::score(&pairs).brier))
        })
        .collect();
    Some(Quality {
        games: records.len(),
        consensus: forecast::metrics::score(&pairs),
        experts,
    })
}

/// The final games the engine can replay (both teams known), as the engine sees them, and
/// the games kept, in the same order.
fn playable(team_ix: &HashMap<String, u16>, games: &[Game]) -> (Vec<Played>, Vec<Game>) {
    let mut played = Vec::with_capacity(games.len());
    let mut kept = Vec::with_capacity(games.len());
    for g in games {
        if let Some(p) = self::played(team_ix, g) {
            played.push(p);
            kept.push(g.clone());
        }
    }
    (played, kept)
}

/// Advances `engine` through `new` (oldest first, after everything it replayed) season by
/// season, recording at each season's end the Elo and points rating of every team that played
/// in it. `earlier` holds the games of `new`'s first season replayed before: that season's
/// end moves, so its points are recorded again (and the old ones dropped).
fn advance_seasons(
    engine: &mut Engine,
    ids: &[String],
    earlier: &[Played],
    new: &[Played],
    season_ratings: &mut Vec<store::RatingPoint>,
) -> Result<(), forecast::Error> {
    let end_of = |p: &Played| {
        p.matchup
            .date
            .and_hms_opt(23, 59, 59)
            .expect("valid time")
            .and_utc()
    };
    let mut carry = earlier;
    let mut rest = new;
    while let Some(first) = rest.first() {
        let season = first.matchup.season;
        let n = rest
            .iter()
            .take_while(|p| p.matchup.season == season)
            .count();
        let (this, tail) = rest.split_at(n);
        engine.advance(this.iter().cloned())?;
        let before: &[Played] = match carry.last() {
            Some(last) if last.matchup.season == season => {
                let old = end_of(last);
                season_ratings.retain(|r| r.time != old);
                carry
            }
            _ => &[],
        };
        let time = end_of(this.last().unwrap_or(first));
        let mut teams: Vec<u16> = before
            .iter()
            .chain(this)
            .flat_map(|p| [p.matchup.home, p.matchup.away])
            .collect();
        teams.sort_unstable();
        teams.dedup();
        for t in teams {
            let (elo, points) = engine.team_ratings(t);
            for (kind, rating) in [("elo", elo), ("points", points)] {
                season_ratings.push(store::RatingPoint {
                    time,
                    team_id: ids[usize::from(t)].clone(),
                    kind: kind.to_string(),
                    rating,
                });
            }
        }
        carry = &[];
        rest = tail;
    }
    Ok(())
}

/// Walk-forward quality over the last [`QUALITY_SEASONS`] seasons of `played`.
fn quality_of(engine: &Engine, played: &[Played]) -> Option<Quality> {
    let mut seasons: Vec<i32> = played.iter().map(|p| p.matchup.season).collect();
    seasons.dedup();
    let scored_from = seasons
        .len()
        .checked_sub(QUALITY_SEASONS)
        .map(|i| seasons[i])
        .unwrap_or(i32::MIN);
    let scored = played
        .iter()
        .filter(|p| p.matchup.season >= scored_from)
        .count();
    let records = engine.records();
    quality(&records[records.len().saturating_sub(scored)..])
}

impl Snapshot {
    /// Replays `games` (final games, oldest first) with every known team.
    pub fn build(
        version: &str,
        generation: u64,
        params: &Params,
        teams: &[String],
        games: &[Game],
    ) -> Result<Self, forecast::Error> {
        let team_ix: HashMap<String, u16> = teams
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u16))
            .collect();
        let mut engine = Engine::with_params(teams.len(), params.clone()).recording();
        let (played, kept) = playable(&team_ix, games);
        let mut season_ratings = Vec::new();
        advance_seasons(&mut engine, teams, &[], &played, &mut season_ratings)?;
        let quality = quality_of(&engine, &played);
        Ok(Self {
            quality,
            season_ratings,
            version: version.to_string(),
            generation,
            engine,
            team_ix,
            team_ids: teams.to_vec(),
            games: kept,
        })
    }

    /// This snapshot advanced through the final games `games` holds after it, without
    /// replaying what it already holds — when that is possible: the same teams, every game
    /// replayed still final and unchanged, and the new games all dated after the last one
    /// replayed (no new game at all: the same model under the new generation). `None`
    /// otherwise (the caller replays everything). The result equals a full replay.
    pub fn extend(
        &self,
        generation: u64,
        teams: &[String],
        games: &[Game],
    ) -> Option<Result<Self, forecast::Error>> {
        if teams != self.team_ids.as_slice() {
            return None;
        }
        let (played, kept) = playable(&self.team_ix, games);
        let n = self.games.len();
        if kept.len() < n || kept[..n] != self.games[..] {
            return None;
        }
        if kept.len() == n {
            // No final game changed (a game added or moved, a model pointer touched): the
            // model has nothing new to learn.
            return Some(Ok(Self {
                quality: self.quality.clone(),
                season_ratings: self.season_ratings.clone(),
                version: self.version.clone(),
                generation,
                engine: self.engine.clone(),
                team_ix: self.team_ix.clone(),
                team_ids: self.team_ids.clone(),
                games: kept,
            }));
        }
        let last = self.engine.last_date()?;
        if played[n].matchup.date <= last {
            return None;
        }
        let first_season = played[n].matchup.season;
        let season_start = played[..n]
            .iter()
            .rposition(|p| p.matchup.season != first_season)
            .map_or(0, |i| i + 1);
        let mut engine = self.engine.clone();
        let mut season_ratings = self.season_ratings.clone();
        if let Err(e) = advance_seasons(
            &mut engine,
            teams,
            &played[season_start..n],
            &played[n..],
            &mut season_ratings,
        ) {
            return Some(Err(e));
        }
        let quality = quality_of(&engine, &played);
        Some(Ok(Self {
            quality,
            season_ratings,
            version: self.version.clone(),
            generation,
            engine,
            team_ix: self.team_ix.clone(),
            team_ids: self.team_ids.clone(),
            games: kept,
        }))
    }

    /// The model as it stood before `date`: the games this snapshot replayed that are dated
    /// before it, advanced from `base` (an earlier snapshot of the same history) when given,
    /// else replayed from the start. Equals a full replay of those games.
    pub fn before(
        &self,
        date: NaiveDate,
        base: Option<&Snapshot>,
        params: &Params,
    ) -> Result<Self, forecast::Error> {
        let n = self.games.partition_point(|g| g.date < date);
        let games = &self.games[..n];
        if let Some(extended) = base.and_then(|b| b.extend(self.generation, &self.team_ids, games))
        {
            return extended;
        }
        Self::build(
            &self.version,
            self.generation,
            params,
            &self.team_ids,
            games,
        )
    }

    pub fn games(&self) -> usize {
        self.games.len()
    }

    /// The home advantage the experts use now and the learned (mean, sd), in points.
    pub fn home_advantage(&self) -> (f64, (f64, f64)) {
        self.engine.home_advantage()
    }

    /// Forecasts `targets` (games sorted by date, final or not) walk-forward in one pass over
    /// this snapshot's history: each from exactly the final games dated before it, as the
    /// back-test and [`Predictor::forecast`] see them (the same predictions, to the bit),
    /// with `params`. Calls `emit` with each game's forecast in date order; stops early when
    /// `emit` returns false. A game whose teams the model does not know is an error.
    pub fn walk_forecasts(
        &self,
        params: &Params,
        targets: &[Game],
        mut emit: impl FnMut(GameForecast) -> bool,
    ) -> Result<()> {
        let (played, _) = playable(&self.team_ix, &self.games);
        let mut engine = Engine::with_params(self.team_ids.len(), params.clone());
        let mut learned = 0;
        for g in targets {
            let upto = learned + played[learned..].partition_point(|p| p.matchup.date < g.date);
            if upto > learned {
                engine.advance(played[learned..upto].iter().cloned())?;
                learned = upto;
            }
            let m = self.matchup(g)?;
            let f = engine.forecast(&m)?;
            if !emit(shape_from(
                &self.games,
                &self.version,
                self.generation,
                g,
                &f,
            )?) {
                break;
            }
        }
        Ok(())
    }

    /// The engine's matchup for `game`; a team the model does not know is an error.
    pub(crate) fn matchup(&self, game: &Game) -> Result<Matchup> {
        matchup(&self.team_ix, game).ok_or_else(|| Error::UnknownTeam {
            game: game.id.to_string(),
        })
    }

    /// `f` (this snapshot's forecast of `game`) as predictions with their memories.
    pub(crate) fn shape(&self, game: &Game, f: &ConsensusForecast) -> Result<GameForecast> {
        shape_from(&self.games, &self.version, self.generation, game, f)
    }

    pub fn last_date(&self) -> Option<NaiveDate> {
        self.engine.last_date()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Each final game of seasons `from..=to` with the probabilities every expert and the
    /// consensus gave it before kick-off (walk-forward: nothing from that day was known).
    pub fn scored(&self, from: i32, to: i32) -> Vec<(&Game, &forecast::engine::Record)> {
        let records = self.engine.records();
        if records.len() != self.games.len() {
            return Vec::new();
        }
        self.games
            .iter()
            .zip(records)
            .filter(|(g, _)| (from..=to).contains(&g.season.get()))
            .collect()
    }

    /// First and last season replayed.
    pub fn seasons(&self) -> Option<(i32, i32)> {
        Some((
            self.games.first()?.season.get(),
            self.games.last()?.season.get(),
        ))
    }
}

fn matchup(team_ix: &HashMap<String, u16>, g: &Game) -> Option<Matchup> {
    Some(Matchup {
        date: g.date,
        season: g.season.get(),
        home: *team_ix.get(g.home_team.as_str())?,
        away: *team_ix.get(g.away_team.as_str())?,
        neutral: g.neutral,
        playoff: g.playoff,
        same_division: graph::teams::same_division(g.home_team.as_str(), g.away_team.as_str()),
        lines: g.details.as_ref().and_then(|d| {
            forecast::Lines {
                spread: d.spread_line,
                home_moneyline: d.home_moneyline,
                away_moneyline: d.away_moneyline,
                total: d.total_line,
            }
            .usable()
        }),
    })
}

/// A final game as the engine sees it (None for an unplayed game or an unknown team).
pub fn played(team_ix: &HashMap<String, u16>, g: &Game) -> Option<Played> {
    Some(Played {
        matchup: matchup(team_ix, g)?,
        home_score: g.result?.home(),
        away_score: g.result?.away(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three-season fixture's games, oldest first, and its teams.
    fn fixture() -> (Vec<String>, Vec<Game>) {
        let batch = graph::import::parse(
            &include_bytes!("../../api/tests/fixtures/games_2016_2018.csv")[..],
        )
        .unwrap();
        let mut games = batch.games;
        games.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
        let mut teams: Vec<String> = batch.teams.iter().map(|t| t.id.to_string()).collect();
        teams.sort();
        (teams, games)
    }

    fn same(a: &Snapshot, b: &Snapshot) {
        assert_eq!(a.games, b.games);
        let sorted = |s: &Snapshot| {
            let mut r: Vec<String> = s
                .season_ratings
                .iter()
                .map(|p| format!("{} {} {} {:.12}", p.time, p.team_id, p.kind, p.rating))
                .collect();
            r.sort();
            r
        };
        assert_eq!(sorted(a), sorted(b), "season-end ratings");
        let (qa, qb) = (a.quality.as_ref().unwrap(), b.quality.as_ref().unwrap());
        assert_eq!(qa.games, qb.games);
        assert_eq!(qa.consensus.brier.to_bits(), qb.consensus.brier.to_bits());
        // The same forecast, to the bit, for a game after both.
        let m = Matchup {
            date: NaiveDate::from_ymd_opt(2019, 9, 8).unwrap(),
            season: 2019,
            home: a.team_ix["KC"],
            away: a.team_ix["NE"],
            neutral: false,
            playoff: false,
            same_division: false,
            lines: None,
        };
        let (fa, fb) = (
            a.engine.forecast(&m).unwrap(),
            b.engine.forecast(&m).unwrap(),
        );
        assert_eq!(
            fa.home_win_probability.to_bits(),
            fb.home_win_probability.to_bits()
        );
    }

    #[test]
    fn a_walk_forecasts_each_game_as_a_replay_of_the_games_before_it_does() {
        let (teams, games) = fixture();
        let p = Params::default();
        let full = Snapshot::build("v", 4, &p, &teams, &games).unwrap();
        // Games of 2017 and 2018, among them several on one day and a season's first.
        let targets: Vec<Game> = games
            .iter()
            .filter(|g| g.season.get() >= 2017)
            .step_by(37)
            .cloned()
            .collect();
        assert!(targets.len() > 10);
        let mut walked = Vec::new();
        full.walk_forecasts(&p, &targets, |f| {
            walked.push(f);
            true
        })
        .unwrap();
        assert_eq!(walked.len(), targets.len());
        for (g, w) in targets.iter().zip(&walked) {
            let before = full.before(g.date, None, &p).unwrap();
            let f = before
                .engine
                .forecast(&matchup(&before.team_ix, g).unwrap())
                .unwrap();
            let one = before.shape(g, &f).unwrap();
            let view = |f: &GameForecast| {
                f.records
                    .iter()
                    .chain([&f.consensus])
                    .map(|r| {
                        let mut memories: Vec<String> = r
                            .memories
                            .iter()
                            .map(|(m, u)| {
                                format!(
                                    "{} {} {:.17} {}",
                                    m.id, m.content, u.influence_weight, u.retrieval_rank
                                )
                            })
                            .collect();
                        memories.sort();
                        (
                            r.prediction.id.to_string(),
                            r.prediction.home_win_probability.get().to_bits(),
                            r.prediction.reasoning.clone(),
                            memories,
                        )
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(view(w), view(&one), "{}", g.id);
        }
        // Stopping early stops.
        let mut n = 0;
        full.walk_forecasts(&p, &targets, |_| {
            n += 1;
            n < 3
        })
        .unwrap();
        assert_eq!(n, 3);
    }

    #[test]
    fn advancing_the_model_through_appended_games_equals_replaying_everything() {
        let (teams, games) = fixture();
        let p = Params::default();
        let full = Snapshot::build("v", 9, &p, &teams, &games).unwrap();
        // Cut inside a season (mid-2017) and at a season's end (the last 2016 game).
        let mid = NaiveDate::from_ymd_opt(2017, 11, 1).unwrap();
        let end_2016 = games
            .iter()
            .filter(|g| g.season.get() == 2016)
            .map(|g| g.date)
            .max()
            .unwrap();
        for cut in [mid, end_2016 + chrono::Days::new(1)] {
            let before: Vec<Game> = games.iter().filter(|g| g.date < cut).cloned().collect();
            let base = Snapshot::build("v", 1, &p, &teams, &before).unwrap();
            let extended = base
                .extend(9, &teams, &games)
                .expect("appended games extend the model")
                .unwrap();
            assert_eq!(extended.generation, 9);
            same(&extended, &full);
        }
    }

    #[test]
    fn a_past_date_advanced_from_an_earlier_one_equals_replaying_the_games_before_it() {
        let (teams, games) = fixture();
        let p = Params::default();
        let full = Snapshot::build("v", 9, &p, &teams, &games).unwrap();
        let replay = |date: NaiveDate| {
            let before: Vec<Game> = games.iter().filter(|g| g.date < date).cloned().collect();
            Snapshot::build("v", 9, &p, &teams, &before).unwrap()
        };
        let first_day = NaiveDate::from_ymd_opt(2017, 10, 1).unwrap();
        let first = full.before(first_day, None, &p).unwrap();
        same(&first, &replay(first_day));
        // (date, case): mid-season, the next season, the same date again.
        for (date, case) in [
            ((2017, 12, 3), "later in the season"),
            ((2018, 10, 14), "a later season"),
            ((2017, 10, 1), "the same date"),
        ] {
            let date = NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap();
            let advanced = full.before(date, Some(&first), &p).unwrap();
            assert_eq!(advanced.generation, 9, "{case}");
            same(&advanced, &replay(date));
        }
    }

    #[test]
    fn the_model_replays_everything_when_it_cannot_just_append() {
        let (teams, games) = fixture();
        let p = Params::default();
        let base = Snapshot::build("v", 1, &p, &teams, &games[..games.len() - 5]).unwrap();
        // (case, games offered, teams offered, extendable?)
        let mut changed = games.clone();
        changed[10].result = changed[10].result.map(|s| {
            graph::FinalScore::parse(i64::from(s.home()) + 1, i64::from(s.away())).unwrap()
        });
        let last_day = base.last_date().unwrap();
        let mut same_day: Vec<Game> = games[..games.len() - 5].to_vec();
        let mut extra = games[games.len() - 1].clone();
        extra.date = last_day;
        same_day.push(extra);
        let mut more_teams = teams.clone();
        more_teams.push("ZZZ".into());
        let cases: [(&str, &[Game], &[String], bool); 5] = [
            ("appended", &games, &teams, true),
            ("nothing new", &games[..games.len() - 5], &teams, true),
            ("an old score changed", &changed, &teams, false),
            ("a game on the last day replayed", &same_day, &teams, false),
            ("a new team", &games, &more_teams, false),
        ];
        for (case, offered, t, extendable) in cases {
            assert_eq!(base.extend(2, t, offered).is_some(), extendable, "{case}");
        }
    }
}
