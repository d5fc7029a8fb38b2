//! `api forecast --upcoming`: forecasts the coming games that lack a current forecast (as the
//! scheduler does after a feed run) and prints them as a table or JSON — the "This week" page
//! in a terminal. Calls `services::forecasts::forecast_upcoming` and `services::week`.

use anyhow::Context;

use crate::services::week::{self, Card};
use crate::settings::Settings;

/// Forecasts and prints the games from `from` (default today, or `SCHEDULE_TODAY`) for
/// `days` days (1–28).
pub async fn forecast(
    settings: &Settings,
    from: Option<&str>,
    days: u32,
    json: bool,
) -> anyhow::Result<()> {
    if !(1..=28).contains(&days) {
        anyhow::bail!("--days {days}: must be between 1 and 28");
    }
    let from = match from {
        Some(d) => super::day("--from", d)?,
        None => settings
            .schedule_today
            .unwrap_or_else(|| chrono::Utc::now().date_naive()),
    };
    let _lock = crate::startup::lock_data_dir(settings)?;
    let services = crate::startup::open_services(settings).await?;
    super::seed_for_command(&services, settings).await?;
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!("forecasting the games from {from} for {days} days"));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let forecast = crate::services::forecasts::forecast_upcoming(&services, from, days).await;
    spinner.finish_and_clear();
    let forecast = forecast.context("Failed to forecast the coming games")?;
    let w = week::this_week(&services, from, days)
        .await
        .context("Failed to read the week")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&w)?);
        return Ok(());
    }
    println!(
        "{} to {}: {} games to come ({forecast} forecast now), {} played",
        w.from,
        w.to,
        w.upcoming.len(),
        w.results.len()
    );
    if w.upcoming.is_empty() {
        println!(
            "No unplayed games in the window. To follow this season, start the service with \
             SCHEDULE_FEED_URL=https://github.com/nflverse/nfldata/raw/master/data/games.csv \
             or run `api ingest --from <that URL>`."
        );
        return Ok(());
    }
    println!(
        "  {:<10} {:<40} {:>7} {:>9} {:>7} {:>6} {:>7} {:>6}",
        "date", "game", "home %", "score", "spread", "total", "market", "edge"
    );
    for c in &w.upcoming {
        println!("  {}", row(c));
    }
    Ok(())
}

/// One line of the table: the date, both teams by name, the consensus and the market.
fn row(c: &Card) -> String {
    let game = format!("{} at {}", c.away.name, c.home.name);
    let opt = |x: Option<f64>, d: usize| x.map_or("–".to_string(), |v| format!("{v:+.d$}"));
    match &c.forecast {
        None => format!("{:<10} {:<40} {:>7}", c.date, game, "not forecast"),
        Some(f) => format!(
            "{:<10} {:<40} {:>6.1}% {:>9} {:>7} {:>6.1} {:>7} {:>6}",
            c.date,
            game,
            100.0 * f.home_win_probability,
            format!(
                "{:.0}-{:.0}",
                f.predicted_home_score, f.predicted_away_score
            ),
            format!("{:+.1}", f.spread),
            f.total,
            opt(c.market.as_ref().and_then(|m| m.spread), 1),
            opt(c.market.as_ref().and_then(|m| m.edge), 1),
        ),
    }
}
