//! One list of routes: every route the server mounts (`routes::configure`, read from the
//! source with each handler's method and path from its attribute) is in the OpenAPI document
//! with that method, and the document has no route the server does not mount — but for the
//! few that are not JSON API routes, named here.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use utoipa::OpenApi;

/// Mounted on purpose without an OpenAPI entry: the document itself, Swagger UI, the
/// dashboard's files and the WebSocket stream (described in the README).
const NOT_IN_THE_SPEC: &[&str] = &[
    "GET /openapi.json",
    "GET /docs",
    "GET /docs/{file}",
    "GET /",
    "GET /ui/{file}",
    "GET /api/v1/stream",
];

/// `module::handler` → "METHOD /path", from the `#[get("/path")]`-style attribute above each
/// handler of `routes/`.
fn handlers(dir: &Path) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let module = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut pending: Option<String> = None;
        for line in text.lines().map(str::trim) {
            for method in ["get", "post", "put", "delete"] {
                if let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) {
                    let route = rest.split('"').next().unwrap();
                    pending = Some(format!("{} {route}", method.to_uppercase()));
                }
            }
            if let (Some(r), Some(name)) = (
                &pending,
                line.strip_prefix("pub async fn ")
                    .and_then(|l| l.split(['(', '<']).next()),
            ) {
                out.insert(format!("{module}::{name}"), r.clone());
                pending = None;
            }
        }
    }
    out
}

/// "METHOD /path" of every route `configure` mounts (the `/api/v1` scope's under it).
fn served(root: &Path) -> BTreeSet<String> {
    let handlers = handlers(&root.join("src/routes"));
    let text = std::fs::read_to_string(root.join("src/routes/mod.rs")).unwrap();
    let body = &text[text.find("pub fn configure").unwrap()..];
    let body = &body[..body.find("\n}\n").unwrap()];
    let scope_end = body.find("\n    )\n").unwrap();
    let mut out = BTreeSet::new();
    for (i, _) in body.match_indices(".service(") {
        let name = body[i + 9..].split(')').next().unwrap().trim();
        if name.starts_with("web::") || name.contains('\n') {
            continue;
        }
        let route = handlers
            .get(name)
            .unwrap_or_else(|| panic!("no route attribute found for {name}"));
        let (method, path) = route.split_once(' ').unwrap();
        let prefix = if i < scope_end { "/api/v1" } else { "" };
        out.insert(format!("{method} {prefix}{path}"));
    }
    // `cfg.service(health::metrics)` is mounted when /metrics is public.
    for line in body
        .lines()
        .filter(|l| l.contains("cfg.service(") && !l.contains("web::scope"))
    {
        let name = line
            .split("cfg.service(")
            .nth(1)
            .unwrap()
            .split(')')
            .next()
            .unwrap();
        if let Some(route) = handlers.get(name) {
            out.insert(route.clone());
        }
    }
    out
}

fn documented() -> BTreeSet<String> {
    let doc = api::openapi::ApiDoc::openapi();
    let mut out = BTreeSet::new();
    for (path, item) in doc.paths.paths {
        for (method, op) in [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("DELETE", item.delete.is_some()),
        ] {
            if op {
                out.insert(format!("{method} {path}"));
            }
        }
    }
    out
}

#[test]
fn every_served_route_is_in_the_openapi_document_with_its_method_and_no_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let served = served(root);
    let documented = documented();
    assert!(
        served.len() >= 30,
        "only {} routes read: {served:?}",
        served.len()
    );
    let undocumented: Vec<&String> = served
        .iter()
        .filter(|r| !documented.contains(*r) && !NOT_IN_THE_SPEC.contains(&r.as_str()))
        .collect();
    assert!(
        undocumented.is_empty(),
        "served but not in the OpenAPI document: {undocumented:?}"
    );
    let unserved: Vec<&String> = documented.iter().filter(|r| !served.contains(*r)).collect();
    assert!(
        unserved.is_empty(),
        "in the OpenAPI document but not served: {unserved:?}"
    );
    for r in NOT_IN_THE_SPEC {
        assert!(
            served.contains(*r),
            "{r} is listed as undocumented but is not served"
        );
    }
}

#[test]
fn every_operation_has_its_own_meaningful_operation_id_and_a_tag() {
    // Client generators name their methods by operationId: a missing one falls back to the
    // handler's name (`list`, `get`, ...), a duplicate is renamed or refused.
    let doc = api::openapi::ApiDoc::openapi();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ] {
            let Some(op) = op else { continue };
            let where_ = format!("{method} {path}");
            let id = op
                .operation_id
                .clone()
                .unwrap_or_else(|| panic!("{where_} has no operationId"));
            assert!(
                id.len() > 6 && id.chars().next().unwrap().is_ascii_lowercase()
                    || ["health", "metrics"].contains(&id.as_str()),
                "{where_}: operationId {id:?} is not a camelCase verb phrase"
            );
            assert!(
                op.tags.as_ref().is_some_and(|t| !t.is_empty()),
                "{where_} has no tag"
            );
            if let Some(other) = seen.insert(id.clone(), where_.clone()) {
                panic!("operationId {id:?} is used by {other} and {where_}");
            }
        }
    }
    assert!(seen.len() >= 35, "{} operations", seen.len());
}

/// The settings the API reads, as the README's Configuration table names them (the settings
/// test ties that table to the `Settings` the service loads, both ways).
fn settings_read() -> BTreeSet<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let table = readme
        .split("## Configuration")
        .nth(1)
        .and_then(|t| t.split("\n## ").next())
        .unwrap();
    table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let first = l.split('|').nth(1).unwrap_or_default().to_string();
            first
                .split('`')
                .skip(1)
                .step_by(2)
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The keys of a YAML block `header:` indented by `indent` spaces (`NAME: value` lines).
fn block_keys(text: &str, header: &str, indent: usize) -> BTreeSet<String> {
    let pad = " ".repeat(indent);
    let mut out = BTreeSet::new();
    let mut inside = false;
    for line in text.lines() {
        if line.trim_end() == header {
            inside = true;
            continue;
        }
        if inside {
            let Some(rest) = line.strip_prefix(&pad) else {
                break;
            };
            if rest.starts_with(' ') {
                continue;
            }
            match rest.split_once(':') {
                Some((k, _)) if k.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {
                    out.insert(k.to_string());
                }
                _ => break,
            }
        }
    }
    out
}

/// Names the deployment files give to the data tier's own containers, not to the API.
const DATA_TIER: &[&str] = &[
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "NEO4J_AUTH",
    "GRAFANA_ADMIN_PASSWORD",
];

#[test]
fn every_setting_the_deployment_files_give_the_api_is_one_the_api_reads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = settings_read();
    assert!(read.len() >= 40, "{read:?}");
    let file = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let compose = file("docker-compose.yml");
    let api_service: String = compose
        .lines()
        .skip_while(|l| *l != "  api:")
        .skip(1)
        .take_while(|l| !l.starts_with("  ") || l.starts_with("   "))
        .map(|l| format!("{l}\n"))
        .collect();
    // (where, names)
    let given = [
        (
            "docker-compose.yml api environment",
            block_keys(&api_service, "    environment:", 6),
        ),
        (
            "k8s/01-configmap.yaml",
            block_keys(&file("k8s/01-configmap.yaml"), "data:", 2),
        ),
        (
            "k8s/02-secret.example.yaml",
            block_keys(&file("k8s/02-secret.example.yaml"), "stringData:", 2),
        ),
        (
            ".env.example",
            file(".env.example")
                .lines()
                .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_string()))
                .filter(|k| !k.starts_with('#'))
                .collect(),
        ),
    ];
    for (place, names) in &given {
        assert!(!names.is_empty(), "no setting read from {place}");
        let unknown: Vec<&String> = names
            .iter()
            .filter(|n| !read.contains(*n) && !DATA_TIER.contains(&n.as_str()))
            .collect();
        assert!(
            unknown.is_empty(),
            "{place} sets {unknown:?}, which the API does not read"
        );
    }
}

#[test]
fn the_readme_client_snippets_are_the_files_scripts_clients_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme
        .split("\n## Clients\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the README has a Clients section");
    for (fence, file) in [
        ("```python\n", "clients/python/example.py"),
        ("```typescript\n", "clients/typescript/src/example.ts"),
    ] {
        let snippet = section
            .split(fence)
            .nth(1)
            .and_then(|s| s.split("\n```").next())
            .unwrap_or_else(|| panic!("no {fence} block"));
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert_eq!(snippet, text.trim_end(), "README snippet and {file} differ");
    }
}
