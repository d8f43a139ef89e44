//! Replays the recorded etcd 3.5.1 gateway corpus
//! (`tests/conformance/scenarios/*.json`) in-process against a fresh `World`
//! per scenario, with the comparison rules of `docs/conformance.md`.
//!
//! The test fails only when a scenario listed in
//! `tests/conformance/passing.txt` fails (or when the corpus is missing):
//! the others are work in progress and are reported, not enforced.
//!
//! Environment: `CONFORMANCE_SCENARIO=glob[,glob]` runs a subset;
//! `CONFORMANCE_VERBOSE=1` prints every diff instead of the first few.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Instant;
use support::corpus::{self, name_of};
use support::glob::{any_match, fnmatch};
use support::in_process::run_scenario;

struct Outcome {
    name: String,
    family: String,
    diffs: Vec<String>,
}

fn run_all(corpus: &[Value], verbose: bool) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for sc in corpus {
        let name = name_of(sc);
        let family = sc
            .get("family")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let t0 = Instant::now();
        let diffs = run_scenario(sc);
        let dt = t0.elapsed().as_secs_f64();
        support::report(&name, &diffs, dt, verbose);
        outcomes.push(Outcome {
            name,
            family,
            diffs,
        });
    }
    outcomes
}

fn print_family_table(outcomes: &[Outcome]) {
    let mut fam: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for o in outcomes {
        let e = fam.entry(o.family.as_str()).or_default();
        e.1 += 1;
        if o.diffs.is_empty() {
            e.0 += 1;
        }
    }
    println!("\n{:<16} {:>6} / {:<6}", "family", "passed", "total");
    for (f, (p, t)) in &fam {
        println!("{f:<16} {p:>6} / {t:<6}");
    }
}

#[test]
fn conformance_corpus() {
    let corpus = corpus::load(&corpus::scenarios_dir());
    let subset = std::env::var("CONFORMANCE_SCENARIO")
        .ok()
        .filter(|s| !s.trim().is_empty());
    let verbose = std::env::var("CONFORMANCE_VERBOSE").is_ok_and(|v| !v.is_empty() && v != "0");
    let selected: Vec<Value> = corpus
        .iter()
        .filter(|sc| subset.as_deref().is_none_or(|g| any_match(&name_of(sc), g)))
        .cloned()
        .collect();
    assert!(
        !selected.is_empty(),
        "CONFORMANCE_SCENARIO={subset:?} selects no scenario"
    );

    let outcomes = run_all(&selected, verbose);
    print_family_table(&outcomes);
    let passed = outcomes.iter().filter(|o| o.diffs.is_empty()).count();
    println!("{passed} passed, {} failed", outcomes.len() - passed);

    let passing = corpus::passing();
    if subset.is_none() {
        let dead = corpus::dead_globs(&passing, &corpus);
        assert!(
            dead.is_empty(),
            "passing.txt entries matching no scenario: {dead:?}"
        );
    }
    let regressions: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.diffs.is_empty() && passing.iter().any(|g| fnmatch(&o.name, g)))
        .map(|o| o.name.as_str())
        .collect();
    assert!(
        regressions.is_empty(),
        "scenarios listed in tests/conformance/passing.txt fail: {regressions:?}"
    );
}
