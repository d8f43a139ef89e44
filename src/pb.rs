//! Typed etcd API messages, shaped like the protobuf definitions of etcd 3.5
//! (`api/etcdserverpb/rpc.proto`, `api/mvccpb/kv.proto`,
//! `api/authpb/auth.proto`), each declared once with `message!`: the
//! struct, and its fields (proto name, number, type) for the shared loops
//! of [`reflect`] (the gateway's JSON mapping, wire sizes); and the RPCs
//! that carry them, each declared once in the table of `rpcs!`.
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
mod health;
mod kv;
mod lease;
mod macros;
mod maintenance;
mod mvccpb;
pub mod reflect;
pub(crate) mod rpc;
pub mod size;
mod watch;

pub(crate) use macros::{enumeration, message};
pub use reflect::{
    Bool, Bytes, Enum, EnumType, Field, FieldInfo, FieldMut, Int32, Int64, Kind, Message, Msg, Opt,
    ProtoEnum, Reflect, ReflectMut, Rep, Str, Uint32, Uint64, Value, ValueMut,
};
pub(crate) use rpc::rpcs;
pub use rpc::{CallKind, Header, Learner, Rpc, RpcInfo, TokenUse};

pub use auth::*;
pub use authpb::*;
pub use cluster::*;
pub use concurrency::*;
pub use health::*;
pub use kv::*;
pub use lease::*;
pub use maintenance::*;
pub use mvccpb::*;
pub use watch::*;
