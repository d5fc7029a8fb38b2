//! Command-line interface: serve (default), import, ingest, backfill and the operations commands.

pub mod standings;
pub mod upcoming;

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
    /// Forecast the coming games that lack a current forecast and print them: teams, win
    /// probability, predicted score, spread, total and the market's line (the "This week"
    /// page in a terminal).
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

/// The bytes of a feed: a file, or the body of an http(s) URL, fetched as the scheduler does
/// (30 s per attempt, retries with back-off, at most 64 MiB).
async fn fetch_feed(from: &str) -> anyhow::Result<Vec<u8>> {
    use crate::services::ingest::{fetch, Fetched, ScheduleConfig};
    if !(from.starts_with("http://") || from.starts_with("https://")) {
        return std::fs::read(from).with_context(|| format!("Failed to read {from}"));
    }
    match fetch(
        &ScheduleConfig::new(from.to_string(), "cli".into()),
        None,
        None,
    )
    .await
    {
        Ok(Fetched::Body { bytes, .. }) => Ok(bytes),
        Ok(Fetched::NotModified) => anyhow::bail!("{from} answered 304 to an unconditional GET"),
        Err(e) => anyhow::bail!("Failed to fetch {from}: {e}"),
    }
}

/// How the feed's games were recognised, and every game matched other than by its id or
/// whose record differs, with each difference and its rule (the first 20 in full).
fn print_reconciled(plan: &crate::services::ingest::IngestPlan) {
    println!(
        "  matched: {} by id, {} by alias, {} by teams and date",
        plan.matched_by_id, plan.matched_by_alias, plan.matched_by_teams_and_date
    );
    for m in plan.reconciled.iter().take(20) {
        let by = match m.by {
            graph::reconcile::MatchedBy::Id => "id",
            graph::reconcile::MatchedBy::Alias => "alias",
            graph::reconcile::MatchedBy::TeamsAndDate => "teams and date",
        };
        println!("      {} is {} (by {by})", m.feed_id, m.game.id);
        for d in &m.differences {
            println!(
                "        {}: feed {}, stored {}: {}",
                d.field, d.feed, d.stored, d.rule
            );
        }
    }
    if plan.reconciled.len() > 20 {
        println!("      … and {} more", plan.reconciled.len() - 20);
    }
}

fn print_changes(title: &str, changes: &[crate::services::ingest::Change]) {
    println!("  {title:<28}{:>7}", changes.len());
    for c in changes.iter().take(5) {
        let g = &c.game;
        let mut line = format!("      {} {} {}", g.id, g.date, g.away_team);
        match g.result {
            Some(r) => line.push_str(&format!(" {} at {} {}", r.away(), g.home_team, r.home())),
            None => line.push_str(&format!(" at {}", g.home_team)),
        }
        if let Some(d) = c.old_date {
            line.push_str(&format!(" (was {d})"));
        }
        if let Some((h, a)) = c.old_score {
            line.push_str(&format!(" (was {a}-{h})"));
        }
        println!("{line}");
    }
    if changes.len() > 5 {
        println!("      … and {} more", changes.len() - 5);
    }
}

/// `api ingest --from PATH|URL`: what the feed changes (and, unless `--dry-run`, applying it).
pub async fn ingest(
    settings: &Settings,
    from: &str,
    dry_run: bool,
    accept_corrections: bool,
    sheet: Option<&str>,
) -> anyhow::Result<()> {
    use crate::services::ingest;
    let started = Instant::now();
    let bytes = fetch_feed(from).await?;
    let (layout, batch) = match ingest::read_feed(&bytes, from, sheet) {
        Ok(b) => b,
        Err(crate::services::Error::Graph(graph::Error::Malformed(errors))) => {
            eprintln!("error: {from} is not a valid schedule feed; nothing was changed:");
            for e in &errors {
                eprintln!("  {e}");
            }
            anyhow::bail!("{} problem(s) in {from}", errors.len());
        }
        Err(e) => return Err(e).with_context(|| format!("Failed to read {from}")),
    };
    let _lock = crate::startup::lock_data_dir(settings)?;
    let services = crate::startup::open_services(settings).await?;
    let plan = ingest::plan(
        &services,
        layout,
        &batch,
        ingest::IngestOptions {
            accept_corrections,
            today: settings.schedule_today,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}; nothing was changed"))?;
    println!(
        "{from}: {} layout, {} rows{}",
        plan.layout,
        plan.rows,
        if dry_run {
            " (dry run: nothing is written)"
        } else {
            ""
        }
    );
    print_changes("games added", &plan.added);
    print_changes("games moved", &plan.moved);
    print_changes("finals recorded", &plan.finalised);
    print_changes("finals corrected", &plan.corrected);
    print_changes("games updated (details)", &plan.updated);
    print_changes("corrections refused", &plan.refused);
    print_changes("games cancelled", &plan.cancelled);
    println!("  {:<28}{:>7}", "games unchanged", plan.unchanged);
    print_reconciled(&plan);
    if !plan.refused.is_empty() {
        println!("  (a changed final score is applied only with --accept-corrections)");
    }
    if dry_run || plan.is_noop() {
        if plan.is_noop() {
            println!("Nothing to change.");
        }
        return Ok(());
    }
    let total = plan.writes().count() as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} applying [{bar:40}] {pos}/{len} games")
            .expect("static template is valid")
            .progress_chars("=> "),
    );
    ingest::apply(&services, &plan, &batch.teams, &|done| {
        bar.set_position(done)
    })
    .await
    .context("Failed to apply the feed")?;
    bar.finish_and_clear();
    println!(
        "Applied {total} change(s) in one transaction in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `api backfill --from SEASON --to SEASON`: with a progress bar and a summary.
pub async fn backfill(
    settings: &Settings,
    from: i32,
    to: i32,
    batch_games: usize,
    max_games: Option<u64>,
) -> anyhow::Result<()> {
    check_range(from, to)?;
    let season = |flag: &str, y: i32| {
        graph::Season::parse(i64::from(y)).map_err(|e| anyhow::anyhow!("--{flag} {y}: {e}"))
    };
    let opts = crate::services::backfill::BackfillOptions {
        from: season("from", from)?,
        to: season("to", to)?,
        batch_games: batch_games.max(1),
        max_games,
    };
    let _lock = crate::startup::lock_data_dir(settings)?;
    let services = crate::startup::open_services(settings).await?;
    seed_for_command(&services, settings).await?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} forecasting and storing [{bar:40}] {pos}/{len} games ({per_sec}, eta {eta})",
        )
        .expect("static template is valid")
        .progress_chars("=> "),
    );
    let s = crate::services::backfill::backfill(&services, opts, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await;
    bar.finish_and_clear();
    let s = s.with_context(|| format!("Failed to back-fill seasons {from}–{to}"))?;
    if s.forecast == 0 && s.remaining == 0 {
        println!(
            "Nothing to do: the {} games of {from}–{to} are stored under model {}.",
            s.games, s.model_version
        );
    } else {
        println!(
            "Back-filled {from}–{to} with model {} in {:.1}s",
            s.model_version, s.seconds
        );
    }
    let per_sec = |n: u64| n as f64 / s.seconds.max(1e-9);
    println!("  games in range            {:>9}", s.games);
    println!("  already stored (skipped)  {:>9}", s.already_stored);
    println!(
        "  games forecast            {:>9}  ({:.0}/s)",
        s.forecast,
        per_sec(s.forecast)
    );
    println!(
        "  predictions written       {:>9}  ({:.0}/s)",
        s.predictions,
        per_sec(s.predictions)
    );
    println!(
        "  memory links written      {:>9}  ({:.0}/s)",
        s.memory_links,
        per_sec(s.memory_links)
    );
    println!("  write batches             {:>9}", s.batches);
    if s.remaining > 0 {
        println!(
            "  left for the next run     {:>9}  (--max-games {})",
            s.remaining,
            max_games.unwrap_or_default()
        );
    }
    Ok(())
}

/// `api import FILE`: validates the whole file, then writes it in batches with a progress bar.
pub async fn import(
    settings: &Settings,
    file: &PathBuf,
    batch_size: Option<usize>,
    sheet: Option<&str>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let bytes =
        std::fs::read(file).with_context(|| format!("Failed to read {}", file.display()))?;
    let name = file.display().to_string();
    let batch = match crate::services::ingest::read_feed(&bytes, &name, sheet) {
        Ok((_, b)) => b,
        Err(crate::services::Error::Graph(graph::Error::Malformed(errors))) => {
            eprintln!(
                "error: {} is not a valid games file; nothing was imported:",
                file.display()
            );
            for e in &errors {
                eprintln!("  {e}");
            }
            anyhow::bail!("{} malformed row(s) in {}", errors.len(), file.display());
        }
        Err(e) => return Err(e).with_context(|| format!("Failed to parse {}", file.display())),
    };
    let _lock = crate::startup::lock_data_dir(settings)?;
    let services = crate::startup::open_services(settings).await?;
    let batch = crate::services::imports::reconciled(&services, &batch)
        .await
        .with_context(|| format!("Failed to import {}", file.display()))?;
    let bar = ProgressBar::new(batch.games.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {pos}/{len} games ({per_sec}, eta {eta})",
        )
        .expect("static template is valid")
        .progress_chars("=> "),
    );
    let size = batch_size
        .unwrap_or(crate::startup::import_batch_size(settings))
        .max(1);
    let stats = crate::services::imports::import_games(&services, &batch, size, &|done| {
        bar.set_position(done)
    })
    .await
    .context("Failed to import games")?;
    bar.finish_and_clear();
    println!(
        "Imported {} in {:.1}s",
        file.display(),
        started.elapsed().as_secs_f64()
    );
    println!("  rows read                 {:>7}", stats.rows);
    println!("  games created             {:>7}", stats.games_created);
    println!("  games updated             {:>7}", stats.games_updated);
    println!("  games unchanged           {:>7}", stats.games_unchanged);
    println!("  teams created             {:>7}", stats.teams_created);
    println!("  memories created          {:>7}", stats.memories_created);
    println!("  head-to-head records      {:>7}", stats.matchups_written);
    println!(
        "  rows with unknown teams   {:>7}",
        stats.rows_with_unrecognised_teams
    );
    if !batch.unrecognised_codes.is_empty() {
        println!(
            "  unrecognised team codes kept as inactive teams: {}",
            batch.unrecognised_codes.join(", ")
        );
    }
    Ok(())
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

/// `api backtest`.
pub fn backtest(
    data: &Option<PathBuf>,
    from: i32,
    to: i32,
    json: &Option<PathBuf>,
    plot: &Option<PathBuf>,
    params: &Option<PathBuf>,
) -> anyhow::Result<()> {
    check_range(from, to)?;
    let batch = read_games(data)?;
    let params = read_params(params)?;
    let bar = replay_bar(&batch);
    let report = runtime::backtest::run(&batch, from, to, &params, &|n| bar.set_position(n));
    bar.finish_and_clear();
    if report.games == 0 {
        anyhow::bail!("the file has no final games in seasons {from}-{to}");
    }
    print!("{}", report.table());
    match &report.market {
        Some(m) => print!("\n{}", m.table()),
        None => println!("\nNo scored game has betting lines: the market expert sat out."),
    }
    write_report(json, &report)?;
    if let Some(p) = plot {
        std::fs::write(p, report.calibration_svg())
            .with_context(|| format!("Failed to write {}", p.display()))?;
        println!("calibration plot: {}", p.display());
    }
    Ok(())
}

/// `api evaluate …`.
pub fn evaluate(cmd: &EvaluateCommand) -> anyhow::Result<()> {
    match cmd {
        EvaluateCommand::RollingOrigin {
            data,
            from,
            to,
            lookback,
            json,
        } => {
            check_range(*from, *to)?;
            if *lookback < 1 {
                anyhow::bail!("--lookback must be at least 1 season");
            }
            let batch = read_games(data)?;
            let grid = runtime::evaluation::grid();
            println!("Robustness first: each parameter set through the simulated regime change (home advantage 3 → 0 points in one off-season, 4 leagues):");
            println!(
                "{:<24} {:>22} {:>18}  candidate?",
                "parameters", "edge at season's end", "bias after"
            );
            for (name, _, c) in &grid {
                println!(
                    "{name:<24} {:>22.2} {:>+18.4}  {}",
                    c.learned_at_season_end,
                    c.bias_after,
                    if c.adapts() { "yes" } else { "no: too slow" }
                );
            }
            println!();
            let candidates = runtime::evaluation::robust(&grid);
            if candidates.is_empty() {
                anyhow::bail!("no parameter set of the grid follows the simulated regime change");
            }
            let bar = ProgressBar::new(candidates.len() as u64 + 1);
            bar.set_style(
                ProgressStyle::with_template("{spinner} replaying [{bar:40}] {pos}/{len} models")
                    .expect("static template is valid")
                    .progress_chars("=> "),
            );
            let r = runtime::evaluation::rolling_origin(
                &batch,
                *from,
                *to,
                *lookback,
                &candidates,
                &forecast::Params::legacy(),
                &|n| bar.set_position(n),
            );
            bar.finish_and_clear();
            if r.seasons.is_empty() {
                anyhow::bail!("the file has no final games in seasons {from}-{to}");
            }
            print!("{}", r.table());
            write_report(json, &r)?;
        }
        EvaluateCommand::KeyNumbers { data, from, to } => {
            check_range(*from, *to)?;
            let batch = read_games(data)?;
            let replay =
                runtime::backtest::Replay::run(&batch, &forecast::Params::default(), &|_| {});
            let games: Vec<(f64, f64)> = replay
                .in_range(*from, *to)
                .iter()
                .map(|(r, _)| (forecast::prob::prob_to_margin(r.consensus), r.home_margin))
                .collect();
            if games.is_empty() {
                anyhow::bail!("the file has no final games in seasons {from}-{to}");
            }
            let w = forecast::categories::estimate_key_weights(&games);
            println!(
                "Key-number weights from {} games, seasons {from}-{to} (observed / normal-expected count of each final margin |k|):",
                games.len()
            );
            let cells: Vec<String> = w.iter().map(|x| format!("{x:.2}")).collect();
            for (i, row) in cells.chunks(15).enumerate() {
                println!("  {:>2}..: {}", i * 15, row.join(", "));
            }
        }
        EvaluateCommand::HomeAdvantage {
            data,
            from,
            to,
            params,
            json,
        } => {
            check_range(*from, *to)?;
            let batch = read_games(data)?;
            let params = read_params(params)?;
            let seasons = runtime::evaluation::home_advantage(&batch, &params, *from, *to);
            if seasons.is_empty() {
                anyhow::bail!("the file has no final games in seasons {from}-{to}");
            }
            println!("The home advantage the experts used (points) against each season's mean home margin, and the consensus's home bias (mean forecast minus home win rate):");
            println!(
                "{:>6} {:>5} {:>12} {:>7} {:>7} {:>7} {:>10} {:>8}",
                "season", "games", "home margin", "start", "middle", "end", "home bias", "Brier"
            );
            for s in &seasons {
                println!(
                    "{:>6} {:>5} {:>12.2} {:>7.2} {:>7.2} {:>7.2} {:>+10.4} {:>8.4}",
                    s.season,
                    s.games,
                    s.home_margin,
                    s.edge_start,
                    s.edge_mid,
                    s.edge_end,
                    s.home_bias,
                    s.brier
                );
            }
            write_report(json, &seasons)?;
        }
        EvaluateCommand::Windows {
            data,
            from,
            to,
            width,
            params,
            json,
        } => {
            check_range(*from, *to)?;
            if *width < 1 || *width > to - from + 1 {
                anyhow::bail!(
                    "--width must be between 1 and the {} seasons of the range",
                    to - from + 1
                );
            }
            let batch = read_games(data)?;
            let params = read_params(params)?;
            let replay = runtime::backtest::Replay::run(&batch, &params, &|_| {});
            let w = runtime::evaluation::windows(&replay, *from, *to, *width);
            if w.is_empty() {
                anyhow::bail!("the file has no final games in seasons {from}-{to}");
            }
            println!(
                "The consensus against the best expert, every {width}-season window {from}-{to}:"
            );
            print!("{}", runtime::evaluation::windows_table(&w));
            write_report(json, &w)?;
        }
    }
    Ok(())
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

/// `api model …`: on the production backends the registry is the shared graph's, so an
/// activation or rollback switches every running instance.
pub async fn model(settings: &Settings, cmd: &ModelCommand) -> anyhow::Result<()> {
    let registry = match settings.graph_backend {
        crate::settings::GraphBackend::Embedded => {
            runtime::registry::Registry::files(&settings.data_dir)
        }
        crate::settings::GraphBackend::Neo4j => {
            let graph = crate::startup::open_graph(settings).await?;
            crate::startup::open_registry(settings, &graph)
        }
    };
    let reload_hint = if registry.is_shared() {
        "every instance switches to it within HISTORY_POLL_MILLISECONDS, or at its next forecast"
    } else {
        "POST /admin/reload-model to load it without a restart"
    };
    match cmd {
        ModelCommand::Fit {
            data,
            from,
            to,
            activate,
            params,
        } => {
            check_range(*from, *to)?;
            let batch = read_games(data)?;
            let candidates: Vec<forecast::Params> = if params.is_some() {
                vec![read_params(params)?]
            } else {
                // The same candidates the rolling-origin evaluation chooses among.
                runtime::evaluation::candidates()
                    .into_iter()
                    .map(|(_, p)| p)
                    .collect()
            };
            let bar = ProgressBar::new(candidates.len() as u64);
            bar.set_style(
                ProgressStyle::with_template("{spinner} fitting [{bar:40}] {pos}/{len} candidates")
                    .expect("static template is valid")
                    .progress_chars("=> "),
            );
            let mut best: Option<runtime::backtest::Report> = None;
            for p in &candidates {
                let r = runtime::backtest::run(&batch, *from, *to, p, &|_| {});
                if r.games == 0 {
                    anyhow::bail!("the file has no final games in seasons {from}-{to}");
                }
                if best
                    .as_ref()
                    .is_none_or(|b| r.consensus.brier < b.consensus.brier)
                {
                    best = Some(r);
                }
                bar.inc(1);
            }
            bar.finish_and_clear();
            let best = best.expect("at least one candidate");
            let id = format!("wf-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S%3f"));
            let v = runtime::registry::ModelVersion::from_report(id.clone(), &best);
            registry.save(&v).await?;
            println!(
                "saved model version {id}: consensus Brier {:.4}, ECE {:.4} on {} games ({}-{})",
                v.metrics.brier, v.metrics.ece, v.metrics.games, from, to
            );
            if *activate {
                registry.activate(&id).await?;
                println!("{id} is now current ({reload_hint})");
            }
        }
        ModelCommand::List => {
            let current = registry.current().await?.map(|v| v.id);
            let versions = registry.list().await?;
            if versions.is_empty() {
                println!(
                    "no saved model versions; the service runs the built-in {}",
                    runtime::DEFAULT_VERSION
                );
            }
            for v in versions {
                let mark = if current.as_deref() == Some(v.id.as_str()) {
                    "*"
                } else {
                    " "
                };
                println!(
                    "{mark} {:<28} Brier {:.4}  ECE {:.4}  games {:>5}  seasons {}-{}  {}",
                    v.id,
                    v.metrics.brier,
                    v.metrics.ece,
                    v.metrics.games,
                    v.metrics.from,
                    v.metrics.to,
                    v.created_at
                );
            }
        }
        ModelCommand::Activate { id } => {
            registry.activate(id).await?;
            println!("{id} is now current ({reload_hint})");
        }
        ModelCommand::Rollback => {
            let id = registry.rollback().await?;
            println!("rolled back: {id} is now current ({reload_hint})");
        }
    }
    // A moved pointer moved the shared generation: tell the running instances at once.
    if let (runtime::registry::Registry::Shared(graph), Some(n)) =
        (&registry, crate::startup::open_notifier(settings)?)
    {
        if matches!(
            cmd,
            ModelCommand::Activate { .. }
                | ModelCommand::Rollback
                | ModelCommand::Fit { activate: true, .. }
        ) {
            n.publish(graph.history_generation().await?).await;
        }
    }
    Ok(())
}

/// `api cache rebuild`: clears stale entries and warms every game that has predictions.
/// Opens the configured store and graph, which applies pending migrations and constraints.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let (series, _) = crate::startup::open_store(settings).await?;
    series
        .ping()
        .await
        .context("Failed to reach the store after migrating")?;
    let _lock = crate::startup::lock_data_dir(settings)?;
    let graph = crate::startup::open_graph(settings).await?;
    graph
        .health()
        .await
        .context("Failed to reach the graph after applying its constraints")?;
    println!(
        "migrations applied: store {}, graph {}",
        series.backend(),
        graph.backend()
    );
    Ok(())
}

pub async fn cache_rebuild(settings: &Settings) -> anyhow::Result<()> {
    let _lock = crate::startup::lock_data_dir(settings)?;
    let graph = crate::startup::open_graph(settings).await?;
    let cache = crate::startup::open_cache(settings)?;
    if !cache.healthy().await {
        anyhow::bail!("the {} cache is not reachable", cache.name());
    }
    cache.invalidate_prefix(cache_keys::CACHE_KEY_VERSION).await;
    let total = graph.count_games().await.context("Failed to count games")?;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} warming [{bar:40}] {pos}/{len} games ({per_sec})")
            .expect("static template is valid")
            .progress_chars("=> "),
    );
    let per_page = settings
        .cache_batch_size
        .clamp(1, graph::PageRequest::MAX_PER_PAGE as usize) as i64;
    let (mut page, mut warmed) = (1i64, 0u64);
    loop {
        let req = graph::PageRequest::parse(Some(page), Some(per_page))?;
        let games = graph
            .list_games(&graph::GameFilter::default(), req)
            .await
            .context("Failed to list games")?;
        if games.items.is_empty() {
            break;
        }
        for g in &games.items {
            let body = forecasts::game_predictions(graph.as_ref(), &g.id, None)
                .await
                .with_context(|| format!("Failed to read predictions of {}", g.id))?;
            if body.total > 0 {
                let key = cache_keys::predictions(g.id.as_str(), None);
                cache
                    .put(&key, crate::state::cache_entry(serde_json::to_vec(&body)?))
                    .await;
                warmed += 1;
            }
            bar.inc(1);
        }
        page += 1;
    }
    bar.finish_and_clear();
    println!(
        "cache rebuilt on {}: {warmed} games with predictions warmed out of {total}",
        cache.name()
    );
    Ok(())
}

/// `api keys …`.
pub async fn keys(settings: &Settings, cmd: &KeysCommand) -> anyhow::Result<()> {
    let keys = crate::startup::open_keys(settings).await?;
    match cmd {
        KeysCommand::Create { name, scope } => {
            let scope = crate::auth::Scope::parse(scope).ok_or_else(|| {
                anyhow::anyhow!("--scope must be read, write or admin (got '{scope}')")
            })?;
            if name.trim().is_empty() || name.len() > 100 {
                anyhow::bail!("--name must be 1 to 100 characters");
            }
            let (record, key) = keys.create(name.trim(), scope).await?;
            println!(
                "created key {} ({}, scope {})",
                record.id, record.name, record.scope
            );
            println!("{key}");
            eprintln!("store it now: it is not shown again");
        }
        KeysCommand::List => {
            for k in keys.list().await? {
                let status = if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{:<14} {:<7} {:<8} {}  {}",
                    k.id,
                    k.scope,
                    status,
                    k.created_at.format("%Y-%m-%d %H:%M"),
                    k.name
                );
            }
        }
        KeysCommand::Revoke { id } => {
            if !keys.revoke(id).await? {
                anyhow::bail!("no active key with id {id}");
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}

/// `api games …`: the same use cases as `POST /api/v1/games` and `PUT …/result`.
pub async fn games(settings: &Settings, cmd: &GamesCommand) -> anyhow::Result<()> {
    match cmd {
        GamesCommand::Add {
            home,
            away,
            date,
            season,
            week,
            neutral,
            playoff,
        } => {
            let draft = games::GameDraft::parse(&games::GameInput {
                home_team: home,
                away_team: away,
                date,
                season: *season,
                week: *week,
                neutral: *neutral,
                playoff: *playoff,
            })?;
            let _lock = crate::startup::lock_data_dir(settings)?;
            let services = crate::startup::open_services(settings).await?;
            let g = games::add_game(&services, draft)
                .await
                .context("Failed to add the game")?;
            println!(
                "added {} ({} at {}, {}, season {} week {})",
                g.id, g.away_team, g.home_team, g.date, g.season, g.week
            );
        }
        GamesCommand::Result {
            game,
            home_score,
            away_score,
        } => {
            let score = games::FinalScore::parse(*home_score, *away_score)?;
            let _lock = crate::startup::lock_data_dir(settings)?;
            let services = crate::startup::open_services(settings).await?;
            let id = games::resolve(&services, game).await?;
            let g = games::record_result(&services, &id, score)
                .await
                .context("Failed to record the result")?;
            println!(
                "recorded {}: {} {} - {} {}",
                g.id,
                g.home_team,
                score.home(),
                score.away(),
                g.away_team
            );
        }
        GamesCommand::Reinstate { game } => {
            let _lock = crate::startup::lock_data_dir(settings)?;
            let services = crate::startup::open_services(settings).await?;
            let id = games::resolve(&services, game).await?;
            let g = games::reinstate(&services, &id).await?;
            println!(
                "reinstated {} ({} at {}, {}): it is upcoming again",
                g.id, g.away_team, g.home_team, g.date
            );
        }
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

/// `api predict GAME`: forecasts and records a game, then prints the experts and the consensus.
pub async fn predict(settings: &Settings, game: &str) -> anyhow::Result<()> {
    let _lock = crate::startup::lock_data_dir(settings)?;
    let services = crate::startup::open_services(settings).await?;
    seed_for_command(&services, settings).await?;
    let id = games::resolve(&services, game).await?;
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!("replaying the history before {id} and forecasting"));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let f = forecasts::record_forecast(&services, &id).await;
    spinner.finish_and_clear();
    let f = f.with_context(|| format!("Failed to forecast {id}"))?;
    println!(
        "{} ({} at {}, {}), model {}",
        f.game.id, f.game.away_team, f.game.home_team, f.game.date, f.model_version
    );
    println!(
        "  {:<20} {:>6} {:>9} {:>10}",
        "expert", "winner", "win prob", "confidence"
    );
    for p in f
        .experts
        .iter()
        .map(|r| &r.prediction)
        .chain([&f.consensus.prediction])
    {
        println!(
            "  {:<20} {:>6} {:>9.3} {:>10.3}",
            p.expert_id, p.winner, p.win_probability, p.confidence
        );
    }
    println!("recorded as {}", f.consensus.prediction.id);
    Ok(())
}
