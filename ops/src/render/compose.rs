//! The compose files, built from typed structs: `docker-compose.yml`, the whole production
//! stack (TLS at Nginx, monitoring, `.env` from `.env.example`), and
//! `docker-compose.development.yml`, the laptop's: the API over plain HTTP on port 8000 with
//! its data tier, the development profile and `.env.development`, no certificates. No
//! obsolete `version:` key (the Compose specification ignores it).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::topology::Topology;

#[derive(Serialize)]
struct ComposeFile {
    services: BTreeMap<&'static str, Service>,
    networks: BTreeMap<&'static str, Network>,
    volumes: BTreeMap<&'static str, Volume>,
}

#[derive(Serialize)]
struct Network {
    driver: &'static str,
}

#[derive(Serialize)]
struct Volume {}

#[derive(Serialize)]
struct Build {
    context: &'static str,
    dockerfile: &'static str,
    target: &'static str,
}

#[derive(Serialize)]
struct Healthcheck {
    test: Vec<String>,
    interval: &'static str,
    timeout: &'static str,
    retries: u32,
    start_period: &'static str,
}

#[derive(Serialize)]
struct DependsOn {
    condition: &'static str,
}

#[derive(Serialize)]
struct Limits {
    cpus: &'static str,
    memory: &'static str,
}

#[derive(Serialize)]
struct ResourceSpec {
    limits: Limits,
}

#[derive(Serialize)]
struct Deploy {
    resources: ResourceSpec,
}

#[derive(Serialize)]
struct Service {
    image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    build: Option<Build>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    command: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    env_file: Vec<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    environment: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ports: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    volumes: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    depends_on: BTreeMap<&'static str, DependsOn>,
    healthcheck: Healthcheck,
    restart: &'static str,
    deploy: Deploy,
    networks: Vec<&'static str>,
}

/// A required variable from the env file: compose refuses to start without it.
fn secret(name: &str) -> String {
    format!("${{{name}:?set {name} in .env}}")
}

fn check(cmd: &str) -> Healthcheck {
    Healthcheck {
        test: vec!["CMD-SHELL".into(), cmd.into()],
        interval: "15s",
        timeout: "5s",
        retries: 5,
        start_period: "30s",
    }
}

fn http_check(url: &str) -> Healthcheck {
    check(&format!("wget -q -O /dev/null {url} || exit 1"))
}

fn service(
    image: &str,
    healthcheck: Healthcheck,
    cpus: &'static str,
    memory: &'static str,
) -> Service {
    Service {
        image: image.to_string(),
        build: None,
        command: Vec::new(),
        env_file: Vec::new(),
        environment: BTreeMap::new(),
        ports: Vec::new(),
        volumes: Vec::new(),
        depends_on: BTreeMap::new(),
        healthcheck,
        restart: "unless-stopped",
        deploy: Deploy {
            resources: ResourceSpec {
                limits: Limits { cpus, memory },
            },
        },
        networks: vec!["backend"],
    }
}

fn healthy(names: &[&'static str]) -> BTreeMap<&'static str, DependsOn> {
    names
        .iter()
        .map(|n| {
            (
                *n,
                DependsOn {
                    condition: "service_healthy",
                },
            )
        })
        .collect()
}

pub fn compose(t: &Topology) -> crate::Result<String> {
    // Every service of the stack, by name.
    let services: BTreeMap<&str, Service> = [
        ("api", api_service(t)),
        ("nginx", nginx_service(t)),
        ("redis", redis_service(t)),
        ("neo4j", neo4j_service(t)),
        ("timescaledb", timescaledb_service(t)),
        ("prometheus", prometheus_service(t)),
        ("alertmanager", alertmanager_service(t)),
        ("grafana", grafana_service(t)),
        ("node-exporter", node_exporter_service(t)),
        ("redis-exporter", redis_exporter_service(t)),
        ("postgres-exporter", postgres_exporter_service(t)),
    ]
    .into_iter()
    .collect();
    let file = ComposeFile {
        services,
        networks: BTreeMap::from([("backend", Network { driver: "bridge" })]),
        volumes: [
            "alertmanager-data",
            "api-data",
            "grafana-data",
            "neo4j-backups",
            "neo4j-data",
            "pg-data",
            "prometheus-data",
            "redis-data",
        ]
        .into_iter()
        .map(|v| (v, Volume {}))
        .collect(),
    };
    let body = serde_norway::to_string(&file)?;
    Ok(format!(
        "---\n# Rendered by `cargo run -p ops -- render` from the typed topology; do not edit by hand.\n\
         # The whole production stack: cp .env.example .env, set real secrets, then\n\
         #   cargo run -p ops -- deploy --target compose\n{body}"
    ))
}

/// The laptop's stack: the API in the development profile, straight on port 8000 over plain
/// HTTP (no Nginx, no certificates), on the production data tier (Neo4j, PostgreSQL, Redis).
pub fn compose_development(t: &Topology) -> crate::Result<String> {
    let mut api = api_service(t);
    api.env_file = vec![".env.development"];
    api.environment.insert("APP_PROFILE", "development".into());
    // /metrics stays on the main port in development.
    api.environment.remove("METRICS_BIND_ADDR");
    api.environment.remove("SHUTDOWN_DRAIN_SECONDS");
    api.ports = vec![format!("{0}:{0}", t.api.port)];
    // The data tier as in production; its secrets come from `--env-file .env.development`.
    let (redis, neo4j, pg) = (redis_service(t), neo4j_service(t), timescaledb_service(t));
    let file = ComposeFile {
        services: BTreeMap::from([
            ("api", api),
            ("redis", redis),
            ("neo4j", neo4j),
            ("timescaledb", pg),
        ]),
        networks: BTreeMap::from([("backend", Network { driver: "bridge" })]),
        volumes: [
            "api-data",
            "neo4j-backups",
            "neo4j-data",
            "pg-data",
            "redis-data",
        ]
        .into_iter()
        .map(|v| (v, Volume {}))
        .collect(),
    };
    let body = serde_norway::to_string(&file)?;
    Ok(format!(
        "---\n# Rendered by `cargo run -p ops -- render` from the typed topology; do not edit by hand.\n\
         # The stack on a laptop, over plain HTTP with no certificates:\n\
         #   cp .env.development.example .env.development\n\
         #   docker-compose -f docker-compose.development.yml --env-file .env.development up --build\n\
         # then http://localhost:{}/ (the admin key: docker-compose ... exec api cat {}/admin.key)\n{body}",
        t.api.port, t.api.data_dir
    ))
}

/// The `api` service.
fn api_service(t: &Topology) -> Service {
    let db = t.timescale.database;
    let user = t.timescale.user;
    let mut api = service(
        t.api.image,
        check(&format!(
            "curl -fsS http://127.0.0.1:{}{} || exit 1",
            t.api.port, t.api.ready_path
        )),
        "1.0",
        "2g",
    );
    api.build = Some(Build {
        context: ".",
        dockerfile: "docker/Dockerfile",
        target: "production",
    });
    api.env_file = vec![".env"];
    api.environment = BTreeMap::from([
        ("APP_PROFILE", "production".to_string()),
        ("BIND_ADDR", format!("0.0.0.0:{}", t.api.port)),
        ("SHUTDOWN_DRAIN_SECONDS", t.api.drain_seconds.to_string()),
        (
            "METRICS_BIND_ADDR",
            format!("0.0.0.0:{}", t.api.metrics_port),
        ),
        ("GRAPH_BACKEND", "neo4j".into()),
        ("NEO4J_URI", "neo4j:7687".into()),
        ("NEO4J_USER", "neo4j".into()),
        ("NEO4J_PASSWORD", secret("NEO4J_PASSWORD")),
        (
            "DATABASE_URL",
            format!(
                "postgres://{user}:{}@timescaledb:5432/{db}",
                secret("POSTGRES_PASSWORD")
            ),
        ),
        (
            "REDIS_URL",
            format!("redis://:{}@redis:6379/0", secret("REDIS_PASSWORD")),
        ),
    ]);
    api.volumes = vec![format!("api-data:{}", t.api.data_dir)];
    api.depends_on = healthy(&["neo4j", "redis", "timescaledb"]);
    api
}

/// The `nginx` service.
fn nginx_service(_t: &Topology) -> Service {
    let mut nginx = service(
        "nginx:1.27-alpine",
        http_check("http://127.0.0.1/healthz"),
        "0.5",
        "256m",
    );
    nginx.ports = vec!["80:80".into(), "443:443".into()];
    nginx.volumes = vec![
        "./nginx/nginx.conf:/etc/nginx/nginx.conf:ro".into(),
        "./nginx/certs:/etc/nginx/certs:ro".into(),
    ];
    nginx.depends_on = healthy(&["api"]);
    nginx
}

/// The `redis` service.
fn redis_service(t: &Topology) -> Service {
    let mut redis = service(
        t.redis.image,
        check("redis-cli -a \"$$REDIS_PASSWORD\" --no-auth-warning ping | grep -q PONG"),
        "0.5",
        "768m",
    );
    // The password comes from the container's environment, never from the command line of the file.
    redis.command = vec![
        "sh".into(),
        "-c".into(),
        format!(
            "exec redis-server --requirepass \"$$REDIS_PASSWORD\" --maxmemory {} --maxmemory-policy {} --appendonly yes",
            t.redis.max_memory, t.redis.eviction
        ),
    ];
    redis.environment = BTreeMap::from([("REDIS_PASSWORD", secret("REDIS_PASSWORD"))]);
    redis.volumes = vec!["redis-data:/data".into()];
    redis
}

/// The `neo4j` service.
fn neo4j_service(t: &Topology) -> Service {
    let mut neo4j = service(
        t.neo4j.image,
        http_check("http://127.0.0.1:7474"),
        "2.0",
        "4g",
    );
    let plugins = t
        .neo4j
        .plugins
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(",");
    neo4j.environment = BTreeMap::from([
        ("NEO4J_AUTH", format!("neo4j/{}", secret("NEO4J_PASSWORD"))),
        ("NEO4J_PLUGINS", format!("[{plugins}]")),
        (
            "NEO4J_server_memory_heap_initial__size",
            t.neo4j.heap.into(),
        ),
        ("NEO4J_server_memory_heap_max__size", t.neo4j.heap.into()),
        (
            "NEO4J_server_memory_pagecache_size",
            t.neo4j.page_cache.into(),
        ),
    ]);
    neo4j.volumes = vec!["neo4j-data:/data".into(), "neo4j-backups:/backups".into()];
    neo4j.healthcheck.start_period = "90s";
    neo4j
}

/// The `timescaledb` service.
fn timescaledb_service(t: &Topology) -> Service {
    let db = t.timescale.database;
    let user = t.timescale.user;
    let mut pg = service(
        t.timescale.image,
        check(&format!("pg_isready -U {user} -d {db}")),
        "2.0",
        "2g",
    );
    pg.environment = BTreeMap::from([
        ("POSTGRES_USER", user.to_string()),
        ("POSTGRES_DB", db.to_string()),
        ("POSTGRES_PASSWORD", secret("POSTGRES_PASSWORD")),
    ]);
    pg.volumes = vec!["pg-data:/var/lib/postgresql/data".into()];
    pg
}

/// The `prometheus` service.
fn prometheus_service(t: &Topology) -> Service {
    let m = &t.monitoring;
    let mut prometheus = service(
        m.prometheus_image,
        http_check("http://127.0.0.1:9090/-/healthy"),
        "1.0",
        "1g",
    );
    prometheus.command = vec![
        "--config.file=/etc/prometheus/prometheus.yml".into(),
        "--storage.tsdb.path=/prometheus".into(),
        format!("--storage.tsdb.retention.time={}", m.retention),
        "--web.enable-lifecycle".into(),
    ];
    prometheus.volumes = vec![
        "./monitoring/prometheus:/etc/prometheus:ro".into(),
        "prometheus-data:/prometheus".into(),
    ];
    prometheus.ports = vec!["127.0.0.1:9090:9090".into()];
    prometheus.depends_on = healthy(&["api"]);
    prometheus
}

/// The `alertmanager` service.
fn alertmanager_service(t: &Topology) -> Service {
    let m = &t.monitoring;
    let mut am = service(
        m.alertmanager_image,
        http_check("http://127.0.0.1:9093/-/healthy"),
        "0.25",
        "256m",
    );
    am.command = vec![
        "--config.file=/etc/alertmanager/alertmanager.yml".into(),
        "--storage.path=/alertmanager".into(),
    ];
    am.volumes = vec![
        "./monitoring/alertmanager:/etc/alertmanager:ro".into(),
        "alertmanager-data:/alertmanager".into(),
    ];
    am
}

/// The `grafana` service.
fn grafana_service(t: &Topology) -> Service {
    let m = &t.monitoring;
    let mut grafana = service(
        m.grafana_image,
        http_check("http://127.0.0.1:3000/api/health"),
        "0.5",
        "512m",
    );
    grafana.environment = BTreeMap::from([
        ("GF_SECURITY_ADMIN_USER", "admin".to_string()),
        (
            "GF_SECURITY_ADMIN_PASSWORD",
            secret("GRAFANA_ADMIN_PASSWORD"),
        ),
        ("GF_USERS_ALLOW_SIGN_UP", "false".into()),
    ]);
    grafana.volumes = vec![
        "./monitoring/grafana/provisioning:/etc/grafana/provisioning:ro".into(),
        "./monitoring/grafana/dashboards:/var/lib/grafana/dashboards:ro".into(),
        "grafana-data:/var/lib/grafana".into(),
    ];
    grafana.ports = vec!["127.0.0.1:3000:3000".into()];
    grafana.depends_on = healthy(&["prometheus"]);
    grafana
}

/// The `node-exporter` service.
fn node_exporter_service(t: &Topology) -> Service {
    let m = &t.monitoring;
    let mut node = service(
        m.node_exporter_image,
        http_check("http://127.0.0.1:9100/metrics"),
        "0.25",
        "128m",
    );
    node.command = vec!["--path.rootfs=/host".into()];
    node.volumes = vec!["/:/host:ro,rslave".into()];
    node
}

/// The `redis-exporter` service.
fn redis_exporter_service(t: &Topology) -> Service {
    let m = &t.monitoring;
    let mut rx = service(
        m.redis_exporter_image,
        http_check("http://127.0.0.1:9121/metrics"),
        "0.25",
        "128m",
    );
    rx.environment = BTreeMap::from([
        ("REDIS_ADDR", "redis://redis:6379".to_string()),
        ("REDIS_PASSWORD", secret("REDIS_PASSWORD")),
    ]);
    rx.depends_on = healthy(&["redis"]);
    rx
}

/// The `postgres-exporter` service.
fn postgres_exporter_service(t: &Topology) -> Service {
    let m = &t.monitoring;
    let db = t.timescale.database;
    let user = t.timescale.user;
    let mut px = service(
        m.postgres_exporter_image,
        http_check("http://127.0.0.1:9187/metrics"),
        "0.25",
        "128m",
    );
    px.environment = BTreeMap::from([(
        "DATA_SOURCE_NAME",
        format!(
            "postgresql://{user}:{}@timescaledb:5432/{db}?sslmode=disable",
            secret("POSTGRES_PASSWORD")
        ),
    )]);
    px.depends_on = healthy(&["timescaledb"]);
    px
}

/// The env-file templates (never the real `.env`): production and development.
pub fn env_example(production: bool) -> String {
    let (profile, cors, base) = if production {
        (
            "production",
            "https://nfl.example.com",
            "https://nfl.example.com",
        )
    } else {
        (
            "development",
            "http://localhost:8000",
            "http://localhost:8000",
        )
    };
    format!(
        "# Rendered by `cargo run -p ops -- render`. Copy to .env (never committed) and set real values.\n\
         # {profile} template: every secret below is required; compose refuses to start without it.\n\
         NEO4J_PASSWORD=change-me-neo4j\n\
         POSTGRES_PASSWORD=change-me-postgres\n\
         REDIS_PASSWORD=change-me-redis\n\
         GRAFANA_ADMIN_PASSWORD=change-me-grafana\n\
         API_SECRET=change-me-at-least-16-characters\n\
         PUBLIC_BASE_URL={base}\n\
         CORS_ORIGINS={cors}\n\
         LOG_FORMAT={}\n",
        if production { "json" } else { "pretty" }
    )
}
