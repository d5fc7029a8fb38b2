//! The rule of `services/mod.rs`, checked on the source: a route never names a store, the
//! cache, the model runtime or the event bus; it calls a service function.

use std::path::Path;

/// What a route may not reach past the services for.
const FORBIDDEN: &[&str] = &[
    "services.graph",
    "services.series",
    "services.cache",
    "services.predictor",
    "services.registry",
    "services.metrics",
    "services.events",
    "services.notifier",
];

/// The forbidden names in `source`, whitespace ignored (rustfmt splits long chains).
fn violations(source: &str) -> Vec<&'static str> {
    let flat: String = source.chars().filter(|c| !c.is_whitespace()).collect();
    FORBIDDEN
        .iter()
        .copied()
        .filter(|f| flat.contains(f))
        .collect()
}

#[test]
fn the_check_finds_a_store_reached_from_a_route_even_across_lines() {
    let cases = [
        ("state.services.graph.get_game(&id)", vec!["services.graph"]),
        (
            "state\n        .services\n        .series\n        .ingest_runs(20)",
            vec!["services.series"],
        ),
        ("games::get_game(&state.services, &id)", vec![]),
        ("state.services.subscribe()", vec![]),
    ];
    for (source, want) in cases {
        assert_eq!(violations(source), want, "{source}");
    }
}

#[test]
fn no_route_reaches_a_store_the_cache_or_the_model_past_the_services() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut checked = 0;
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            checked += 1;
            for v in violations(&source) {
                found.push(format!("{}: {v}", path.display()));
            }
        }
    }
    assert!(
        checked >= 10,
        "only {checked} route files found in {}",
        dir.display()
    );
    assert!(
        found.is_empty(),
        "routes reach past the services:\n{}",
        found.join("\n")
    );
}

/// The roster's size as the docs say it, from the code: "sixteen expert models" and the
/// market. A renamed count on one side only fails here.
#[test]
fn the_docs_give_the_roster_size_the_code_has() {
    let roster = forecast::EXPERTS.len();
    let models = forecast::EXPERTS
        .iter()
        .filter(|e| e.spec().id != "market")
        .count();
    assert_eq!(
        roster,
        models + 1,
        "the roster is the models and the market"
    );
    let word = match models {
        15 => "fifteen",
        16 => "sixteen",
        17 => "seventeen",
        18 => "eighteen",
        n => panic!("add the word for {n}"),
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("{word} expert models")),
        "the README does not say '{word} expert models'"
    );
    let openapi = std::fs::read_to_string(root.join("api/src/openapi.rs")).unwrap();
    assert!(
        openapi.contains(&format!("{word} expert models")),
        "openapi.rs"
    );
    // No other count of the experts anywhere in the README.
    for other in ["fifteen", "seventeen expert", "15 predictions", "15 expert"] {
        if !word.starts_with(other) {
            assert!(!readme.contains(other), "the README says '{other}'");
        }
    }
}
