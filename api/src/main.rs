use anyhow::Context;
use api::cli::{Cli, Command};
use api::settings::Settings;
use api::startup::Application;
use clap::Parser;

/// Runs the command; an error is printed as its chain of causes (never a backtrace, whatever
/// `RUST_BACKTRACE` says: the message is for the person at the terminal) with exit status 1.
fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            let mut causes = e.chain().skip(1).peekable();
            if causes.peek().is_some() {
                eprintln!("\nCaused by:");
                for (i, c) in causes.enumerate() {
                    eprintln!("    {i}: {c}");
                }
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings = Settings::load()?;
    cli.apply(&mut settings);
    api::telemetry::init(settings.log_format(), &settings.log_level);
    match cli.command {
        None | Some(Command::Serve) => {
            let app = Application::build(settings.clone()).await?;
            tracing::info!(addr = %settings.bind_addr, port = app.port(), "listening");
            app.run_until_stopped()
                .await
                .context("Failed to run the HTTP server")?;
        }
        Some(Command::Migrate) => api::cli::migrate(&settings).await?,
        Some(Command::Games(cmd)) => api::cli::games(&settings, &cmd).await?,
        Some(Command::Predict { game }) => api::cli::predict(&settings, &game).await?,
        Some(Command::Standings {
            season,
            through,
            json,
        }) => api::cli::standings::run(&settings, season, through.as_deref(), json).await?,
        Some(Command::Simulate {
            reproduce: Some(id),
            json,
            ..
        }) => api::cli::simulate::reproduce(&settings, &id, json).await?,
        Some(Command::Simulate {
            season,
            through,
            sims,
            seed,
            json,
            fix,
            reproduce: None,
        }) => {
            let season = season.unwrap_or_default();
            let options = (seed, fix.as_slice());
            api::cli::simulate::run(&settings, season, through.as_deref(), sims, options, json)
                .await?
        }
        Some(Command::Forecast {
            upcoming,
            from,
            days,
            json,
        }) => {
            if !upcoming {
                anyhow::bail!("say what to forecast: --upcoming (the coming games)");
            }
            api::cli::upcoming::forecast(&settings, from.as_deref(), days, json).await?
        }
        Some(Command::Ingest {
            from,
            dry_run,
            accept_corrections,
            sheet,
        }) => {
            api::cli::ingest(
                &settings,
                &from,
                dry_run,
                accept_corrections,
                sheet.as_deref(),
            )
            .await?;
        }
        Some(Command::Backfill {
            from,
            to,
            batch_games,
            max_games,
        }) => api::cli::backfill(&settings, from, to, batch_games, max_games).await?,
        Some(Command::Import {
            file,
            batch_size,
            sheet,
        }) => {
            api::cli::import(&settings, &file, batch_size, sheet.as_deref()).await?;
        }
        Some(Command::Backtest {
            data,
            from,
            to,
            json,
            plot,
            params,
        }) => {
            api::cli::backtest(&data, from, to, &json, &plot, &params)?;
        }
        Some(Command::Model(cmd)) => api::cli::model(&settings, &cmd).await?,
        Some(Command::Evaluate(cmd)) => api::cli::evaluate(&cmd)?,
        Some(Command::Keys(cmd)) => api::cli::keys(&settings, &cmd).await?,
        Some(Command::Cache(api::cli::CacheCommand::Rebuild)) => {
            api::cli::cache_rebuild(&settings).await?
        }
    }
    Ok(())
}
