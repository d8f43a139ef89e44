//! The Maintenance service: alarms, status, defragment, hash, snapshot,
//! leadership transfer, downgrade.
//!
//! camelCase proto field names (`memberID`, `dbSize`, `targetID`...) become
//! snake_case here; the JSON mapping keeps the proto spelling.

use super::ResponseHeader;

/// `etcdserverpb.AlarmType`.
pub mod alarm_type {
    pub const NONE: i32 = 0;
    pub const NOSPACE: i32 = 1;
    pub const CORRUPT: i32 = 2;
}

/// `AlarmRequest.AlarmAction`.
pub mod alarm_action {
    pub const GET: i32 = 0;
    pub const ACTIVATE: i32 = 1;
    pub const DEACTIVATE: i32 = 2;
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlarmRequest {
    pub action: i32,
    pub member_id: u64,
    pub alarm: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlarmMember {
    pub member_id: u64,
    pub alarm: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlarmResponse {
    pub header: Option<ResponseHeader>,
    pub alarms: Vec<AlarmMember>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusRequest {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusResponse {
    pub header: Option<ResponseHeader>,
    pub version: String,
    pub db_size: i64,
    pub leader: u64,
    pub raft_index: u64,
    pub raft_term: u64,
    pub raft_applied_index: u64,
    pub errors: Vec<String>,
    pub db_size_in_use: i64,
    pub is_learner: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DefragmentRequest {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DefragmentResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashRequest {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashResponse {
    pub header: Option<ResponseHeader>,
    pub hash: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashKvRequest {
    pub revision: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashKvResponse {
    pub header: Option<ResponseHeader>,
    pub hash: u32,
    pub compact_revision: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotRequest {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotResponse {
    pub header: Option<ResponseHeader>,
    pub remaining_bytes: u64,
    pub blob: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MoveLeaderRequest {
    pub target_id: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MoveLeaderResponse {
    pub header: Option<ResponseHeader>,
}

/// `DowngradeRequest.DowngradeAction`.
pub mod downgrade_action {
    pub const VALIDATE: i32 = 0;
    pub const ENABLE: i32 = 1;
    pub const CANCEL: i32 = 2;
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DowngradeRequest {
    pub action: i32,
    pub version: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DowngradeResponse {
    pub header: Option<ResponseHeader>,
    pub version: String,
}
