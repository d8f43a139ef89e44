//! The Watch service: the messages of the bidirectional watch stream.

use super::{enumeration, message, Bool, Bytes, Enum, Event, Int64, Msg, Opt, Rep};
use super::{ResponseHeader, Str};

message! {
    WatchRequest {
        oneof request_union: watch_request::RequestUnion {
            create_request: CreateRequest(Msg<WatchCreateRequest>) = 1,
            cancel_request: CancelRequest(Msg<WatchCancelRequest>) = 2,
            progress_request: ProgressRequest(Msg<WatchProgressRequest>) = 3,
        },
    }
}

enumeration! {
    /// `WatchCreateRequest.FilterType`.
    FilterType in filter_type = "etcdserverpb.WatchCreateRequest.FilterType" {
        NOPUT = 0, NODELETE = 1,
    }
}

message! {
    WatchCreateRequest {
        key: Bytes = 1,
        range_end: Bytes = 2,
        start_revision: Int64 = 3,
        progress_notify: Bool = 4,
        /// `filter_type::*` values; unknown numbers are kept.
        filters: Rep<Enum<FilterType>> = 5,
        prev_kv: Bool = 6,
        watch_id: Int64 = 7,
        fragment: Bool = 8,
    }
}

message! {
    WatchCancelRequest {
        watch_id: Int64 = 1,
    }
}

message! {
    WatchProgressRequest {}
}

message! {
    WatchResponse {
        header: Opt<ResponseHeader> = 1,
        watch_id: Int64 = 2,
        created: Bool = 3,
        canceled: Bool = 4,
        compact_revision: Int64 = 5,
        cancel_reason: Str = 6,
        fragment: Bool = 7,
        events: Rep<Msg<Event>> = 11,
    }
}
