//! `api games` and `api predict`: adding a game, recording a result, reinstating a cancelled
//! game, and forecasting one game.

use super::*;

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
