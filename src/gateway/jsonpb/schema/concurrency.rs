//! The v3lock and v3election services.

use super::super::{Bytes, Int64, Opt};
use super::{field, message};
use crate::pb::*;

message!(LockRequest {
    field!(name: Bytes = "name"),
    field!(lease: Int64 = "lease"),
});

message!(LockResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(key: Bytes = "key"),
});

message!(UnlockRequest {
    field!(key: Bytes = "key"),
});

message!(UnlockResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(CampaignRequest {
    field!(name: Bytes = "name"),
    field!(lease: Int64 = "lease"),
    field!(value: Bytes = "value"),
});

message!(CampaignResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(leader: Opt<LeaderKey> = "leader"),
});

message!(LeaderKey {
    field!(name: Bytes = "name"),
    field!(key: Bytes = "key"),
    field!(rev: Int64 = "rev"),
    field!(lease: Int64 = "lease"),
});

message!(LeaderRequest {
    field!(name: Bytes = "name"),
});

message!(LeaderResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(kv: Opt<KeyValue> = "kv"),
});

message!(ResignRequest {
    field!(leader: Opt<LeaderKey> = "leader"),
});

message!(ResignResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(ProclaimRequest {
    field!(leader: Opt<LeaderKey> = "leader"),
    field!(value: Bytes = "value"),
});

message!(ProclaimResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});
