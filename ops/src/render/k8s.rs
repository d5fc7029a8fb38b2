//! Kubernetes manifests built from k8s-openapi's typed structs (no string templates).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapEnvSource, Container, ContainerPort, EmptyDirVolumeSource,
    EnvFromSource, HTTPGetAction, Namespace, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SeccompProfile, Secret, SecretEnvSource, SecurityContext, Service,
    ServicePort, ServiceSpec, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, NetworkPolicy, NetworkPolicyEgressRule,
    NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
    ServiceBackendPort,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::render::Artifact;
use crate::topology::{Resources, Topology};

// Helpers every manifest module shares (the API's here, the data tier's in `k8s_data`).

/// The labels that select a component's pods (`api`, `neo4j`, `migrate`, `backup`…).
pub(super) fn labels_of(t: &Topology, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), t.name.to_string()),
        (
            "app.kubernetes.io/component".to_string(),
            component.to_string(),
        ),
    ])
}

pub(super) fn meta_of(t: &Topology, name: &str, component: &str) -> ObjectMeta {
    let mut l = labels_of(t, component);
    l.insert("app.kubernetes.io/part-of".into(), t.name.into());
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(t.namespace.to_string()),
        labels: Some(l),
        ..Default::default()
    }
}

pub(super) fn selector_of(t: &Topology, component: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels_of(t, component)),
        ..Default::default()
    }
}

fn labels(t: &Topology) -> BTreeMap<String, String> {
    labels_of(t, "api")
}

fn meta(t: &Topology, name: &str) -> ObjectMeta {
    meta_of(t, name, "api")
}

fn selector(t: &Topology) -> LabelSelector {
    selector_of(t, "api")
}

pub(super) fn resources(r: &Resources) -> ResourceRequirements {
    ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_string(), q(r.cpu_request)),
            ("memory".to_string(), q(r.memory_request)),
        ])),
        limits: Some(BTreeMap::from([
            ("cpu".to_string(), q(r.cpu_limit)),
            ("memory".to_string(), q(r.memory_limit)),
        ])),
        ..Default::default()
    }
}

/// The restricted pod security profile for a container running as `uid`.
pub(super) fn container_security(uid: i64, read_only_root: bool) -> SecurityContext {
    SecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(uid),
        run_as_group: Some(uid),
        read_only_root_filesystem: Some(read_only_root),
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub(super) fn pod_security(uid: i64) -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        fs_group: Some(uid),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A ReadWriteMany claim of `size` (a volume every pod of a component may mount).
pub(super) fn shared_claim(
    t: &Topology,
    name: &str,
    component: &str,
    size: &str,
) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: meta_of(t, name, component),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteMany".into()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_string(), q(size))])),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The API's configuration: the ConfigMap and the Secret, both required (the Deployment and
/// the one-off Jobs that run its image).
pub(super) fn api_env_from() -> Vec<EnvFromSource> {
    vec![
        EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: "nfl-predictor-config".into(),
                optional: Some(false),
            }),
            ..Default::default()
        },
        EnvFromSource {
            secret_ref: Some(SecretEnvSource {
                name: "nfl-predictor-secrets".into(),
                optional: Some(false),
            }),
            ..Default::default()
        },
    ]
}

pub(super) fn tcp(p: i32) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(p)),
        protocol: Some("TCP".into()),
        ..Default::default()
    }
}

pub(super) fn namespace_peer(ns: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([(
                "kubernetes.io/metadata.name".to_string(),
                ns.to_string(),
            )])),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Egress to the cluster DNS (kube-system, 53 over TCP and UDP).
pub(super) fn dns_egress() -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(vec![namespace_peer("kube-system")]),
        ports: Some(vec![
            tcp(53),
            NetworkPolicyPort {
                port: Some(IntOrString::Int(53)),
                protocol: Some("UDP".into()),
                ..Default::default()
            },
        ]),
    }
}

pub(super) fn q(s: &str) -> Quantity {
    Quantity(s.to_string())
}

fn probe(path: &str, initial: i32, period: i32, failures: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_string()),
            port: IntOrString::String("http".into()),
            ..Default::default()
        }),
        initial_delay_seconds: Some(initial),
        period_seconds: Some(period),
        timeout_seconds: Some(3),
        failure_threshold: Some(failures),
        ..Default::default()
    }
}

fn namespace(t: &Topology) -> Namespace {
    Namespace {
        metadata: ObjectMeta {
            name: Some(t.namespace.to_string()),
            labels: Some(BTreeMap::from([
                (
                    "pod-security.kubernetes.io/enforce".to_string(),
                    "restricted".to_string(),
                ),
                ("app.kubernetes.io/part-of".to_string(), t.name.to_string()),
            ])),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn config_map(t: &Topology) -> ConfigMap {
    ConfigMap {
        metadata: meta(t, "nfl-predictor-config"),
        data: Some(BTreeMap::from(
            [
                ("APP_PROFILE", "production".to_string()),
                ("BIND_ADDR", format!("0.0.0.0:{}", t.api.port)),
                ("SHUTDOWN_DRAIN_SECONDS", t.api.drain_seconds.to_string()),
                (
                    "METRICS_BIND_ADDR",
                    format!("0.0.0.0:{}", t.api.metrics_port),
                ),
                ("DATA_DIR", t.api.data_dir.to_string()),
                ("LOG_FORMAT", "json".into()),
                ("GRAPH_BACKEND", "neo4j".into()),
                ("NEO4J_URI", "neo4j:7687".into()),
                ("NEO4J_USER", "neo4j".into()),
                ("PUBLIC_BASE_URL", format!("https://{}", t.domain)),
                ("CORS_ORIGINS", format!("https://{}", t.domain)),
                (
                    "RATE_LIMIT_PER_SECOND",
                    t.rate_limits.api_per_second.to_string(),
                ),
                ("RATE_LIMIT_BURST", t.rate_limits.api_burst.to_string()),
                (
                    "AUTH_RATE_LIMIT_PER_SECOND",
                    t.rate_limits.auth_per_second.to_string(),
                ),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        )),
        ..Default::default()
    }
}

/// A template only: the values are placeholders, replaced out of band (sealed secrets, a
/// vault, or `kubectl create secret`), never committed for real.
fn secret(t: &Topology) -> Secret {
    Secret {
        metadata: meta(t, "nfl-predictor-secrets"),
        type_: Some("Opaque".into()),
        string_data: Some(BTreeMap::from(
            [
                ("API_SECRET", "REPLACE-ME-at-least-16-characters"),
                ("NEO4J_PASSWORD", "REPLACE-ME"),
                (
                    "DATABASE_URL",
                    "postgres://nflp:REPLACE-ME@timescaledb:5432/nflp",
                ),
                ("REDIS_URL", "redis://:REPLACE-ME@redis:6379/0"),
                // The data tier's own credentials (the same passwords as in the URLs above).
                ("POSTGRES_PASSWORD", "REPLACE-ME"),
                ("REDIS_PASSWORD", "REPLACE-ME"),
                ("NEO4J_AUTH", "neo4j/REPLACE-ME"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        )),
        ..Default::default()
    }
}

fn deployment(t: &Topology) -> Deployment {
    let r = &t.api.resources;
    let container = Container {
        name: "api".into(),
        image: Some(t.api.image.to_string()),
        image_pull_policy: Some("IfNotPresent".into()),
        ports: Some(vec![
            ContainerPort {
                name: Some("http".into()),
                container_port: i32::from(t.api.port),
                protocol: Some("TCP".into()),
                ..Default::default()
            },
            ContainerPort {
                name: Some("metrics".into()),
                container_port: i32::from(t.api.metrics_port),
                protocol: Some("TCP".into()),
                ..Default::default()
            },
        ]),
        env_from: Some(api_env_from()),
        resources: Some(resources(r)),
        // The listener opens after the start-up replay of the game history: the startup probe
        // gives it five minutes before liveness counts. Liveness asks only whether the process
        // serves, readiness whether it takes traffic (not draining); neither fails when a store
        // is down, so an outage never restarts or unroutes every pod at once.
        startup_probe: Some(probe(t.api.live_path, 5, 5, 60)),
        readiness_probe: Some(probe(t.api.ready_path, 0, 5, 2)),
        liveness_probe: Some(probe(t.api.live_path, 0, 20, 3)),
        security_context: Some(container_security(t.api.uid, true)),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "data".into(),
                mount_path: t.api.data_dir.into(),
                ..Default::default()
            },
            VolumeMount {
                name: "tmp".into(),
                mount_path: "/tmp".into(),
                ..Default::default()
            },
        ]),
        ..Default::default()
    };
    Deployment {
        metadata: meta(t, "nfl-predictor-api"),
        spec: Some(DeploymentSpec {
            replicas: Some(t.api.replicas),
            selector: selector(t),
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(1)),
                    max_unavailable: Some(IntOrString::Int(0)),
                }),
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(t)),
                    annotations: Some(BTreeMap::from([
                        ("prometheus.io/scrape".to_string(), "true".to_string()),
                        (
                            "prometheus.io/port".to_string(),
                            t.api.metrics_port.to_string(),
                        ),
                        (
                            "prometheus.io/path".to_string(),
                            t.api.metrics_path.to_string(),
                        ),
                    ])),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    automount_service_account_token: Some(false),
                    // The drain, then up to 30 s for the requests in flight.
                    termination_grace_period_seconds: Some(i64::from(t.api.drain_seconds) + 30),
                    security_context: Some(pod_security(t.api.uid)),
                    volumes: Some(vec![
                        Volume {
                            name: "data".into(),
                            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                                claim_name: "nfl-predictor-data".into(),
                                read_only: Some(false),
                            }),
                            ..Default::default()
                        },
                        Volume {
                            name: "tmp".into(),
                            empty_dir: Some(EmptyDirVolumeSource {
                                size_limit: Some(q("64Mi")),
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                    ]),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn service(t: &Topology) -> Service {
    Service {
        metadata: meta(t, "nfl-predictor-api"),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(labels(t)),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: 80,
                target_port: Some(IntOrString::String("http".into())),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The model registry and the admin key: shared by every replica (ReadWriteMany).
fn pvc(t: &Topology) -> PersistentVolumeClaim {
    shared_claim(t, "nfl-predictor-data", "api", "5Gi")
}

fn hpa(t: &Topology) -> HorizontalPodAutoscaler {
    let a = &t.api.autoscaling;
    let metric = |name: &str, utilization: i32| MetricSpec {
        type_: "Resource".into(),
        resource: Some(ResourceMetricSource {
            name: name.into(),
            target: MetricTarget {
                type_: "Utilization".into(),
                average_utilization: Some(utilization),
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    HorizontalPodAutoscaler {
        metadata: meta(t, "nfl-predictor-api"),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: "Deployment".into(),
                name: "nfl-predictor-api".into(),
            },
            min_replicas: Some(a.min_replicas),
            max_replicas: a.max_replicas,
            metrics: Some(vec![
                metric("cpu", a.cpu_utilization),
                metric("memory", a.memory_utilization),
            ]),
            behavior: Some(HorizontalPodAutoscalerBehavior {
                scale_up: Some(HPAScalingRules {
                    stabilization_window_seconds: Some(0),
                    select_policy: Some("Max".into()),
                    policies: Some(vec![HPAScalingPolicy {
                        type_: "Pods".into(),
                        value: a.scale_up_pods_per_minute,
                        period_seconds: 60,
                    }]),
                    ..Default::default()
                }),
                scale_down: Some(HPAScalingRules {
                    stabilization_window_seconds: Some(a.scale_down_stabilization_seconds),
                    select_policy: Some("Min".into()),
                    policies: Some(vec![HPAScalingPolicy {
                        type_: "Percent".into(),
                        value: a.scale_down_percent_per_minute,
                        period_seconds: 60,
                    }]),
                    ..Default::default()
                }),
            }),
        }),
        ..Default::default()
    }
}

fn ingress(t: &Topology) -> Ingress {
    let r = &t.rate_limits;
    let mut m = meta(t, "nfl-predictor");
    m.annotations = Some(BTreeMap::from(
        [
            (
                "cert-manager.io/cluster-issuer",
                "letsencrypt-prod".to_string(),
            ),
            ("nginx.ingress.kubernetes.io/ssl-redirect", "true".into()),
            (
                "nginx.ingress.kubernetes.io/proxy-body-size",
                t.max_body.into(),
            ),
            (
                "nginx.ingress.kubernetes.io/limit-rps",
                r.api_per_second.to_string(),
            ),
            (
                "nginx.ingress.kubernetes.io/limit-burst-multiplier",
                (r.api_burst / r.api_per_second.max(1)).max(1).to_string(),
            ),
            (
                "nginx.ingress.kubernetes.io/proxy-read-timeout",
                "3600".into(),
            ),
            (
                "nginx.ingress.kubernetes.io/server-snippet",
                format!("location = {} {{ return 404; }}", t.api.metrics_path),
            ),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    ));
    Ingress {
        metadata: m,
        spec: Some(IngressSpec {
            ingress_class_name: Some("nginx".into()),
            tls: Some(vec![IngressTLS {
                hosts: Some(vec![t.domain.into()]),
                secret_name: Some("nfl-predictor-tls".into()),
            }]),
            rules: Some(vec![IngressRule {
                host: Some(t.domain.into()),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some("/".into()),
                        path_type: "Prefix".into(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: "nfl-predictor-api".into(),
                                port: Some(ServiceBackendPort {
                                    name: Some("http".into()),
                                    ..Default::default()
                                }),
                            }),
                            ..Default::default()
                        },
                    }],
                }),
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn pdb(t: &Topology) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: meta(t, "nfl-predictor-api"),
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(t.api.autoscaling.min_replicas - 1)),
            selector: Some(selector(t)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Ingress: the API port from the ingress controller, the metrics port from Prometheus;
/// egress only to the backends and DNS.
fn network_policy(t: &Topology) -> NetworkPolicy {
    NetworkPolicy {
        metadata: meta(t, "nfl-predictor-api"),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(selector(t)),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(vec![
                NetworkPolicyIngressRule {
                    from: Some(vec![namespace_peer("ingress-nginx")]),
                    ports: Some(vec![tcp(i32::from(t.api.port))]),
                },
                NetworkPolicyIngressRule {
                    from: Some(vec![namespace_peer("monitoring")]),
                    ports: Some(vec![tcp(i32::from(t.api.metrics_port))]),
                },
            ]),
            egress: Some(vec![
                NetworkPolicyEgressRule {
                    to: Some(vec![NetworkPolicyPeer {
                        pod_selector: Some(LabelSelector::default()),
                        ..Default::default()
                    }]),
                    ports: Some(vec![tcp(7687), tcp(5432), tcp(6379)]),
                },
                dns_egress(),
            ]),
        }),
    }
}

pub(super) fn yaml<T: Serialize>(what: &str, value: &T) -> crate::Result<String> {
    Ok(format!(
        "---\n# {what}\n# Rendered by `cargo run -p ops -- render` from the typed topology; do not edit by hand.\n{}",
        serde_norway::to_string(value)?
    ))
}

pub fn manifests(t: &Topology) -> crate::Result<Vec<Artifact>> {
    let files = vec![
        ("k8s/00-namespace.yaml", yaml("Namespace", &namespace(t))?),
        (
            "k8s/01-configmap.yaml",
            yaml("Non-secret configuration", &config_map(t))?,
        ),
        (
            "k8s/02-secret.example.yaml",
            yaml(
                "Secret TEMPLATE: placeholders only; create the real one out of band",
                &secret(t),
            )?,
        ),
        (
            "k8s/03-pvc.yaml",
            yaml("Model registry and admin key", &pvc(t))?,
        ),
        ("k8s/10-deployment.yaml", yaml("The API", &deployment(t))?),
        (
            "k8s/11-service.yaml",
            yaml("The API inside the cluster", &service(t))?,
        ),
        ("k8s/12-hpa.yaml", yaml("Autoscaling", &hpa(t))?),
        ("k8s/13-pdb.yaml", yaml("Disruption budget", &pdb(t))?),
        (
            "k8s/20-ingress.yaml",
            yaml("TLS ingress (cert-manager)", &ingress(t))?,
        ),
        (
            "k8s/21-networkpolicy.yaml",
            yaml("Network policy", &network_policy(t))?,
        ),
    ];
    Ok(files
        .into_iter()
        .map(|(path, contents)| Artifact::new(path, contents))
        .collect())
}
