//! The data tier on Kubernetes, from the typed topology: Neo4j, TimescaleDB (PostgreSQL) and
//! Redis as StatefulSets of one pod with volume claim templates, each behind a headless
//! Service, with probes, resources, a PodDisruptionBudget and a NetworkPolicy; the migration
//! Job the deploy runs before the API rolls; backups as CronJobs with retention.
//!
//! One file per store (`k8s/3x-<store>.yaml`), one for the migration, one for the backups.
//! Every pod satisfies the namespace's `restricted` pod security: non-root, no privilege
//! escalation, every capability dropped, the runtime's seccomp profile.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, ExecAction,
    HTTPGetAction, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec, Probe, SecretKeySelector, Service,
    ServicePort, ServiceSpec, TCPSocketAction, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicySpec,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::k8s::{
    api_env_from, container_security, dns_egress, labels_of as labels, meta_of as meta,
    pod_security, q, resources, selector_of as selector, shared_claim, tcp, yaml,
};
use crate::render::Artifact;
use crate::topology::{Resources, Store, Topology};

/// The Secret every credential comes from (a template is `k8s/02-secret.example.yaml`).
pub const SECRET: &str = "nfl-predictor-secrets";
/// The migration Job's name (the deploy deletes the last one, applies it, waits for it).
pub const MIGRATE_JOB: &str = "nfl-predictor-migrate";
const BACKUP_PVC: &str = "nfl-predictor-backups";

/// The stores, as (component, file, port).
pub const STORES: [(&str, &str, i32); 3] = [
    ("neo4j", "k8s/30-neo4j.yaml", 7687),
    ("timescaledb", "k8s/31-timescaledb.yaml", 5432),
    ("redis", "k8s/32-redis.yaml", 6379),
];

fn secret_env(name: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: SECRET.into(),
                key: key.into(),
                optional: Some(false),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..Default::default()
    }
}

fn exec(command: &str) -> ExecAction {
    ExecAction {
        command: Some(vec!["sh".into(), "-c".into(), command.into()]),
    }
}

fn port(name: &str, number: i32) -> ContainerPort {
    ContainerPort {
        name: Some(name.into()),
        container_port: number,
        protocol: Some("TCP".into()),
        ..Default::default()
    }
}

fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        ..Default::default()
    }
}

fn tmp_volume() -> Volume {
    Volume {
        name: "tmp".into(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(q("256Mi")),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A headless Service: the stable DNS name (`neo4j`, `timescaledb`, `redis`) the API's
/// configuration uses, resolving to the StatefulSet's pod.
fn headless_service(t: &Topology, component: &str, ports: &[(&str, i32)]) -> Service {
    Service {
        metadata: meta(t, component, component),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            selector: Some(labels(t, component)),
            publish_not_ready_addresses: Some(false),
            ports: Some(
                ports
                    .iter()
                    .map(|(name, p)| ServicePort {
                        name: Some((*name).into()),
                        port: *p,
                        target_port: Some(IntOrString::String((*name).into())),
                        protocol: Some("TCP".into()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// One pod, its volume from the claim template `data`, ordered start and stop.
fn stateful_set(
    t: &Topology,
    component: &str,
    store: &Store,
    container: Container,
    extra_volumes: Vec<Volume>,
) -> StatefulSet {
    StatefulSet {
        metadata: meta(t, component, component),
        spec: Some(StatefulSetSpec {
            service_name: Some(component.into()),
            replicas: Some(1),
            selector: selector(t, component),
            pod_management_policy: Some("OrderedReady".into()),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(t, component)),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    automount_service_account_token: Some(false),
                    termination_grace_period_seconds: Some(60),
                    security_context: Some(pod_security(store.uid)),
                    volumes: Some(extra_volumes),
                    ..Default::default()
                }),
            },
            volume_claim_templates: Some(vec![PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some("data".into()),
                    labels: Some(labels(t, component)),
                    ..Default::default()
                },
                spec: Some(PersistentVolumeClaimSpec {
                    access_modes: Some(vec!["ReadWriteOnce".into()]),
                    resources: Some(VolumeResourceRequirements {
                        requests: Some(BTreeMap::from([("storage".to_string(), q(store.storage))])),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// One pod that must not be evicted by a voluntary disruption (a node drain waits for an
/// operator: back up, then delete the pod by hand during a maintenance window).
fn pdb(t: &Topology, component: &str) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: meta(t, component, component),
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(1)),
            selector: Some(selector(t, component)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Ingress to the store's port from the API, the migration Job and the backup jobs only;
/// egress to DNS only (a store calls nobody).
fn network_policy(t: &Topology, component: &str, store_port: i32) -> NetworkPolicy {
    let clients = NetworkPolicyPeer {
        pod_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([(
                "app.kubernetes.io/name".to_string(),
                t.name.to_string(),
            )])),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "app.kubernetes.io/component".into(),
                operator: "In".into(),
                values: Some(vec!["api".into(), "migrate".into(), "backup".into()]),
            }]),
        }),
        ..Default::default()
    };
    NetworkPolicy {
        metadata: meta(t, component, component),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(selector(t, component)),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![clients]),
                ports: Some(vec![tcp(store_port)]),
            }]),
            egress: Some(vec![dns_egress()]),
        }),
    }
}

/// Neo4j Community: one instance (Community has no clustering; README says what changes for
/// Enterprise and the `neo4j://` routing URI).
fn neo4j(t: &Topology) -> crate::Result<String> {
    let s = &t.data.neo4j;
    let n = &t.neo4j;
    let container = Container {
        name: "neo4j".into(),
        image: Some(n.image.into()),
        image_pull_policy: Some("IfNotPresent".into()),
        ports: Some(vec![port("bolt", 7687), port("http", 7474)]),
        env: Some(vec![
            secret_env("NEO4J_AUTH", "NEO4J_AUTH"),
            // The plugins ship in the image (labs/): copied at start, nothing downloaded.
            env(
                "NEO4J_PLUGINS",
                serde_json::to_string(n.plugins)
                    .map_err(|e| crate::Error::Invalid(e.to_string()))?,
            ),
            env("NEO4J_server_memory_heap_initial__size", n.heap),
            env("NEO4J_server_memory_heap_max__size", n.heap),
            env("NEO4J_server_memory_pagecache_size", n.page_cache),
            env("NEO4J_server_default__listen__address", "0.0.0.0"),
        ]),
        resources: Some(resources(&s.resources)),
        startup_probe: Some(Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::String("bolt".into()),
                ..Default::default()
            }),
            period_seconds: Some(10),
            failure_threshold: Some(30),
            ..Default::default()
        }),
        readiness_probe: Some(Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::String("bolt".into()),
                ..Default::default()
            }),
            period_seconds: Some(10),
            timeout_seconds: Some(3),
            failure_threshold: Some(3),
            ..Default::default()
        }),
        liveness_probe: Some(Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/".into()),
                port: IntOrString::String("http".into()),
                ..Default::default()
            }),
            period_seconds: Some(20),
            timeout_seconds: Some(5),
            failure_threshold: Some(6),
            ..Default::default()
        }),
        security_context: Some(container_security(s.uid, false)),
        volume_mounts: Some(vec![mount("data", "/data"), mount("tmp", "/tmp")]),
        ..Default::default()
    };
    Ok([
        yaml(
            "Neo4j: headless Service (bolt 7687; the browser port stays inside the pod network)",
            &headless_service(t, "neo4j", &[("bolt", 7687)]),
        )?,
        yaml(
            "Neo4j Community: one instance, its store on a volume claim",
            &stateful_set(t, "neo4j", s, container, vec![tmp_volume()]),
        )?,
        yaml("Neo4j disruption budget", &pdb(t, "neo4j"))?,
        yaml("Neo4j network policy", &network_policy(t, "neo4j", 7687))?,
    ]
    .concat())
}

/// TimescaleDB (PostgreSQL 16): one primary.
fn timescaledb(t: &Topology) -> crate::Result<String> {
    let s = &t.data.timescale;
    let ts = &t.timescale;
    let ready = format!("pg_isready -h 127.0.0.1 -U {} -d {}", ts.user, ts.database);
    let container = Container {
        name: "timescaledb".into(),
        image: Some(ts.image.into()),
        image_pull_policy: Some("IfNotPresent".into()),
        ports: Some(vec![port("postgres", 5432)]),
        env: Some(vec![
            env("POSTGRES_USER", ts.user),
            env("POSTGRES_DB", ts.database),
            secret_env("POSTGRES_PASSWORD", "POSTGRES_PASSWORD"),
            // A subdirectory: the volume's root holds lost+found on many provisioners.
            env("PGDATA", "/var/lib/postgresql/data/pgdata"),
        ]),
        resources: Some(resources(&s.resources)),
        readiness_probe: Some(Probe {
            exec: Some(exec(&ready)),
            period_seconds: Some(10),
            timeout_seconds: Some(5),
            failure_threshold: Some(3),
            ..Default::default()
        }),
        liveness_probe: Some(Probe {
            exec: Some(exec(&ready)),
            initial_delay_seconds: Some(30),
            period_seconds: Some(20),
            timeout_seconds: Some(5),
            failure_threshold: Some(6),
            ..Default::default()
        }),
        security_context: Some(container_security(s.uid, false)),
        volume_mounts: Some(vec![
            mount("data", "/var/lib/postgresql/data"),
            mount("run", "/var/run/postgresql"),
            mount("tmp", "/tmp"),
        ]),
        ..Default::default()
    };
    let run = Volume {
        name: "run".into(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    };
    Ok([
        yaml(
            "TimescaleDB: headless Service",
            &headless_service(t, "timescaledb", &[("postgres", 5432)]),
        )?,
        yaml(
            "TimescaleDB (PostgreSQL 16): one primary on a volume claim",
            &stateful_set(t, "timescaledb", s, container, vec![run, tmp_volume()]),
        )?,
        yaml("TimescaleDB disruption budget", &pdb(t, "timescaledb"))?,
        yaml(
            "TimescaleDB network policy",
            &network_policy(t, "timescaledb", 5432),
        )?,
    ]
    .concat())
}

/// Redis: the cache and the fleet's rate limits, persistence on (AOF), password from the
/// Secret.
fn redis(t: &Topology) -> crate::Result<String> {
    let s = &t.data.redis;
    let r = &t.redis;
    let ping = "redis-cli -a \"$REDIS_PASSWORD\" --no-auth-warning ping | grep -q PONG";
    let container = Container {
        name: "redis".into(),
        image: Some(r.image.into()),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(vec!["sh".into(), "-c".into()]),
        args: Some(vec![format!(
            "exec redis-server --requirepass \"$REDIS_PASSWORD\" --maxmemory {} --maxmemory-policy {} --appendonly yes --dir /data",
            r.max_memory, r.eviction
        )]),
        ports: Some(vec![port("redis", 6379)]),
        env: Some(vec![secret_env("REDIS_PASSWORD", "REDIS_PASSWORD")]),
        resources: Some(resources(&s.resources)),
        readiness_probe: Some(Probe {
            exec: Some(exec(ping)),
            period_seconds: Some(5),
            timeout_seconds: Some(3),
            failure_threshold: Some(3),
            ..Default::default()
        }),
        liveness_probe: Some(Probe {
            exec: Some(exec(ping)),
            initial_delay_seconds: Some(15),
            period_seconds: Some(20),
            timeout_seconds: Some(3),
            failure_threshold: Some(6),
            ..Default::default()
        }),
        security_context: Some(container_security(s.uid, true)),
        volume_mounts: Some(vec![mount("data", "/data")]),
        ..Default::default()
    };
    Ok([
        yaml(
            "Redis: headless Service",
            &headless_service(t, "redis", &[("redis", 6379)]),
        )?,
        yaml(
            "Redis: one instance, append-only file on a volume claim",
            &stateful_set(t, "redis", s, container, Vec::new()),
        )?,
        yaml("Redis disruption budget", &pdb(t, "redis"))?,
        yaml("Redis network policy", &network_policy(t, "redis", 6379))?,
    ]
    .concat())
}

/// The API's image, configuration and restricted security, for a one-off pod.
fn api_job_pod(t: &Topology, component: &str, args: &[&str]) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels(t, component)),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            restart_policy: Some("Never".into()),
            automount_service_account_token: Some(false),
            security_context: Some(pod_security(t.api.uid)),
            containers: vec![Container {
                name: component.into(),
                image: Some(t.api.image.into()),
                image_pull_policy: Some("IfNotPresent".into()),
                args: Some(args.iter().map(|a| (*a).into()).collect()),
                env_from: Some(api_env_from()),
                resources: Some(resources(&t.api.resources)),
                security_context: Some(container_security(t.api.uid, true)),
                volume_mounts: Some(vec![mount("data", t.api.data_dir), mount("tmp", "/tmp")]),
                ..Default::default()
            }],
            volumes: Some(vec![
                Volume {
                    name: "data".into(),
                    persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                        claim_name: "nfl-predictor-data".into(),
                        read_only: Some(false),
                    }),
                    ..Default::default()
                },
                tmp_volume(),
            ]),
            ..Default::default()
        }),
    }
}

/// `api migrate` (the store's migrations and the graph's constraints) once, before the
/// Deployment rolls: the deploy deletes the previous Job, applies this one and waits for it
/// to complete.
fn migrate_job(t: &Topology) -> Job {
    Job {
        metadata: meta(t, MIGRATE_JOB, "migrate"),
        spec: Some(JobSpec {
            backoff_limit: Some(3),
            active_deadline_seconds: Some(600),
            ttl_seconds_after_finished: Some(86_400),
            template: api_job_pod(t, "migrate", &["migrate"]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The backup commands, one per store: what `ops backup --target k8s` runs (it starts each
/// CronJob as a Job) and the CronJobs run on their schedule. Each writes a timestamped file
/// to the backups volume and keeps the newest `keep`.
pub fn backup_commands(t: &Topology) -> [(&'static str, String, String); 3] {
    let keep = t.data.backups.keep;
    let retain = |pattern: &str| {
        format!(
            "ls -1t /backups/{pattern} | tail -n +{} | xargs -r rm -f",
            keep + 1
        )
    };
    // One timestamp per run; written as a `.part` file, renamed when complete, then the
    // oldest beyond `keep` removed.
    let script = |dump: String, file: &str, pattern: &str| {
        [
            "set -eu".to_string(),
            "stamp=$(date -u +%Y%m%dT%H%M%SZ)".to_string(),
            format!("out=/backups/{file}"),
            dump,
            "mv \"$out.part\" \"$out\"".to_string(),
            retain(pattern),
        ]
        .join("\n")
    };
    [
        (
            "postgres",
            t.timescale.image.to_string(),
            script(
                format!(
                    "PGPASSWORD=\"$POSTGRES_PASSWORD\" pg_dump -h timescaledb -U {} -Fc {} > \"$out.part\"",
                    t.timescale.user, t.timescale.database
                ),
                "postgres-$stamp.dump",
                "postgres-*.dump",
            ),
        ),
        (
            "neo4j",
            t.neo4j.image.to_string(),
            // Community cannot dump a running database (neo4j-admin needs it stopped): an
            // online export of every node and relationship as Cypher (APOC, shipped in the
            // image), replayable with cypher-shell.
            script(
                [
                    "cypher-shell -a neo4j://neo4j:7687 -u neo4j -p \"${NEO4J_AUTH#neo4j/}\" --format plain \\",
                    "  \"CALL apoc.export.cypher.all(null, {stream: true, format: 'plain', batchSize: 10000}) YIELD cypherStatements RETURN cypherStatements\" \\",
                    "  | gzip > \"$out.part\"",
                ]
                .join("\n"),
                "neo4j-$stamp.cypher.gz",
                "neo4j-*.cypher.gz",
            ),
        ),
        (
            "redis",
            t.redis.image.to_string(),
            script(
                "redis-cli -h redis -a \"$REDIS_PASSWORD\" --no-auth-warning --rdb \"$out.part\"".into(),
                "redis-$stamp.rdb",
                "redis-*.rdb",
            ),
        ),
    ]
}

pub fn backup_cronjob_name(store: &str) -> String {
    format!("nfl-predictor-backup-{store}")
}

fn backup_cronjob(t: &Topology, store: &str, image: &str, command: &str) -> CronJob {
    let b = &t.data.backups;
    let schedule = match store {
        "postgres" => b.postgres_schedule,
        "neo4j" => b.neo4j_schedule,
        _ => b.redis_schedule,
    };
    let secret_for = match store {
        "postgres" => secret_env("POSTGRES_PASSWORD", "POSTGRES_PASSWORD"),
        "neo4j" => secret_env("NEO4J_AUTH", "NEO4J_AUTH"),
        _ => secret_env("REDIS_PASSWORD", "REDIS_PASSWORD"),
    };
    // Every job runs as the API's non-root user, so one volume holds all three.
    let uid = t.api.uid;
    CronJob {
        metadata: meta(t, &backup_cronjob_name(store), "backup"),
        spec: Some(CronJobSpec {
            schedule: schedule.into(),
            time_zone: Some("Etc/UTC".into()),
            concurrency_policy: Some("Forbid".into()),
            starting_deadline_seconds: Some(3600),
            successful_jobs_history_limit: Some(3),
            failed_jobs_history_limit: Some(3),
            job_template: JobTemplateSpec {
                metadata: None,
                spec: Some(JobSpec {
                    backoff_limit: Some(2),
                    active_deadline_seconds: Some(3 * 3600),
                    template: PodTemplateSpec {
                        metadata: Some(ObjectMeta {
                            labels: Some(labels(t, "backup")),
                            ..Default::default()
                        }),
                        spec: Some(PodSpec {
                            restart_policy: Some("Never".into()),
                            automount_service_account_token: Some(false),
                            security_context: Some(pod_security(uid)),
                            containers: vec![Container {
                                name: format!("backup-{store}"),
                                image: Some(image.into()),
                                image_pull_policy: Some("IfNotPresent".into()),
                                command: Some(vec!["sh".into(), "-c".into(), command.into()]),
                                env: Some(vec![secret_for, env("HOME", "/tmp")]),
                                resources: Some(resources(&Resources {
                                    cpu_request: "100m",
                                    cpu_limit: "1000m",
                                    memory_request: "256Mi",
                                    memory_limit: "1Gi",
                                })),
                                security_context: Some(container_security(uid, true)),
                                volume_mounts: Some(vec![
                                    mount("backups", "/backups"),
                                    mount("tmp", "/tmp"),
                                ]),
                                ..Default::default()
                            }],
                            volumes: Some(vec![
                                Volume {
                                    name: "backups".into(),
                                    persistent_volume_claim: Some(
                                        PersistentVolumeClaimVolumeSource {
                                            claim_name: BACKUP_PVC.into(),
                                            read_only: Some(false),
                                        },
                                    ),
                                    ..Default::default()
                                },
                                tmp_volume(),
                            ]),
                            ..Default::default()
                        }),
                    },
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn backups_pvc(t: &Topology) -> PersistentVolumeClaim {
    shared_claim(t, BACKUP_PVC, "backup", t.data.backups.storage)
}

/// The backup jobs reach the stores (the stores' policies let `backup` pods in) and DNS only.
fn backups_network_policy(t: &Topology) -> NetworkPolicy {
    let mut p = network_policy(t, "backup", 0);
    let spec = p.spec.as_mut().expect("built with a spec");
    spec.policy_types = Some(vec!["Ingress".into(), "Egress".into()]);
    spec.ingress = Some(Vec::new());
    let mut egress = spec.egress.take().unwrap_or_default();
    egress.push(NetworkPolicyEgressRule {
        to: Some(vec![NetworkPolicyPeer {
            pod_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(
                    "app.kubernetes.io/name".to_string(),
                    t.name.to_string(),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ports: Some(STORES.iter().map(|(_, _, p)| tcp(*p)).collect()),
    });
    spec.egress = Some(egress);
    p.metadata = meta(t, "nfl-predictor-backup", "backup");
    p
}

fn backups(t: &Topology) -> crate::Result<String> {
    let mut docs = vec![
        yaml("Backups volume (shared by the three jobs)", &backups_pvc(t))?,
        yaml("Backups network policy", &backups_network_policy(t))?,
    ];
    for (store, image, command) in backup_commands(t) {
        docs.push(yaml(
            &format!(
                "Backup of {store} (keeps the newest {})",
                t.data.backups.keep
            ),
            &backup_cronjob(t, store, &image, &command),
        )?);
    }
    Ok(docs.concat())
}

pub fn manifests(t: &Topology) -> crate::Result<Vec<Artifact>> {
    Ok(vec![
        Artifact::new(STORES[0].1, neo4j(t)?),
        Artifact::new(STORES[1].1, timescaledb(t)?),
        Artifact::new(STORES[2].1, redis(t)?),
        Artifact::new(
            "k8s/40-migrate-job.yaml",
            yaml(
                "Migrations before the API rolls (the deploy recreates it)",
                &migrate_job(t),
            )?,
        ),
        Artifact::new("k8s/50-backups.yaml", backups(t)?),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_store_is_one_pod_with_a_claim_a_headless_service_and_a_port_only_its_clients_reach() {
        let t = Topology::production();
        for (component, file, store_port) in STORES {
            let docs: Vec<serde_json::Value> = manifests(&t)
                .unwrap()
                .into_iter()
                .find(|a| a.path.to_str() == Some(file))
                .map(|a| {
                    a.contents
                        .split("\n---\n")
                        .map(|d| serde_norway::from_str(d.trim_start_matches("---\n")).unwrap())
                        .collect()
                })
                .unwrap();
            let kind = |k: &str| docs.iter().find(|d| d["kind"] == k).unwrap().clone();
            let svc = kind("Service");
            assert_eq!(svc["spec"]["clusterIP"], "None", "{component}");
            assert_eq!(svc["metadata"]["name"], component);
            let sts = kind("StatefulSet");
            assert_eq!(sts["spec"]["replicas"], 1);
            assert_eq!(sts["spec"]["serviceName"], component);
            assert!(
                sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
                    .is_string()
            );
            let c = &sts["spec"]["template"]["spec"]["containers"][0];
            assert!(c["readinessProbe"].is_object() && c["livenessProbe"].is_object());
            assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
            assert_eq!(kind("PodDisruptionBudget")["spec"]["minAvailable"], 1);
            let np = kind("NetworkPolicy");
            assert_eq!(np["spec"]["ingress"][0]["ports"][0]["port"], store_port);
            assert_eq!(
                np["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]["values"],
                serde_json::json!(["api", "migrate", "backup"])
            );
        }
    }

    #[test]
    fn backups_keep_the_newest_files_and_never_leave_a_partial_one() {
        let t = Topology::production();
        for (store, _, command) in backup_commands(&t) {
            assert!(command.starts_with("set -eu\n"), "{store}");
            assert!(
                command.contains(&format!("tail -n +{}", t.data.backups.keep + 1)),
                "{store}: {command}"
            );
            assert!(
                command.contains("> \"$out.part\"") || command.contains("--rdb \"$out.part\""),
                "{store}: {command}"
            );
            assert!(
                command.contains("mv \"$out.part\" \"$out\""),
                "{store}: {command}"
            );
        }
    }
}
