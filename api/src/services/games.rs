//! Adding games and recording their results.

use chrono::{Datelike, NaiveDate};
use graph::{Game, GameFilter, GameId, PageRequest, Season, TeamId, Week};

use super::events::Event;
use super::{cache_keys, Error, Result, Services};
use runtime::Rebuild;

/// A new game whose every field was checked on its own; what needs the store (do the teams
/// exist, which week is it) is checked by [`add_game`].
#[derive(Clone, Debug, PartialEq)]
pub struct GameDraft {
    home: TeamId,
    away: TeamId,
    date: NaiveDate,
    season: Season,
    week: Option<Week>,
    neutral: bool,
    playoff: bool,
}

/// A new game as a client or a file gives it: text and numbers, not yet checked.
#[derive(Clone, Debug, Default)]
pub struct GameInput<'a> {
    pub home_team: &'a str,
    pub away_team: &'a str,
    /// YYYY-MM-DD.
    pub date: &'a str,
    /// Defaults to the date's year (January and February belong to the previous season).
    pub season: Option<i64>,
    /// Defaults to the week implied by the season's first stored game.
    pub week: Option<i64>,
    pub neutral: bool,
    pub playoff: bool,
}

fn team(field: &'static str, code: &str) -> Result<TeamId> {
    TeamId::parse(graph::teams::resolve(&code.to_ascii_uppercase()).id())
        .map_err(|_| Error::invalid(field, "not a team code (2-4 letters, e.g. KC)"))
}

impl GameDraft {
    /// Checks every field that can be checked without the store; historical team codes
    /// (OAK, SD, STL…) resolve to their franchise.
    pub fn parse(input: &GameInput) -> Result<Self> {
        let home = team("home_team", input.home_team)?;
        let away = team("away_team", input.away_team)?;
        if home == away {
            return Err(Error::invalid("away_team", "a team cannot play itself"));
        }
        let date = NaiveDate::parse_from_str(input.date.trim(), "%Y-%m-%d")
            .map_err(|_| Error::invalid("date", "must be a YYYY-MM-DD date"))?;
        let season = Season::parse(input.season.unwrap_or(if date.month() <= 2 {
            i64::from(date.year()) - 1
        } else {
            i64::from(date.year())
        }))?;
        if date.year() != season.get() && !(date.year() == season.get() + 1 && date.month() <= 3) {
            return Err(Error::invalid(
                "date",
                format!("{date} does not fall in the {} season", season.get()),
            ));
        }
        let week = input.week.map(Week::parse).transpose()?;
        Ok(Self {
            home,
            away,
            date,
            season,
            week,
            neutral: input.neutral,
            playoff: input.playoff,
        })
    }
}

/// Adds an upcoming game and announces it (`game` event). The teams must be known; without a
/// week, the week is counted from the season's first stored game.
#[tracing::instrument(name = "services.add_game", skip(svc))]
pub async fn add_game(svc: &Services, draft: GameDraft) -> Result<Game> {
    for (field, t) in [("home_team", &draft.home), ("away_team", &draft.away)] {
        if let Err(graph::Error::NotFound { .. }) = svc.graph.get_team(t).await {
            return Err(Error::invalid(
                field,
                format!("'{}' is not a known team", t.as_str()),
            ));
        }
    }
    let week = match draft.week {
        Some(w) => w,
        None => week_of(svc, draft.season, draft.date).await?,
    };
    let game = Game {
        id: GameId::new(&draft.home, &draft.away, draft.season, week, 1),
        home_team: draft.home,
        away_team: draft.away,
        season: draft.season,
        week,
        date: draft.date,
        neutral: draft.neutral,
        playoff: draft.playoff,
        result: None,
        anchor_home_win_probability: None,
        details: None,
        rescheduled_at: None,
        aliases: Vec::new(),
        cancelled_at: None,
    };
    let created = svc.graph.create_game(game).await?;
    let generation = svc.graph.history_generation().await?;
    svc.announce(generation).await;
    svc.events.publish(&Event::Game {
        game_id: created.id.clone(),
        generation,
        season: created.season,
        week: created.week,
        home_team: created.home_team.clone(),
        away_team: created.away_team.clone(),
        is_final: created.is_final(),
    });
    Ok(created)
}

/// The week of `date` in `season`, counted from the season's first stored game.
async fn week_of(svc: &Services, season: Season, date: NaiveDate) -> Result<Week> {
    let filter = GameFilter {
        season: Some(season),
        ..Default::default()
    };
    let first = svc
        .graph
        .list_games(&filter, PageRequest::parse(Some(1), Some(1))?)
        .await?;
    let first = first.items.first().map(|g| g.date).ok_or_else(|| {
        Error::invalid(
            "week",
            format!(
                "is required: no games of the {} season are stored",
                season.get()
            ),
        )
    })?;
    if date < first {
        return Err(Error::invalid(
            "week",
            "is required for a game before the season's first stored game",
        ));
    }
    Ok(Week::parse(graph::import::week_number(first, date))?)
}

/// A final score (each side 0 to 200 points): the graph's own type.
pub use graph::FinalScore;

/// Records a played game's final score: the game, its memories and head-to-head records are
/// written, its cached responses dropped, the models learn it in the background (requests keep
/// the current engine meanwhile), and a `result` event is announced.
#[tracing::instrument(name = "services.record_result", skip(svc))]
pub async fn record_result(svc: &Services, id: &GameId, score: FinalScore) -> Result<Game> {
    let game = svc.graph.get_game(id).await?;
    if game.date > chrono::Utc::now().date_naive() {
        return Err(Error::invalid(
            "game_id",
            format!(
                "{} is dated {}: it has not been played yet",
                game.id, game.date
            ),
        ));
    }
    let game = svc.graph.record_result(&game.id, score).await?;
    svc.cache
        .invalidate_prefix(&cache_keys::game_prefix(game.id.as_str()))
        .await;
    svc.predictor.rebuild_in_background(Rebuild::Result);
    let generation = svc.graph.history_generation().await?;
    svc.announce(generation).await;
    svc.events.publish(&Event::Result {
        game_id: game.id.clone(),
        generation,
        home_team: game.home_team.clone(),
        away_team: game.away_team.clone(),
        home_score: score.home(),
        away_score: score.away(),
    });
    if !game.playoff {
        svc.events.publish(&Event::Standings {
            season: game.season,
            generation,
        });
        super::odds::refresh_in_background(svc, game.season);
    }
    Ok(game)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(home: &'a str, away: &'a str, date: &'a str) -> GameInput<'a> {
        GameInput {
            home_team: home,
            away_team: away,
            date,
            ..Default::default()
        }
    }

    #[test]
    fn a_draft_names_the_first_field_at_fault() {
        // (input, field at fault)
        let cases = [
            (input("K", "BUF", "2019-09-08"), "home_team"),
            (input("KC", "B-F", "2019-09-08"), "away_team"),
            (input("KC", "kc", "2019-09-08"), "away_team"),
            (input("KC", "BUF", "09/08/2019"), "date"),
            (
                GameInput {
                    season: Some(2017),
                    ..input("KC", "BUF", "2019-09-08")
                },
                "date",
            ),
            (
                GameInput {
                    season: Some(1800),
                    ..input("KC", "BUF", "2019-09-08")
                },
                "season",
            ),
            (
                GameInput {
                    week: Some(0),
                    ..input("KC", "BUF", "2019-09-08")
                },
                "week",
            ),
        ];
        for (i, field) in cases {
            match GameDraft::parse(&i) {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field, "{i:?}"),
                Err(Error::Graph(graph::Error::Invalid { field: f, .. })) => {
                    assert_eq!(f, field, "{i:?}")
                }
                other => panic!("{i:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_january_game_belongs_to_the_previous_season_and_old_codes_to_their_franchise() {
        let d = GameDraft::parse(&input("oak", "SD", "2019-01-06")).unwrap();
        assert_eq!(d.season.get(), 2018);
        assert_eq!(d.home.as_str(), graph::teams::resolve("OAK").id());
        assert_eq!(d.away.as_str(), graph::teams::resolve("SD").id());
        assert_eq!(d.week, None);
    }

    #[test]
    fn scores_outside_0_to_200_are_refused_naming_the_side() {
        for (home, away, bad) in [
            (0, 0, None),
            (200, 199, None),
            (201, 3, Some("home_score")),
            (3, -1, Some("away_score")),
            (i64::MAX, 0, Some("home_score")),
        ] {
            match (FinalScore::parse(home, away), bad) {
                (Ok(s), None) => assert_eq!((s.home(), s.away()), (home as u16, away as u16)),
                (Err(graph::Error::Invalid { field, .. }), Some(b)) => assert_eq!(field, b),
                (other, _) => panic!("{home}-{away}: {other:?}"),
            }
        }
    }
}

/// A game not played yet, with its stored consensus if it was forecast.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UpcomingGame {
    pub game: Game,
    /// The consensus forecast, if the game was forecast (`stale` when it moved since).
    pub consensus: Option<graph::Prediction>,
}

// The games not played yet in a window of days, by date, with their consensus forecasts.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Upcoming {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    pub items: Vec<UpcomingGame>,
    /// Games in the window with no current forecast (none, or stale).
    pub unforecast: u64,
}

/// The unplayed games from `from` to `from + days - 1` (at most 200) with their consensus; a
/// cancelled game is never upcoming.
#[tracing::instrument(name = "services.upcoming", skip(svc))]
pub async fn upcoming(svc: &Services, from: NaiveDate, days: u32) -> Result<Upcoming> {
    let to = from + chrono::Days::new(u64::from(days.max(1)) - 1);
    let filter = GameFilter {
        from: Some(from),
        to: Some(to),
        played: Some(false),
        ..Default::default()
    };
    let games = svc
        .graph
        .list_games(&filter, PageRequest::parse(Some(1), Some(200))?)
        .await?;
    let mut items = Vec::with_capacity(games.items.len());
    let mut unforecast = 0;
    for game in games.items.into_iter().filter(|g| !g.is_cancelled()) {
        let consensus = svc
            .graph
            .game_predictions(&game.id)
            .await?
            .into_iter()
            .find(|p| p.expert_id == runtime::CONSENSUS);
        if consensus.as_ref().is_none_or(|c| c.stale) {
            unforecast += 1;
        }
        items.push(UpcomingGame { game, consensus });
    }
    Ok(Upcoming {
        from,
        to,
        items,
        unforecast,
    })
}

/// One game by id.
pub async fn get_game(svc: &Services, id: &GameId) -> Result<Game> {
    Ok(svc.graph.get_game(id).await?)
}

/// The game a path or argument names: a game id as it is, or any alias a schedule feed gave
/// the game (nflverse `game_id`, `old_game_id`, `gsis`, `espn`, `pfr`), looked up. Text
/// that can be neither is the id parser's `invalid` (field `game_id`); an alias no game
/// carries is `not_found`.
pub async fn resolve(svc: &Services, text: &str) -> Result<GameId> {
    match GameId::parse(text) {
        Ok(id) => Ok(id),
        Err(invalid) => {
            // Every feed id starts with a digit (a season, a date, a number); a game id never.
            let alias = text.len() <= 40
                && text.bytes().next().is_some_and(|b| b.is_ascii_digit())
                && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !alias {
                return Err(invalid.into());
            }
            Ok(svc.graph.find_game(text).await?.id)
        }
    }
}

/// Takes back a cancellation (an administrator's decision): the game is listed as upcoming
/// again and the next feed run treats it like any other game. `invalid` for a game that is
/// not cancelled.
#[tracing::instrument(name = "services.reinstate", skip(svc))]
pub async fn reinstate(svc: &Services, id: &GameId) -> Result<Game> {
    let mut game = svc.graph.get_game(id).await?;
    if !game.is_cancelled() {
        return Err(Error::invalid(
            "game_id",
            format!("{} is not cancelled", game.id),
        ));
    }
    game.cancelled_at = None;
    let batch = graph::ImportBatch {
        teams: Vec::new(),
        rows: 1,
        games: vec![game.clone()],
        rows_with_unrecognised_teams: 0,
        unrecognised_codes: Vec::new(),
    };
    super::imports::import_games(svc, &batch, 1, &|_| {}).await?;
    Ok(game)
}

/// Games by date matching `filter`, one page.
pub async fn list_games(
    svc: &Services,
    filter: &GameFilter,
    page: PageRequest,
) -> Result<graph::Page<Game>> {
    Ok(svc.graph.list_games(filter, page).await?)
}
