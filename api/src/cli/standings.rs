//! `api standings --season S [--through DATE] [--json]`: a season's standings and seeds by the
//! league's tie-breaking procedures, as tables or JSON (the body of
//! `GET /api/v1/seasons/{season}/standings`). Calls `services::standings`.

use anyhow::Context;

use crate::services::standings::{season_standings, Standings};
use crate::settings::Settings;

pub async fn run(
    settings: &Settings,
    season: i64,
    through: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let season = graph::Season::parse(season).map_err(|e| anyhow::anyhow!("--season: {e}"))?;
    let through = through.map(|d| super::day("--through", d)).transpose()?;
    let _lock = crate::startup::lock_data_dir(settings)?;
    let services = crate::startup::open_services(settings).await?;
    super::seed_for_command(&services, settings).await?;
    let table = season_standings(&services, season, through)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("Failed to compute the standings")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&table)?);
    } else {
        print!("{}", text(&table));
    }
    Ok(())
}

/// The standings as a person reads them: each division, then each conference's seeds and
/// the ties broken on the way.
pub fn text(t: &Standings) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let through = t.through.map_or("every game played".to_string(), |d| {
        format!("games through {d}")
    });
    let _ = writeln!(out, "{} standings ({through}: {} games)", t.season, t.games);
    for d in &t.divisions {
        let _ = writeln!(
            out,
            "\n  {:<24} {:>8} {:>6} {:>8} {:>8} {:>9} {:>6}",
            d.name, "W-L-T", "pct", "div", "conf", "PF-PA", "seed"
        );
        for l in &d.teams {
            let r = |x: [u16; 3]| format!("{}-{}-{}", x[0], x[1], x[2]);
            let _ = writeln!(
                out,
                "  {:<24} {:>8} {:>6.3} {:>8} {:>8} {:>9} {:>6}",
                l.name,
                r(l.record),
                l.pct,
                r(l.division_record),
                r(l.conference_record),
                format!("{}-{}", l.points_for, l.points_against),
                l.seed.map_or(String::new(), |s| s.to_string())
            );
        }
    }
    for c in &t.conferences {
        let _ = writeln!(
            out,
            "\n  {} seeds: {} (byes: {})",
            c.conference,
            c.seeds.join(", "),
            if c.byes.is_empty() {
                "none".to_string()
            } else {
                c.byes.join(", ")
            }
        );
        for tie in &c.ties {
            let _ = writeln!(
                out,
                "    {} over {} by {}",
                tie.first,
                tie.tied
                    .iter()
                    .filter(|t| **t != tie.first)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                tie.step
            );
        }
    }
    out
}
