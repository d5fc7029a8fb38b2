//! `ops validate`: every committed artifact through its ecosystem's own validator (the Helm
//! chart's checks in [`helm`]).

mod helm;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::render::{self, Artifact};
use crate::topology::Topology;
use crate::{Error, Result};

/// The outcome of one check.
#[derive(Debug)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub detail: String,
    pub took: Duration,
}

/// Runs `cmd`; Ok(combined output) when it exits 0.
pub fn run(what: &str, cmd: &mut Command) -> Result<String> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::MissingTool {
                tool: program.clone(),
                hint: "run scripts/install-deps".into(),
            }
        } else {
            Error::io("run", Path::new(&program), e)
        }
    })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(Error::Validation {
            what: what.to_string(),
            output: text.trim().to_string(),
        })
    }
}

fn timed(name: &str, f: impl FnOnce() -> Result<String>) -> Check {
    let t = Instant::now();
    let r = f();
    let (passed, detail) = match r {
        Ok(d) => (true, d),
        Err(e) => (false, e.to_string()),
    };
    Check {
        name: name.to_string(),
        passed,
        detail: detail.trim().lines().last().unwrap_or("").to_string(),
        took: t.elapsed(),
    }
}

/// The committed files equal what `ops render` produces.
pub fn check_drift(root: &Path, artifacts: &[Artifact]) -> Result<String> {
    let drift = render::drift(root, artifacts);
    if drift.is_empty() {
        Ok(format!("{} files match the render", artifacts.len()))
    } else {
        Err(Error::Validation {
            what: "render drift".into(),
            output: format!(
                "these files differ from `ops render` (run `cargo run -p ops -- render`): {}",
                drift
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }
}

/// `nginx -t` on the committed config, with a throwaway certificate, runtime paths in a
/// temporary directory and the compose service names pointed at loopback (nginx resolves
/// upstream names while testing).
pub fn nginx(root: &Path) -> Result<String> {
    let tmp = tempfile::tempdir().map_err(|e| Error::io("create", Path::new("tempdir"), e))?;
    let dir = tmp.path();
    run(
        "openssl (throwaway certificate)",
        Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
            ])
            .arg("-keyout")
            .arg(dir.join("tls.key"))
            .arg("-out")
            .arg(dir.join("tls.crt")),
    )?;
    let conf_path = root.join("nginx/nginx.conf");
    let conf = std::fs::read_to_string(&conf_path).map_err(|e| Error::io("read", &conf_path, e))?;
    let d = dir.display().to_string();
    let conf = conf
        .replace("/etc/nginx/certs", &d)
        .replace("/var/run/nginx.pid", &format!("{d}/nginx.pid"))
        .replace("/var/log/nginx", &d)
        .replace("server api:", "server 127.0.0.1:");
    let test_conf = dir.join("nginx.conf");
    std::fs::write(&test_conf, conf).map_err(|e| Error::io("write", &test_conf, e))?;
    run(
        "nginx -t",
        Command::new(nginx_binary())
            .arg("-t")
            .arg("-q")
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&test_conf),
    )?;
    Ok("nginx -t: configuration ok".into())
}

pub fn nginx_binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("nginx"))
}

pub fn promtool(root: &Path) -> Result<String> {
    let dir = root.join("monitoring/prometheus");
    run(
        "promtool check config",
        Command::new("promtool")
            .args(["check", "config"])
            .arg(dir.join("prometheus.yml")),
    )?;
    run(
        "promtool check rules",
        Command::new("promtool")
            .args(["check", "rules"])
            .arg(dir.join("alerts.yml")),
    )?;
    // The rules' unit tests: each alert fires when and only when it should, each recording
    // rule computes what the test worked out by hand.
    run(
        "promtool test rules",
        Command::new("promtool")
            .args(["test", "rules"])
            .arg(dir.join("rules.test.yml")),
    )
}

pub fn amtool(root: &Path) -> Result<String> {
    run(
        "amtool check-config",
        Command::new("amtool")
            .arg("check-config")
            .arg(root.join("monitoring/alertmanager/alertmanager.yml")),
    )
}

/// `docker-compose config` (validation only; no engine) with `.env` made from the template,
/// and a refusal when a required secret is missing. Runs on a copy in a temporary directory
/// so that no `.env` is ever written into the repository.
pub fn compose(root: &Path) -> Result<String> {
    let tmp = tempfile::tempdir().map_err(|e| Error::io("create", Path::new("tempdir"), e))?;
    let copy = |from: &str, to: &str| -> Result<String> {
        let src = root.join(from);
        let text = std::fs::read_to_string(&src).map_err(|e| Error::io("read", &src, e))?;
        let dst = tmp.path().join(to);
        std::fs::write(&dst, &text).map_err(|e| Error::io("write", &dst, e))?;
        Ok(text)
    };
    copy("docker-compose.yml", "docker-compose.yml")?;
    let env = copy(".env.example", ".env")?;
    let config = || {
        run(
            "docker-compose config",
            Command::new("docker-compose")
                .current_dir(tmp.path())
                .args(["-f", "docker-compose.yml", "config", "-q"]),
        )
    };
    config()?;
    let partial: String = env
        .lines()
        .filter(|l| !l.starts_with("REDIS_PASSWORD="))
        .map(|l| format!("{l}\n"))
        .collect();
    let env_path = tmp.path().join(".env");
    std::fs::write(&env_path, partial).map_err(|e| Error::io("write", &env_path, e))?;
    match config() {
        Err(Error::Validation { .. }) => {
            development(root, tmp.path())?;
            Ok("docker-compose config: production and development valid; a missing secret is refused".into())
        }
        Err(e) => Err(e),
        Ok(_) => Err(Error::Validation {
            what: "docker-compose config".into(),
            output: "the compose file loaded without REDIS_PASSWORD: secrets must be mandatory"
                .into(),
        }),
    }
}

/// The laptop's compose file with the development env file: valid, the API in the development
/// profile on plain HTTP, and no certificate anywhere.
fn development(root: &Path, tmp: &Path) -> Result<()> {
    for (from, to) in [
        (
            "docker-compose.development.yml",
            "docker-compose.development.yml",
        ),
        (".env.development.example", ".env.development"),
    ] {
        let src = root.join(from);
        let dst = tmp.join(to);
        std::fs::copy(&src, &dst).map_err(|e| Error::io("copy", &src, e))?;
    }
    let out = run(
        "docker-compose config (development)",
        Command::new("docker-compose").current_dir(tmp).args([
            "-f",
            "docker-compose.development.yml",
            "--env-file",
            ".env.development",
            "config",
        ]),
    )?;
    let problem = if !out.contains("APP_PROFILE: development") {
        Some("the api is not in the development profile")
    } else if out.contains("certs") || out.contains("443") {
        Some("the development stack must need no certificate")
    } else {
        None
    };
    match problem {
        Some(p) => Err(Error::Validation {
            what: "docker-compose config (development)".into(),
            output: p.into(),
        }),
        None => Ok(()),
    }
}

fn files_under(root: &Path, dir: &str, ext: &[&str]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| Error::io("list", &d, e))?;
        for entry in entries {
            let p = entry.map_err(|e| Error::io("list", &d, e))?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ext.contains(&e))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn kubernetes(root: &Path) -> Result<String> {
    let files = files_under(root, "k8s", &["yaml"])?;
    run(
        "kubernetes-validate --strict",
        Command::new("kubernetes-validate")
            .args(["--strict", "--quiet", "-k", "1.33.0"])
            .args(&files),
    )?;
    Ok(format!(
        "kubernetes-validate --strict: {} manifests valid",
        files.len()
    ))
}

pub fn yamllint(root: &Path) -> Result<String> {
    let mut files = vec![root.join("docker-compose.yml")];
    files.extend(files_under(root, "k8s", &["yaml", "yml"])?);
    files.extend(files_under(root, "monitoring", &["yaml", "yml"])?);
    // The chart's plain YAML (its templates are Go templates, checked by helm lint).
    let chart = root.join(crate::render::helm::CHART_DIR);
    files.push(chart.join("Chart.yaml"));
    files.push(chart.join("values.yaml"));
    files.extend(files_under(
        root,
        &format!("{}/ci", crate::render::helm::CHART_DIR),
        &["yaml"],
    )?);
    run(
        "yamllint --strict",
        Command::new("yamllint")
            .arg("--strict")
            .arg("-c")
            .arg(root.join(".yamllint"))
            .args(&files),
    )?;
    Ok(format!("yamllint --strict: {} files clean", files.len()))
}

/// Every panel query of every committed dashboard: (dashboard file, panel title, expr).
pub fn dashboard_queries(root: &Path) -> Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    for path in files_under(root, "monitoring/grafana/dashboards", &["json"])? {
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, e))?;
        let d: Value = serde_json::from_str(&text)?;
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let panels = d["panels"].as_array().ok_or_else(|| Error::Validation {
            what: format!("dashboard {name}"),
            output: "no panels".into(),
        })?;
        for p in panels {
            let title = p["title"].as_str().unwrap_or("?").to_string();
            let targets = p["targets"]
                .as_array()
                .filter(|t| !t.is_empty())
                .ok_or_else(|| Error::Validation {
                    what: format!("dashboard {name}"),
                    output: format!("panel `{title}` has no query"),
                })?;
            for t in targets {
                let expr = t["expr"].as_str().ok_or_else(|| Error::Validation {
                    what: format!("dashboard {name}"),
                    output: format!("panel `{title}` has a target without expr"),
                })?;
                out.push((name.clone(), title.clone(), expr.to_string()));
            }
        }
    }
    Ok(out)
}

/// Keywords whose parenthesised group lists label names, not metrics.
const LABEL_GROUP_WORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// Other keywords and aggregation operators that are never metric names.
const PROMQL_WORDS: &[&str] = &[
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
    "sum",
    "avg",
    "min",
    "max",
    "count",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
    "group",
];

/// The metric names a PromQL expression reads (identifiers that are neither functions,
/// keywords, label names inside braces, nor strings).
pub fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let chars: Vec<char> = expr.chars().collect();
    let (mut i, mut depth_brace, mut depth_bracket) = (0, 0, 0);
    // Parenthesised groups that follow by/without/on/ignoring hold label names.
    let mut label_group = false;
    let mut paren_is_labels: Vec<bool> = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' => {
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            '{' => depth_brace += 1,
            '}' => depth_brace -= 1,
            '[' => depth_bracket += 1,
            ']' => depth_bracket -= 1,
            '(' => {
                paren_is_labels.push(label_group);
                label_group = false;
            }
            ')' => {
                paren_is_labels.pop();
            }
            _ => {}
        }
        if c.is_ascii_digit() {
            // A number such as 0.95 or 1e-9: not a name.
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            let is_call = j < chars.len() && chars[j] == '(';
            let lower = word.to_ascii_lowercase();
            if LABEL_GROUP_WORDS.contains(&lower.as_str()) {
                label_group = true;
            } else if depth_brace == 0
                && depth_bracket == 0
                && !is_call
                && !paren_is_labels.last().copied().unwrap_or(false)
                && !PROMQL_WORDS.contains(&lower.as_str())
            {
                names.insert(word);
            }
            continue;
        }
        i += 1;
    }
    names
}

/// Every dashboard query parses and runs on a live Prometheus, and every metric it reads has
/// at least one series there (so a renamed metric fails here, not on a blank panel).
pub fn dashboards_live(root: &Path, prometheus: &str) -> Result<String> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let queries = dashboard_queries(root)?;
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    for (dash, panel, expr) in &queries {
        let r: Value = client
            .get(format!("{prometheus}/api/v1/query"))
            .query(&[("query", expr.as_str())])
            .send()?
            .json()?;
        if r["status"] != "success" {
            problems.push(format!("{dash} / {panel}: `{expr}`: {}", r["error"]));
        }
        names.extend(metric_names(expr));
    }
    for name in &names {
        let r: Value = client
            .get(format!("{prometheus}/api/v1/series"))
            .query(&[("match[]", name.as_str())])
            .send()?
            .json()?;
        if r["data"].as_array().is_none_or(|a| a.is_empty()) {
            problems.push(format!("metric `{name}` has no series in Prometheus"));
        }
    }
    if problems.is_empty() {
        Ok(format!(
            "{} dashboard queries run; {} metric names all present",
            queries.len(),
            names.len()
        ))
    } else {
        Err(Error::Validation {
            what: "dashboard queries against the live Prometheus".into(),
            output: problems.join("\n"),
        })
    }
}

/// Every offline check; with `prometheus`, the live dashboard check as well.
pub fn all(root: &Path, prometheus: Option<&str>) -> Result<Vec<Check>> {
    let artifacts = render::all(&Topology::production())?;
    let mut checks = vec![
        timed("render drift", || check_drift(root, &artifacts)),
        timed("nginx -t", || nginx(root)),
        timed("promtool check config/rules", || promtool(root)),
        timed("amtool check-config", || amtool(root)),
        timed("docker-compose config", || compose(root)),
        timed("kubernetes-validate", || kubernetes(root)),
        timed("helm chart", || helm::chart(root)),
        timed("yamllint", || yamllint(root)),
        timed("grafana dashboards parse", || {
            dashboard_queries(root).map(|q| format!("{} panel queries", q.len()))
        }),
    ];
    if let Some(url) = prometheus {
        checks.push(timed("dashboard queries vs live Prometheus", || {
            dashboards_live(root, url)
        }));
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::metric_names;

    #[test]
    fn metric_names_skip_functions_keywords_labels_and_strings() {
        let cases: &[(&str, &[&str])] = &[
            ("up", &["up"]),
            ("sum by (route) (rate(nflp_http_requests_total[5m]))", &["nflp_http_requests_total"]),
            (
                "sum(rate(nflp_http_requests_total{status=~\"5..\"}[5m])) / clamp_min(sum(rate(nflp_http_requests_total[5m])), 1e-9)",
                &["nflp_http_requests_total"],
            ),
            (
                "histogram_quantile(0.95, sum by (le, path) (rate(nflp_prediction_latency_seconds_bucket[5m])))",
                &["nflp_prediction_latency_seconds_bucket"],
            ),
            (
                "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
                &["node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes"],
            ),
            ("nflp_dependency_up == 0", &["nflp_dependency_up"]),
        ];
        for (expr, want) in cases {
            let got: Vec<String> = metric_names(expr).into_iter().collect();
            assert_eq!(
                got,
                want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "{expr}"
            );
        }
    }
}
