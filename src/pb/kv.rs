//! The KV service: range, put, delete range, txn, compaction.

use super::{KeyValue, ResponseHeader};

/// `RangeRequest.SortOrder`.
pub mod sort_order {
    pub const NONE: i32 = 0;
    pub const ASCEND: i32 = 1;
    pub const DESCEND: i32 = 2;
}

/// `RangeRequest.SortTarget`.
pub mod sort_target {
    pub const KEY: i32 = 0;
    pub const VERSION: i32 = 1;
    pub const CREATE: i32 = 2;
    pub const MOD: i32 = 3;
    pub const VALUE: i32 = 4;
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeRequest {
    pub key: Vec<u8>,
    pub range_end: Vec<u8>,
    pub limit: i64,
    pub revision: i64,
    pub sort_order: i32,
    pub sort_target: i32,
    pub serializable: bool,
    pub keys_only: bool,
    pub count_only: bool,
    pub min_mod_revision: i64,
    pub max_mod_revision: i64,
    pub min_create_revision: i64,
    pub max_create_revision: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeResponse {
    pub header: Option<ResponseHeader>,
    pub kvs: Vec<KeyValue>,
    pub more: bool,
    pub count: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PutRequest {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub lease: i64,
    pub prev_kv: bool,
    pub ignore_value: bool,
    pub ignore_lease: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PutResponse {
    pub header: Option<ResponseHeader>,
    pub prev_kv: Option<KeyValue>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteRangeRequest {
    pub key: Vec<u8>,
    pub range_end: Vec<u8>,
    pub prev_kv: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteRangeResponse {
    pub header: Option<ResponseHeader>,
    pub deleted: i64,
    pub prev_kvs: Vec<KeyValue>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestOp {
    pub request: Option<request_op::Request>,
}

pub mod request_op {
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Request {
        RequestRange(super::RangeRequest),
        RequestPut(super::PutRequest),
        RequestDeleteRange(super::DeleteRangeRequest),
        RequestTxn(super::TxnRequest),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseOp {
    pub response: Option<response_op::Response>,
}

pub mod response_op {
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Response {
        ResponseRange(super::RangeResponse),
        ResponsePut(super::PutResponse),
        ResponseDeleteRange(super::DeleteRangeResponse),
        ResponseTxn(super::TxnResponse),
    }
}

/// `Compare.CompareResult`.
pub mod compare_result {
    pub const EQUAL: i32 = 0;
    pub const GREATER: i32 = 1;
    pub const LESS: i32 = 2;
    pub const NOT_EQUAL: i32 = 3;
}

/// `Compare.CompareTarget`.
pub mod compare_target {
    pub const VERSION: i32 = 0;
    pub const CREATE: i32 = 1;
    pub const MOD: i32 = 2;
    pub const VALUE: i32 = 3;
    pub const LEASE: i32 = 4;
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compare {
    pub result: i32,
    pub target: i32,
    pub key: Vec<u8>,
    pub target_union: Option<compare::TargetUnion>,
    pub range_end: Vec<u8>,
}

pub mod compare {
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum TargetUnion {
        Version(i64),
        CreateRevision(i64),
        ModRevision(i64),
        Value(Vec<u8>),
        Lease(i64),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxnRequest {
    pub compare: Vec<Compare>,
    pub success: Vec<RequestOp>,
    pub failure: Vec<RequestOp>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxnResponse {
    pub header: Option<ResponseHeader>,
    pub succeeded: bool,
    pub responses: Vec<ResponseOp>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactionRequest {
    pub revision: i64,
    pub physical: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactionResponse {
    pub header: Option<ResponseHeader>,
}
