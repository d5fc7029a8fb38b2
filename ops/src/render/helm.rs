//! The Helm chart (`deploy/helm/nfl-predictor`), rendered from the same [`Topology`] as the
//! plain manifests, so there is one source of truth:
//!
//! - `values.yaml` holds the topology's choices (image, replicas, autoscaling, resources,
//!   domain and TLS, the Secret, which data-tier pieces run in the cluster, monitoring), and
//!   `values.schema.json` is generated from the same structure: a wrong values file fails
//!   `helm lint`/`install` with the field named.
//! - The templates are the plain manifests ([`super::k8s`], [`super::k8s_data`]) with each
//!   topology value replaced by its `.Values` expression ([`Subst`]: every replacement must
//!   match, or rendering fails), so `helm template` with the defaults gives the plain
//!   manifests back (`ops validate` compares them object by object).
//! - Charts of the data tier an operator may already run are not fetched: `neo4j.enabled`,
//!   `timescaledb.enabled`, `redis.enabled` set to false point the API at external endpoints
//!   (`neo4j.uri`; the database and Redis URLs in the Secret) instead.
//! - The migration Job is left out: the API migrates PostgreSQL itself on start, under
//!   sqlx's advisory lock, so one release of several replicas migrates once.
//!
//! May call [`super::k8s`], [`super::k8s_data`] and [`super::monitoring`].

use serde_json::{json, Value};

use super::{k8s, k8s_data, monitoring, Artifact};
use crate::topology::Topology;

/// Where the chart lives.
pub const CHART_DIR: &str = "deploy/helm/nfl-predictor";

/// The values files `ops validate` renders the chart with, besides the defaults: a data tier
/// outside the cluster with Prometheus Operator objects on, and a small install; and one that
/// must be refused.
pub const CI_VALUES: [&str; 2] = ["ci/external-data-values.yaml", "ci/small-values.yaml"];
pub const BAD_VALUES: &str = "ci/bad-values.yaml";

/// The Secret the API reads its credentials from when `existingSecret` names none.
const SECRET: &str = k8s_data::SECRET;

fn values(t: &Topology) -> Value {
    let (repository, tag) = t.api.image.rsplit_once(':').expect("image has a tag");
    let a = &t.api.autoscaling;
    let r = &t.api.resources;
    json!({
        "image": { "repository": repository, "tag": tag, "pullPolicy": "IfNotPresent" },
        "replicaCount": t.api.replicas,
        "autoscaling": {
            "enabled": true,
            "minReplicas": a.min_replicas,
            "maxReplicas": a.max_replicas,
            "targetCPUUtilizationPercentage": a.cpu_utilization,
            "targetMemoryUtilizationPercentage": a.memory_utilization,
        },
        "resources": {
            "requests": { "cpu": r.cpu_request, "memory": r.memory_request },
            "limits": { "cpu": r.cpu_limit, "memory": r.memory_limit },
        },
        "domain": t.domain,
        "ingress": {
            "enabled": true,
            "tls": { "enabled": true, "secretName": format!("{}-tls", t.name), "clusterIssuer": "letsencrypt-prod" },
        },
        "existingSecret": SECRET,
        "secrets": {
            "apiSecret": "",
            "neo4jPassword": "",
            "postgresPassword": "",
            "redisPassword": "",
            "databaseUrl": "",
            "redisUrl": "",
        },
        "neo4j": { "enabled": true, "uri": "neo4j:7687", "user": "neo4j" },
        "timescaledb": { "enabled": true },
        "redis": { "enabled": true },
        "backups": { "enabled": true },
        // Egress rules added to the API's NetworkPolicy: an external data tier's addresses
        // and ports (the policy lets the API reach only its namespace's stores and DNS).
        "networkPolicy": { "extraEgress": [] },
        "serviceMonitor": { "enabled": false, "interval": "15s", "labels": {} },
        "prometheusRule": { "enabled": false, "labels": {} },
    })
}

/// A JSON Schema leaf.
fn string() -> Value {
    json!({ "type": "string" })
}

fn boolean() -> Value {
    json!({ "type": "boolean" })
}

fn object(props: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "additionalProperties": false, "properties": props, "required": required })
}

/// `values.schema.json`: every key of [`values`], typed, no unknown key anywhere (a typo is
/// an error, not a silently ignored setting).
fn schema() -> Value {
    let quantity =
        json!({ "type": ["string", "integer"], "pattern": "^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$" });
    let pair = object(
        json!({ "cpu": quantity, "memory": quantity }),
        &["cpu", "memory"],
    );
    let percent = json!({ "type": "integer", "minimum": 1, "maximum": 100 });
    let labels = json!({ "type": "object", "additionalProperties": { "type": "string" } });
    let mut s = object(
        json!({
            "image": object(json!({
                "repository": { "type": "string", "minLength": 1 },
                "tag": { "type": "string", "minLength": 1 },
                "pullPolicy": { "enum": ["Always", "IfNotPresent", "Never"] },
            }), &["repository", "tag", "pullPolicy"]),
            "replicaCount": { "type": "integer", "minimum": 1 },
            "autoscaling": object(json!({
                "enabled": boolean(),
                "minReplicas": { "type": "integer", "minimum": 1 },
                "maxReplicas": { "type": "integer", "minimum": 1 },
                "targetCPUUtilizationPercentage": percent,
                "targetMemoryUtilizationPercentage": percent,
            }), &["enabled", "minReplicas", "maxReplicas"]),
            "resources": object(json!({ "requests": pair, "limits": pair }), &["requests", "limits"]),
            "domain": { "type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$" },
            "ingress": object(json!({
                "enabled": boolean(),
                "tls": object(json!({
                    "enabled": boolean(),
                    "secretName": string(),
                    "clusterIssuer": string(),
                }), &["enabled"]),
            }), &["enabled"]),
            "existingSecret": string(),
            "secrets": object(json!({
                "apiSecret": string(),
                "neo4jPassword": string(),
                "postgresPassword": string(),
                "redisPassword": string(),
                "databaseUrl": { "type": "string", "pattern": "^(postgres(ql)?://.*)?$" },
                "redisUrl": { "type": "string", "pattern": "^(rediss?://.*)?$" },
            }), &[]),
            "neo4j": object(json!({
                "enabled": boolean(),
                "uri": { "type": "string", "minLength": 1 },
                "user": { "type": "string", "minLength": 1 },
            }), &["enabled", "uri"]),
            "timescaledb": object(json!({ "enabled": boolean() }), &["enabled"]),
            "redis": object(json!({ "enabled": boolean() }), &["enabled"]),
            "backups": object(json!({ "enabled": boolean() }), &["enabled"]),
            "networkPolicy": object(json!({
                "extraEgress": { "type": "array", "items": { "type": "object" } },
            }), &[]),
            "serviceMonitor": object(json!({
                "enabled": boolean(),
                "interval": { "type": "string", "pattern": "^[0-9]+(ms|s|m|h)$" },
                "labels": labels,
            }), &["enabled"]),
            "prometheusRule": object(json!({ "enabled": boolean(), "labels": labels }), &["enabled"]),
        }),
        &[
            "image",
            "replicaCount",
            "autoscaling",
            "resources",
            "domain",
            "existingSecret",
            "neo4j",
        ],
    );
    s["$schema"] = json!("https://json-schema.org/draft-07/schema#");
    s["title"] = json!("nfl-predictor chart values (generated by `cargo run -p ops -- render`)");
    s
}

/// Replacements in a rendered manifest: each `from` must occur, or rendering fails (a
/// manifest that changed under the chart is caught at render time, not at install).
struct Subst<'a> {
    file: &'a str,
    text: String,
}

impl<'a> Subst<'a> {
    fn new(file: &'a str, text: &str, namespace: &str) -> Self {
        let text = text
            .replace(
                "# Rendered by `cargo run -p ops -- render` from the typed topology; do not edit by hand.",
                "# Rendered by `cargo run -p ops -- render` into the chart from the typed topology; do not edit by hand.",
            )
            .replace(
                &format!("\n  namespace: {namespace}\n"),
                "\n  namespace: {{ .Release.Namespace }}\n",
            );
        Self { file, text }
    }

    fn sub(mut self, from: &str, to: &str) -> crate::Result<Self> {
        if !self.text.contains(from) {
            return Err(crate::Error::Invalid(format!(
                "helm chart: {} no longer contains {from:?}",
                self.file
            )));
        }
        self.text = self.text.replace(from, to);
        Ok(self)
    }

    /// The whole file only when `condition` holds.
    fn when(self, condition: &str) -> String {
        format!("{{{{- if {condition} }}}}\n{}{{{{- end }}}}\n", self.text)
    }

    fn done(self) -> String {
        self.text
    }
}

/// The rendered text of the plain manifest at `path` (empty when there is none, which the
/// first replacement then reports).
fn contents(plain: &[Artifact], path: &str) -> String {
    plain
        .iter()
        .find(|a| a.path.to_str() == Some(path))
        .map(|a| a.contents.clone())
        .unwrap_or_default()
}

fn api_templates(t: &Topology) -> crate::Result<Vec<(&'static str, String)>> {
    let plain = k8s::manifests(t)?;
    let file = |path: &str| contents(&plain, path);
    let ns = t.namespace;
    let r = &t.api.resources;
    let a = &t.api.autoscaling;
    let domain = t.domain;
    let config = Subst::new("configmap", &file("k8s/01-configmap.yaml"), ns)
        .sub(
            &format!("  CORS_ORIGINS: https://{domain}\n"),
            "  CORS_ORIGINS: {{ printf \"https://%s\" .Values.domain | quote }}\n",
        )?
        .sub(
            &format!("  PUBLIC_BASE_URL: https://{domain}\n"),
            "  PUBLIC_BASE_URL: {{ printf \"https://%s\" .Values.domain | quote }}\n",
        )?
        .sub(
            "  NEO4J_URI: neo4j:7687\n",
            "  NEO4J_URI: {{ .Values.neo4j.uri | quote }}\n",
        )?
        .sub(
            "  NEO4J_USER: neo4j\n",
            "  NEO4J_USER: {{ .Values.neo4j.user | quote }}\n",
        )?
        .done();
    let resources = format!(
        "        resources:\n          limits:\n            cpu: {}\n            memory: {}\n          requests:\n            cpu: {}\n            memory: {}\n",
        r.cpu_limit, r.memory_limit, r.cpu_request, r.memory_request
    );
    let deployment = Subst::new("deployment", &file("k8s/10-deployment.yaml"), ns)
        .sub(
            &format!("  replicas: {}\n", t.api.replicas),
            "  replicas: {{ .Values.replicaCount }}\n",
        )?
        .sub(
            &format!("        image: {}\n", t.api.image),
            "        image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n",
        )?
        .sub(
            "        imagePullPolicy: IfNotPresent\n",
            "        imagePullPolicy: {{ .Values.image.pullPolicy }}\n",
        )?
        .sub(
            &resources,
            "        resources:\n          {{- toYaml .Values.resources | nindent 10 }}\n",
        )?
        .sub(
            &format!("        - secretRef:\n            name: {SECRET}\n"),
            &format!("        - secretRef:\n            name: {{{{ .Values.existingSecret | default \"{SECRET}\" }}}}\n"),
        )?
        .sub(
            "        prometheus.io/scrape: 'true'\n",
            "        prometheus.io/scrape: 'true'\n        checksum/config: {{ include (print $.Template.BasePath \"/configmap.yaml\") . | sha256sum | trunc 16 | quote }}\n",
        )?
        .done();
    let hpa = Subst::new("hpa", &file("k8s/12-hpa.yaml"), ns)
        .sub(
            &format!("  maxReplicas: {}\n", a.max_replicas),
            "  maxReplicas: {{ .Values.autoscaling.maxReplicas }}\n",
        )?
        .sub(
            &format!("  minReplicas: {}\n", a.min_replicas),
            "  minReplicas: {{ .Values.autoscaling.minReplicas }}\n",
        )?
        .sub(
            &format!("        averageUtilization: {}\n        type: Utilization\n    type: Resource\n  - resource:\n      name: memory", a.cpu_utilization),
            "        averageUtilization: {{ .Values.autoscaling.targetCPUUtilizationPercentage }}\n        type: Utilization\n    type: Resource\n  - resource:\n      name: memory",
        )?
        .sub(
            &format!("        averageUtilization: {}\n", a.memory_utilization),
            "        averageUtilization: {{ .Values.autoscaling.targetMemoryUtilizationPercentage }}\n",
        )?
        .when(".Values.autoscaling.enabled");
    let ingress = Subst::new("ingress", &file("k8s/20-ingress.yaml"), ns)
        .sub(
            "    cert-manager.io/cluster-issuer: letsencrypt-prod\n",
            "    {{- if .Values.ingress.tls.enabled }}\n    cert-manager.io/cluster-issuer: {{ .Values.ingress.tls.clusterIssuer }}\n    {{- end }}\n",
        )?
        .sub(
            "    nginx.ingress.kubernetes.io/ssl-redirect: 'true'\n",
            "    nginx.ingress.kubernetes.io/ssl-redirect: {{ .Values.ingress.tls.enabled | quote }}\n",
        )?
        .sub(
            &format!("  - host: {domain}\n"),
            "  - host: {{ .Values.domain }}\n",
        )?
        .sub(
            &format!("  tls:\n  - hosts:\n    - {domain}\n    secretName: {}-tls\n", t.name),
            "  {{- if .Values.ingress.tls.enabled }}\n  tls:\n  - hosts:\n    - {{ .Values.domain }}\n    secretName: {{ .Values.ingress.tls.secretName }}\n  {{- end }}\n",
        )?
        .when(".Values.ingress.enabled");
    Ok(vec![
        ("templates/configmap.yaml", config),
        (
            "templates/pvc.yaml",
            Subst::new("pvc", &file("k8s/03-pvc.yaml"), ns).done(),
        ),
        ("templates/deployment.yaml", deployment),
        (
            "templates/service.yaml",
            Subst::new("service", &file("k8s/11-service.yaml"), ns).done(),
        ),
        ("templates/hpa.yaml", hpa),
        (
            "templates/pdb.yaml",
            Subst::new("pdb", &file("k8s/13-pdb.yaml"), ns).done(),
        ),
        ("templates/ingress.yaml", ingress),
        (
            "templates/networkpolicy.yaml",
            Subst::new("networkpolicy", &file("k8s/21-networkpolicy.yaml"), ns)
                .sub(
                    "          kubernetes.io/metadata.name: kube-system\n  ingress:\n",
                    "          kubernetes.io/metadata.name: kube-system\n  {{- with .Values.networkPolicy.extraEgress }}\n  {{- toYaml . | nindent 2 }}\n  {{- end }}\n  ingress:\n",
                )?
                .done(),
        ),
    ])
}

fn data_templates(t: &Topology) -> crate::Result<Vec<(&'static str, String)>> {
    let plain = k8s_data::manifests(t)?;
    let file = |path: &str| contents(&plain, path);
    let ns = t.namespace;
    Ok(vec![
        (
            "templates/neo4j.yaml",
            Subst::new("neo4j", &file("k8s/30-neo4j.yaml"), ns).when(".Values.neo4j.enabled"),
        ),
        (
            "templates/timescaledb.yaml",
            Subst::new("timescaledb", &file("k8s/31-timescaledb.yaml"), ns)
                .when(".Values.timescaledb.enabled"),
        ),
        (
            "templates/redis.yaml",
            Subst::new("redis", &file("k8s/32-redis.yaml"), ns).when(".Values.redis.enabled"),
        ),
        (
            "templates/backups.yaml",
            Subst::new("backups", &file("k8s/50-backups.yaml"), ns).when(
                "and .Values.backups.enabled .Values.neo4j.enabled .Values.timescaledb.enabled .Values.redis.enabled",
            ),
        ),
    ])
}

/// The Secret the chart makes when `existingSecret` is empty: every credential required, by
/// name, and the URLs of the in-cluster stores built from their passwords (an external
/// store's URL is given whole).
fn secret_template(t: &Topology) -> String {
    let db = t.timescale.database;
    let user = t.timescale.user;
    format!(
        r#"{{{{- if not .Values.existingSecret }}}}
{{{{- $s := .Values.secrets }}}}
---
# The API's credentials, made by the chart because `existingSecret` is empty.
apiVersion: v1
kind: Secret
metadata:
  labels:
    app.kubernetes.io/component: api
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: {name}
  name: {SECRET}
  namespace: {{{{ .Release.Namespace }}}}
type: Opaque
stringData:
  API_SECRET: {{{{ required "secrets.apiSecret is required when existingSecret is empty (at least 16 characters)" $s.apiSecret | quote }}}}
  NEO4J_PASSWORD: {{{{ required "secrets.neo4jPassword is required when existingSecret is empty" $s.neo4jPassword | quote }}}}
  NEO4J_AUTH: {{{{ printf "neo4j/%s" $s.neo4jPassword | quote }}}}
  {{{{- if .Values.timescaledb.enabled }}}}
  POSTGRES_PASSWORD: {{{{ required "secrets.postgresPassword is required for the in-cluster TimescaleDB" $s.postgresPassword | quote }}}}
  DATABASE_URL: {{{{ printf "postgres://{user}:%s@timescaledb:5432/{db}" $s.postgresPassword | quote }}}}
  {{{{- else }}}}
  DATABASE_URL: {{{{ required "secrets.databaseUrl is required when timescaledb.enabled is false (the external PostgreSQL)" $s.databaseUrl | quote }}}}
  {{{{- end }}}}
  {{{{- if .Values.redis.enabled }}}}
  REDIS_PASSWORD: {{{{ required "secrets.redisPassword is required for the in-cluster Redis" $s.redisPassword | quote }}}}
  REDIS_URL: {{{{ printf "redis://:%s@redis:6379/0" $s.redisPassword | quote }}}}
  {{{{- else }}}}
  REDIS_URL: {{{{ required "secrets.redisUrl is required when redis.enabled is false (the external Redis)" $s.redisUrl | quote }}}}
  {{{{- end }}}}
{{{{- end }}}}
"#,
        name = t.name,
    )
}

/// The Prometheus Operator's objects: a ServiceMonitor on the API's metrics port and the
/// alert and recording rules as a PrometheusRule.
fn monitoring_templates(t: &Topology) -> crate::Result<Vec<(&'static str, String)>> {
    let service_monitor = format!(
        r#"{{{{- if .Values.serviceMonitor.enabled }}}}
---
# Prometheus Operator: scrape the API's internal metrics port.
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  labels:
    app.kubernetes.io/component: api
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: {name}
    {{{{- with .Values.serviceMonitor.labels }}}}
    {{{{- toYaml . | nindent 4 }}}}
    {{{{- end }}}}
  name: {name}-api
  namespace: {{{{ .Release.Namespace }}}}
spec:
  endpoints:
  - interval: {{{{ .Values.serviceMonitor.interval }}}}
    path: {path}
    port: metrics
  selector:
    matchLabels:
      app.kubernetes.io/component: api
      app.kubernetes.io/name: {name}
{{{{- end }}}}
"#,
        name = t.name,
        path = t.api.metrics_path,
    );
    // The rules file's groups, indented under `spec:`; Prometheus's own template braces in
    // the annotations are passed through Helm untouched.
    let rules = monitoring::alert_rules(t)?;
    let groups = rules
        .lines()
        .filter(|l| *l != "---")
        .map(|l| format!("  {l}\n"))
        .collect::<String>()
        .replace("{{ $labels.instance }}", "{{`{{ $labels.instance }}`}}")
        .replace("{{ $labels.job }}", "{{`{{ $labels.job }}`}}")
        .replace("{{ $value }}", "{{`{{ $value }}`}}");
    let rule = format!(
        r#"{{{{- if .Values.prometheusRule.enabled }}}}
---
# Prometheus Operator: the alert and recording rules of monitoring/prometheus/alerts.yml.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  labels:
    app.kubernetes.io/component: api
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: {name}
    {{{{- with .Values.prometheusRule.labels }}}}
    {{{{- toYaml . | nindent 4 }}}}
    {{{{- end }}}}
  name: {name}
  namespace: {{{{ .Release.Namespace }}}}
spec:
{groups}{{{{- end }}}}
"#,
        name = t.name,
    );
    Ok(vec![
        ("templates/servicemonitor.yaml", service_monitor),
        ("templates/prometheusrule.yaml", rule),
    ])
}

fn ci_values() -> [(&'static str, Value); 3] {
    [
        (
            CI_VALUES[0],
            json!({
                "existingSecret": "",
                "secrets": {
                    "apiSecret": "ci-secret-at-least-16-characters",
                    "neo4jPassword": "ci-neo4j",
                    "databaseUrl": "postgres://nflp:ci@pg.data.example.net:5432/nflp?sslmode=require",
                    "redisUrl": "rediss://:ci@cache.data.example.net:6380/0",
                },
                "neo4j": { "enabled": false, "uri": "neo4j+s://graph.data.example.net:7687" },
                "timescaledb": { "enabled": false },
                "redis": { "enabled": false },
                "backups": { "enabled": false },
                "networkPolicy": { "extraEgress": [{
                    "to": [{ "ipBlock": { "cidr": "10.20.0.0/16" } }],
                    "ports": [
                        { "port": 7687, "protocol": "TCP" },
                        { "port": 5432, "protocol": "TCP" },
                        { "port": 6380, "protocol": "TCP" },
                    ],
                }] },
                "serviceMonitor": { "enabled": true, "labels": { "release": "kube-prometheus-stack" } },
                "prometheusRule": { "enabled": true, "labels": { "release": "kube-prometheus-stack" } },
            }),
        ),
        (
            CI_VALUES[1],
            json!({
                "image": { "tag": "0.1.0-rc1", "pullPolicy": "Always" },
                "replicaCount": 1,
                "autoscaling": { "enabled": false },
                "resources": {
                    "requests": { "cpu": "250m", "memory": "512Mi" },
                    "limits": { "cpu": "500m", "memory": "1Gi" },
                },
                "domain": "nfl.staging.example.org",
                "ingress": { "tls": { "enabled": false } },
            }),
        ),
        (
            BAD_VALUES,
            json!({
                "replicaCount": "three",
                "autoscaling": { "enabled": "sometimes" },
                "resoures": { "limits": { "cpu": "1" } },
            }),
        ),
    ]
}

fn yaml_doc(what: &str, v: &Value) -> crate::Result<String> {
    Ok(format!(
        "---\n# {what}\n# Rendered by `cargo run -p ops -- render` from the typed topology; do not edit by hand.\n{}",
        serde_norway::to_string(v)?
    ))
}

/// Every file of the chart.
pub fn chart(t: &Topology) -> crate::Result<Vec<Artifact>> {
    let version = t.api.image.rsplit_once(':').map_or("0.1.0", |(_, v)| v);
    let mut files: Vec<(String, String)> = vec![
        (
            "Chart.yaml".into(),
            yaml_doc(
                "The chart (no dependency: the data tier is in-cluster templates or external endpoints)",
                &json!({
                    "apiVersion": "v2",
                    "name": t.name,
                    "description": "NFL game predictions with provenance: the API, its data tier (Neo4j, TimescaleDB, Redis) or external endpoints, and Prometheus Operator objects",
                    "type": "application",
                    "version": version,
                    "appVersion": version,
                }),
            )?,
        ),
        (
            "values.yaml".into(),
            yaml_doc(
                "Defaults: the production topology. `existingSecret` names a Secret made out of band (k8s/02-secret.example.yaml shows its keys); empty, the chart makes it from `secrets`",
                &values(t),
            )?,
        ),
        (
            "values.schema.json".into(),
            format!("{}\n", serde_json::to_string_pretty(&schema())?),
        ),
        ("templates/secret.yaml".into(), secret_template(t)),
        (
            "templates/NOTES.txt".into(),
            "nfl-predictor {{ .Chart.AppVersion }} in {{ .Release.Namespace }}: https://{{ .Values.domain }}/\n\
             Probes: /livez (liveness), /readyz (readiness), /health (the dependency report).\n\
             The first admin key is printed once in the first API pod's log (api-key-created).\n"
                .into(),
        ),
        (
            ".helmignore".into(),
            "# Rendered by `cargo run -p ops -- render`.\nci/\n".into(),
        ),
    ];
    for (path, text) in api_templates(t)?
        .into_iter()
        .chain(data_templates(t)?)
        .chain(monitoring_templates(t)?)
    {
        files.push((path.into(), text));
    }
    for (path, v) in ci_values() {
        let what = if path == BAD_VALUES {
            "Must be refused by the schema (ops validate checks helm lint fails naming the fields)"
        } else {
            "A values file ops validate renders the chart with"
        };
        files.push((path.into(), yaml_doc(what, &v)?));
    }
    Ok(files
        .into_iter()
        .map(|(p, c)| Artifact::new(format!("{CHART_DIR}/{p}"), c))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_value_is_allowed_by_the_generated_schema_and_every_key_is_described() {
        let v = values(&Topology::production());
        let s = schema();
        fn walk(v: &Value, s: &Value, at: &str) {
            let Some(obj) = v.as_object() else { return };
            let props = s["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{at}: no properties"));
            for (k, child) in obj {
                let sub = props
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}.{k} is a value without a schema"));
                if sub["type"] == "object" && sub.get("properties").is_some() {
                    walk(child, sub, &format!("{at}.{k}"));
                }
            }
        }
        walk(&v, &s, "");
    }

    #[test]
    fn the_chart_renders_and_every_template_replacement_matched() {
        let files = chart(&Topology::production()).unwrap();
        let deployment = files
            .iter()
            .find(|a| a.path.ends_with("templates/deployment.yaml"))
            .unwrap();
        for expr in [
            ".Values.replicaCount",
            ".Values.image.repository",
            "toYaml .Values.resources",
            ".Values.existingSecret",
            "namespace: {{ .Release.Namespace }}",
        ] {
            assert!(deployment.contents.contains(expr), "{expr}");
        }
        assert!(!deployment.contents.contains("namespace: nfl-predictor\n"));
    }
}
