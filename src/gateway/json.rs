//! The plain JSON of the simulator's own paths (`/_sim/` answers, saved
//! worlds), as opposed to etcd's [`jsonpb`](super::jsonpb). It is written
//! as serde_json wrote it before this module replaced it (serde_json's
//! code was a tenth of the wasm): compact, object members in key order,
//! floats in their shortest form that reads back.

mod write;

pub use write::{list, Object};
