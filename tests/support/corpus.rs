//! The recorded corpus (`tests/conformance/scenarios/*.json`) and the list
//! of scenarios that must pass (`tests/conformance/passing.txt`).

use super::glob::fnmatch;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn scenarios_dir() -> PathBuf {
    root().join("tests/conformance/scenarios")
}

/// Every scenario, sorted by file name.
pub fn load(dir: &Path) -> Vec<Value> {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("conformance corpus not found at {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "conformance corpus at {} holds no *.json scenario",
        dir.display()
    );
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f)
                .unwrap_or_else(|e| panic!("reading {}: {e}", f.display()));
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", f.display()))
        })
        .collect()
}

/// The globs of `passing.txt`: one per line, `#` starts a comment.
pub fn passing() -> Vec<String> {
    let path = root().join("tests/conformance/passing.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Globs of `passing` that match no scenario: a typo or a renamed
/// scenario, which would guard nothing.
pub fn dead_globs<'a>(passing: &'a [String], corpus: &[Value]) -> Vec<&'a String> {
    let names: Vec<String> = corpus.iter().map(name_of).collect();
    passing
        .iter()
        .filter(|g| !names.iter().any(|n| fnmatch(n, g)))
        .collect()
}

pub fn name_of(scenario: &Value) -> String {
    scenario
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("<unnamed>")
        .to_string()
}
