//! Command-line interface: serve (default), import, ingest, backfill and the operations commands.

mod admin;
mod backfill;
mod evaluate;
mod feeds;
mod game;
mod model;
pub mod simulate;
pub mod standings;
pub mod upcoming;

pub use admin::{cache_rebuild, keys, migrate};
pub use backfill::backfill;
pub use evaluate::{backtest, evaluate};
pub use feeds::{import, ingest};
pub use game::{games, predict};
pub use model::model;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::services::{cache_keys, forecasts, games};
use crate::settings::Settings;

#[derive(Parser, Debug)]
#[command(
    name = "api",
    version,
    about = "nfl-predictor: NFL game predictions with provenance"
)]
pub struct Cli {
    /// Address to listen on (overrides BIND_ADDR).
    #[arg(long, global = true)]
    pub bind: Option<String>,
    /// Data directory of the embedded store (overrides DATA_DIR).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum EvaluateCommand {
    /// For every season Y in the range: choose among the fit candidates on the seasons before
    /// Y, forecast Y walk-forward, score it; against 538's Elo and the previous model version.
    RollingOrigin {
        /// Games file: 538, nflverse or spreadspoke layout (default: the bundled one).
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, default_value_t = 1990)]
        from: i32,
        #[arg(long, default_value_t = 2018)]
        to: i32,
        /// Seasons before Y the choice is made on.
        #[arg(long, default_value_t = 10)]
        lookback: i32,
        /// Write the JSON report here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// How much more often each final margin 0..=40 happens than a normal around the
    /// consensus's expected margin says (the key numbers), from the walk-forward forecasts of
    /// a range of seasons: what `forecast::categories::KEY_WEIGHTS` holds for 1978-2009.
    KeyNumbers {
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, default_value_t = 1978)]
        from: i32,
        #[arg(long, default_value_t = 2009)]
        to: i32,
    },
    /// The league home advantage the experts used, season by season (at its start, middle and
    /// end), against the seasons' mean home margin, and the consensus's home bias.
    HomeAdvantage {
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, default_value_t = 2000)]
        from: i32,
        #[arg(long, default_value_t = 2018)]
        to: i32,
        /// Model parameters (JSON) instead of the defaults.
        #[arg(long)]
        params: Option<PathBuf>,
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// The playoff odds' back-test: at the end of chosen weeks of every season, the rest
    /// simulated under each simulator setting (and two baselines: strengths fixed and no
    /// in-season updates; coin flips), P(playoffs) and P(division) scored against what
    /// happened (Brier, log loss, calibration).
    Odds {
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, default_value_t = 1990)]
        from: i32,
        #[arg(long, default_value_t = 2018)]
        to: i32,
        /// Weeks after which to simulate, comma-separated.
        #[arg(long, default_value = "4,8,12,16", value_delimiter = ',')]
        weeks: Vec<u8>,
        /// Simulated seasons per cut and setting.
        #[arg(long, default_value_t = 2000)]
        sims: u64,
        /// The random seed (each setting draws from the same streams).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Model parameters (JSON) instead of the defaults.
        #[arg(long)]
        params: Option<PathBuf>,
    },
    /// The consensus against the best expert (in hindsight) on every window of seasons.
    Windows {
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, default_value_t = 2000)]
        from: i32,
        #[arg(long, default_value_t = 2018)]
        to: i32,
        /// Seasons per window.
        #[arg(long, default_value_t = 3)]
        width: i32,
        /// Model parameters (JSON) instead of the defaults.
        #[arg(long)]
        params: Option<PathBuf>,
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Walk-forward back-test of every expert and the consensus against the file's 538 Elo.
    Backtest {
        /// Games file: 538, nflverse or spreadspoke layout (default: the bundled one).
        #[arg(long)]
        data: Option<PathBuf>,
        /// First season scored.
        #[arg(long, default_value_t = 2010)]
        from: i32,
        /// Last season scored.
        #[arg(long, default_value_t = 2018)]
        to: i32,
        /// Write the JSON report here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the calibration plot (SVG) here.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Model parameters (JSON) to test instead of the defaults.
        #[arg(long)]
        params: Option<PathBuf>,
    },
    /// Evaluations beyond one back-test: rolling origin, windows against the best expert.
    #[command(subcommand)]
    Evaluate(EvaluateCommand),
    /// API keys: create, list, revoke.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Response cache operations.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Model versions: fit, list, activate, roll back.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Run the HTTP service (the default).
    Serve,
    /// Apply the store's migrations and the graph's constraints, then exit (deploys run this
    /// before starting a release).
    Migrate,
    /// Games: add an upcoming game, record a final score (the same use cases as the API).
    #[command(subcommand)]
    Games(GamesCommand),
    /// Forecast a game with every expert and the consensus, and record the forecast (the same
    /// use case as `POST /api/v1/games/{id}/predictions`).
    Predict {
        /// Game id, e.g. LAR_NE_2018_W21.
        game: String,
    },
    /// A season's standings and playoff seeds by the league's tie-breaking procedures.
    Standings {
        /// The season (1970 on).
        #[arg(long)]
        season: i64,
        /// Count the games played on or before this day (YYYY-MM-DD).
        #[arg(long)]
        through: Option<String>,
        /// Print JSON (the body of GET /api/v1/seasons/{season}/standings).
        #[arg(long)]
        json: bool,
    },
    /// A season's playoff odds: the rest of it simulated from the model, each team's chance
    /// of the playoffs, the division, a bye, the top seed, the conference and the title.
    Simulate {
        /// The season (1970 on).
        #[arg(long, required_unless_present = "reproduce")]
        season: Option<i64>,
        /// Count the games played on or before this day as played; simulate the rest
        /// (YYYY-MM-DD; default: every game with a result).
        #[arg(long)]
        through: Option<String>,
        /// Simulated seasons, 100 to 200,000 (default 25,000).
        #[arg(long)]
        sims: Option<i64>,
        /// The random seed (default: the season's number).
        #[arg(long)]
        seed: Option<u64>,
        /// Print JSON (the body of GET /api/v1/seasons/{season}/odds).
        #[arg(long)]
        json: bool,
        /// What if: fix an unplayed game's result, `GAME=TEAM` (its winner), `GAME=home`,
        /// `GAME=away` or `GAME=H-A` (the score, home first); repeat for more games.
        #[arg(long = "fix", value_name = "GAME=RESULT")]
        fix: Vec<String>,
        /// Run a recorded run (its id, `odds-…`) again from its record and check it gives the
        /// same odds (exit status 1 when it does not).
        #[arg(long, conflicts_with_all = ["season", "through", "sims", "seed", "fix"])]
        reproduce: Option<String>,
    },
    /// Forecast the coming games that lack a current forecast and print them: teams, win
    /// probability, predicted score, spread, total and the market's line (the "This week"
    /// page in a terminal).
    Forecast {
        /// The coming games (the only mode for now).
        #[arg(long)]
        upcoming: bool,
        /// First day, YYYY-MM-DD (default today, or SCHEDULE_TODAY).
        #[arg(long)]
        from: Option<String>,
        /// Days from the first, 1–28.
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// Print the week as JSON (the body of GET /api/v1/week).
        #[arg(long)]
        json: bool,
    },
    /// Bring the store up to date from a schedule feed: a CSV (538, nflverse or spreadspoke layout) or a
    /// spreadsheet (.xlsx, .xls, .ods), from a path or an http(s) URL. Adds new games, moves
    /// rescheduled ones, records finals; a changed final is applied only with
    /// --accept-corrections; a feed lacking stored games is refused. One transaction.
    Ingest {
        /// Path or http(s):// URL of the feed.
        #[arg(long)]
        from: String,
        /// Print what would change and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Apply changed final scores (refused otherwise).
        #[arg(long)]
        accept_corrections: bool,
        /// Sheet of a spreadsheet (default: the first).
        #[arg(long)]
        sheet: Option<String>,
    },
    /// Forecast every stored game of a range of seasons walk-forward (each from the games
    /// before its date, as the back-test) and store the forecasts: predictions, consensus,
    /// memories, USED_IN links and time-series points, in batches. Resumable: games whose
    /// forecast under the active model is stored are skipped, so a second run continues where
    /// an interrupted one stopped and a completed range changes nothing.
    Backfill {
        /// First season.
        #[arg(long)]
        from: i32,
        /// Last season.
        #[arg(long)]
        to: i32,
        /// Games per write transaction.
        #[arg(long, default_value_t = 64)]
        batch_games: usize,
        /// Stop after this many games (the next run continues).
        #[arg(long)]
        max_games: Option<u64>,
    },
    /// Import a games file in any layout (538 games, nflverse schedule, spreadspoke scores; CSV
    /// or a spreadsheet of one) into the store; games it names that are stored under another
    /// id (a feed's own ids, another home designation at a neutral site) update them.
    Import {
        /// Path of the CSV file or spreadsheet (.xlsx, .xls, .ods).
        file: PathBuf,
        /// Games per transaction (overrides IMPORT_BATCH_SIZE).
        #[arg(long)]
        batch_size: Option<usize>,
        /// The spreadsheet's sheet (default: the first).
        #[arg(long)]
        sheet: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create a key; it is printed once and stored only as a hash.
    Create {
        #[arg(long)]
        name: String,
        /// read, write or admin.
        #[arg(long, default_value = "read")]
        scope: String,
    },
    /// List keys (ids, names, scopes, status; never the keys).
    List,
    /// Revoke a key by id.
    Revoke { id: String },
}

#[derive(Subcommand, Debug)]
pub enum GamesCommand {
    /// Add an upcoming game (historical codes such as OAK resolve to their franchise).
    Add {
        #[arg(long)]
        home: String,
        #[arg(long)]
        away: String,
        /// Kick-off date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Defaults to the date's year (January and February belong to the previous season).
        #[arg(long)]
        season: Option<i64>,
        /// Defaults to the week implied by the season's first stored game.
        #[arg(long)]
        week: Option<i64>,
        #[arg(long)]
        neutral: bool,
        #[arg(long)]
        playoff: bool,
    },
    /// Record a played game's final score.
    Result {
        /// Game id, e.g. KC_BUF_2024_W10, or a feed's id for it (nflverse game_id, gsis, espn…).
        game: String,
        #[arg(long)]
        home_score: i64,
        #[arg(long)]
        away_score: i64,
    },
    /// Take back a cancellation: the game is upcoming again until it is played or a feed
    /// drops it once more.
    Reinstate {
        /// Game id or a feed's id for it.
        game: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum CacheCommand {
    /// Drop the cache namespace and warm every game's predictions (CACHE_BATCH_SIZE per page).
    Rebuild,
}

#[derive(Subcommand, Debug)]
pub enum ModelCommand {
    /// Fit parameters by walk-forward back-test (small grid search) and save a version.
    Fit {
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, default_value_t = 2010)]
        from: i32,
        #[arg(long, default_value_t = 2018)]
        to: i32,
        /// Make it the current version.
        #[arg(long)]
        activate: bool,
        /// Fit only these parameters (JSON) instead of searching.
        #[arg(long)]
        params: Option<PathBuf>,
    },
    /// List saved versions with their metrics.
    List,
    /// Point `current` at a version (then POST /admin/reload-model, or restart).
    Activate { id: String },
    /// Point `current` back at the previously active version.
    Rollback,
}

impl Cli {
    pub fn apply(&self, settings: &mut Settings) {
        if let Some(b) = &self.bind {
            settings.bind_addr = b.clone();
        }
        if let Some(d) = &self.data_dir {
            settings.data_dir = d.clone();
        }
    }
}

fn read_games(data: &Option<PathBuf>) -> anyhow::Result<graph::ImportBatch> {
    let bytes = match data {
        Some(p) => std::fs::read(p).with_context(|| format!("Failed to read {}", p.display()))?,
        None => crate::BUNDLED_GAMES.to_vec(),
    };
    // Either layout: an nflverse schedule brings its betting lines (the market expert).
    match graph::schedule::parse_any(bytes.as_slice()) {
        Ok((_, b)) => Ok(b),
        Err(graph::Error::Malformed(errors)) => {
            for e in &errors {
                eprintln!("  {e}");
            }
            anyhow::bail!("{} malformed row(s) in the games file", errors.len())
        }
        Err(e) => Err(e).context("Failed to parse the games file"),
    }
}

fn read_params(path: &Option<PathBuf>) -> anyhow::Result<forecast::Params> {
    let Some(p) = path else {
        return Ok(forecast::Params::default());
    };
    let text =
        std::fs::read_to_string(p).with_context(|| format!("Failed to read {}", p.display()))?;
    let params: forecast::Params = serde_json::from_str(&text)
        .with_context(|| format!("Failed to parse parameters in {}", p.display()))?;
    params
        .validate()
        .map_err(|e| anyhow::anyhow!("invalid parameters in {}: {e}", p.display()))?;
    Ok(params)
}

/// A day given to option `flag` (`--through`, `--from`), as YYYY-MM-DD.
pub(crate) fn day(flag: &str, text: &str) -> anyhow::Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("{flag} {text}: not a date like 2018-12-02"))
}

fn check_range(from: i32, to: i32) -> anyhow::Result<()> {
    if from > to {
        anyhow::bail!("--from {from} is after --to {to}");
    }
    Ok(())
}

fn replay_bar(batch: &graph::ImportBatch) -> ProgressBar {
    let bar = ProgressBar::new(batch.games.iter().filter(|g| g.is_final()).count() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} replaying [{bar:40}] {pos}/{len} games ({per_sec})",
        )
        .expect("static template is valid")
        .progress_chars("=> "),
    );
    bar
}

/// Writes a report as JSON when a path was given.
fn write_report<T: serde::Serialize>(path: &Option<PathBuf>, report: &T) -> anyhow::Result<()> {
    if let Some(p) = path {
        std::fs::write(p, serde_json::to_vec_pretty(report)?)
            .with_context(|| format!("Failed to write {}", p.display()))?;
        println!("report: {}", p.display());
    }
    Ok(())
}

/// A command that needs the history on a fresh data directory seeds it the way the service
/// does at its first start (the bundled file, or `SEED_FILE`), and says so.
pub(crate) async fn seed_for_command(
    services: &crate::services::Services,
    settings: &Settings,
) -> anyhow::Result<()> {
    if let Some(n) = crate::startup::seed_if_empty(services.graph.as_ref(), settings).await? {
        println!(
            "seeded the empty store under {} with {n} games ({}), as the service does at its first start",
            settings.data_dir.display(),
            settings.seed_file
        );
    }
    Ok(())
}
