//! `api simulate --season S [--through DATE] [--sims N] [--seed K] [--json]`: a season's
//! playoff odds from the simulated rest of it, as a table per conference or JSON (the body of
//! `GET /api/v1/seasons/{season}/odds`), with a progress bar while it runs; and
//! `api simulate --reproduce ID`, a recorded run made again and checked. Calls
//! `services::odds` (the same use cases as the routes, without the response cache).

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::services::odds::{run_and_record, FixedResult, Odds, OddsRequest, Sims};
use crate::settings::Settings;

pub async fn run(
    settings: &Settings,
    season: i64,
    through: Option<&str>,
    sims: Option<i64>,
    (seed, fix): (Option<u64>, &[String]),
    json: bool,
) -> anyhow::Result<()> {
    let season = graph::Season::parse(season).map_err(|e| anyhow::anyhow!("--season: {e}"))?;
    let through = through.map(|d| super::day("--through", d)).transpose()?;
    let sims = sims
        .map(Sims::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--sims: {e}"))?
        .unwrap_or_default();
    let _lock = crate::startup::lock_data_dir(settings)?;
    let services = crate::startup::open_services(settings).await?;
    super::seed_for_command(&services, settings).await?;
    let bar = ProgressBar::new(u64::from(sims.get()));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} simulating [{bar:40}] {pos}/{len} seasons ({per_sec}, eta {eta})",
        )
        .expect("static template is valid")
        .progress_chars("=> "),
    );
    let progress = bar.clone();
    let fixed = fix
        .iter()
        .map(|f| FixedResult::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("--fix: {e}"))?;
    let request = OddsRequest {
        season,
        through,
        sims,
        seed,
        fixed,
    };
    let odds = run_and_record(&services, request, move |done| progress.set_position(done)).await;
    bar.finish_and_clear();
    let odds = odds
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("Failed to simulate the season")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&odds)?);
    } else {
        print!("{}", text(&odds));
    }
    Ok(())
}

/// `api simulate --reproduce ID`: the recorded run made again from its record; an error (exit
/// status 1) naming each difference when the odds are not the same.
pub async fn reproduce(settings: &Settings, id: &str, json: bool) -> anyhow::Result<()> {
    let _lock = crate::startup::lock_data_dir(settings)?;
    let services = crate::startup::open_services(settings).await?;
    super::seed_for_command(&services, settings).await?;
    let r = crate::services::odds::reproduce(&services, id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("Failed to reproduce {id}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        let run = &r.recorded.run;
        println!(
            "{id}: season {}, {} games played, {} simulations, seed {}, model {} (recorded {})",
            run.season,
            run.games_played,
            run.sims,
            run.seed,
            run.model_version,
            r.recorded.recorded_at.format("%Y-%m-%d %H:%M UTC")
        );
    }
    if !r.differences.is_empty() {
        anyhow::bail!("not reproduced: {}", r.differences.join("; "));
    }
    if !json {
        println!(
            "reproduced: the same games, model and odds (digest {})",
            r.odds_digest
        );
    }
    Ok(())
}

/// The odds as a person reads them: each conference's teams by playoff chance, as percentages.
pub fn text(o: &Odds) -> String {
    use std::fmt::Write as _;
    let r = &o.run;
    let mut out = String::new();
    let through = r.through.map_or("every game played".to_string(), |d| {
        format!("games through {d}")
    });
    if !r.fixed.is_empty() {
        let _ = writeln!(out, "What if: {}", r.fixed.join(", "));
    }
    let _ = writeln!(
        out,
        "{} playoff odds ({through}: {} played, {} to play; {} simulated seasons, seed {}, model {} as of {})",
        r.season,
        r.games_played,
        r.games_remaining,
        r.sims,
        r.seed,
        r.model_version,
        r.model_as_of.map_or("-".to_string(), |d| d.to_string()),
    );
    let pct = |p: f64| {
        if p == 0.0 {
            "—".to_string()
        } else if p < 0.001 {
            "<0.1%".to_string()
        } else if p > 0.999 && p < 1.0 {
            ">99.9%".to_string()
        } else {
            format!("{:.1}%", p * 100.0)
        }
    };
    let mut conference = "";
    for t in &o.teams {
        if t.conference != conference {
            conference = &t.conference;
            let _ = writeln!(
                out,
                "\n  {:<24} {:>8} {:>6} {:>9} {:>9} {:>8} {:>9} {:>9} {:>9}",
                conference,
                "W-L-T",
                "wins",
                "playoffs",
                "division",
                "bye",
                "1st seed",
                "conf",
                "title"
            );
        }
        let _ = writeln!(
            out,
            "  {:<24} {:>8} {:>6.1} {:>9} {:>9} {:>8} {:>9} {:>9} {:>9}",
            t.name,
            format!("{}-{}-{}", t.record[0], t.record[1], t.record[2]),
            t.mean_wins,
            pct(t.playoffs),
            pct(t.division_title),
            pct(t.bye),
            pct(t.top_seed),
            pct(t.conference_title),
            pct(t.super_bowl),
        );
    }
    let _ = writeln!(out, "\n  run {} ({:.2} s)", r.id, r.seconds);
    out
}
