//! Keeping the store current from a schedule feed (a file, a spreadsheet or the body a URL
//! answered): the feed is read in either layout, compared with the store game by game, and
//! what changed is applied in one transaction per backend, by the rules below. Running the
//! same feed again changes nothing.
//!
//! | the feed has | the store has | outcome |
//! |---|---|---|
//! | a game | nothing under its id | **added** |
//! | a game on another date | the game | **moved** (date and details updated) |
//! | a final score | the game, not final | **finalised** |
//! | another final score | the game, final | **corrected** with `accept_corrections`, else **refused** (logged, old and new) |
//! | no score | the game, final | unchanged (a final is never taken back) |
//! | the same game | the same game | unchanged (new details are applied as an update) |
//!
//! A feed that lacks games the store has for the seasons it covers is refused whole as
//! suspicious (a truncated or wrong file), with a message that names what is missing.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use graph::schedule::Layout;
use graph::{Game, GameFilter, ImportBatch, ImportStats, PageRequest, Season};
use serde::Serialize;

use super::{Error, Result, Services};

/// How a run treats what it finds.
#[derive(Clone, Copy, Debug, Default)]
pub struct IngestOptions {
    /// Apply changed final scores (corrections); refused and reported otherwise.
    pub accept_corrections: bool,
}

/// One game a run would change, with what it had before.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub game: Game,
    /// The stored date (moved games).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_date: Option<NaiveDate>,
    /// The stored final score, home–away (corrections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_score: Option<(u16, u16)>,
}

/// What a feed would do to the store.
#[derive(Debug, Default, Serialize)]
pub struct IngestPlan {
    pub layout: String,
    pub rows: u64,
    pub added: Vec<Change>,
    pub moved: Vec<Change>,
    pub finalised: Vec<Change>,
    pub corrected: Vec<Change>,
    /// Other changes (details such as lines, weather or rest days).
    pub updated: Vec<Change>,
    /// Corrections left out because they were not accepted.
    pub refused: Vec<Change>,
    pub unchanged: u64,
}

impl IngestPlan {
    /// Games the run writes.
    pub fn writes(&self) -> impl Iterator<Item = &Change> {
        self.added
            .iter()
            .chain(&self.moved)
            .chain(&self.finalised)
            .chain(&self.corrected)
            .chain(&self.updated)
    }

    pub fn is_noop(&self) -> bool {
        self.writes().next().is_none()
    }
}

/// Reads a feed's bytes: a spreadsheet when `name` ends in `.xlsx`, `.xls` or `.ods` (sheet
/// `sheet`, default the first), CSV otherwise; either layout, from its header.
pub fn read_feed(bytes: &[u8], name: &str, sheet: Option<&str>) -> Result<(Layout, ImportBatch)> {
    let text;
    let csv = if graph::sheets::is_spreadsheet(name) {
        text = graph::sheets::to_csv(bytes, sheet)?;
        text.as_slice()
    } else {
        bytes
    };
    Ok(graph::schedule::parse_any(csv)?)
}

/// Every stored game of `season`.
async fn stored_season(svc: &Services, season: Season) -> Result<Vec<Game>> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let p = svc
            .graph
            .list_games(
                &GameFilter {
                    season: Some(season),
                    ..GameFilter::default()
                },
                PageRequest::parse(Some(page), Some(500))?,
            )
            .await?;
        let n = p.items.len();
        out.extend(p.items);
        if n < 500 {
            return Ok(out);
        }
        page += 1;
    }
}

fn score(g: &Game) -> Option<(u16, u16)> {
    Some((g.home_score?, g.away_score?))
}

/// Compares a parsed feed with the store, game by game (no write).
#[tracing::instrument(name = "services.ingest.plan", skip_all, fields(games = batch.games.len()))]
pub async fn plan(
    svc: &Services,
    layout: Layout,
    batch: &ImportBatch,
    opts: IngestOptions,
) -> Result<IngestPlan> {
    let mut seasons: BTreeMap<i32, Season> = BTreeMap::new();
    for g in &batch.games {
        seasons.insert(g.season.get(), g.season);
    }
    let mut stored: HashMap<String, Game> = HashMap::new();
    for season in seasons.values() {
        for g in stored_season(svc, *season).await? {
            stored.insert(g.id.to_string(), g);
        }
    }
    let in_feed: std::collections::HashSet<&str> =
        batch.games.iter().map(|g| g.id.as_str()).collect();
    let mut missing: Vec<&str> = stored
        .keys()
        .map(String::as_str)
        .filter(|id| !in_feed.contains(id))
        .collect();
    if !missing.is_empty() {
        missing.sort_unstable();
        return Err(Error::invalid(
            "feed",
            format!(
                "refused as suspicious: it lacks {} game(s) the store has for the season(s) it covers ({}), e.g. {}; a schedule feed lists every game of its seasons",
                missing.len(),
                seasons.keys().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
                missing.iter().take(5).copied().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let mut plan = IngestPlan {
        layout: layout.name().into(),
        rows: batch.rows,
        ..IngestPlan::default()
    };
    for g in &batch.games {
        let change = |old_date, old_score| Change {
            game: g.clone(),
            old_date,
            old_score,
        };
        let Some(old) = stored.get(g.id.as_str()) else {
            plan.added.push(change(None, None));
            continue;
        };
        // A final is never taken back by a feed that has no score for it.
        let mut merged = g.clone();
        if score(g).is_none() {
            merged.home_score = old.home_score;
            merged.away_score = old.away_score;
        }
        if merged.anchor_home_win_probability.is_none() {
            merged.anchor_home_win_probability = old.anchor_home_win_probability;
        }
        if merged.details.is_none() {
            merged.details.clone_from(&old.details);
        }
        let c = |old_date, old_score| Change {
            game: merged.clone(),
            old_date,
            old_score,
        };
        match (score(old), score(&merged)) {
            (Some(a), Some(b)) if a != b => {
                if opts.accept_corrections {
                    tracing::warn!(game = %g.id, old = ?a, new = ?b, "final score corrected by the feed");
                    plan.corrected.push(c(None, Some(a)));
                } else {
                    tracing::warn!(game = %g.id, old = ?a, new = ?b, "final score correction refused (not accepted)");
                    plan.refused.push(c(None, Some(a)));
                }
                continue;
            }
            (None, Some(_)) => {
                plan.finalised
                    .push(c((old.date != merged.date).then_some(old.date), None));
                continue;
            }
            _ => {}
        }
        if old.date != merged.date {
            plan.moved.push(c(Some(old.date), None));
        } else if *old != merged {
            plan.updated.push(c(None, None));
        } else {
            plan.unchanged += 1;
        }
    }
    Ok(plan)
}

/// Applies a plan: every game it writes, in one transaction per backend (nothing
/// half-applied), then the cache dropped and the model replayed (through the import use
/// case, so the fleet follows).
#[tracing::instrument(name = "services.ingest.apply", skip_all)]
pub async fn apply(
    svc: &Services,
    plan: &IngestPlan,
    teams: &[graph::Team],
    progress: graph::Progress<'_>,
) -> Result<ImportStats> {
    let games: Vec<Game> = plan.writes().map(|c| c.game.clone()).collect();
    if games.is_empty() {
        return Ok(ImportStats::default());
    }
    let batch = ImportBatch {
        teams: teams.to_vec(),
        rows: games.len() as u64,
        games,
        rows_with_unrecognised_teams: 0,
        unrecognised_codes: Vec::new(),
    };
    let n = batch.games.len();
    super::imports::import_games(svc, &batch, n, progress).await
}
