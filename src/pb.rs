//! Typed etcd API messages, shaped like the protobuf definitions of etcd 3.5
//! (`api/etcdserverpb/rpc.proto`, `api/mvccpb/kv.proto`,
//! `api/authpb/auth.proto`).
//!
//! Conventions (as prost would generate them): one struct per proto message,
//! fields named and typed after the proto (`bytes` -> `Vec<u8>`, `int64` ->
//! `i64`, enums -> `i32` so that unknown numbers survive, as they do in Go),
//! singular message fields as `Option<T>`, `oneof` as an `Option` of an enum
//! in a sub-module named after the message.

mod auth;
mod authpb;
mod cluster;
mod concurrency;
mod kv;
mod lease;
mod maintenance;
mod mvccpb;
pub mod size;
mod watch;

pub use auth::*;
pub use authpb::*;
pub use cluster::*;
pub use concurrency::*;
pub use kv::*;
pub use lease::*;
pub use maintenance::*;
pub use mvccpb::*;
pub use watch::*;

/// `etcdserverpb.ResponseHeader`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseHeader {
    pub cluster_id: u64,
    pub member_id: u64,
    pub revision: i64,
    pub raft_term: u64,
}
