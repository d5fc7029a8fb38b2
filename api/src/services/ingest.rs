//! Keeping the store current from a schedule feed (a file, a spreadsheet or the body a URL
//! answered): the feed is read in any layout graph knows (538, nflverse, spreadspoke),
//! compared with the store game by game, and what changed is applied in one transaction per
//! backend, by the rules below. Running the same feed again changes nothing.
//!
//! | the feed has | the store has | outcome |
//! |---|---|---|
//! | a game | nothing under its id | **added** |
//! | a game on another date | the game | **moved** (date and details updated; its forecasts read as `stale` until it is forecast again) |
//! | a final score | the game, not final | **finalised** |
//! | another final score | the game, final | **corrected** with `accept_corrections`, else **refused** (logged, old and new) |
//! | no score | the game, final | unchanged (a final is never taken back) |
//! | the same game | the same game | unchanged (new details are applied as an update) |
//!
//! | a game under another id (another home designation at a neutral site, another week number, the feed's own ids) | the same game, recognised by alias or by teams and date (`graph::reconcile`) | the stored game keeps its id; the feed's ids become its aliases; every difference is reported with its rule |
//! | nothing | an unplayed game past its date | **cancelled** (kept, never upcoming, never scored; `api reinstate` undoes it) |
//!
//! A feed that lacks a played game, a game still to come, or more than
//! [`MAX_CANCELLED_PER_RUN`] unplayed past games of the seasons it covers is refused whole as
//! suspicious (a truncated or wrong file), with a message that names what is missing; so is
//! a feed game two stored games could be.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use graph::reconcile::{Matched, MatchedBy};
use graph::schedule::Layout;
use graph::{Game, ImportBatch, ImportStats, Season};
use serde::Serialize;

use super::{Error, Result, Services};

/// How a run treats what it finds.
#[derive(Clone, Copy, Debug, Default)]
pub struct IngestOptions {
    /// Apply changed final scores (corrections); refused and reported otherwise.
    pub accept_corrections: bool,
    /// Today (default: the clock's), for telling a cancelled game from one still to come.
    pub today: Option<NaiveDate>,
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
    /// Stored games, unplayed and past their date, that the feed no longer lists.
    pub cancelled: Vec<Change>,
    pub unchanged: u64,
    /// How the feed's games were recognised among the stored ones.
    pub matched_by_id: u64,
    pub matched_by_alias: u64,
    pub matched_by_teams_and_date: u64,
    /// Every game recognised other than by its id, or whose record differs from the stored
    /// one: how it was matched, each difference and the rule applied.
    pub reconciled: Vec<Matched>,
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
            .chain(&self.cancelled)
    }

    pub fn is_noop(&self) -> bool {
        self.writes().next().is_none()
    }
}

/// Reads a feed's bytes: a spreadsheet when `name` ends in `.xlsx`, `.xls` or `.ods` (sheet
/// `sheet`, default the first), CSV otherwise; any layout, from its header.
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

fn score(g: &Game) -> Option<(u16, u16)> {
    g.result.map(|r| (r.home(), r.away()))
}

/// Stored games a feed may leave out unplayed and past their date before it is refused as
/// suspicious instead of their being marked cancelled (the real schedule cancelled one game
/// in a century).
pub const MAX_CANCELLED_PER_RUN: usize = 4;

/// Compares a parsed feed with the store, game by game (no write): each feed game is
/// recognised among the stored games of its seasons (`graph::reconcile`: by id, alias, or
/// teams and date), then compared with the one it is.
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
    let mut stored_games: Vec<Game> = Vec::new();
    for season in seasons.values() {
        stored_games.extend(super::catalog::season_games(svc, *season).await?);
    }
    let r = graph::reconcile::reconcile(&stored_games, &batch.games);
    let covered = seasons
        .keys()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(a) = r.ambiguous.first() {
        return Err(Error::invalid(
            "feed",
            format!(
                "refused: feed game {} could be any of the stored games {} (same teams within {} days); {} such game(s)",
                a.feed_id,
                a.candidates.join(" and "),
                graph::reconcile::SAME_GAME_DAYS,
                r.ambiguous.len()
            ),
        ));
    }
    let today = opts
        .today
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let cancelled = unlisted(&r.unlisted, today, &covered)?;
    let stored: HashMap<&str, &Game> = stored_games.iter().map(|g| (g.id.as_str(), g)).collect();
    let mut plan = IngestPlan {
        layout: layout.name().into(),
        rows: batch.rows,
        matched_by_id: r.count(MatchedBy::Id) as u64,
        matched_by_alias: r.count(MatchedBy::Alias) as u64,
        matched_by_teams_and_date: r.count(MatchedBy::TeamsAndDate) as u64,
        ..IngestPlan::default()
    };
    let now = chrono::Utc::now();
    plan.cancelled = cancelled
        .into_iter()
        .map(|g| {
            let mut game = g.clone();
            game.cancelled_at = Some(now);
            tracing::warn!(game = %g.id, date = %g.date, "the feed no longer lists this unplayed game: marked cancelled");
            Change {
                game,
                old_date: None,
                old_score: None,
            }
        })
        .collect();
    for g in &r.new {
        plan.added.push(Change {
            game: g.clone(),
            old_date: None,
            old_score: None,
        });
    }
    for m in r.matched {
        let old = stored[m.game.id.as_str()];
        compare(&mut plan, old, &m.game, opts);
        if m.by != MatchedBy::Id || !m.differences.is_empty() {
            plan.reconciled.push(m);
        }
    }
    Ok(plan)
}

/// The stored games a feed does not list: the unplayed ones past their date are cancelled;
/// a played one, one still to come, or more than [`MAX_CANCELLED_PER_RUN`] make the feed
/// suspicious (refused whole, with what is missing). Games already cancelled stay so.
fn unlisted<'a>(games: &'a [Game], today: NaiveDate, covered: &str) -> Result<Vec<&'a Game>> {
    let (cancel, suspicious): (Vec<&Game>, Vec<&Game>) = games
        .iter()
        .filter(|g| !g.is_cancelled())
        .partition(|g| !g.is_final() && g.date < today);
    if !suspicious.is_empty() || cancel.len() > MAX_CANCELLED_PER_RUN {
        let mut missing: Vec<&str> = suspicious
            .iter()
            .chain(if suspicious.is_empty() {
                &cancel
            } else {
                &suspicious
            })
            .map(|g| g.id.as_str())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        let played = suspicious.iter().filter(|g| g.is_final()).count();
        return Err(Error::invalid(
            "feed",
            format!(
                "refused as suspicious: it lacks {} game(s) the store has for the season(s) it covers ({covered}) — {played} played, {} still to come, {} unplayed and past their date — e.g. {}; a schedule feed lists every game of its seasons (an unplayed game past its date that it drops is marked cancelled, at most {MAX_CANCELLED_PER_RUN} per run)",
                suspicious.len() + cancel.len(),
                suspicious.len() - played,
                cancel.len(),
                missing.iter().take(5).copied().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Ok(cancel)
}

/// Sorts feed game `g` (rewritten as stored game `old`) into the plan by the rules above.
fn compare(plan: &mut IngestPlan, old: &Game, g: &Game, opts: IngestOptions) {
    let merged = graph::reconcile::merge(old, g);
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
            return;
        }
        (None, Some(_)) => {
            plan.finalised
                .push(c((old.date != merged.date).then_some(old.date), None));
            return;
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

/// Applies a plan: every game it writes, in one transaction per backend (nothing
/// half-applied), then the cache dropped and the model replayed (through the import use
/// case, so the fleet follows), and a stream event for each game added (`game`) or
/// finalised (`result`).
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
    let stats = super::imports::import_games(svc, &batch, n, progress).await?;
    // Stream events, as if each game had been added or finalised through the API.
    let generation = svc.graph.history_generation().await?;
    for c in &plan.added {
        let g = &c.game;
        svc.events.publish(&super::Event::Game {
            game_id: g.id.clone(),
            generation,
            season: g.season,
            week: g.week,
            home_team: g.home_team.clone(),
            away_team: g.away_team.clone(),
            is_final: g.is_final(),
        });
    }
    let mut moved: Vec<Season> = plan
        .finalised
        .iter()
        .chain(&plan.corrected)
        .filter(|c| !c.game.playoff)
        .map(|c| c.game.season)
        .collect();
    moved.sort_unstable();
    moved.dedup();
    for &season in &moved {
        svc.events
            .publish(&super::Event::Standings { season, generation });
    }
    // New odds for the live season (the latest one a result moved), not for every season a
    // first run over a whole file finalises.
    if let Some(&latest) = moved.last() {
        super::odds::refresh_in_background(svc, latest);
    }
    for c in plan.finalised.iter().chain(&plan.corrected) {
        let g = &c.game;
        if let Some((home_score, away_score)) = score(g) {
            svc.events.publish(&super::Event::Result {
                game_id: g.id.clone(),
                generation,
                home_team: g.home_team.clone(),
                away_team: g.away_team.clone(),
                home_score,
                away_score,
            });
        }
    }
    Ok(stats)
}

/// Where the scheduler reads its feed and what it does after applying it.
#[derive(Clone, Debug)]
pub struct ScheduleConfig {
    pub feed_url: String,
    /// This instance, as the run log names it.
    pub instance: String,
    pub horizon_days: u32,
    /// Today, unless a past season is being replayed.
    pub today: Option<NaiveDate>,
    pub accept_corrections: bool,
    /// Per attempt.
    pub timeout: std::time::Duration,
    /// Attempts after the first, with exponential back-off and jitter.
    pub retries: u32,
    pub max_bytes: usize,
}

impl ScheduleConfig {
    pub fn new(feed_url: String, instance: String) -> Self {
        Self {
            feed_url,
            instance,
            horizon_days: 8,
            today: None,
            accept_corrections: false,
            timeout: std::time::Duration::from_secs(30),
            retries: 3,
            max_bytes: 64 << 20,
        }
    }
}

/// What a fetch found.
pub enum Fetched {
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// 304: the feed did not change since the validators given.
    NotModified,
}

/// GETs the feed: conditional on the last validators, bounded by `timeout` per attempt and
/// `max_bytes`, retried on connection errors, timeouts and 5xx (not on 4xx) with exponential
/// back-off (0.5 s doubling) and ±50 % jitter.
pub async fn fetch(
    cfg: &ScheduleConfig,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> std::result::Result<Fetched, String> {
    let client = reqwest::Client::builder()
        .timeout(cfg.timeout)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let mut attempt = 0;
    loop {
        let mut req = client.get(&cfg.feed_url);
        if let Some(e) = etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, e);
        }
        if let Some(m) = last_modified {
            req = req.header(reqwest::header::IF_MODIFIED_SINCE, m);
        }
        let outcome = async {
            let mut resp = req.send().await.map_err(|e| (true, format!("{e}")))?;
            let status = resp.status();
            if status == reqwest::StatusCode::NOT_MODIFIED {
                return Ok(Fetched::NotModified);
            }
            if !status.is_success() {
                return Err((
                    status.is_server_error(),
                    format!("the feed answered {status}"),
                ));
            }
            let header = |name| {
                resp.headers()
                    .get(name)
                    .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                    .map(str::to_string)
            };
            let (etag, last_modified) = (
                header(reqwest::header::ETAG),
                header(reqwest::header::LAST_MODIFIED),
            );
            let mut bytes = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| (true, format!("the body broke off: {e}")))?
            {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > cfg.max_bytes {
                    return Err((
                        false,
                        format!("the feed is larger than {} bytes; refused", cfg.max_bytes),
                    ));
                }
            }
            Ok(Fetched::Body {
                bytes,
                etag,
                last_modified,
            })
        }
        .await;
        match outcome {
            Ok(f) => return Ok(f),
            Err((retry, e)) if retry && attempt < cfg.retries => {
                attempt += 1;
                let base = 500u64 << (attempt - 1);
                let jitter = rand::random::<f64>() + 0.5;
                let wait = std::time::Duration::from_millis((base as f64 * jitter) as u64);
                tracing::warn!(error = %e, attempt, wait_ms = wait.as_millis() as u64, "feed fetch failed; retrying");
                tokio::time::sleep(wait).await;
            }
            Err((_, e)) => return Err(format!("{e} (after {} attempt(s))", attempt + 1)),
        }
    }
}

/// One run of the schedule for `slot` (the scheduled time, or `manual:<id>`): claims the slot
/// in the shared run log (`None` when another instance has it: each slot runs once), fetches
/// the feed (conditionally on the last run's validators), applies it by the rules above,
/// forecasts the games within the horizon, and records the outcome, metrics and an `ingest`
/// event. A run that is no longer the latest when it is about to write (a newer run claimed a
/// slot meanwhile) writes nothing (`superseded`).
#[tracing::instrument(name = "services.ingest.run", skip(svc, cfg), fields(feed = %cfg.feed_url))]
pub async fn run_once(
    svc: &Services,
    cfg: &ScheduleConfig,
    slot: &str,
) -> Result<Option<store::IngestRun>> {
    let started = chrono::Utc::now();
    let Some(id) = svc
        .series
        .claim_ingest_run(slot, &cfg.instance, &cfg.feed_url, started)
        .await?
    else {
        return Ok(None);
    };
    let previous = svc.series.ingest_runs(50).await?;
    let validators = previous
        .iter()
        .find(|r| {
            r.id != id
                && r.feed == cfg.feed_url
                && (r.outcome == "ok" || r.outcome == "not_modified")
        })
        .map(|r| (r.etag.clone(), r.last_modified.clone()))
        .unwrap_or_default();
    let mut run = store::IngestRun {
        id,
        slot: slot.to_string(),
        instance: cfg.instance.clone(),
        feed: cfg.feed_url.clone(),
        started_at: started,
        outcome: "running".into(),
        etag: validators.0.clone(),
        last_modified: validators.1.clone(),
        ..store::IngestRun::default()
    };
    let last_rows = previous
        .iter()
        .find(|r| r.id != id && r.feed == cfg.feed_url && r.outcome == "ok")
        .map(|r| r.rows);
    let result = run_steps(svc, cfg, &mut run, validators, last_rows).await;
    match result {
        Ok(outcome) => run.outcome = outcome.into(),
        Err(e) => {
            tracing::warn!(error = %e, "schedule feed run failed; nothing was changed");
            run.outcome = "failed".into();
            run.error = Some(e.to_string());
        }
    }
    run.finished_at = Some(chrono::Utc::now());
    svc.series.finish_ingest_run(&run).await?;
    let m = &svc.metrics;
    m.ingest_runs.with_label_values(&[&run.outcome]).inc();
    if run.outcome == "ok" || run.outcome == "not_modified" {
        m.ingest_last_success
            .set(run.finished_at.unwrap_or(started).timestamp() as f64);
    }
    let counts = [
        run.added,
        run.moved,
        run.finalised,
        run.corrected,
        run.refused,
    ];
    for (action, n) in crate::metrics::INGEST_ACTIONS.into_iter().zip(counts) {
        m.ingest_rows
            .with_label_values(&[action])
            .inc_by(u64::try_from(n).unwrap_or(0));
    }
    svc.events.publish(&super::Event::Ingest {
        run_id: run.id,
        outcome: run.outcome.clone(),
        added: run.added,
        moved: run.moved,
        finalised: run.finalised,
        corrected: run.corrected,
        refused: run.refused,
        forecasts: run.forecasts,
    });
    Ok(Some(run))
}

async fn run_steps(
    svc: &Services,
    cfg: &ScheduleConfig,
    run: &mut store::IngestRun,
    validators: (Option<String>, Option<String>),
    last_rows: Option<i64>,
) -> Result<&'static str> {
    let fetched = fetch(cfg, validators.0.as_deref(), validators.1.as_deref())
        .await
        .map_err(|e| Error::invalid("feed", e))?;
    let today = cfg.today.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let (bytes, etag, last_modified) = match fetched {
        Fetched::NotModified => return Ok("not_modified"),
        Fetched::Body {
            bytes,
            etag,
            last_modified,
        } => (bytes, etag, last_modified),
    };
    let (layout, batch) = read_feed(&bytes, &cfg.feed_url, None)?;
    run.rows = batch.games.len() as i64;
    if let Some(last) = last_rows.filter(|&last| run.rows * 2 < last) {
        return Err(Error::invalid(
            "feed",
            format!(
                "refused as suspicious: it lists {} games, less than half the {last} of the last good run",
                run.rows
            ),
        ));
    }
    let plan = plan(
        svc,
        layout,
        &batch,
        IngestOptions {
            accept_corrections: cfg.accept_corrections,
            today: cfg.today,
        },
    )
    .await?;
    run.added = plan.added.len() as i64;
    run.cancelled = plan.cancelled.len() as i64;
    run.matched_by_id = plan.matched_by_id as i64;
    run.matched_by_alias = plan.matched_by_alias as i64;
    run.matched_by_teams_and_date = plan.matched_by_teams_and_date as i64;
    if !plan.reconciled.is_empty() {
        run.reconciliation = serde_json::to_value(&plan.reconciled).unwrap_or_default();
    }
    run.moved = plan.moved.len() as i64;
    run.finalised = plan.finalised.len() as i64;
    run.corrected = plan.corrected.len() as i64;
    run.refused = plan.refused.len() as i64;
    run.unchanged = plan.unchanged as i64;
    // Fencing: write only while this run is the latest one claimed.
    if svc.series.latest_ingest_run_id().await? != run.id {
        return Ok("superseded");
    }
    apply(svc, &plan, &batch.teams, &|_| {}).await?;
    run.etag = etag;
    run.last_modified = last_modified;
    run.forecasts =
        super::forecasts::forecast_window(svc, &batch.games, today, cfg.horizon_days).await?;
    Ok("ok")
}

/// The last `limit` feed runs, newest first.
pub async fn runs(svc: &Services, limit: i64) -> Result<Vec<store::IngestRun>> {
    Ok(svc.series.ingest_runs(limit).await?)
}
