//! `api backfill`: forecasting and storing a range of seasons walk-forward.

use super::*;

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
