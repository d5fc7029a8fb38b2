//! Terminal output: phases with colour, timing and a spinner; tables; tracing set-up.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::validate::Check;

/// Logs go to stderr (JSON with `OPS_LOG_FORMAT=json`); the phase view goes to stdout.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OPS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("OPS_LOG_FORMAT").as_deref() == Ok("json") {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

fn paint(code: &str, s: &str) -> String {
    if colour() {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

pub fn green(s: &str) -> String {
    paint("32", s)
}
pub fn red(s: &str) -> String {
    paint("31", s)
}
pub fn yellow(s: &str) -> String {
    paint("33", s)
}
pub fn bold(s: &str) -> String {
    paint("1", s)
}

pub fn error(msg: &str) {
    eprintln!("{} {msg}", red("error:"));
}

/// One running phase: a spinner while it runs, then a line with its outcome and duration.
pub struct Phase {
    name: String,
    started: Instant,
    bar: ProgressBar,
}

impl Phase {
    pub fn start(index: usize, total: usize, name: &str) -> Self {
        let bar = if std::io::stdout().is_terminal() {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .expect("static template is valid"),
            );
            b.enable_steady_tick(Duration::from_millis(120));
            b
        } else {
            ProgressBar::hidden()
        };
        let name = format!("[{index}/{total}] {name}");
        bar.set_message(name.clone());
        Self {
            name,
            started: Instant::now(),
            bar,
        }
    }

    pub fn note(&self, msg: &str) {
        self.bar.set_message(format!("{}: {msg}", self.name));
    }

    pub fn done(self, detail: &str) {
        self.bar.finish_and_clear();
        println!(
            "{} {} {} {}",
            green("✔"),
            bold(&self.name),
            detail,
            paint(
                "2",
                &format!("({:.1} s)", self.started.elapsed().as_secs_f64())
            )
        );
    }

    pub fn failed(self, reason: &str) {
        self.bar.finish_and_clear();
        println!(
            "{} {} {} {}",
            red("✘"),
            bold(&self.name),
            red(reason),
            paint(
                "2",
                &format!("({:.1} s)", self.started.elapsed().as_secs_f64())
            )
        );
    }
}

pub fn checks_table(checks: &[Check]) {
    let w = checks.iter().map(|c| c.name.len()).max().unwrap_or(5);
    println!("{:<w$}  {:<6}  {:>7}  detail", "check", "result", "time");
    for c in checks {
        let result = if c.passed {
            green("ok    ")
        } else {
            red("FAILED")
        };
        println!(
            "{:<w$}  {result}  {:>6.1}s  {}",
            c.name,
            c.took.as_secs_f64(),
            c.detail
        );
    }
}

/// One row of `ops status`.
#[derive(Debug, Clone)]
pub struct StatusRow {
    pub service: String,
    pub pid: Option<u32>,
    pub address: String,
    pub healthy: bool,
    pub detail: String,
}

pub fn status_table(rows: &[StatusRow]) {
    let w = rows
        .iter()
        .map(|r| r.service.len())
        .max()
        .unwrap_or(7)
        .max(7);
    println!(
        "{:<w$}  {:>8}  {:<22}  {:<9}  detail",
        "service", "pid", "address", "health"
    );
    for r in rows {
        let health = if r.healthy {
            green("healthy  ")
        } else {
            red("DOWN     ")
        };
        println!(
            "{:<w$}  {:>8}  {:<22}  {health}  {}",
            r.service,
            r.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
            r.address,
            r.detail
        );
    }
    let down = rows.iter().filter(|r| !r.healthy).count();
    if down == 0 {
        println!("{}", green(&format!("all {} services healthy", rows.len())));
    } else {
        println!(
            "{}",
            yellow(&format!("{down} of {} services down", rows.len()))
        );
    }
}
