//! The ops command line: render drift, typed artifacts, pre-flight refusals, dry runs and
//! bad input. (The local target end to end is in local_target.rs.)

mod common;

use common::{ops_in, root, text};
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use ops::render;
use ops::topology::Topology;

#[test]
fn committed_artifacts_equal_what_ops_render_produces() {
    let artifacts = render::all(&Topology::production()).unwrap();
    assert!(artifacts.len() >= 25);
    let drift = render::drift(&root(), &artifacts);
    assert!(
        drift.is_empty(),
        "run `cargo run -p ops -- render`; these differ: {drift:?}"
    );
    let out = ops_in(&root(), &["render", "--check"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn render_check_fails_and_names_each_file_that_drifted() {
    let dir = tempfile::tempdir().unwrap();
    let out = ops_in(&root(), &["render", "--root", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let out = ops_in(
        &root(),
        &["render", "--check", "--root", dir.path().to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "a fresh render matches itself: {}",
        text(&out)
    );
    std::fs::write(dir.path().join("nginx/nginx.conf"), "# edited by hand\n").unwrap();
    std::fs::remove_file(dir.path().join("k8s/12-hpa.yaml")).unwrap();
    let out = ops_in(
        &root(),
        &["render", "--check", "--root", dir.path().to_str().unwrap()],
    );
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains("nginx/nginx.conf") && t.contains("k8s/12-hpa.yaml"),
        "{t}"
    );
    assert!(
        !t.contains("docker-compose.yml"),
        "only drifted files are named: {t}"
    );
}

fn yaml_doc<T: serde::de::DeserializeOwned>(path: &str) -> T {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_deployment_runs_three_hardened_replicas_with_probes_and_the_production_resources() {
    let d: Deployment = yaml_doc("k8s/10-deployment.yaml");
    let spec = d.spec.unwrap();
    assert_eq!(spec.replicas, Some(3));
    let pod = spec.template.spec.unwrap();
    let c = &pod.containers[0];
    let res = c.resources.as_ref().unwrap();
    let q =
        |m: &Option<BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
         k: &str| { m.as_ref().unwrap()[k].0.clone() };
    assert_eq!(
        [
            q(&res.requests, "cpu"),
            q(&res.requests, "memory"),
            q(&res.limits, "cpu"),
            q(&res.limits, "memory")
        ],
        ["500m", "1Gi", "1000m", "2Gi"]
    );
    // Probes that mean what Kubernetes takes them to mean: never the dependency report.
    for (probe, path) in [
        (&c.startup_probe, "/livez"),
        (&c.readiness_probe, "/readyz"),
        (&c.liveness_probe, "/livez"),
    ] {
        let p = probe.as_ref().unwrap().http_get.as_ref().unwrap();
        assert_eq!(p.path.as_deref(), Some(path));
    }
    let sc = c.security_context.as_ref().unwrap();
    assert_eq!(sc.run_as_non_root, Some(true));
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.allow_privilege_escalation, Some(false));

    let h: HorizontalPodAutoscaler = yaml_doc("k8s/12-hpa.yaml");
    let hs = h.spec.unwrap();
    assert_eq!((hs.min_replicas, hs.max_replicas), (Some(2), 10));
    let targets: Vec<(String, i32)> = hs
        .metrics
        .unwrap()
        .iter()
        .map(|m| {
            let r = m.resource.as_ref().unwrap();
            (r.name.clone(), r.target.average_utilization.unwrap())
        })
        .collect();
    assert_eq!(
        targets,
        [("cpu".to_string(), 70), ("memory".to_string(), 80)]
    );
    let b = hs.behavior.unwrap();
    assert!(b.scale_up.is_some() && b.scale_down.is_some());
}

#[test]
fn every_compose_service_has_a_healthcheck_limits_and_the_one_network() {
    let c: serde_json::Value = yaml_doc("docker-compose.yml");
    let services = c["services"].as_object().unwrap();
    let mut names: Vec<&str> = services.keys().map(|s| s.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "alertmanager",
            "api",
            "grafana",
            "neo4j",
            "nginx",
            "node-exporter",
            "postgres-exporter",
            "prometheus",
            "redis",
            "redis-exporter",
            "timescaledb"
        ]
    );
    for (name, s) in services {
        assert!(
            s["healthcheck"]["test"].is_array(),
            "{name} has no healthcheck"
        );
        assert!(
            s["deploy"]["resources"]["limits"]["memory"].is_string(),
            "{name}"
        );
        assert_eq!(s["networks"], serde_json::json!(["backend"]), "{name}");
    }
    let redis = services["redis"]["command"].to_string();
    assert!(
        redis.contains("--maxmemory 512mb") && redis.contains("allkeys-lru"),
        "{redis}"
    );
    assert!(services["prometheus"]["command"]
        .to_string()
        .contains("retention.time=30d"));
    // Secrets only from the env file, and required.
    let api = services["api"]["environment"].to_string();
    assert!(api.contains("${POSTGRES_PASSWORD:?"), "{api}");
}

#[test]
fn nginx_limits_the_api_and_auth_routes_and_keeps_metrics_private() {
    let conf = std::fs::read_to_string(root().join("nginx/nginx.conf")).unwrap();
    for needle in [
        "zone=api:10m rate=10r/s",
        "zone=auth:10m rate=5r/s",
        "limit_req zone=auth",
        "location = /metrics",
        "Strict-Transport-Security",
        "ssl_protocols TLSv1.2 TLSv1.3",
        "proxy_set_header Upgrade $http_upgrade",
        "gzip on",
    ] {
        assert!(conf.contains(needle), "nginx.conf lacks `{needle}`");
    }
}

#[test]
fn compose_and_k8s_targets_stop_in_preflight_when_no_engine_or_cluster_answers() {
    // No Docker engine and no cluster on these machines: the error says which and why.
    let cases = [
        (
            "compose",
            "the compose target needs a running Docker engine",
        ),
        ("k8s", "the k8s target needs a reachable Kubernetes cluster"),
    ];
    for (target, message) in cases {
        let out = ops_in(&root(), &["deploy", "--target", target]);
        assert!(!out.status.success(), "{target}: {}", text(&out));
        let t = text(&out);
        assert!(
            t.contains("pre-flight") && t.contains(message),
            "{target}: {t}"
        );
    }
}

#[test]
fn a_dry_run_prints_the_plan_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let cases = [
        (
            "compose",
            "docker compose --env-file .env -f docker-compose.yml run --rm --no-deps api migrate",
        ),
        (
            "k8s",
            "kubectl -n nfl-predictor rollout status deployment/nfl-predictor-api",
        ),
        ("local", "switch traffic"),
    ];
    for (target, step) in cases {
        let out = ops_in(
            &root(),
            &[
                "deploy",
                "--target",
                target,
                "--dry-run",
                "--state-dir",
                state.to_str().unwrap(),
                "--release",
                "x1",
            ],
        );
        assert!(out.status.success(), "{target}: {}", text(&out));
        let t = text(&out);
        assert!(
            t.contains(step) && t.contains("dry run: nothing changed"),
            "{target}: {t}"
        );
    }
    assert!(!state.join("releases").exists(), "a dry run builds nothing");
}

#[test]
fn the_k8s_dry_run_applies_every_manifest_once_data_tier_then_migration_then_the_api() {
    let out = ops_in(&root(), &["deploy", "--target", "k8s", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    let t = text(&out);
    let lines: Vec<&str> = t.lines().collect();
    let applied: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split("kubectl apply -f ").nth(1))
        .map(str::trim)
        .collect();
    // Every rendered manifest but the Secret's template, once each.
    let mut rendered: Vec<String> = std::fs::read_dir(root().join("k8s"))
        .unwrap()
        .map(|e| format!("k8s/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|f| f.ends_with(".yaml") && !f.contains("secret.example"))
        .collect();
    rendered.sort();
    let mut sorted: Vec<String> = applied.iter().map(|s| s.to_string()).collect();
    sorted.sort();
    assert_eq!(sorted, rendered, "{t}");
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{t}"))
    };
    let order = [
        "kubectl -n nfl-predictor get secret nfl-predictor-secrets",
        "kubectl apply -f k8s/00-namespace.yaml",
        "kubectl apply -f k8s/30-neo4j.yaml",
        "rollout status statefulset/neo4j",
        "rollout status statefulset/timescaledb",
        "rollout status statefulset/redis",
        "delete job nfl-predictor-migrate --ignore-not-found",
        "kubectl apply -f k8s/40-migrate-job.yaml",
        "wait --for=condition=complete job/nfl-predictor-migrate",
        "kubectl apply -f k8s/10-deployment.yaml",
        "rollout status deployment/nfl-predictor-api",
        "kubectl apply -f k8s/20-ingress.yaml",
        "kubectl apply -f k8s/50-backups.yaml",
    ];
    let positions: Vec<usize> = order.iter().map(|n| at(n)).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "out of order {positions:?}:\n{t}"
    );
}

#[test]
fn bad_input_is_refused_with_a_message_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["deploy", "--env", "NOEQUALS", "--state-dir", state],
            "--env expects KEY=VALUE",
        ),
        (
            &[
                "deploy",
                "--release",
                "../escape",
                "--state-dir",
                state,
                "--base-port",
                "29990",
            ],
            "release name",
        ),
        (&["status", "--state-dir", state], "no local deployment"),
        (&["restore", "--state-dir", state], "no local deployment"),
        (&["deploy", "--target", "moon"], "invalid value 'moon'"),
        (
            &["loadgen", "http://127.0.0.1:9", "--rate", "0"],
            "rate must be",
        ),
        (
            &["loadgen", "http://127.0.0.1:9", "-H", "no-colon"],
            "--header expects",
        ),
        (
            &["floor-server", "--body", "/nonexistent/body.bin"],
            "Failed to read the body file",
        ),
        (
            &["floor-server", "--body", "Cargo.toml", "-H", "no-colon"],
            "--header expects",
        ),
    ];
    for (args, message) in cases {
        let out = ops_in(&root(), args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(text(&out).contains(message), "{args:?}: {}", text(&out));
    }
}

/// A tiny HTTP/1.1 server on loopback that answers 200 to everything and counts requests per
/// method (keep-alive, bodyless requests only).
fn counting_server() -> (
    u16,
    std::sync::Arc<std::sync::Mutex<BTreeMap<String, usize>>>,
) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let counts = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let counts = counts.clone();
            std::thread::spawn(move || {
                let mut out = stream.try_clone().unwrap();
                let mut lines = BufReader::new(stream);
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let method = line.split(' ').next().unwrap_or_default().to_string();
                    // Headers up to the blank line.
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    *counts.lock().unwrap().entry(method).or_insert(0) += 1;
                    if out
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (port, seen)
}

#[test]
fn loadgen_sends_the_requested_method_at_the_requested_rate_and_reports_json() {
    // (method flag, method on the wire)
    for (flag, wire) in [("get", "GET"), ("post", "POST")] {
        let (port, seen) = counting_server();
        let url = format!("http://127.0.0.1:{port}/x");
        let out = ops_in(
            &root(),
            &[
                "loadgen",
                &url,
                "--rate",
                "200",
                "--seconds",
                "0.5",
                "--method",
                flag,
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
        assert_eq!(report["sent"], 100, "{report}");
        assert_eq!(report["errors"], 0, "{report}");
        assert_eq!(report["method"], wire);
        assert!(report["p99_ms"].as_f64().unwrap() >= report["p50_ms"].as_f64().unwrap());
        assert_eq!(seen.lock().unwrap().get(wire), Some(&100), "{flag}");
        assert_eq!(seen.lock().unwrap().len(), 1, "only {wire} was sent");
    }
}

/// Reads one HTTP response (head and a `content-length` body) from `r`.
fn read_response(r: &mut impl std::io::BufRead) -> (String, Vec<u8>) {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        assert!(
            r.read_line(&mut line).unwrap() > 0,
            "connection closed early"
        );
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |v| v.trim().parse().unwrap());
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    (head, body)
}

#[test]
fn the_floor_server_answers_every_request_on_a_connection_with_the_fixed_body() {
    use std::io::{BufRead, BufReader, Write};
    let dir = tempfile::tempdir().unwrap();
    let body_file = dir.path().join("body.bin");
    let body: Vec<u8> = (0..6000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&body_file, &body).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ops"))
        .args(["floor-server", "--body", body_file.to_str().unwrap()])
        .args(["-H", "content-encoding: gzip", "--threads", "1"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first.trim().rsplit(' ').next().unwrap().to_string();
    let stream = std::net::TcpStream::connect(&addr).unwrap();
    let mut out = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    // Three requests on one connection, the last two pipelined in one write.
    out.write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (head, got) = read_response(&mut r);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("content-encoding: gzip\r\n"), "{head}");
    assert_eq!(got, body);
    out.write_all(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    for _ in 0..2 {
        assert_eq!(read_response(&mut r).1, body);
    }
    // A request with a body is refused, and the connection closed.
    out.write_all(b"POST /d HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        .unwrap();
    let (head, _) = read_response(&mut r);
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut r, &mut rest).unwrap();
    assert!(rest.is_empty());
    child.kill().unwrap();
    child.wait().unwrap();
}
