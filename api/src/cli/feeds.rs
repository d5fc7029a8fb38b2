//! `api ingest` and `api import`: reading a feed or a file in any layout, what it changes
//! (each game recognised among the stored ones), and applying it.

use super::*;

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
