//! `ops render`: every deployment artifact, derived from one [`Topology`].

pub mod compose;
pub mod docker;
pub mod helm;
pub mod k8s;
pub mod k8s_data;
pub mod monitoring;
pub mod nginx;

use std::path::{Path, PathBuf};

use crate::topology::{Placement, Topology};
use crate::Error;

/// One rendered file, by its path relative to the repository root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub path: PathBuf,
    pub contents: String,
}

impl Artifact {
    pub fn new(path: impl Into<PathBuf>, contents: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            contents: contents.into(),
        }
    }
}

/// Every committed artifact, in a stable order.
pub fn all(t: &Topology) -> crate::Result<Vec<Artifact>> {
    let mut out = vec![
        Artifact::new("docker/Dockerfile", docker::dockerfile(t)),
        Artifact::new(".dockerignore", docker::dockerignore()),
        Artifact::new("docker-compose.yml", compose::compose(t)?),
        Artifact::new(
            "docker-compose.development.yml",
            compose::compose_development(t)?,
        ),
        Artifact::new(".env.example", compose::env_example(true)),
        Artifact::new(".env.development.example", compose::env_example(false)),
        Artifact::new(
            "nginx/nginx.conf",
            nginx::nginx_conf(t, &nginx::NginxTarget::compose(t)),
        ),
        Artifact::new(
            "monitoring/prometheus/prometheus.yml",
            monitoring::prometheus_config(t, &Placement::Compose, None, None)?,
        ),
        Artifact::new(
            "monitoring/prometheus/alerts.yml",
            monitoring::alert_rules(t)?,
        ),
        Artifact::new(
            "monitoring/prometheus/rules.test.yml",
            monitoring::rule_tests(t),
        ),
        Artifact::new(
            "monitoring/alertmanager/alertmanager.yml",
            monitoring::alertmanager_config()?,
        ),
        Artifact::new(
            "monitoring/grafana/provisioning/datasources/prometheus.yml",
            monitoring::grafana_datasource()?,
        ),
        Artifact::new(
            "monitoring/grafana/provisioning/dashboards/nfl-predictor.yml",
            monitoring::grafana_dashboard_provider()?,
        ),
    ];
    out.extend(k8s::manifests(t)?);
    out.extend(k8s_data::manifests(t)?);
    out.extend(monitoring::grafana_dashboards()?);
    out.extend(helm::chart(t)?);
    Ok(out)
}

/// Writes every artifact under `root`; returns the paths whose contents changed.
pub fn write(root: &Path, artifacts: &[Artifact]) -> crate::Result<Vec<PathBuf>> {
    let mut changed = Vec::new();
    for a in artifacts {
        let path = root.join(&a.path);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(a.contents.as_str()) {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        }
        std::fs::write(&path, &a.contents).map_err(|e| Error::io("write", &path, e))?;
        changed.push(a.path.clone());
    }
    Ok(changed)
}

/// The artifacts whose committed file under `root` is missing or differs from the render.
pub fn drift(root: &Path, artifacts: &[Artifact]) -> Vec<PathBuf> {
    artifacts
        .iter()
        .filter(|a| {
            std::fs::read_to_string(root.join(&a.path)).ok().as_deref() != Some(a.contents.as_str())
        })
        .map(|a| a.path.clone())
        .collect()
}
