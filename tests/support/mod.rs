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
