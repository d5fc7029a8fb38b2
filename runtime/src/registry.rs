//! Model versions: fitted parameters saved with their back-test metrics, a `current` pointer,
//! and the activation history that rollback walks back. On the production backends they live
//! in the shared graph, so activating or rolling back anywhere switches every instance (the
//! pointer moves the history generation, which every instance checks); on the embedded default
//! they are files under `$DATA_DIR/models`, and `POST /admin/reload-model` loads a change.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use forecast::Params;
use graph::{Graph, ModelPointer};
use serde::{Deserialize, Serialize};

use crate::backtest::Report;
use crate::error::RegistryError;

/// Version id of the built-in parameters, used until a fitted version is activated.
pub const DEFAULT_VERSION: &str = "wf-2026.12.2";

type Result<T, E = RegistryError> = std::result::Result<T, E>;

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> RegistryError {
    let what = what.into();
    move |source| RegistryError::Io { what, source }
}

fn parse(what: impl Into<String>) -> impl FnOnce(serde_json::Error) -> RegistryError {
    let what = what.into();
    move |source| RegistryError::Parse { what, source }
}

fn store(what: impl Into<String>) -> impl FnOnce(graph::Error) -> RegistryError {
    let what = what.into();
    move |source| RegistryError::Graph { what, source }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VersionMetrics {
    pub from: i32,
    pub to: i32,
    pub games: usize,
    pub brier: f64,
    pub log_loss: f64,
    pub accuracy: f64,
    pub ece: f64,
    pub anchor_brier: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ModelVersion {
    pub id: String,
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "saved_params")]
    pub params: Params,
    pub metrics: VersionMetrics,
}

/// A version saved before the learned home advantage and the stacking consensus existed lacks
/// those settings: it reads as the model it was (fixed edge, exponential weights, and the
/// previous value of every other setting it does not name), so activating or rolling back to
/// it restores its behaviour. Any setting it does name is kept.
fn saved_params<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Params, D::Error> {
    let mut v = serde_json::Value::deserialize(d)?;
    if let Some(o) = v.as_object_mut() {
        if !(o.contains_key("adaptive_hfa") && o.contains_key("consensus")) {
            // Every setting it does not name is the previous model's, not today's default.
            let legacy =
                serde_json::to_value(Params::legacy()).map_err(serde::de::Error::custom)?;
            for (k, x) in legacy.as_object().into_iter().flatten() {
                o.entry(k.clone()).or_insert_with(|| x.clone());
            }
        }
    }
    serde_json::from_value(v).map_err(serde::de::Error::custom)
}

impl ModelVersion {
    pub fn from_report(id: String, report: &Report) -> Self {
        Self {
            id,
            created_at: Utc::now(),
            params: report.params.clone(),
            metrics: VersionMetrics {
                from: report.from,
                to: report.to,
                games: report.games,
                brier: report.consensus.brier,
                log_loss: report.consensus.log_loss,
                accuracy: report.consensus.accuracy,
                ece: report.consensus.ece,
                anchor_brier: report.anchor.as_ref().map(|a| a.brier),
            },
        }
    }
}

/// The model registry: shared in the graph on the production backends, files otherwise.
#[derive(Clone)]
pub enum Registry {
    Files(FileRegistry),
    Shared(Arc<dyn Graph>),
}

#[derive(Clone, Debug)]
pub struct FileRegistry {
    dir: PathBuf,
}

fn valid_id(id: &str) -> bool {
    graph::ModelVersion::parse(id).is_ok()
}

/// A version id as the graph takes it.
fn version_id(id: &str) -> Result<graph::ModelVersion> {
    graph::ModelVersion::parse(id).map_err(|_| RegistryError::InvalidId(id.to_string()))
}

impl FileRegistry {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("models"),
        }
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn write_atomic(&self, name: &str, body: &[u8]) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .map_err(io(format!("Failed to create {}", self.dir.display())))?;
        let tmp = self.dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, body).map_err(io(format!("Failed to write {}", tmp.display())))?;
        std::fs::rename(&tmp, self.dir.join(name))
            .map_err(io(format!("Failed to replace {name}")))?;
        Ok(())
    }

    pub fn save(&self, v: &ModelVersion) -> Result<()> {
        if !valid_id(&v.id) {
            return Err(RegistryError::InvalidId(v.id.clone()));
        }
        if self.path(&v.id).exists() {
            return Err(RegistryError::Exists(v.id.clone()));
        }
        let body =
            serde_json::to_vec_pretty(v).map_err(parse("Failed to serialise the version"))?;
        self.write_atomic(&format!("{}.json", v.id), &body)
    }

    pub fn get(&self, id: &str) -> Result<ModelVersion> {
        if !valid_id(id) {
            return Err(RegistryError::InvalidId(id.to_string()));
        }
        let path = self.path(id);
        let text = match std::fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RegistryError::NotFound(id.to_string()))
            }
            other => other.map_err(io(format!("Failed to read {}", path.display())))?,
        };
        serde_json::from_str(&text).map_err(parse(format!("Failed to parse {}", path.display())))
    }

    pub fn list(&self) -> Result<Vec<ModelVersion>> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Ok(out);
        };
        for e in entries {
            let name = e
                .map_err(io("Failed to list model versions"))?
                .file_name()
                .to_string_lossy()
                .to_string();
            if let Some(id) = name.strip_suffix(".json").filter(|n| !n.starts_with('.')) {
                out.push(self.get(id)?);
            }
        }
        out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(out)
    }

    fn history(&self) -> Result<Vec<String>> {
        match std::fs::read_to_string(self.dir.join("history")) {
            Ok(t) => Ok(t
                .lines()
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(io("Failed to read model history")(e)),
        }
    }

    /// The version `current` points at, if any.
    pub fn current(&self) -> Result<Option<ModelVersion>> {
        match std::fs::read_to_string(self.dir.join("current")) {
            Ok(id) => Ok(Some(self.get(id.trim())?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("Failed to read the current model pointer")(e)),
        }
    }

    /// Points `current` at `id`, remembering the previous one for rollback.
    pub fn activate(&self, id: &str) -> Result<()> {
        self.get(id)?;
        let mut history = self.history()?;
        if let Some(cur) = self.current()? {
            if cur.id == id {
                return Ok(());
            }
            history.push(cur.id);
        }
        self.write_atomic("history", history.join("\n").as_bytes())?;
        self.write_atomic("current", id.as_bytes())
    }

    /// Points `current` back at the previously active version; returns its id.
    pub fn rollback(&self) -> Result<String> {
        let mut history = self.history()?;
        let Some(prev) = history.pop() else {
            return Err(RegistryError::NoPrevious);
        };
        self.get(&prev)?;
        self.write_atomic("history", history.join("\n").as_bytes())?;
        self.write_atomic("current", prev.as_bytes())?;
        Ok(prev)
    }
}

impl Registry {
    /// Files under `data_dir` (the embedded default).
    pub fn files(data_dir: &Path) -> Self {
        Registry::Files(FileRegistry::new(data_dir))
    }

    /// Whether the registry is shared by every instance (then a rebuild reads `current`).
    pub fn is_shared(&self) -> bool {
        matches!(self, Registry::Shared(_))
    }

    pub async fn save(&self, v: &ModelVersion) -> Result<()> {
        match self {
            Registry::Files(f) => f.save(v),
            Registry::Shared(g) => {
                let id = version_id(&v.id)?;
                let doc =
                    serde_json::to_string(v).map_err(parse("Failed to serialise the version"))?;
                g.save_model_version(&id, &doc)
                    .await
                    .map_err(store(format!("Failed to save model version {}", v.id)))
            }
        }
    }

    pub async fn get(&self, id: &str) -> Result<ModelVersion> {
        match self {
            Registry::Files(f) => f.get(id),
            Registry::Shared(g) => {
                let doc = match g.model_version(&version_id(id)?).await {
                    Err(graph::Error::NotFound { .. }) => {
                        return Err(RegistryError::NotFound(id.to_string()))
                    }
                    other => other.map_err(store(format!("Failed to read model version {id}")))?,
                };
                serde_json::from_str(&doc)
                    .map_err(parse(format!("Failed to parse model version {id}")))
            }
        }
    }

    pub async fn list(&self) -> Result<Vec<ModelVersion>> {
        match self {
            Registry::Files(f) => f.list(),
            Registry::Shared(g) => {
                let mut out: Vec<ModelVersion> = g
                    .model_versions()
                    .await
                    .map_err(store("Failed to list model versions"))?
                    .iter()
                    .map(|d| {
                        serde_json::from_str(d).map_err(parse("Failed to parse a model version"))
                    })
                    .collect::<Result<_>>()?;
                out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
                Ok(out)
            }
        }
    }

    /// The version `current` points at, if any.
    pub async fn current(&self) -> Result<Option<ModelVersion>> {
        match self {
            Registry::Files(f) => f.current(),
            Registry::Shared(g) => {
                let p = g
                    .model_pointer()
                    .await
                    .map_err(store("Failed to read the model pointer"))?;
                match p.current {
                    Some(id) => Ok(Some(self.get(&id).await?)),
                    None => Ok(None),
                }
            }
        }
    }

    /// The current version's id and parameters, or the built-in ones.
    pub async fn current_model(&self) -> Result<(String, Params)> {
        Ok(match self.current().await? {
            Some(v) => (v.id, v.params),
            None => (DEFAULT_VERSION.to_string(), Params::default()),
        })
    }

    /// Points `current` at `id`, remembering the previous one for rollback.
    pub async fn activate(&self, id: &str) -> Result<()> {
        match self {
            Registry::Files(f) => f.activate(id),
            Registry::Shared(g) => {
                self.get(id).await?;
                self.move_pointer(g.as_ref(), |p| {
                    if p.current.as_deref() == Some(id) {
                        return Ok(None);
                    }
                    let mut history = p.history.clone();
                    history.extend(p.current.clone());
                    Ok(Some(ModelPointer {
                        current: Some(id.to_string()),
                        history,
                    }))
                })
                .await
                .map(|_| ())
            }
        }
    }

    /// Points `current` back at the previously active version; returns its id.
    pub async fn rollback(&self) -> Result<String> {
        match self {
            Registry::Files(f) => f.rollback(),
            Registry::Shared(g) => {
                let p = g
                    .model_pointer()
                    .await
                    .map_err(store("Failed to read the model pointer"))?;
                if let Some(prev) = p.history.last() {
                    self.get(prev).await?;
                }
                self.move_pointer(g.as_ref(), |p| {
                    let mut history = p.history.clone();
                    let Some(prev) = history.pop() else {
                        return Err(RegistryError::NoPrevious);
                    };
                    Ok(Some(ModelPointer {
                        current: Some(prev),
                        history,
                    }))
                })
                .await?
                .and_then(|p| p.current)
                .ok_or(RegistryError::NoPrevious)
            }
        }
    }

    /// Compare-and-set of the shared pointer: `change` computes the next pointer from the
    /// current one (None = nothing to do); retried when another instance moved it meanwhile.
    async fn move_pointer(
        &self,
        g: &dyn Graph,
        change: impl Fn(&ModelPointer) -> Result<Option<ModelPointer>>,
    ) -> Result<Option<ModelPointer>> {
        for _ in 0..5 {
            let p = g
                .model_pointer()
                .await
                .map_err(store("Failed to read the model pointer"))?;
            let Some(next) = change(&p)? else {
                return Ok(None);
            };
            match g.set_model_pointer(&p, &next).await {
                Ok(()) => return Ok(Some(next)),
                Err(graph::Error::Conflict { .. }) => continue,
                Err(e) => return Err(store("Failed to move the model pointer")(e)),
            }
        }
        Err(RegistryError::Contended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(params: &str) -> String {
        format!(
            r#"{{"id":"wf-1","created_at":"2026-11-01T00:00:00Z","params":{params},
            "metrics":{{"from":2010,"to":2018,"games":2403,"brier":0.2163,"log_loss":0.62,
            "accuracy":0.65,"ece":0.013,"anchor_brier":0.2186}}}}"#
        )
    }

    #[test]
    fn a_version_saved_before_the_learned_home_advantage_reads_as_the_model_it_was() {
        // (saved params, expected)
        let cases = [
            (
                r#"{"hfa_elo":55.0,"hfa_points":2.4,"consensus_eta":400.0}"#,
                Params::legacy(),
            ),
            (
                r#"{"hfa_points":2.0}"#,
                Params {
                    hfa_points: 2.0,
                    ..Params::legacy()
                },
            ),
            (
                &serde_json::to_string(&Params::default()).unwrap(),
                Params::default(),
            ),
            (
                r#"{"adaptive_hfa":true}"#,
                Params {
                    adaptive_hfa: true,
                    ..Params::legacy()
                },
            ),
        ];
        for (saved, want) in cases {
            let v: ModelVersion = serde_json::from_str(&version(saved)).unwrap();
            assert_eq!(v.params, want, "{saved}");
        }
        // What is saved now reads back the same.
        let v: ModelVersion = serde_json::from_str(&version("{}")).unwrap();
        let again: ModelVersion =
            serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(again, v);
    }
}
