//! The one typed description of the production topology. Every artifact `ops render` writes
//! (Dockerfile, compose file, Nginx, Kubernetes, Prometheus, Alertmanager, Grafana) and every
//! process `ops deploy --target local` starts is derived from a [`Topology`].

use serde::Serialize;

/// Compute and memory for one container.
#[derive(Clone, Debug, Serialize)]
pub struct Resources {
    pub cpu_request: &'static str,
    pub cpu_limit: &'static str,
    pub memory_request: &'static str,
    pub memory_limit: &'static str,
}

/// Horizontal autoscaling of the API.
#[derive(Clone, Debug, Serialize)]
pub struct Autoscaling {
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub cpu_utilization: i32,
    pub memory_utilization: i32,
    /// At most this many pods added per minute when scaling up.
    pub scale_up_pods_per_minute: i32,
    /// At most this share of pods removed per minute when scaling down.
    pub scale_down_percent_per_minute: i32,
    pub scale_down_stabilization_seconds: i32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Api {
    pub image: &'static str,
    pub port: u16,
    pub replicas: i32,
    pub resources: Resources,
    pub autoscaling: Autoscaling,
    /// The detailed report of every dependency (503 when a required one is down): for people
    /// and dashboards, never a probe's target.
    pub health_path: &'static str,
    /// Liveness: the process serves (nothing else checked).
    pub live_path: &'static str,
    /// Readiness: replayed and not draining; a store outage does not fail it.
    pub ready_path: &'static str,
    /// On SIGTERM, seconds `/readyz` answers 503 before the server stops taking connections
    /// (SHUTDOWN_DRAIN_SECONDS).
    pub drain_seconds: u32,
    pub metrics_path: &'static str,
    /// The internal listener `/metrics` moves to in production (METRICS_BIND_ADDR).
    pub metrics_port: u16,
    /// Non-root user id of the production image.
    pub uid: i64,
    pub data_dir: &'static str,
}

/// Nginx limits, in requests per second per client address (0 switches a limit off).
#[derive(Clone, Debug, Serialize)]
pub struct RateLimits {
    pub api_per_second: u32,
    pub api_burst: u32,
    pub auth_per_second: u32,
    pub auth_burst: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Redis {
    pub image: &'static str,
    pub max_memory: &'static str,
    pub eviction: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct Neo4j {
    pub image: &'static str,
    pub heap: &'static str,
    pub page_cache: &'static str,
    pub plugins: &'static [&'static str],
}

#[derive(Clone, Debug, Serialize)]
pub struct Timescale {
    pub image: &'static str,
    pub database: &'static str,
    pub user: &'static str,
}

/// One store of the data tier on Kubernetes: a StatefulSet of one pod with a volume claim.
#[derive(Clone, Debug, Serialize)]
pub struct Store {
    pub storage: &'static str,
    pub resources: Resources,
    /// Non-root user of its image (the namespace enforces the restricted pod security).
    pub uid: i64,
}

/// Backups as CronJobs, each kept `keep` times on one shared volume.
#[derive(Clone, Debug, Serialize)]
pub struct Backups {
    /// Cron schedules (UTC), staggered so the three never run at once.
    pub postgres_schedule: &'static str,
    pub neo4j_schedule: &'static str,
    pub redis_schedule: &'static str,
    pub keep: u32,
    pub storage: &'static str,
}

/// The data tier on Kubernetes.
#[derive(Clone, Debug, Serialize)]
pub struct DataTier {
    pub neo4j: Store,
    pub timescale: Store,
    pub redis: Store,
    pub backups: Backups,
}

#[derive(Clone, Debug, Serialize)]
pub struct Monitoring {
    pub prometheus_image: &'static str,
    pub alertmanager_image: &'static str,
    pub grafana_image: &'static str,
    pub node_exporter_image: &'static str,
    pub redis_exporter_image: &'static str,
    pub postgres_exporter_image: &'static str,
    pub retention: &'static str,
    pub scrape_interval: &'static str,
}

/// Alert thresholds (the production configuration of the seeds).
#[derive(Clone, Debug, Serialize)]
pub struct Alerts {
    pub p95_latency_seconds: f64,
    pub error_rate: f64,
    pub calibration_ece: f64,
    pub disk_free_ratio: f64,
    pub memory_used_ratio: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Topology {
    pub name: &'static str,
    pub namespace: &'static str,
    pub domain: &'static str,
    pub api: Api,
    pub rate_limits: RateLimits,
    pub redis: Redis,
    pub neo4j: Neo4j,
    pub timescale: Timescale,
    pub monitoring: Monitoring,
    pub alerts: Alerts,
    pub data: DataTier,
    /// Request body limit enforced by Nginx (the API enforces 64 KiB itself).
    pub max_body: &'static str,
}

impl Topology {
    /// The production topology every committed artifact is rendered from.
    pub fn production() -> Self {
        Self {
            name: "nfl-predictor",
            namespace: "nfl-predictor",
            domain: "nfl.example.com",
            api: Api {
                image: "ghcr.io/nfl-predictor/api:0.1.0",
                port: 8000,
                replicas: 3,
                resources: Resources {
                    cpu_request: "500m",
                    cpu_limit: "1000m",
                    memory_request: "1Gi",
                    memory_limit: "2Gi",
                },
                autoscaling: Autoscaling {
                    min_replicas: 2,
                    max_replicas: 10,
                    cpu_utilization: 70,
                    memory_utilization: 80,
                    scale_up_pods_per_minute: 2,
                    scale_down_percent_per_minute: 50,
                    scale_down_stabilization_seconds: 300,
                },
                health_path: "/health",
                live_path: "/livez",
                ready_path: "/readyz",
                drain_seconds: 5,
                metrics_path: "/metrics",
                metrics_port: 9102,
                uid: 10001,
                data_dir: "/var/lib/nflp",
            },
            rate_limits: RateLimits {
                api_per_second: 10,
                api_burst: 20,
                auth_per_second: 5,
                auth_burst: 10,
            },
            redis: Redis {
                image: "redis:7.4-alpine",
                max_memory: "512mb",
                eviction: "allkeys-lru",
            },
            neo4j: Neo4j {
                image: "neo4j:5.26-community",
                heap: "2G",
                page_cache: "1G",
                plugins: &["apoc"],
            },
            timescale: Timescale {
                image: "timescale/timescaledb:2.17.2-pg16",
                database: "nflp",
                user: "nflp",
            },
            monitoring: Monitoring {
                prometheus_image: "prom/prometheus:v2.55.1",
                alertmanager_image: "prom/alertmanager:v0.27.0",
                grafana_image: "grafana/grafana-oss:11.3.0",
                node_exporter_image: "prom/node-exporter:v1.8.2",
                redis_exporter_image: "oliver006/redis_exporter:v1.66.0",
                postgres_exporter_image: "quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
                retention: "30d",
                scrape_interval: "15s",
            },
            alerts: Alerts {
                p95_latency_seconds: 0.2,
                error_rate: 0.05,
                calibration_ece: 0.10,
                disk_free_ratio: 0.10,
                memory_used_ratio: 0.90,
            },
            data: DataTier {
                neo4j: Store {
                    storage: "50Gi",
                    resources: Resources {
                        cpu_request: "1000m",
                        cpu_limit: "2000m",
                        memory_request: "4Gi",
                        memory_limit: "4Gi",
                    },
                    uid: 7474,
                },
                timescale: Store {
                    storage: "50Gi",
                    resources: Resources {
                        cpu_request: "500m",
                        cpu_limit: "2000m",
                        memory_request: "1Gi",
                        memory_limit: "2Gi",
                    },
                    uid: 70,
                },
                redis: Store {
                    storage: "2Gi",
                    resources: Resources {
                        cpu_request: "100m",
                        cpu_limit: "500m",
                        memory_request: "640Mi",
                        memory_limit: "768Mi",
                    },
                    uid: 999,
                },
                backups: Backups {
                    postgres_schedule: "15 3 * * *",
                    neo4j_schedule: "45 3 * * *",
                    redis_schedule: "30 4 * * *",
                    keep: 7,
                    storage: "100Gi",
                },
            },
            max_body: "64k",
        }
    }
}

/// Where the scrape targets and upstreams live: service names on the compose network, or
/// loopback ports on this machine (the local target).
#[derive(Clone, Debug)]
pub enum Placement {
    Compose,
    Local(LocalPorts),
}

/// Loopback ports of the local target, all derived from one base port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LocalPorts {
    pub nginx: u16,
    pub postgres: u16,
    pub redis: u16,
    pub neo4j: u16,
    pub prometheus: u16,
    pub alertmanager: u16,
    pub node_exporter: u16,
    pub redis_exporter: u16,
    pub postgres_exporter: u16,
    /// The API's blue and green slots, each with the ports of its [`API_INSTANCES`] processes:
    /// a release starts on the slot that is not serving.
    pub api_slots: [[u16; API_INSTANCES]; 2],
}

/// API processes every release runs on the local target, behind Nginx: a fleet on one machine
/// (they share Neo4j, PostgreSQL and Redis, and behave as one service).
pub const API_INSTANCES: usize = 2;

impl LocalPorts {
    pub fn from_base(base: u16) -> Self {
        Self {
            nginx: base,
            api_slots: [[base + 1, base + 11], [base + 2, base + 12]],
            postgres: base + 3,
            redis: base + 4,
            neo4j: base + 5,
            prometheus: base + 6,
            alertmanager: base + 7,
            node_exporter: base + 8,
            redis_exporter: base + 9,
            postgres_exporter: base + 10,
        }
    }
}

/// A scrape job: its name and the `host:port` targets it scrapes.
pub struct ScrapeJob {
    pub name: &'static str,
    pub targets: Vec<String>,
    pub metrics_path: &'static str,
}

impl Placement {
    /// Every scrape job Prometheus runs for this placement. `api_ports` are the ports of the
    /// release serving on the local target.
    pub fn scrape_jobs(&self, t: &Topology, api_ports: Option<&[u16]>) -> Vec<ScrapeJob> {
        let (api, node, redis, pg, prom, am) = match self {
            Placement::Compose => (
                vec![format!("api:{}", t.api.metrics_port)],
                "node-exporter:9100".to_string(),
                "redis-exporter:9121".to_string(),
                "postgres-exporter:9187".to_string(),
                "localhost:9090".to_string(),
                "alertmanager:9093".to_string(),
            ),
            Placement::Local(p) => (
                api_ports
                    .unwrap_or(&p.api_slots[0])
                    .iter()
                    .map(|port| format!("127.0.0.1:{port}"))
                    .collect(),
                format!("127.0.0.1:{}", p.node_exporter),
                format!("127.0.0.1:{}", p.redis_exporter),
                format!("127.0.0.1:{}", p.postgres_exporter),
                format!("127.0.0.1:{}", p.prometheus),
                format!("127.0.0.1:{}", p.alertmanager),
            ),
        };
        let job = |name, target: String| ScrapeJob {
            name,
            targets: vec![target],
            metrics_path: "/metrics",
        };
        vec![
            ScrapeJob {
                name: "api",
                targets: api,
                metrics_path: t.api.metrics_path,
            },
            job("node", node),
            job("redis", redis),
            job("postgres", pg),
            job("prometheus", prom),
            job("alertmanager", am),
        ]
    }

    pub fn alertmanager(&self) -> String {
        match self {
            Placement::Compose => "alertmanager:9093".into(),
            Placement::Local(p) => format!("127.0.0.1:{}", p.alertmanager),
        }
    }
}
