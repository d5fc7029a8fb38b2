//! Prometheus (scrape config and alert rules), Alertmanager routes, Grafana provisioning and
//! dashboards. Every query uses the metric names the API and the exporters really export;
//! `ops validate --prometheus URL` checks that against a live Prometheus.

use serde_json::{json, Value};

use crate::render::Artifact;
use crate::topology::{Placement, Topology};

const HEADER: &str =
    "# Rendered by `cargo run -p ops -- render` from the typed topology; do not edit by hand.\n";

fn yaml(value: &Value) -> crate::Result<String> {
    Ok(format!("---\n{HEADER}{}", serde_norway::to_string(value)?))
}

/// `prometheus.yml`. `scrape_interval` overrides the topology's (the local target scrapes
/// faster so that its tests do not wait).
pub fn prometheus_config(
    t: &Topology,
    placement: &Placement,
    api_ports: Option<&[u16]>,
    scrape_interval: Option<&str>,
) -> crate::Result<String> {
    let jobs: Vec<Value> = placement
        .scrape_jobs(t, api_ports)
        .into_iter()
        .map(|j| {
            json!({
                "job_name": j.name,
                "metrics_path": j.metrics_path,
                "static_configs": [{ "targets": j.targets }],
            })
        })
        .collect();
    yaml(&json!({
        "global": {
            "scrape_interval": scrape_interval.unwrap_or(t.monitoring.scrape_interval),
            "evaluation_interval": scrape_interval.unwrap_or(t.monitoring.scrape_interval),
            "external_labels": { "stack": t.name },
        },
        "rule_files": ["alerts.yml"],
        "alerting": {
            "alertmanagers": [{ "static_configs": [{ "targets": [placement.alertmanager()] }] }],
        },
        "scrape_configs": jobs,
    }))
}

/// One alert rule.
struct Rule {
    alert: &'static str,
    expr: String,
    for_: &'static str,
    severity: &'static str,
    summary: &'static str,
}

fn rules(t: &Topology) -> Vec<Rule> {
    let a = &t.alerts;
    vec![
        Rule {
            alert: "ApiHighLatencyP95",
            expr: format!(
                "histogram_quantile(0.95, sum by (le) (rate(nflp_http_request_duration_seconds_bucket[5m]))) > {}",
                a.p95_latency_seconds
            ),
            for_: "5m",
            severity: "warning",
            summary: "API p95 latency above the threshold for 5 minutes",
        },
        Rule {
            alert: "ApiHighErrorRate",
            expr: format!(
                "sum(rate(nflp_http_requests_total{{status=~\"5..\"}}[5m])) / sum(rate(nflp_http_requests_total[5m])) > {}",
                a.error_rate
            ),
            for_: "5m",
            severity: "critical",
            summary: "More than the allowed share of API requests fail with 5xx",
        },
        Rule {
            alert: "ModelCalibrationDrift",
            expr: format!("nflp_model_consensus_ece > {}", a.calibration_ece),
            for_: "30m",
            severity: "warning",
            summary: "The consensus' expected calibration error over the last seasons is too high",
        },
        Rule {
            alert: "DependencyDown",
            expr: "nflp_dependency_up == 0".into(),
            for_: "2m",
            severity: "critical",
            summary: "The API cannot reach one of its dependencies",
        },
        Rule {
            alert: "CacheNearTierOff",
            expr: "nflp_cache_near_tier_up == 0".into(),
            for_: "5m",
            severity: "warning",
            summary: "The API's in-process cache tier is off (its Redis invalidation subscription is down): every cached read goes to Redis",
        },
        Rule {
            alert: "IngestStale",
            // Only where a feed is configured (its runs are counted); max over the fleet: the
            // instance that ran the last slot holds the time.
            expr: "(time() - max(nflp_ingest_last_success_timestamp_seconds)) > 7200 and on() sum(nflp_ingest_runs_total) > 0".into(),
            for_: "5m",
            severity: "warning",
            summary: "No schedule feed run has succeeded for 2 hours: games and results are going stale",
        },
        Rule {
            alert: "ScrapeTargetDown",
            expr: "up == 0".into(),
            for_: "2m",
            severity: "critical",
            summary: "Prometheus cannot scrape a target",
        },
        Rule {
            alert: "RedisDown",
            expr: "redis_up == 0".into(),
            for_: "2m",
            severity: "critical",
            summary: "The Redis exporter cannot reach Redis",
        },
        Rule {
            alert: "PostgresDown",
            expr: "pg_up == 0".into(),
            for_: "2m",
            severity: "critical",
            summary: "The PostgreSQL exporter cannot reach PostgreSQL",
        },
        Rule {
            alert: "DiskSpaceLow",
            expr: format!(
                "node_filesystem_avail_bytes{{fstype!~\"tmpfs|overlay|squashfs\"}} / node_filesystem_size_bytes{{fstype!~\"tmpfs|overlay|squashfs\"}} < {}",
                a.disk_free_ratio
            ),
            for_: "10m",
            severity: "warning",
            summary: "A filesystem is almost full",
        },
        Rule {
            alert: "MemoryHigh",
            expr: format!(
                "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes > {}",
                a.memory_used_ratio
            ),
            for_: "10m",
            severity: "warning",
            summary: "Host memory almost exhausted",
        },
    ]
}

/// Recording rules: the series the dashboards and people ask for most, computed once per
/// evaluation (`level:metric:operations`, Prometheus's naming).
const RECORDING: [(&str, &str); 4] = [
    (
        "nflp:http_requests:rate5m",
        "sum by (route, status) (rate(nflp_http_requests_total[5m]))",
    ),
    (
        "nflp:http_errors:ratio_rate5m",
        "sum(rate(nflp_http_requests_total{status=~\"5..\"}[5m])) / sum(rate(nflp_http_requests_total[5m]))",
    ),
    (
        "nflp:http_request_duration_seconds:p95_5m",
        "histogram_quantile(0.95, sum by (le) (rate(nflp_http_request_duration_seconds_bucket[5m])))",
    ),
    (
        "nflp:prediction_latency_seconds:p95_5m",
        "histogram_quantile(0.95, sum by (le, path) (rate(nflp_prediction_latency_seconds_bucket[5m])))",
    ),
];

/// Unit tests of the rules for `promtool test rules` (run by `ops validate`): each alert fires
/// on the series that should fire it, after its `for`, and not before; each recording rule
/// gives the value worked out by hand.
pub fn rule_tests(t: &Topology) -> String {
    let a = &t.alerts;
    // Two requests a second, a quarter of them 5xx (a ratio exact in binary, above the
    // threshold).
    let (failing, ok, ratio) = (30, 90, 0.25);
    assert!(
        ratio > a.error_rate,
        "the test's error ratio must exceed the threshold"
    );
    format!(
        r#"---
# Rendered by `cargo run -p ops -- render`; run by `ops validate` (promtool test rules).
rule_files:
  - alerts.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'nflp_http_requests_total{{route="/api/v1/experts",status="500",instance="api-1",job="api"}}'
        values: '0+{failing}x30'
      - series: 'nflp_http_requests_total{{route="/api/v1/experts",status="200",instance="api-1",job="api"}}'
        values: '0+{ok}x30'
      - series: 'nflp_dependency_up{{dependency="series",instance="api-1",job="api"}}'
        values: '1 1 0 0 0 0 0 0 0 0'
      - series: 'nflp_model_consensus_ece{{instance="api-1",job="api"}}'
        values: '{ece_bad}x60'
    promql_expr_test:
      - expr: nflp:http_errors:ratio_rate5m
        eval_time: 10m
        exp_samples:
          - labels: 'nflp:http_errors:ratio_rate5m'
            value: {ratio}
    alert_rule_test:
      - eval_time: 3m
        alertname: DependencyDown
        exp_alerts: []
      - eval_time: 5m
        alertname: DependencyDown
        exp_alerts:
          - exp_labels: {{severity: critical, dependency: series, instance: api-1, job: api}}
            exp_annotations:
              summary: "The API cannot reach one of its dependencies"
              description: "api-1 api: value 0"
      - eval_time: 3m
        alertname: ApiHighErrorRate
        exp_alerts: []
      - eval_time: 15m
        alertname: ApiHighErrorRate
        exp_alerts:
          - exp_labels: {{severity: critical}}
            exp_annotations:
              summary: "More than the allowed share of API requests fail with 5xx"
              description: " : value {ratio}"
      - eval_time: 20m
        alertname: ModelCalibrationDrift
        exp_alerts: []
      - eval_time: 45m
        alertname: ModelCalibrationDrift
        exp_alerts:
          - exp_labels: {{severity: warning, instance: api-1, job: api}}
            exp_annotations:
              summary: "The consensus' expected calibration error over the last seasons is too high"
              description: "api-1 api: value {ece_bad}"
  - interval: 1m
    input_series:
      - series: 'nflp_ingest_last_success_timestamp_seconds{{instance="api-1",job="api"}}'
        values: '0x240'
      - series: 'nflp_ingest_runs_total{{outcome="ok",instance="api-1",job="api"}}'
        values: '1x240'
    alert_rule_test:
      - eval_time: 1h
        alertname: IngestStale
        exp_alerts: []
      - eval_time: 3h
        alertname: IngestStale
        exp_alerts:
          - exp_labels: {{severity: warning}}
            exp_annotations:
              summary: "No schedule feed run has succeeded for 2 hours: games and results are going stale"
              description: " : value 10800"
"#,
        ece_bad = a.calibration_ece * 2.0,
    )
}

pub fn alert_rules(t: &Topology) -> crate::Result<String> {
    let rules: Vec<Value> = rules(t)
        .into_iter()
        .map(|r| {
            json!({
                "alert": r.alert,
                "expr": r.expr,
                "for": r.for_,
                "labels": { "severity": r.severity },
                "annotations": {
                    "summary": r.summary,
                    "description": "{{ $labels.instance }} {{ $labels.job }}: value {{ $value }}",
                },
            })
        })
        .collect();
    let recording: Vec<Value> = RECORDING
        .iter()
        .map(|(record, expr)| json!({ "record": record, "expr": expr }))
        .collect();
    yaml(&json!({ "groups": [
        { "name": "nfl-predictor-recording", "rules": recording },
        { "name": "nfl-predictor", "rules": rules },
    ] }))
}

pub fn alertmanager_config() -> crate::Result<String> {
    yaml(&json!({
        "route": {
            "receiver": "team",
            "group_by": ["alertname", "job"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                { "receiver": "oncall", "matchers": ["severity=\"critical\""], "repeat_interval": "1h" },
            ],
        },
        "inhibit_rules": [{
            "source_matchers": ["severity=\"critical\""],
            "target_matchers": ["severity=\"warning\""],
            "equal": ["alertname", "job"],
        }],
        "receivers": [
            { "name": "team", "webhook_configs": [{ "url": "https://hooks.example.com/nfl-predictor/team", "send_resolved": true }] },
            { "name": "oncall", "webhook_configs": [{ "url": "https://hooks.example.com/nfl-predictor/oncall", "send_resolved": true }] },
        ],
    }))
}

pub fn grafana_datasource() -> crate::Result<String> {
    yaml(&json!({
        "apiVersion": 1,
        "datasources": [{
            "name": "Prometheus",
            "uid": "prometheus",
            "type": "prometheus",
            "access": "proxy",
            "url": "http://prometheus:9090",
            "isDefault": true,
            "editable": false,
        }],
    }))
}

pub fn grafana_dashboard_provider() -> crate::Result<String> {
    yaml(&json!({
        "apiVersion": 1,
        "providers": [{
            "name": "nfl-predictor",
            "folder": "nfl-predictor",
            "type": "file",
            "disableDeletion": true,
            "allowUiUpdates": false,
            "options": { "path": "/var/lib/grafana/dashboards" },
        }],
    }))
}

/// A panel: title, unit and its queries (PromQL, legend).
struct Panel(
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

fn dashboards() -> Vec<(&'static str, &'static str, Vec<Panel>)> {
    vec![
        (
            "api",
            "nfl-predictor: API",
            vec![
                Panel("Requests per second by route", "reqps", &[("sum by (route) (rate(nflp_http_requests_total[5m]))", "{{route}}")]),
                Panel("5xx error ratio", "percentunit", &[("sum(rate(nflp_http_requests_total{status=~\"5..\"}[5m])) / clamp_min(sum(rate(nflp_http_requests_total[5m])), 1e-9)", "5xx")]),
                Panel("4xx by status", "reqps", &[("sum by (status) (rate(nflp_http_requests_total{status=~\"4..\"}[5m]))", "{{status}}")]),
                Panel("Latency p50 / p95 / p99", "s", &[
                    ("histogram_quantile(0.5, sum by (le) (rate(nflp_http_request_duration_seconds_bucket[5m])))", "p50"),
                    ("histogram_quantile(0.95, sum by (le) (rate(nflp_http_request_duration_seconds_bucket[5m])))", "p95"),
                    ("histogram_quantile(0.99, sum by (le) (rate(nflp_http_request_duration_seconds_bucket[5m])))", "p99"),
                ]),
                Panel("Response cache hit ratio", "percentunit", &[("sum(rate(nflp_cache_hits_total[5m])) / clamp_min(sum(rate(nflp_cache_hits_total[5m])) + sum(rate(nflp_cache_misses_total[5m])), 1e-9)", "hit ratio")]),
                Panel("API instances up", "short", &[("sum(up{job=\"api\"})", "up")]),
            ],
        ),
        (
            "model",
            "nfl-predictor: predictions and model quality",
            vec![
                Panel("Prediction requests per second", "reqps", &[("rate(nflp_prediction_requests_total[5m])", "predictions")]),
                Panel("Prediction latency p95 by path", "s", &[("histogram_quantile(0.95, sum by (le, path) (rate(nflp_prediction_latency_seconds_bucket[5m])))", "{{path}}")]),
                Panel("Consensus calibration error (ECE, last seasons)", "short", &[("nflp_model_consensus_ece", "ECE")]),
                Panel("Consensus Brier score (last seasons)", "short", &[("nflp_model_consensus_brier", "consensus")]),
                Panel("Brier score by expert (last seasons)", "short", &[("nflp_model_expert_brier", "{{expert}}")]),
                Panel("Final games in the model", "short", &[("nflp_model_history_games", "games")]),
                Panel("League home advantage (points)", "short", &[("nflp_model_home_advantage_estimate_points", "learned"), ("nflp_model_home_advantage_used_points", "used by the experts")]),
            ],
        ),
        (
            "databases",
            "nfl-predictor: databases and cache",
            vec![
                Panel("API dependencies up", "short", &[("nflp_dependency_up", "{{dependency}}")]),
                Panel("Redis up and clients", "short", &[("redis_up", "up"), ("redis_connected_clients", "clients")]),
                Panel("Redis memory", "bytes", &[("redis_memory_used_bytes", "used")]),
                Panel("Redis commands per second", "ops", &[("rate(redis_commands_processed_total[5m])", "commands")]),
                Panel("PostgreSQL up and connections", "short", &[("pg_up", "up"), ("sum(pg_stat_database_numbackends)", "connections")]),
                Panel("PostgreSQL commits per second", "ops", &[("sum(rate(pg_stat_database_xact_commit[5m]))", "commits")]),
            ],
        ),
        (
            "host",
            "nfl-predictor: host",
            vec![
                Panel("CPU busy", "percentunit", &[("1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))", "busy")]),
                Panel("Memory used", "percentunit", &[("1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", "used")]),
                Panel("Disk free", "percentunit", &[("min by (mountpoint) (node_filesystem_avail_bytes{fstype!~\"tmpfs|overlay|squashfs\"} / node_filesystem_size_bytes{fstype!~\"tmpfs|overlay|squashfs\"})", "{{mountpoint}}")]),
                Panel("Network", "Bps", &[
                    ("sum(rate(node_network_receive_bytes_total[5m]))", "in"),
                    ("sum(rate(node_network_transmit_bytes_total[5m]))", "out"),
                ]),
            ],
        ),
    ]
}

pub fn grafana_dashboards() -> crate::Result<Vec<Artifact>> {
    let mut out = Vec::new();
    for (uid, title, panels) in dashboards() {
        let panels: Vec<Value> = panels
            .iter()
            .enumerate()
            .map(|(i, Panel(title, unit, queries))| {
                let targets: Vec<Value> = queries
                    .iter()
                    .enumerate()
                    .map(|(j, (expr, legend))| {
                        json!({
                            "refId": char::from(b'A' + j as u8).to_string(),
                            "datasource": { "type": "prometheus", "uid": "prometheus" },
                            "expr": expr,
                            "legendFormat": legend,
                        })
                    })
                    .collect();
                json!({
                    "id": i + 1,
                    "type": "timeseries",
                    "title": title,
                    "datasource": { "type": "prometheus", "uid": "prometheus" },
                    "gridPos": { "h": 8, "w": 12, "x": (i % 2) * 12, "y": (i / 2) * 8 },
                    "fieldConfig": { "defaults": { "unit": unit }, "overrides": [] },
                    "targets": targets,
                })
            })
            .collect();
        let dashboard = json!({
            "uid": format!("nflp-{uid}"),
            "title": title,
            "tags": ["nfl-predictor"],
            "timezone": "utc",
            "schemaVersion": 39,
            "version": 1,
            "refresh": "30s",
            "time": { "from": "now-6h", "to": "now" },
            "panels": panels,
        });
        out.push(Artifact::new(
            format!("monitoring/grafana/dashboards/{uid}.json"),
            format!("{}\n", serde_json::to_string_pretty(&dashboard)?),
        ));
    }
    Ok(out)
}
