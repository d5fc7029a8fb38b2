//! Operations tooling for nfl-predictor. Rendering, validation and deploys are being built
//! in their own issue; this binary already parses the command line they will use.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ops",
    about = "Render, validate and deploy the nfl-predictor stack"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render every deployment artifact from the typed topology.
    Render,
    /// Validate every artifact with its ecosystem's validator.
    Validate,
    /// Deploy to a target (local, compose, k8s).
    Deploy,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let name = match cli.command {
        Command::Render => "render",
        Command::Validate => "validate",
        Command::Deploy => "deploy",
    };
    anyhow::bail!("`ops {name}` is not available in this build yet")
}
