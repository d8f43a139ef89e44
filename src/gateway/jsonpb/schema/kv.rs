//! `mvccpb` and the KV service.

use super::super::{Bool, Bytes, Enum, Int64, Msg, Opt, Rep, Uint64};
use super::{field, message, oneof, proto_enum};
use crate::pb::*;

proto_enum!(EventType = "mvccpb.Event.EventType" { PUT = 0, DELETE = 1 });
proto_enum!(SortOrder = "etcdserverpb.RangeRequest.SortOrder" { NONE = 0, ASCEND = 1, DESCEND = 2 });
proto_enum!(SortTarget = "etcdserverpb.RangeRequest.SortTarget" {
    KEY = 0, VERSION = 1, CREATE = 2, MOD = 3, VALUE = 4,
});
proto_enum!(CompareResult = "etcdserverpb.Compare.CompareResult" {
    EQUAL = 0, GREATER = 1, LESS = 2, NOT_EQUAL = 3,
});
proto_enum!(CompareTarget = "etcdserverpb.Compare.CompareTarget" {
    VERSION = 0, CREATE = 1, MOD = 2, VALUE = 3, LEASE = 4,
});

message!(ResponseHeader {
    field!(cluster_id: Uint64 = "cluster_id"),
    field!(member_id: Uint64 = "member_id"),
    field!(revision: Int64 = "revision"),
    field!(raft_term: Uint64 = "raft_term"),
});

message!(KeyValue {
    field!(key: Bytes = "key"),
    field!(create_revision: Int64 = "create_revision"),
    field!(mod_revision: Int64 = "mod_revision"),
    field!(version: Int64 = "version"),
    field!(value: Bytes = "value"),
    field!(lease: Int64 = "lease"),
});

message!(Event {
    field!(r#type: Enum<EventType> = "type"),
    field!(kv: Opt<KeyValue> = "kv"),
    field!(prev_kv: Opt<KeyValue> = "prev_kv"),
});

message!(RangeRequest {
    field!(key: Bytes = "key"),
    field!(range_end: Bytes = "range_end"),
    field!(limit: Int64 = "limit"),
    field!(revision: Int64 = "revision"),
    field!(sort_order: Enum<SortOrder> = "sort_order"),
    field!(sort_target: Enum<SortTarget> = "sort_target"),
    field!(serializable: Bool = "serializable"),
    field!(keys_only: Bool = "keys_only"),
    field!(count_only: Bool = "count_only"),
    field!(min_mod_revision: Int64 = "min_mod_revision"),
    field!(max_mod_revision: Int64 = "max_mod_revision"),
    field!(min_create_revision: Int64 = "min_create_revision"),
    field!(max_create_revision: Int64 = "max_create_revision"),
});

message!(RangeResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(kvs: Rep<Msg<KeyValue>> = "kvs"),
    field!(more: Bool = "more"),
    field!(count: Int64 = "count"),
});

message!(PutRequest {
    field!(key: Bytes = "key"),
    field!(value: Bytes = "value"),
    field!(lease: Int64 = "lease"),
    field!(prev_kv: Bool = "prev_kv"),
    field!(ignore_value: Bool = "ignore_value"),
    field!(ignore_lease: Bool = "ignore_lease"),
});

message!(PutResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(prev_kv: Opt<KeyValue> = "prev_kv"),
});

message!(DeleteRangeRequest {
    field!(key: Bytes = "key"),
    field!(range_end: Bytes = "range_end"),
    field!(prev_kv: Bool = "prev_kv"),
});

message!(DeleteRangeResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(deleted: Int64 = "deleted"),
    field!(prev_kvs: Rep<Msg<KeyValue>> = "prev_kvs"),
});

message!(RequestOp {
    oneof!(request = request_op::Request::RequestRange: Msg<RangeRequest> = "request_range"),
    oneof!(request = request_op::Request::RequestPut: Msg<PutRequest> = "request_put"),
    oneof!(request = request_op::Request::RequestDeleteRange: Msg<DeleteRangeRequest> = "request_delete_range"),
    oneof!(request = request_op::Request::RequestTxn: Msg<TxnRequest> = "request_txn"),
});

message!(ResponseOp {
    oneof!(response = response_op::Response::ResponseRange: Msg<RangeResponse> = "response_range"),
    oneof!(response = response_op::Response::ResponsePut: Msg<PutResponse> = "response_put"),
    oneof!(response = response_op::Response::ResponseDeleteRange: Msg<DeleteRangeResponse> = "response_delete_range"),
    oneof!(response = response_op::Response::ResponseTxn: Msg<TxnResponse> = "response_txn"),
});

message!(Compare {
    field!(result: Enum<CompareResult> = "result"),
    field!(target: Enum<CompareTarget> = "target"),
    field!(key: Bytes = "key"),
    oneof!(target_union = compare::TargetUnion::Version: Int64 = "version"),
    oneof!(target_union = compare::TargetUnion::CreateRevision: Int64 = "create_revision"),
    oneof!(target_union = compare::TargetUnion::ModRevision: Int64 = "mod_revision"),
    oneof!(target_union = compare::TargetUnion::Value: Bytes = "value"),
    oneof!(target_union = compare::TargetUnion::Lease: Int64 = "lease"),
    field!(range_end: Bytes = "range_end"),
});

message!(TxnRequest {
    field!(compare: Rep<Msg<Compare>> = "compare"),
    field!(success: Rep<Msg<RequestOp>> = "success"),
    field!(failure: Rep<Msg<RequestOp>> = "failure"),
});

message!(TxnResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(succeeded: Bool = "succeeded"),
    field!(responses: Rep<Msg<ResponseOp>> = "responses"),
});

message!(CompactionRequest {
    field!(revision: Int64 = "revision"),
    field!(physical: Bool = "physical"),
});

message!(CompactionResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});
