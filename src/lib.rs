//! etcd-sim: a simulated etcd v3 cluster that answers etcd's HTTP/JSON gateway.
//!
//! Layers (see `docs/ARCHITECTURE.md`), from the front door down:
//! [`world`] (tickets, the save/load journal, time control, `/_sim/`) ->
//! [`gateway`] (HTTP/JSON <-> typed requests) -> [`cluster`] (the simulated
//! world: members, virtual clock, network, faults) -> [`server`] (one etcd
//! member: its Raft node, its clients' requests, its v3lock and v3election
//! services, its state machine) -> [`raft`] -> the state machine ([`mvcc`]).
//! At the bottom, [`pb`] declares etcd's messages and its RPC table, which
//! every layer above derives its part from; [`config`] declares how a world
//! is built.
//!
//! ```
//! use etcd_sim::world::{Config, HttpRequest, Output, World};
//!
//! let mut gw = World::new(Config::default());
//! let req = HttpRequest { method: "POST".into(), path: "/v3/kv/put".into(), headers: vec![] };
//! let t = gw.request(0, req, br#"{"key":"Zm9v","value":"YmFy"}"#);
//! gw.run_until_idle();
//! let out = gw.drain();
//! assert!(matches!(&out[0], Output::Response { ticket, response } if *ticket == t && response.status == 200));
//! ```

pub mod alarm;
pub mod auth;
mod boxed_map;
pub mod checkpoint;
pub mod cluster;
pub mod config;
pub mod errors;
pub mod gateway;
pub mod hash;
pub mod lease;
pub mod membership;
pub mod mvcc;
pub mod pb;
pub mod raft;
pub mod server;
mod sort;
pub mod world;

#[cfg(target_arch = "wasm32")]
mod wasm;
