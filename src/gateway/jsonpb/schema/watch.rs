//! The Watch service.

use super::super::{Bool, Bytes, Enum, Int64, Msg, Opt, Rep, Str};
use super::{field, message, oneof, proto_enum};
use crate::pb::*;

proto_enum!(FilterType = "etcdserverpb.WatchCreateRequest.FilterType" { NOPUT = 0, NODELETE = 1 });

message!(WatchRequest {
    oneof!(request_union = watch_request::RequestUnion::CreateRequest: Msg<WatchCreateRequest> = "create_request"),
    oneof!(request_union = watch_request::RequestUnion::CancelRequest: Msg<WatchCancelRequest> = "cancel_request"),
    oneof!(request_union = watch_request::RequestUnion::ProgressRequest: Msg<WatchProgressRequest> = "progress_request"),
});

message!(WatchCreateRequest {
    field!(key: Bytes = "key"),
    field!(range_end: Bytes = "range_end"),
    field!(start_revision: Int64 = "start_revision"),
    field!(progress_notify: Bool = "progress_notify"),
    field!(filters: Rep<Enum<FilterType>> = "filters"),
    field!(prev_kv: Bool = "prev_kv"),
    field!(watch_id: Int64 = "watch_id"),
    field!(fragment: Bool = "fragment"),
});

message!(WatchCancelRequest {
    field!(watch_id: Int64 = "watch_id"),
});

message!(WatchProgressRequest {});

message!(WatchResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(watch_id: Int64 = "watch_id"),
    field!(created: Bool = "created"),
    field!(canceled: Bool = "canceled"),
    field!(compact_revision: Int64 = "compact_revision"),
    field!(cancel_reason: Str = "cancel_reason"),
    field!(fragment: Bool = "fragment"),
    field!(events: Rep<Msg<Event>> = "events"),
});
