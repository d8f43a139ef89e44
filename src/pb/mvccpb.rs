//! `mvccpb`: the key-value pair and the watch event.

/// `mvccpb.KeyValue`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyValue {
    pub key: Vec<u8>,
    pub create_revision: i64,
    pub mod_revision: i64,
    pub version: i64,
    pub value: Vec<u8>,
    pub lease: i64,
}

/// `mvccpb.Event.EventType`.
pub mod event_type {
    pub const PUT: i32 = 0;
    pub const DELETE: i32 = 1;
}

/// `mvccpb.Event`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    /// `event_type::PUT` or `event_type::DELETE`.
    pub r#type: i32,
    pub kv: Option<KeyValue>,
    pub prev_kv: Option<KeyValue>,
}
