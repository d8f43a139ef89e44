//! Support code of the conformance tests: the scenario runner with the
//! comparison rules of `docs/conformance.md`, and its two transports: a
//! `World` in the same process, in virtual time (the test crates), and a
//! server over real sockets (also the Node replayer, `tests/conformance/
//! replay_node.rs`, an example binary: no cfg(test), so no `in_process`).

pub mod answer;
pub mod compare;
pub mod corpus;
pub mod glob;
pub mod http;
#[cfg(test)]
pub mod in_process;
pub mod pyjson;
pub mod runner;
pub mod sha256 {
    pub use etcd_sim::hash::sha256_hex;
}

/// How many differences a failed scenario shows unless asked for all.
const MAX_DIFFS: usize = 6;

/// Prints one scenario's outcome: `PASS name (1.23s)`, or `FAIL` with its
/// differences (the first few unless `verbose`).
pub fn report(name: &str, diffs: &[String], secs: f64, verbose: bool) {
    if diffs.is_empty() {
        println!("PASS {name} ({secs:.2}s)");
        return;
    }
    println!("FAIL {name} ({secs:.2}s)");
    let shown = if verbose {
        diffs.len()
    } else {
        MAX_DIFFS.min(diffs.len())
    };
    for d in &diffs[..shown] {
        println!("    {d}");
    }
    if shown < diffs.len() {
        println!("    ... {} more", diffs.len() - shown);
    }
}
