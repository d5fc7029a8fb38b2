//! `ops deploy`: pre-flight, services, backup, build, migrate, staged start, health gate,
//! switch traffic, clean up. A failure after the new release starts rolls back to the release
//! that was serving, and the error names the phase and the reason.

pub mod local;
pub mod process;
pub mod remote;
pub mod retention;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::topology::Topology;
use crate::ui::{self, Phase, StatusRow};
use crate::{Error, Result};
use local::Local;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Local,
    Compose,
    K8s,
}

#[derive(Clone, Debug)]
pub struct DeployOptions {
    pub root: PathBuf,
    pub state_dir: PathBuf,
    pub base_port: u16,
    pub api_bin: Option<PathBuf>,
    pub release: Option<String>,
    pub health_timeout: Duration,
    pub env: Vec<(String, String)>,
    pub dry_run: bool,
}

const PHASES: [&str; 9] = [
    "pre-flight",
    "services",
    "backup",
    "build",
    "migrate",
    "staged start",
    "health gate",
    "switch traffic",
    "clean up",
];

/// Runs one phase with its progress line; a failure is reported with the phase's name.
fn phase<T>(i: usize, f: impl FnOnce(&Phase) -> Result<(T, String)>) -> Result<T> {
    let p = Phase::start(i + 1, PHASES.len(), PHASES[i]);
    let _span = tracing::info_span!("deploy_phase", phase = PHASES[i]).entered();
    match f(&p) {
        Ok((v, detail)) => {
            tracing::info!(detail = %detail, "phase done");
            p.done(&detail);
            Ok(v)
        }
        Err(e) => {
            tracing::error!(error = %e, "phase failed");
            p.failed(&e.to_string());
            Err(Error::Phase {
                phase: PHASES[i].into(),
                reason: e.to_string(),
            })
        }
    }
}

#[tracing::instrument(skip_all, fields(target = ?target))]
pub fn deploy(t: &Topology, target: Target, opts: &DeployOptions) -> Result<()> {
    match target {
        Target::Local => deploy_local(opts),
        Target::Compose | Target::K8s => remote::deploy(t, target, opts),
    }
}

fn release_id(opts: &DeployOptions, stack: &Local) -> Result<String> {
    let id = match &opts.release {
        Some(r) => {
            valid_release_name(r)?;
            r.clone()
        }
        None => format!("r{}", retention::id_for(chrono::Utc::now())),
    };
    if stack.dir.join("releases").join(&id).exists() {
        return Err(Error::Invalid(format!("release `{id}` already exists")));
    }
    Ok(id)
}

fn valid_release_name(r: &str) -> Result<()> {
    let ok = !r.is_empty()
        && r.len() <= 64
        && !r.starts_with('.')
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "release name `{r}`: use up to 64 letters, digits, '.', '_' and '-', not starting with '.'"
        )))
    }
}

fn deploy_local(opts: &DeployOptions) -> Result<()> {
    if let Some(r) = &opts.release {
        // Refuse a bad name before anything is created.
        valid_release_name(r)?;
    }
    let mut stack = Local::open(&opts.state_dir, &opts.root, opts.base_port)?;
    let id = release_id(opts, &stack)?;
    println!(
        "{} release {} to the local target ({}; state in {})",
        ui::bold("deploying"),
        ui::bold(&id),
        stack.stage_message(),
        opts.state_dir.display()
    );
    if opts.dry_run {
        let p = stack.ports();
        for (i, name) in PHASES.iter().enumerate() {
            println!("  {}. {name}", i + 1);
        }
        println!(
            "nginx :{}  api slots {:?} / {:?}  postgres :{}  redis :{}  neo4j :{}  prometheus :{}  alertmanager :{}",
            p.nginx, p.api_slots[0], p.api_slots[1], p.postgres, p.redis, p.neo4j, p.prometheus, p.alertmanager
        );
        println!("dry run: nothing changed");
        return Ok(());
    }
    phase(0, |_| stack.preflight().map(|d| ((), d)))?;
    phase(1, |p| stack.ensure_services(p).map(|d| ((), d)))?;
    phase(2, |_| {
        if stack.state.current.is_some() {
            stack.backup().map(|id| ((), format!("backup {id}")))
        } else {
            Ok(((), "skipped: nothing deployed yet".into()))
        }
    })?;
    let binary = phase(3, |p| {
        stack
            .build(opts, &id, p)
            .map(|b| (b.clone(), format!("{}", b.display())))
    })?;
    let staged_env = stack.api_env(0, &opts.env);
    phase(4, |_| stack.migrate(&binary, &staged_env).map(|d| ((), d)))?;
    let new = phase(5, |_| {
        stack.stage(&id, &binary, &opts.env).map(|r| {
            let pids: Vec<String> = r.instances.iter().map(|i| i.pid.to_string()).collect();
            (
                r.clone(),
                format!("pids {} on {}", pids.join(", "), r.addresses()),
            )
        })
    })?;
    let previous = stack.state.current.clone();
    let rollback = |stack: &Local, switched: bool| {
        let p = Phase::start(1, 1, "rollback");
        new.terminate(Duration::from_secs(10));
        let mut detail = format!("stopped {}", new.id);
        if switched {
            if let Some(old) = &previous {
                match stack.switch(&old.ports()) {
                    Ok(()) => detail.push_str(&format!(", traffic back on {}", old.id)),
                    Err(e) => detail.push_str(&format!(", could not switch back: {e}")),
                }
            }
        }
        detail.push_str(&format!("; serving: {}", local::describe(&previous)));
        p.done(&detail);
    };
    if let Err(e) = phase(6, |_| {
        stack
            .health_gate(&new, opts.health_timeout)
            .map(|d| ((), d))
    }) {
        rollback(&stack, false);
        return Err(e);
    }
    if let Err(e) = phase(7, |_| {
        stack
            .switch(&new.ports())
            .map(|()| ((), format!("nginx → {}", new.addresses())))
    }) {
        rollback(&stack, true);
        return Err(e);
    }
    let old = stack.promote(new.clone())?;
    phase(8, |_| {
        let mut detail = String::new();
        if let Some(old) = old {
            // Let nginx's old workers finish their requests, then drain the old release.
            std::thread::sleep(Duration::from_secs(2));
            let graceful = old.terminate(Duration::from_secs(30));
            detail.push_str(&format!(
                "stopped {} ({}); ",
                old.id,
                if graceful {
                    "drained"
                } else {
                    "killed after 30 s"
                }
            ));
        }
        stack.cleanup().map(|d| ((), detail + &d))
    })?;
    println!(
        "{} release {} serves on http://127.0.0.1:{}",
        ui::green("deployed:"),
        new.id,
        stack.ports().nginx
    );
    Ok(())
}

#[tracing::instrument(skip_all, fields(target = ?target))]
pub fn backup(target: Target, state_dir: &Path) -> Result<String> {
    match target {
        Target::Local => Local::existing(state_dir)?.backup(),
        _ => remote::backup(&Topology::production(), target),
    }
}

#[tracing::instrument(skip_all, fields(target = ?target))]
pub fn restore(target: Target, root: &Path, state_dir: &Path, id: Option<&str>) -> Result<String> {
    match target {
        Target::Local => {
            let mut stack = Local::existing(state_dir)?;
            stack.root = root.to_path_buf();
            stack.restore(id)
        }
        _ => remote::restore(&Topology::production(), target),
    }
}

pub fn status(target: Target, state_dir: &Path) -> Result<Vec<StatusRow>> {
    match target {
        Target::Local => Ok(Local::existing(state_dir)?.status()),
        _ => remote::status(&Topology::production(), target),
    }
}

pub fn stop(state_dir: &Path) -> Result<()> {
    Local::existing(state_dir)?.stop()
}
