//! Architecture invariants (ARCHITECTURE.md), checked over `cargo metadata`.
use std::collections::{HashMap, HashSet};
use std::process::Command;

use serde_json::Value;

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every package reachable from `root` through normal (non-dev) dependencies.
fn closure(meta: &Value, root: &str) -> HashSet<String> {
    let mut names: HashMap<String, String> = HashMap::new();
    for p in meta["packages"].as_array().unwrap() {
        names.insert(p["id"].as_str().unwrap().into(), p["name"].as_str().unwrap().into());
    }
    let nodes: HashMap<String, Vec<String>> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let deps = n["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null()))
                .map(|d| d["pkg"].as_str().unwrap().to_string())
                .collect();
            (n["id"].as_str().unwrap().to_string(), deps)
        })
        .collect();
    let start = names.iter().find(|(_, n)| n.as_str() == root).map(|(id, _)| id.clone()).expect("root package");
    let mut seen = HashSet::new();
    let mut stack = vec![start];
    while let Some(id) = stack.pop() {
        if seen.insert(id.clone()) {
            stack.extend(nodes.get(&id).cloned().unwrap_or_default());
        }
    }
    seen.into_iter().map(|id| names[&id].clone()).collect()
}

#[test]
fn test_protocol_has_no_io_dependencies() {
    let deps = closure(&metadata(), "confab-protocol");
    for banned in ["tokio", "sqlx", "tauri", "axum", "confab-core", "confab-server"] {
        assert!(!deps.contains(banned), "confab-protocol must not depend on {banned}");
    }
}

#[test]
fn test_core_never_depends_on_tauri_or_the_server() {
    let deps = closure(&metadata(), "confab-core");
    for banned in ["tauri", "confab-server", "axum"] {
        assert!(!deps.contains(banned), "confab-core must not depend on {banned}");
    }
    assert!(deps.contains("confab-protocol"));
}

#[test]
fn test_server_never_depends_on_core() {
    let deps = closure(&metadata(), "confab-server");
    assert!(!deps.contains("confab-core"), "confab-server must not depend on confab-core");
    assert!(!deps.contains("tauri"));
}

#[test]
fn test_libraries_do_not_use_anyhow() {
    let meta = metadata();
    for lib in ["confab-protocol", "confab-core", "confab-server", "confab-cli"] {
        let p = meta["packages"].as_array().unwrap().iter().find(|p| p["name"] == lib).unwrap();
        let direct: Vec<&str> =
            p["dependencies"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert!(!direct.contains(&"anyhow"), "{lib} is a library: thiserror, not anyhow");
    }
}
