//! `cargo run -p ops -- <command>`: render, validate, deploy, back up, restore and inspect the
//! nfl-predictor stack.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use ops::deploy::{self, DeployOptions, Target};
use ops::render;
use ops::topology::Topology;
use ops::ui;

#[derive(Parser)]
#[command(
    name = "ops",
    about = "Render, validate and deploy the nfl-predictor stack",
    version
)]
struct Cli {
    /// Repository root (where docker/, nginx/, k8s/ and monitoring/ live).
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum TargetArg {
    Local,
    Compose,
    K8s,
}

impl From<TargetArg> for Target {
    fn from(t: TargetArg) -> Self {
        match t {
            TargetArg::Local => Target::Local,
            TargetArg::Compose => Target::Compose,
            TargetArg::K8s => Target::K8s,
        }
    }
}

#[derive(clap::Args)]
struct LocalArgs {
    /// State directory of the local target (services, releases, backups, logs).
    #[arg(long, env = "OPS_STATE_DIR", default_value = "var/ops-local")]
    state_dir: PathBuf,
    /// First of the local target's loopback ports (nginx; the others follow it).
    #[arg(long, env = "OPS_BASE_PORT", default_value_t = 18080)]
    base_port: u16,
}

#[derive(Subcommand)]
enum Command {
    /// Render every deployment artifact from the typed topology into the repository.
    Render {
        /// Only check that the committed files equal the render (non-zero exit on drift).
        #[arg(long)]
        check: bool,
    },
    /// Validate every artifact with its ecosystem's own validator.
    Validate {
        /// Also run every Grafana panel query against this live Prometheus.
        #[arg(long)]
        prometheus: Option<String>,
    },
    /// Deploy a release: pre-flight, backup, build, migrate, staged start, health gate,
    /// switch traffic, clean up; any failure rolls back to the previous release.
    Deploy {
        #[arg(long, value_enum, default_value = "local")]
        target: TargetArg,
        #[command(flatten)]
        local: LocalArgs,
        /// Use this API binary instead of building one (`cargo build --release -p api`).
        #[arg(long)]
        api_bin: Option<PathBuf>,
        /// Release name (default: a timestamp).
        #[arg(long)]
        release: Option<String>,
        /// Seconds the new release has to pass its health gate.
        #[arg(long, default_value_t = 120)]
        health_timeout: u64,
        /// Extra environment for the API (KEY=VALUE, repeatable).
        #[arg(long = "env", value_name = "KEY=VALUE")]
        env: Vec<String>,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Back up the databases and the API's data directory (retention: 7 daily, 30 days).
    Backup {
        #[arg(long, value_enum, default_value = "local")]
        target: TargetArg,
        #[command(flatten)]
        local: LocalArgs,
    },
    /// Restore a backup (the newest unless --id is given).
    Restore {
        #[arg(long, value_enum, default_value = "local")]
        target: TargetArg,
        #[command(flatten)]
        local: LocalArgs,
        #[arg(long)]
        id: Option<String>,
    },
    /// Each service's health in one table.
    Status {
        #[arg(long, value_enum, default_value = "local")]
        target: TargetArg,
        #[command(flatten)]
        local: LocalArgs,
    },
    /// Open-loop load at a fixed rate (latency from each request's due time), as JSON.
    Loadgen {
        url: String,
        #[arg(long, default_value_t = 1000.0)]
        rate: f64,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Extra request header `Name: value` (repeatable).
        #[arg(long = "header", short = 'H')]
        headers: Vec<String>,
        /// HTTP method (a POST is sent without a body).
        #[arg(long, value_enum, default_value = "get")]
        method: ops::loadgen::Method,
    },
    /// Serve one fixed response to every request: the benchmark's upstream floor (the least
    /// any service behind the same Nginx can cost). GET-style requests only; runs until stopped.
    FloorServer {
        /// Address to listen on (port 0 picks one; the bound address is printed).
        #[arg(long, default_value = "127.0.0.1:0")]
        bind: std::net::SocketAddr,
        /// File whose bytes are the response body.
        #[arg(long)]
        body: PathBuf,
        /// Extra response header `Name: value` (repeatable).
        #[arg(long = "header", short = 'H')]
        headers: Vec<String>,
        /// Runtime threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// Stop every process of the local target (data stays in the state directory).
    Stop {
        #[command(flatten)]
        local: LocalArgs,
    },
}

fn main() -> ExitCode {
    ui::init_tracing();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            ui::error(&format!("{e:#}"));
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let root = cli
        .root
        .canonicalize()
        .with_context(|| format!("Failed to open the repository root {}", cli.root.display()))?;
    let topology = Topology::production();
    match cli.command {
        Command::Render { check } => {
            let artifacts = render::all(&topology)?;
            if check {
                ops::validate::check_drift(&root, &artifacts)?;
                println!("{} rendered files match the repository", artifacts.len());
            } else {
                let changed = render::write(&root, &artifacts)?;
                for p in &changed {
                    println!("wrote {}", p.display());
                }
                println!(
                    "{} files rendered, {} changed",
                    artifacts.len(),
                    changed.len()
                );
            }
        }
        Command::Validate { prometheus } => {
            let checks = ops::validate::all(&root, prometheus.as_deref())?;
            ui::checks_table(&checks);
            let failed = checks.iter().filter(|c| !c.passed).count();
            if failed > 0 {
                anyhow::bail!("{failed} of {} checks failed", checks.len());
            }
        }
        Command::Deploy {
            target,
            local,
            api_bin,
            release,
            health_timeout,
            env,
            dry_run,
        } => {
            let opts = DeployOptions {
                root,
                state_dir: absolute(&local.state_dir)?,
                base_port: local.base_port,
                api_bin,
                release,
                health_timeout: std::time::Duration::from_secs(health_timeout),
                env: parse_env(&env)?,
                dry_run,
            };
            deploy::deploy(&topology, target.into(), &opts)?;
        }
        Command::Backup { target, local } => {
            let id = deploy::backup(target.into(), &absolute(&local.state_dir)?)?;
            println!("backup {id} written");
        }
        Command::Restore { target, local, id } => {
            let id = deploy::restore(
                target.into(),
                &root,
                &absolute(&local.state_dir)?,
                id.as_deref(),
            )?;
            println!("backup {id} restored");
        }
        Command::Status { target, local } => {
            let rows = deploy::status(target.into(), &absolute(&local.state_dir)?)?;
            ui::status_table(&rows);
            if rows.iter().any(|r| !r.healthy) {
                anyhow::bail!("some services are not healthy");
            }
        }
        Command::Loadgen {
            url,
            rate,
            seconds,
            headers,
            method,
        } => {
            let headers = parse_headers(&headers)?;
            let report = ops::loadgen::run(&url, method, &headers, rate, seconds)?;
            println!("{}", serde_json::to_string(&report)?);
        }
        Command::FloorServer {
            bind,
            body,
            headers,
            threads,
        } => {
            let headers = parse_headers(&headers)?;
            let body = std::fs::read(&body)
                .with_context(|| format!("Failed to read the body file {}", body.display()))?;
            ops::floor::serve(
                bind,
                ops::floor::response(&body, &headers),
                threads,
                |addr| {
                    println!("floor server listening on {addr}");
                },
            )?;
        }
        Command::Stop { local } => {
            deploy::stop(&absolute(&local.state_dir)?)?;
            println!("local target stopped");
        }
    }
    Ok(())
}

fn absolute(p: &std::path::Path) -> anyhow::Result<PathBuf> {
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .context("Failed to read the current directory")?
            .join(p)
    })
}

fn parse_env(pairs: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| anyhow::anyhow!("--env expects KEY=VALUE, got `{p}`"))
        })
        .collect()
}

/// `Name: value` header arguments.
fn parse_headers(headers: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    headers
        .iter()
        .map(|h| {
            h.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| anyhow::anyhow!("--header expects `Name: value`, got `{h}`"))
        })
        .collect()
}
