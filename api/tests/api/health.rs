use crate::helpers::spawn_app;

#[tokio::test]
async fn health_reports_each_dependency_up() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    for c in ["graph", "cache", "model"] {
        assert_eq!(body["components"][c]["status"], "up", "{c}: {body}");
    }
    assert_eq!(body["components"]["graph"]["backend"], "embedded");
    assert!(body["components"]["model"]["detail"]
        .as_str()
        .unwrap()
        .starts_with("801 final games"));
}

#[tokio::test]
async fn metrics_expose_request_prediction_and_cache_series() {
    let app = spawn_app().await;
    app.post_empty("/api/v1/games/NE_HOU_2017_W3/predictions")
        .await;
    app.get("/api/v1/games/NE_HOU_2017_W3/predictions").await;
    app.get("/api/v1/games/NE_HOU_2017_W3/predictions").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.contains("nflp_prediction_requests_total 1"), "{text}");
    assert!(text.contains("nflp_prediction_latency_seconds_bucket"));
    assert!(text.contains("nflp_cache_hits_total 1"));
    assert!(text.contains("nflp_cache_misses_total 1"));
    assert!(text.contains(r#"nflp_http_requests_total{method="GET",route="/api/v1/games/{id}/predictions",status="200"} 2"#), "{text}");
    assert!(text.contains("nflp_http_request_duration_seconds_bucket"));
}

/// A metric's value from the Prometheus text exposition.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[tokio::test]
async fn metrics_expose_dependency_health_and_walk_forward_model_quality() {
    let app = spawn_app().await;
    let text = app.get("/metrics").await.text().await.unwrap();
    for dep in ["graph", "series", "cache"] {
        let v = sample(
            &text,
            &format!(r#"nflp_dependency_up{{dependency="{dep}"}}"#),
        );
        assert_eq!(v, Some(1.0), "{dep}: {text}");
    }
    // Seasons 2017-2018 of the fixture, scored walk-forward: real, plausible, not constant.
    let ece = sample(&text, "nflp_model_consensus_ece").expect("ece exported");
    let brier = sample(&text, "nflp_model_consensus_brier").expect("brier exported");
    assert!(ece > 0.0 && ece < 0.2, "ece {ece}");
    assert!(brier > 0.15 && brier < 0.30, "brier {brier}");
    let experts: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with("nflp_model_expert_brier{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect();
    assert_eq!(experts.len(), 16, "no game has lines: no market; {text}");
    // The learned league home advantage, as the experts use it: a few points, known to ±1-2.
    let hfa = |v: &str| {
        sample(&text, &format!("nflp_model_home_advantage_{v}_points"))
            .unwrap_or_else(|| panic!("{v}: {text}"))
    };
    assert!((0.5..6.0).contains(&hfa("estimate")), "{text}");
    assert!(hfa("sd") > 0.0 && hfa("sd") < 3.0, "{text}");
    assert_eq!(
        hfa("used"),
        hfa("estimate"),
        "the shipped model uses what it learned"
    );
    assert!(experts.iter().any(|b| (b - experts[0]).abs() > 1e-9));
}

#[tokio::test]
async fn openapi_document_and_swagger_ui_are_served() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    for path in [
        "/api/v1/experts",
        "/api/v1/experts/{id}/predictions",
        "/api/v1/teams/{id}",
        "/api/v1/games",
        "/api/v1/games/{id}/predictions",
        "/api/v1/predictions/{id}/provenance",
        "/health",
        "/metrics",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let html = app.get("/docs").await.text().await.unwrap();
    assert!(html.contains("swagger-ui-bundle.js"));
    let js = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(js.status(), 200);
    assert!(js.bytes().await.unwrap().len() > 100_000);
}

#[tokio::test]
async fn with_a_metrics_address_metrics_leave_the_public_port_for_the_internal_one() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::helpers::spawn_app_with(
        dir.path(),
        &crate::helpers::small_games_file().display().to_string(),
        |s| s.metrics_bind_addr = Some("127.0.0.1:0".into()),
    )
    .await;
    let public = app.get("/metrics").await;
    assert_eq!(public.status(), 404, "not on the public port");
    let port = app.metrics_port.expect("an internal metrics listener");
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("nflp_model_history_games 801"), "{text}");
    // Only metrics there: the API is not reachable through the internal port.
    let r = reqwest::get(format!("http://127.0.0.1:{port}/api/v1/experts"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// The metrics of the README's Metrics table: (name, whether it needs Redis).
fn documented_metrics() -> Vec<(String, bool)> {
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("\n## Metrics\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the README has a Metrics section");
    section
        .lines()
        .filter(|l| l.starts_with("| `nflp_"))
        .map(|l| {
            let name = l.split('`').nth(1).unwrap().to_string();
            (name, l.contains("with Redis"))
        })
        .collect()
}

#[tokio::test]
async fn metrics_follow_prometheus_conventions_and_match_the_readme_both_ways() {
    let app = spawn_app().await;
    // One request of each kind, so that labelled series exist.
    app.get("/api/v1/experts").await;
    app.post_empty("/api/v1/games/NE_HOU_2017_W3/predictions")
        .await;
    let text = app.get("/metrics").await.text().await.unwrap();
    let served: std::collections::BTreeMap<&str, &str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .collect();
    // Application metrics under one prefix; the rest are the process collector's.
    for name in served.keys() {
        assert!(
            name.starts_with("nflp_") || name.starts_with("process_"),
            "{name} has neither the application prefix nor is a process metric"
        );
    }
    for p in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
    ] {
        assert!(served.contains_key(p), "{p} missing: {text}");
    }
    // Counters end in _total, and a name carries one quantity: no label that says which.
    for (name, kind) in &served {
        if *kind == "counter" {
            assert!(name.ends_with("_total"), "{name}");
        }
    }
    assert!(!text.contains("{value="), "one quantity per name: {text}");
    // build_info: 1, with the version, a commit and the model version this instance serves.
    let info = text
        .lines()
        .find(|l| l.starts_with("nflp_build_info{"))
        .unwrap_or_else(|| panic!("no build_info: {text}"));
    assert!(info.ends_with(" 1"), "{info}");
    let (_, health) = app.get_json("/health").await;
    for part in [
        format!("version=\"{}\"", env!("CARGO_PKG_VERSION")),
        format!(
            "model_version=\"{}\"",
            health["model_version"].as_str().unwrap()
        ),
    ] {
        assert!(info.contains(&part), "{info} lacks {part}");
    }
    assert!(info.contains("commit=\""), "{info}");
    // The README's table, both ways (the Redis-only gauges appear only with Redis).
    let documented = documented_metrics();
    assert!(documented.len() >= 25, "{documented:?}");
    for (name, with_redis) in &documented {
        assert!(
            *with_redis || served.contains_key(name.as_str()),
            "the README lists {name}, /metrics does not serve it"
        );
    }
    for name in served.keys().filter(|n| n.starts_with("nflp_")) {
        assert!(
            documented.iter().any(|(d, _)| d == name),
            "/metrics serves {name}, the README's Metrics table does not list it"
        );
    }
}
