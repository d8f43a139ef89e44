//! Support code of the conformance test: a Rust port of
//! `../shared/conformance/replay.py` that drives the gateway in-process.

pub mod compare;
pub mod glob;
pub mod pyjson;
pub mod runner;
pub mod sha256 {
    pub use etcd_sim::hash::sha256_hex;
}
