//! The Helm chart through real Helm: `helm lint` with the defaults and each CI values file,
//! a refusal of the bad values file naming its fields (the generated schema at work), `helm
//! template` of each through `kubernetes-validate --strict`, the Prometheus Operator objects
//! checked (the rules by `promtool check rules`; the ServiceMonitor's shape, as the Operator's
//! CRD schemas are not at hand here), and the defaults' output equal to the plain manifests,
//! object by object. Helm comes from `scripts/install-helm` (`HELM`, else `helm` on PATH).
//! May call [`super::run`] and [`crate::render::helm`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::run;
use crate::render::helm::{BAD_VALUES, CHART_DIR, CI_VALUES};
use crate::{Error, Result};

/// Kinds the Prometheus Operator defines (not in Kubernetes' own schemas).
const OPERATOR_KINDS: [&str; 2] = ["ServiceMonitor", "PrometheusRule"];

fn helm() -> Command {
    Command::new(std::env::var("HELM").unwrap_or_else(|_| "helm".into()))
}

fn invalid(what: &str, output: String) -> Error {
    Error::Validation {
        what: what.into(),
        output,
    }
}

/// Parses a multi-document YAML stream into its objects (empty documents dropped).
fn objects(text: &str) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let v: Value = serde::Deserialize::deserialize(doc)
            .map_err(|e| invalid("parse rendered YAML", e.to_string()))?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

fn key(v: &Value) -> (String, String) {
    (
        v["kind"].as_str().unwrap_or_default().to_string(),
        v["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// `helm template` of the chart with `values` (none: the defaults).
fn template(root: &Path, values: Option<&str>) -> Result<String> {
    let chart = root.join(CHART_DIR);
    let mut cmd = helm();
    cmd.args(["template", "nflp"])
        .arg(&chart)
        .args(["--namespace", "nfl-predictor"]);
    if let Some(v) = values {
        cmd.arg("-f").arg(chart.join(v));
    }
    run(
        &format!("helm template ({})", values.unwrap_or("defaults")),
        &mut cmd,
    )
}

/// The rendered objects through kubernetes-validate; the Operator's through their checks.
fn validate_objects(tmp: &Path, name: &str, objs: &[Value]) -> Result<usize> {
    let (operator, core): (Vec<&Value>, Vec<&Value>) = objs
        .iter()
        .partition(|o| OPERATOR_KINDS.contains(&o["kind"].as_str().unwrap_or_default()));
    let mut files: Vec<PathBuf> = Vec::new();
    for (i, o) in core.iter().enumerate() {
        let p = tmp.join(format!("{name}-{i}.yaml"));
        std::fs::write(
            &p,
            serde_norway::to_string(o).map_err(|e| invalid("yaml", e.to_string()))?,
        )
        .map_err(|e| Error::io("write", &p, e))?;
        files.push(p);
    }
    run(
        "kubernetes-validate --strict (helm template)",
        Command::new("kubernetes-validate")
            .args(["--strict", "--quiet", "-k", "1.33.0"])
            .args(&files),
    )?;
    for o in operator {
        match o["kind"].as_str() {
            Some("PrometheusRule") => {
                let p = tmp.join(format!("{name}-rules.yaml"));
                let spec = serde_norway::to_string(&o["spec"])
                    .map_err(|e| invalid("yaml", e.to_string()))?;
                std::fs::write(&p, spec).map_err(|e| Error::io("write", &p, e))?;
                run(
                    "promtool check rules (PrometheusRule)",
                    Command::new("promtool").args(["check", "rules"]).arg(&p),
                )?;
            }
            _ => {
                let e = &o["spec"]["endpoints"][0];
                let ok = o["apiVersion"] == "monitoring.coreos.com/v1"
                    && e["port"] == "metrics"
                    && e["path"].is_string()
                    && o["spec"]["selector"]["matchLabels"].is_object();
                if !ok {
                    return Err(invalid("ServiceMonitor", format!("{o}")));
                }
            }
        }
    }
    Ok(objs.len())
}

/// The defaults give the plain manifests back (the chart's only addition, the config checksum
/// that rolls the pods on a ConfigMap change, aside).
fn same_as_plain(root: &Path, chart: &[Value]) -> Result<usize> {
    let mut plain = BTreeMap::new();
    for entry in
        std::fs::read_dir(root.join("k8s")).map_err(|e| Error::io("list", &root.join("k8s"), e))?
    {
        let path = entry
            .map_err(|e| Error::io("list", &root.join("k8s"), e))?
            .path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        // Not in the chart: the namespace (Helm's --namespace), the Secret example (the chart
        // reads `existingSecret`), the migration Job (the API migrates on start).
        if [
            "00-namespace.yaml",
            "02-secret.example.yaml",
            "40-migrate-job.yaml",
        ]
        .contains(&name)
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, e))?;
        for o in objects(&text)? {
            plain.insert(key(&o), o);
        }
    }
    let mut rendered = BTreeMap::new();
    for o in chart {
        let mut o = o.clone();
        // (pointer_mut: indexing a Value mutably would add the keys it looks for.)
        if let Some(a) = o
            .pointer_mut("/spec/template/metadata/annotations")
            .and_then(Value::as_object_mut)
        {
            a.remove("checksum/config");
        }
        rendered.insert(key(&o), o);
    }
    let mut problems = Vec::new();
    for (k, p) in &plain {
        match rendered.get(k) {
            None => problems.push(format!("{k:?} is in k8s/ but not in the chart's defaults")),
            Some(r) if r != p => {
                problems.push(format!("{k:?} differs:\n  plain: {p}\n  chart: {r}"))
            }
            Some(_) => {}
        }
    }
    for k in rendered.keys().filter(|k| !plain.contains_key(*k)) {
        problems.push(format!("{k:?} is in the chart's defaults but not in k8s/"));
    }
    if problems.is_empty() {
        Ok(plain.len())
    } else {
        Err(invalid("chart defaults vs k8s/", problems.join("\n")))
    }
}

pub fn chart(root: &Path) -> Result<String> {
    let chart_dir = root.join(CHART_DIR);
    let tmp = tempfile::tempdir().map_err(|e| Error::io("create", Path::new("tempdir"), e))?;
    run("helm lint (defaults)", helm().arg("lint").arg(&chart_dir))?;
    for v in CI_VALUES {
        run(
            &format!("helm lint ({v})"),
            helm()
                .arg("lint")
                .arg(&chart_dir)
                .arg("-f")
                .arg(chart_dir.join(v)),
        )?;
    }
    // The bad values file: refused, with each wrong field named.
    match run(
        "helm lint (bad values)",
        helm()
            .arg("lint")
            .arg(&chart_dir)
            .arg("-f")
            .arg(chart_dir.join(BAD_VALUES)),
    ) {
        Ok(out) => {
            return Err(invalid(
                "helm lint (bad values)",
                format!("accepted:\n{out}"),
            ))
        }
        Err(Error::Validation { output, .. }) => {
            for field in ["replicaCount", "autoscaling", "resoures"] {
                if !output.contains(field) {
                    return Err(invalid(
                        "helm lint (bad values)",
                        format!("refused without naming {field}:\n{output}"),
                    ));
                }
            }
        }
        Err(e) => return Err(e),
    }
    let defaults = objects(&template(root, None)?)?;
    let mut counts = vec![validate_objects(tmp.path(), "defaults", &defaults)?];
    let same = same_as_plain(root, &defaults)?;
    for (i, v) in CI_VALUES.iter().enumerate() {
        let objs = objects(&template(root, Some(v))?)?;
        counts.push(validate_objects(tmp.path(), &format!("ci{i}"), &objs)?);
    }
    Ok(format!(
        "helm lint, template ×3 ({} objects) through kubernetes-validate; bad values refused; defaults = k8s/ ({same} objects)",
        counts.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("/")
    ))
}
