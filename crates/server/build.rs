//! Build-time facts the server shows: its version with the git commit (Dashboard, `--version`)
//! and the open-source licences of every crate compiled into the binary, read from the
//! dependency tree (`cargo metadata`) and each crate's own licence files.

// A build that cannot read its dependency tree must stop with the reason: panics are the
// build script's way to say so.
#![allow(clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

fn main() {
    version();
    licences();
}

fn version() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Relative to the package: two clones sharing one target directory (the same package
    // to cargo) each watch their own repository.
    for f in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if root.join(f).exists() {
            println!("cargo:rerun-if-changed=../../{f}");
        }
    }
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let version = env!("CARGO_PKG_VERSION");
    let full = if commit.is_empty() {
        version.to_owned()
    } else {
        format!("{version} ({commit})")
    };
    println!("cargo:rustc-env=ZENTRALE_VERSION={full}");
    println!("cargo:rustc-env=ZENTRALE_COMMIT={commit}");
}

/// Writes `$OUT_DIR/licences.json`: `{"crates": [{name, version, license, repository,
/// texts: [index]}], "texts": [text]}` for every package the `zentrale` binary is built
/// from (normal dependencies, transitively), licence files deduplicated.
fn licences() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Relative, like the version's: clones sharing a target directory each watch their own.
    println!("cargo:rerun-if-changed=../../Cargo.lock");
    let meta = cargo_metadata::MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .other_options(vec![
            "--locked".to_owned(),
            // Only what this target builds (and so has downloaded already).
            "--filter-platform".to_owned(),
            std::env::var("TARGET").expect("TARGET"),
        ])
        .exec()
        .expect("cargo metadata (for the licence page)");
    let resolve = meta.resolve.as_ref().expect("a resolved dependency graph");
    let nodes: HashMap<_, _> = resolve.nodes.iter().map(|n| (&n.id, n)).collect();
    let packages: HashMap<_, _> = meta.packages.iter().map(|p| (&p.id, p)).collect();
    let start = meta
        .packages
        .iter()
        .find(|p| p.name.as_str() == "zentrale")
        .map(|p| &p.id)
        .expect("the zentrale package");
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(node) = nodes.get(id) {
            for d in &node.deps {
                let normal = d
                    .dep_kinds
                    .iter()
                    .any(|k| k.kind == cargo_metadata::DependencyKind::Normal);
                if normal {
                    todo.push(&d.pkg);
                }
            }
        }
    }
    let mut texts: Vec<String> = Vec::new();
    let mut text_index: HashMap<String, usize> = HashMap::new();
    let mut crates = BTreeMap::new();
    for id in seen {
        let Some(p) = packages.get(id) else { continue };
        if p.source.is_none() {
            continue; // our own crates: the project's licence
        }
        let dir = p.manifest_path.parent().map(|d| d.as_std_path().to_owned());
        let mut idx = Vec::new();
        if let Some(dir) = dir
            && let Ok(entries) = std::fs::read_dir(&dir)
        {
            let mut files: Vec<_> = entries
                .flatten()
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().to_uppercase();
                    (n.starts_with("LICEN") || n.starts_with("COPYING") || n.starts_with("NOTICE"))
                        && e.path().is_file()
                })
                .map(|e| e.path())
                .collect();
            files.sort();
            for f in files {
                let Ok(t) = std::fs::read_to_string(&f) else {
                    continue;
                };
                let t = t.trim().to_owned();
                let i = *text_index.entry(t.clone()).or_insert_with(|| {
                    texts.push(t);
                    texts.len() - 1
                });
                idx.push(i);
            }
        }
        crates.insert(
            (p.name.to_string(), p.version.to_string()),
            serde_json::json!({
                "name": p.name.as_str(),
                "version": p.version.to_string(),
                "license": p.license.clone().unwrap_or_else(|| "see its licence file".into()),
                "repository": p.repository.clone().unwrap_or_default(),
                "texts": idx,
            }),
        );
    }
    let doc = serde_json::json!({
        "crates": crates.into_values().collect::<Vec<_>>(),
        "texts": texts,
    });
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("licences.json");
    std::fs::write(out, doc.to_string()).expect("write licences.json");
}
