//! The compose and k8s targets: plans of `docker compose` and `kubectl` commands. Pre-flight
//! stops with a clear message when no engine or cluster answers; `--dry-run` prints the plan.

use std::process::Command;

use super::{DeployOptions, Target};
use crate::topology::Topology;
use crate::ui::{self, Phase, StatusRow};
use crate::validate::run;
use crate::{Error, Result};

/// One step: the phase it belongs to and the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub phase: &'static str,
    pub argv: Vec<String>,
}

fn step(phase: &'static str, argv: &[&str]) -> Step {
    Step {
        phase,
        argv: argv.iter().map(|s| s.to_string()).collect(),
    }
}

const COMPOSE: [&str; 6] = [
    "docker",
    "compose",
    "--env-file",
    ".env",
    "-f",
    "docker-compose.yml",
];

fn compose(args: &[&str]) -> Vec<String> {
    COMPOSE.iter().chain(args).map(|s| s.to_string()).collect()
}

/// `pg_dump` inside the TimescaleDB container, to a file in its data volume.
fn compose_pg_dump(file: &str) -> Vec<String> {
    compose(&[
        "exec",
        "-T",
        "timescaledb",
        "sh",
        "-c",
        &format!("pg_dump -U nflp -Fc nflp > /var/lib/postgresql/data/{file}"),
    ])
}

fn kubectl(t: &Topology, args: &[&str]) -> Vec<String> {
    ["kubectl", "-n", t.namespace]
        .iter()
        .chain(args)
        .map(|s| s.to_string())
        .collect()
}

/// The deploy plan and the commands that undo it.
pub fn plan(t: &Topology, target: Target) -> (Vec<Step>, Vec<Step>) {
    match target {
        Target::Compose => (
            vec![
                Step {
                    phase: "backup",
                    argv: compose_pg_dump("pre-deploy.dump"),
                },
                Step {
                    phase: "build",
                    argv: compose(&["build", "--pull", "api"]),
                },
                Step {
                    phase: "build",
                    argv: compose(&["pull", "--ignore-buildable"]),
                },
                Step {
                    phase: "migrate",
                    argv: compose(&["run", "--rm", "--no-deps", "api", "migrate"]),
                },
                Step {
                    phase: "staged start",
                    argv: compose(&[
                        "up",
                        "-d",
                        "--wait",
                        "--no-recreate",
                        "--scale",
                        "api=2",
                        "api",
                    ]),
                },
                Step {
                    phase: "health gate",
                    argv: compose(&["up", "-d", "--wait"]),
                },
                Step {
                    phase: "switch traffic",
                    argv: compose(&[
                        "up",
                        "-d",
                        "--wait",
                        "--force-recreate",
                        "--no-deps",
                        "--scale",
                        "api=1",
                        "api",
                    ]),
                },
                Step {
                    phase: "switch traffic",
                    argv: compose(&["exec", "-T", "nginx", "nginx", "-s", "reload"]),
                },
                step(
                    "clean up",
                    &[
                        "docker",
                        "image",
                        "prune",
                        "-f",
                        "--filter",
                        "label=org.opencontainers.image.title=nfl-predictor",
                    ],
                ),
            ],
            vec![Step {
                phase: "rollback",
                argv: compose(&[
                    "up",
                    "-d",
                    "--wait",
                    "--no-build",
                    "--force-recreate",
                    "--no-deps",
                    "api",
                ]),
            }],
        ),
        Target::K8s => {
            use crate::render::k8s_data::{MIGRATE_JOB, STORES};
            let apply = |phase, f: &str| step(phase, &["kubectl", "apply", "-f", f]);
            // The Secret is created out of band (k8s/02-secret.example.yaml is its template).
            let mut steps = vec![Step {
                phase: "pre-flight",
                argv: kubectl(t, &["get", "secret", "nfl-predictor-secrets"]),
            }];
            for f in [
                "k8s/00-namespace.yaml",
                "k8s/01-configmap.yaml",
                "k8s/03-pvc.yaml",
            ] {
                steps.push(apply("configure", f));
            }
            // The data tier first, each store ready before anything needs it.
            for (_, f, _) in STORES {
                steps.push(apply("data tier", f));
            }
            for (store, _, _) in STORES {
                steps.push(Step {
                    phase: "data tier",
                    argv: kubectl(
                        t,
                        &[
                            "rollout",
                            "status",
                            &format!("statefulset/{store}"),
                            "--timeout=600s",
                        ],
                    ),
                });
            }
            // The migrations once, before the Deployment rolls (a Job's template is
            // immutable: the last run's Job goes first).
            steps.push(Step {
                phase: "migrate",
                argv: kubectl(
                    t,
                    &[
                        "delete",
                        "job",
                        MIGRATE_JOB,
                        "--ignore-not-found",
                        "--wait=true",
                    ],
                ),
            });
            steps.push(apply("migrate", "k8s/40-migrate-job.yaml"));
            steps.push(Step {
                phase: "migrate",
                argv: kubectl(
                    t,
                    &[
                        "wait",
                        "--for=condition=complete",
                        &format!("job/{MIGRATE_JOB}"),
                        "--timeout=600s",
                    ],
                ),
            });
            for f in [
                "k8s/11-service.yaml",
                "k8s/13-pdb.yaml",
                "k8s/21-networkpolicy.yaml",
                "k8s/10-deployment.yaml",
            ] {
                steps.push(apply("staged start", f));
            }
            steps.push(Step {
                phase: "health gate",
                argv: kubectl(
                    t,
                    &[
                        "rollout",
                        "status",
                        "deployment/nfl-predictor-api",
                        "--timeout=300s",
                    ],
                ),
            });
            steps.push(apply("switch traffic", "k8s/20-ingress.yaml"));
            steps.push(apply("clean up", "k8s/12-hpa.yaml"));
            steps.push(apply("clean up", "k8s/50-backups.yaml"));
            (
                steps,
                vec![Step {
                    phase: "rollback",
                    argv: kubectl(t, &["rollout", "undo", "deployment/nfl-predictor-api"]),
                }],
            )
        }
        Target::Local => (Vec::new(), Vec::new()),
    }
}

/// Checks the engine or cluster answers; the error says what is missing and why.
pub fn preflight(target: Target) -> Result<String> {
    let (what, mut cmd) = match target {
        Target::Compose => {
            let mut c = Command::new("docker");
            c.args(["info", "--format", "{{.ServerVersion}}"]);
            ("the compose target needs a running Docker engine", c)
        }
        Target::K8s => {
            let mut c = Command::new("kubectl");
            c.args(["cluster-info", "--request-timeout=5s"]);
            ("the k8s target needs a reachable Kubernetes cluster", c)
        }
        Target::Local => return Ok("local".into()),
    };
    let shown = format!("{cmd:?}").replace('"', "");
    run(what, &mut cmd).map_err(|e| {
        let why = match e {
            Error::Validation { output, .. } => output.lines().last().unwrap_or("").to_string(),
            other => other.to_string(),
        };
        Error::Invalid(format!("{what}: `{shown}` failed: {why}"))
    })
}

pub fn deploy(t: &Topology, target: Target, opts: &DeployOptions) -> Result<()> {
    let (steps, undo) = plan(t, target);
    if opts.dry_run {
        println!("{} plan for the {target:?} target:", ui::bold("deploy"));
        for s in &steps {
            println!("  [{}] {}", s.phase, s.argv.join(" "));
        }
        println!("on failure:");
        for s in &undo {
            println!("  [{}] {}", s.phase, s.argv.join(" "));
        }
        match preflight(target) {
            Ok(_) => println!("pre-flight: ok"),
            Err(e) => println!("pre-flight would stop here: {e}"),
        }
        println!("dry run: nothing changed");
        return Ok(());
    }
    let p = Phase::start(1, 1, "pre-flight");
    match preflight(target) {
        Ok(d) => p.done(&d),
        Err(e) => {
            p.failed(&e.to_string());
            return Err(Error::Phase {
                phase: "pre-flight".into(),
                reason: e.to_string(),
            });
        }
    }
    for (i, s) in steps.iter().enumerate() {
        let p = Phase::start(i + 1, steps.len(), s.phase);
        let mut cmd = Command::new(&s.argv[0]);
        cmd.args(&s.argv[1..]).current_dir(&opts.root);
        match run(s.phase, &mut cmd) {
            Ok(_) => p.done(&s.argv.join(" ")),
            Err(e) => {
                p.failed(&e.to_string());
                for u in &undo {
                    let mut cmd = Command::new(&u.argv[0]);
                    cmd.args(&u.argv[1..]).current_dir(&opts.root);
                    let _ = run("rollback", &mut cmd);
                }
                return Err(Error::Phase {
                    phase: s.phase.into(),
                    reason: format!("{e}; rolled back"),
                });
            }
        }
    }
    Ok(())
}

/// Backups on compose: pg_dump, neo4j-admin dump (Neo4j Community must be stopped for it),
/// redis BGSAVE. On k8s each backup CronJob (`k8s/50-backups.yaml`) started now as a Job:
/// the same commands the schedule runs.
pub fn backup_plan(t: &Topology, target: Target) -> Vec<Step> {
    match target {
        Target::Compose => vec![
            Step {
                phase: "backup",
                argv: compose_pg_dump("backup.dump"),
            },
            Step {
                phase: "backup",
                argv: compose(&[
                    "exec",
                    "-T",
                    "redis",
                    "sh",
                    "-c",
                    "redis-cli -a \"$REDIS_PASSWORD\" --no-auth-warning BGSAVE",
                ]),
            },
            Step {
                phase: "backup",
                argv: compose(&["stop", "neo4j"]),
            },
            Step {
                phase: "backup",
                argv: compose(&[
                    "run",
                    "--rm",
                    "--no-deps",
                    "neo4j",
                    "neo4j-admin",
                    "database",
                    "dump",
                    "neo4j",
                    "--to-path=/backups",
                    "--overwrite-destination=true",
                ]),
            },
            Step {
                phase: "backup",
                argv: compose(&["start", "neo4j"]),
            },
        ],
        // The CronJobs' own commands, started now as Jobs, then awaited.
        Target::K8s => {
            use crate::render::k8s_data::{backup_commands, backup_cronjob_name};
            let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
            let mut steps = Vec::new();
            let mut jobs = Vec::new();
            for (store, _, _) in backup_commands(t) {
                let job = format!("backup-{store}-{stamp}");
                steps.push(Step {
                    phase: "backup",
                    argv: kubectl(
                        t,
                        &[
                            "create",
                            "job",
                            &job,
                            &format!("--from=cronjob/{}", backup_cronjob_name(store)),
                        ],
                    ),
                });
                jobs.push(job);
            }
            for job in jobs {
                steps.push(Step {
                    phase: "backup",
                    argv: kubectl(
                        t,
                        &[
                            "wait",
                            "--for=condition=complete",
                            &format!("job/{job}"),
                            "--timeout=3h",
                        ],
                    ),
                });
            }
            steps
        }
        Target::Local => Vec::new(),
    }
}

pub fn backup(t: &Topology, target: Target) -> Result<String> {
    preflight(target)?;
    for s in backup_plan(t, target) {
        let mut cmd = Command::new(&s.argv[0]);
        cmd.args(&s.argv[1..]);
        run("backup", &mut cmd)?;
    }
    Ok(super::retention::id_for(chrono::Utc::now()))
}

pub fn restore(_t: &Topology, target: Target) -> Result<String> {
    preflight(target)?;
    Err(Error::Invalid(
        "restore on compose/k8s is manual for now: pg_restore the dump, neo4j-admin database load, \
         copy the RDB back (see README, Deploy)"
            .into(),
    ))
}

pub fn status(t: &Topology, target: Target) -> Result<Vec<StatusRow>> {
    preflight(target)?;
    let mut cmd = match target {
        Target::Compose => {
            let argv = compose(&["ps", "--format", "{{.Service}}\t{{.Health}}\t{{.State}}"]);
            let mut c = Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        }
        _ => {
            let argv = kubectl(
                t,
                &[
                    "get",
                    "pods",
                    "-o",
                    "custom-columns=NAME:.metadata.name,READY:.status.containerStatuses[0].ready",
                    "--no-headers",
                ],
            );
            let mut c = Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        }
    };
    let out = run("status", &mut cmd)?;
    Ok(out
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let healthy = cols.get(1).is_some_and(|h| *h == "healthy" || *h == "true");
            StatusRow {
                service: cols.first().unwrap_or(&"?").to_string(),
                pid: None,
                address: "-".into(),
                healthy,
                detail: cols[1..].join(" "),
            }
        })
        .collect())
}
