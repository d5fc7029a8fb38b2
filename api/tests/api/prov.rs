//! Provenance in W3C PROV: real forecasts exported as PROV-JSON and PROV-N, read back by the
//! reference Python implementation (the `prov` package, `scripts/prov-check`), which also
//! converts them to PROV-N and PROV-O and compares the two exports as documents.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

const GAME: &str = "NE_PHI_2017_W21";

/// The `prov` package, or `None` (then the test says it skipped; CI installs it).
fn prov_check() -> Option<std::path::PathBuf> {
    let ok = Command::new("python3")
        .args(["-c", "import prov, rdflib"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "the prov package is missing: run scripts/install-deps"
        );
        eprintln!("SKIPPED: python3 cannot import prov; run scripts/install-deps");
        return None;
    }
    Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/prov-check"))
}

async fn export(app: &TestApp, path: &str, accept: &str) -> (u16, String, String) {
    let r = app.get_with(path, &[("Accept", accept)]).await;
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ctype, r.text().await.unwrap())
}

/// Runs the reference implementation over both exports; its summary.
fn read_back(check: &std::path::Path, prov_json: &str, prov_n: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let (j, n) = (dir.path().join("e.json"), dir.path().join("e.provn"));
    std::fs::write(&j, prov_json).unwrap();
    std::fs::write(&n, prov_n).unwrap();
    let out = Command::new("python3")
        .arg(check)
        .arg(&j)
        .arg(&n)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the prov package refused the export: {}\nPROV-N:\n{}",
        String::from_utf8_lossy(&out.stderr),
        prov_n.lines().take(40).collect::<Vec<_>>().join("\n")
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_prediction_exports_as_prov_that_the_reference_library_reads_with_every_memory_weight() {
    let Some(check) = prov_check() else { return };
    let app = spawn_app().await;
    let (status, forecast) = app
        .post_empty(&format!("/api/v1/games/{GAME}/predictions"))
        .await;
    assert_eq!(status, 201, "{forecast}");
    let pred = &forecast["predictions"][0];
    let id = pred["id"].as_str().unwrap();
    let path = format!("/api/v1/predictions/{id}/provenance");
    let (_, ours) = app.get_json(&path).await;
    let (s1, ct1, prov_json) = export(&app, &path, "application/prov+json").await;
    let (s2, ct2, prov_n) = export(&app, &path, "text/provenance-notation").await;
    assert_eq!((s1, s2), (200, 200), "{prov_json}\n{prov_n}");
    assert!(ct1.starts_with("application/prov+json"), "{ct1}");
    assert!(ct2.starts_with("text/provenance-notation"), "{ct2}");
    let found = read_back(&check, &prov_json, &prov_n);

    // Exactly one entity per prediction, memory and game of the JSON provenance.
    let of = |label: &str| -> BTreeSet<String> {
        ours["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["label"] == label)
            .map(|n| n["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(set(&found["entities"]["Prediction"]), of("Prediction"));
    assert_eq!(set(&found["entities"]["Memory"]), of("Memory"));
    assert_eq!(set(&found["entities"]["Game"]), of("Game"));
    assert!(!of("Memory").is_empty(), "the forecast used memories");
    assert_eq!(set(&found["agents"]), of("Expert"));
    // Every memory used, with the weight and rank the JSON endpoint reports.
    let expected: HashMap<String, (f64, u64)> = ours["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["relation"] == "USED_IN")
        .map(|e| {
            (
                e["source"].as_str().unwrap().to_string(),
                (
                    e["properties"]["influence_weight"].as_f64().unwrap(),
                    e["properties"]["retrieval_rank"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    let used: HashMap<String, (f64, u64)> = found["used"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| !u["influence_weight"].is_null())
        .map(|u| {
            (
                u["entity"].as_str().unwrap().to_string(),
                (
                    u["influence_weight"].as_f64().unwrap(),
                    u["retrieval_rank"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(used, expected);
    // The same prediction always exports the same document.
    let (_, _, again) = export(&app, &path, "application/prov+json").await;
    assert_eq!(again, prov_json);
    // ?format= for clients that cannot set headers.
    let (s, ct, by_query) = export(&app, &format!("{path}?format=prov-n"), "*/*").await;
    assert_eq!((s, by_query), (200, prov_n));
    assert!(ct.starts_with("text/provenance-notation"));
}

#[tokio::test]
async fn a_game_exports_its_whole_forecast_with_the_consensus_derived_from_each_weighted_expert() {
    let Some(check) = prov_check() else { return };
    let app = spawn_app().await;
    let (status, forecast) = app
        .post_empty(&format!("/api/v1/games/{GAME}/predictions"))
        .await;
    assert_eq!(status, 201);
    let path = format!("/api/v1/games/{GAME}/provenance");
    let (s1, _, prov_json) = export(&app, &path, "application/prov+json").await;
    let (s2, _, prov_n) = export(&app, &path, "text/provenance-notation").await;
    assert_eq!((s1, s2), (200, 200));
    let found = read_back(&check, &prov_json, &prov_n);
    // The README's picture: the library's own converter draws the export (Graphviz).
    let dir = tempfile::tempdir().unwrap();
    let (input, picture) = (
        dir.path().join("forecast.json"),
        dir.path().join("forecast.svg"),
    );
    std::fs::write(&input, &prov_json).unwrap();
    let drawn = Command::new("prov-convert")
        .args(["-f", "svg"])
        .arg(&input)
        .arg(&picture)
        .output()
        .expect("prov-convert runs (scripts/install-deps installs it)");
    assert!(
        drawn.status.success(),
        "{}",
        String::from_utf8_lossy(&drawn.stderr)
    );
    let svg = std::fs::read_to_string(&picture).unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("consensus"),
        "{}",
        &svg[..svg.len().min(300)]
    );
    let experts: BTreeSet<String> = forecast["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["expert_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(experts.len(), 16);
    let mut agents = experts.clone();
    agents.insert("consensus".into());
    assert_eq!(
        set(&found["agents"]),
        agents,
        "one agent per expert and the consensus"
    );
    let predictions = set(&found["entities"]["Prediction"]);
    assert_eq!(predictions.len(), 17, "{predictions:?}");
    let consensus = forecast["consensus"]["id"].as_str().unwrap();
    let weights: HashMap<String, f64> = forecast["consensus"]["weights"]
        .as_array()
        .expect("the consensus lists its weights")
        .iter()
        .map(|w| {
            (
                w["expert_id"].as_str().unwrap().to_string(),
                w["weight"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(
        (weights.values().sum::<f64>() - 1.0).abs() < 1e-9,
        "{weights:?}"
    );
    let derived: Vec<&Value> = found["derived"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["generated"] == consensus)
        .collect();
    assert_eq!(
        derived.len(),
        16,
        "the consensus derives from each expert prediction"
    );
    for d in derived {
        let from = d["used"].as_str().unwrap();
        let expert = from.split('.').nth(1).unwrap();
        assert_eq!(
            d["attributes"]["weight"].as_f64(),
            Some(weights[expert]),
            "{from}"
        );
    }
}

#[tokio::test]
async fn unknown_predictions_are_404_in_every_format_and_unserved_media_types_406() {
    let app = spawn_app().await;
    let missing = "/api/v1/predictions/NE_PHI_2017_W21.elo.v0/provenance";
    // (path, Accept, status, code)
    let cases = [
        (missing, "application/json", 404, "not_found"),
        (missing, "application/prov+json", 404, "not_found"),
        (missing, "text/provenance-notation", 404, "not_found"),
        (missing, "text/html", 406, "not_acceptable"),
        (
            "/api/v1/games/NE_PHI_2017_W21/provenance",
            "image/png",
            406,
            "not_acceptable",
        ),
        (
            "/api/v1/games/ZZ_YY_2017_W21/provenance",
            "application/prov+json",
            404,
            "not_found",
        ),
        (
            "/api/v1/games/NE_PHI_2017_W21/provenance?format=xml",
            "*/*",
            422,
            "invalid_parameter",
        ),
    ];
    for (path, accept, status, code) in cases {
        let r = app.get_with(path, &[("Accept", accept)]).await;
        assert_eq!(r.status().as_u16(), status, "{path} {accept}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/problem+json"),
            "{path} {accept}"
        );
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], code, "{path} {accept}: {body}");
    }
}
