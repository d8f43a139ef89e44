//! The Maintenance service.

use super::super::{Bool, Bytes, Enum, Int64, Msg, Opt, Rep, Str, Uint32, Uint64};
use super::{field, message, proto_enum};
use crate::pb::*;

proto_enum!(AlarmType = "etcdserverpb.AlarmType" { NONE = 0, NOSPACE = 1, CORRUPT = 2 });
proto_enum!(AlarmAction = "etcdserverpb.AlarmRequest.AlarmAction" {
    GET = 0, ACTIVATE = 1, DEACTIVATE = 2,
});
proto_enum!(DowngradeAction = "etcdserverpb.DowngradeRequest.DowngradeAction" {
    VALIDATE = 0, ENABLE = 1, CANCEL = 2,
});

message!(AlarmRequest {
    field!(action: Enum<AlarmAction> = "action"),
    field!(member_id: Uint64 = "memberID"),
    field!(alarm: Enum<AlarmType> = "alarm"),
});

message!(AlarmMember {
    field!(member_id: Uint64 = "memberID"),
    field!(alarm: Enum<AlarmType> = "alarm"),
});

message!(AlarmResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(alarms: Rep<Msg<AlarmMember>> = "alarms"),
});

message!(StatusRequest {});

message!(StatusResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(version: Str = "version"),
    field!(db_size: Int64 = "dbSize"),
    field!(leader: Uint64 = "leader"),
    field!(raft_index: Uint64 = "raftIndex"),
    field!(raft_term: Uint64 = "raftTerm"),
    field!(raft_applied_index: Uint64 = "raftAppliedIndex"),
    field!(errors: Rep<Str> = "errors"),
    field!(db_size_in_use: Int64 = "dbSizeInUse"),
    field!(is_learner: Bool = "isLearner"),
});

message!(DefragmentRequest {});

message!(DefragmentResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(HashRequest {});

message!(HashResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(hash: Uint32 = "hash"),
});

message!(HashKvRequest {
    field!(revision: Int64 = "revision"),
});

message!(HashKvResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(hash: Uint32 = "hash"),
    field!(compact_revision: Int64 = "compact_revision"),
});

message!(SnapshotRequest {});

message!(SnapshotResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(remaining_bytes: Uint64 = "remaining_bytes"),
    field!(blob: Bytes = "blob"),
});

message!(MoveLeaderRequest {
    field!(target_id: Uint64 = "targetID"),
});

message!(MoveLeaderResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(DowngradeRequest {
    field!(action: Enum<DowngradeAction> = "action"),
    field!(version: Str = "version"),
});

message!(DowngradeResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(version: Str = "version"),
});
