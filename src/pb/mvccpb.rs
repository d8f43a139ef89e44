//! `mvccpb`: the key-value pair and the watch event.

use super::{enumeration, message, Bytes, Enum, Int64, Opt};

message! {
    /// `mvccpb.KeyValue`.
    KeyValue {
        key: Bytes = 1,
        create_revision: Int64 = 2,
        mod_revision: Int64 = 3,
        version: Int64 = 4,
        value: Bytes = 5,
        lease: Int64 = 6,
    }
}

enumeration! {
    /// `mvccpb.Event.EventType`.
    EventType in event_type = "mvccpb.Event.EventType" { PUT = 0, DELETE = 1 }
}

message! {
    /// `mvccpb.Event`.
    Event {
        /// `event_type::PUT` or `event_type::DELETE`.
        r#type: Enum<EventType> = 1 "type",
        kv: Opt<KeyValue> = 2,
        prev_kv: Opt<KeyValue> = 3,
    }
}
