//! Command-line interface: serve (default), import.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use graph::Graph;
use indicatif::{ProgressBar, ProgressStyle};

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
pub enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Import a games file (nfl_games.csv format, any season) into the store.
    Import {
        /// Path of the CSV file.
        file: PathBuf,
        /// Games per transaction (overrides IMPORT_BATCH_SIZE).
        #[arg(long)]
        batch_size: Option<usize>,
    },
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

/// `api import FILE`: validates the whole file, then writes it in batches with a progress bar.
pub async fn import(
    settings: &Settings,
    file: &PathBuf,
    batch_size: Option<usize>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let bytes =
        std::fs::read(file).with_context(|| format!("Failed to read {}", file.display()))?;
    let batch = match graph::import::parse(bytes.as_slice()) {
        Ok(b) => b,
        Err(graph::Error::Malformed(errors)) => {
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
    let graph = crate::startup::open_graph(settings).await?;
    let bar = ProgressBar::new(batch.games.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {pos}/{len} games ({per_sec}, eta {eta})",
        )
        .expect("static template is valid")
        .progress_chars("=> "),
    );
    let size = batch_size.unwrap_or(settings.import_batch_size).max(1);
    let stats = graph
        .import(&batch, size, &|done| bar.set_position(done))
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
    graph.close().await;
    Ok(())
}
