//! The Maintenance service: alarms, status, defragment, hash, snapshot,
//! leadership transfer, downgrade.
//!
//! camelCase proto field names (`memberID`, `dbSize`, `targetID`...) become
//! snake_case here; the JSON mapping keeps the proto spelling.

use super::{enumeration, message, Bool, Bytes, Enum, Int64, Msg, Opt, Rep, ResponseHeader};
use super::{Str, Uint32, Uint64};

enumeration! {
    /// `etcdserverpb.AlarmType`.
    AlarmType in alarm_type = "etcdserverpb.AlarmType" { NONE = 0, NOSPACE = 1, CORRUPT = 2 }
}

enumeration! {
    /// `AlarmRequest.AlarmAction`.
    AlarmAction in alarm_action = "etcdserverpb.AlarmRequest.AlarmAction" {
        GET = 0, ACTIVATE = 1, DEACTIVATE = 2,
    }
}

message! {
    AlarmRequest {
        action: Enum<AlarmAction> = 1,
        member_id: Uint64 = 2 "memberID",
        alarm: Enum<AlarmType> = 3,
    }
}

message! {
    AlarmMember {
        member_id: Uint64 = 1 "memberID",
        alarm: Enum<AlarmType> = 2,
    }
}

message! {
    AlarmResponse {
        header: Opt<ResponseHeader> = 1,
        alarms: Rep<Msg<AlarmMember>> = 2,
    }
}

message! { StatusRequest {} }

message! {
    StatusResponse {
        header: Opt<ResponseHeader> = 1,
        version: Str = 2,
        db_size: Int64 = 3 "dbSize",
        leader: Uint64 = 4,
        raft_index: Uint64 = 5 "raftIndex",
        raft_term: Uint64 = 6 "raftTerm",
        raft_applied_index: Uint64 = 7 "raftAppliedIndex",
        errors: Rep<Str> = 8,
        db_size_in_use: Int64 = 9 "dbSizeInUse",
        is_learner: Bool = 10 "isLearner",
    }
}

message! { DefragmentRequest {} }

message! {
    DefragmentResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! { HashRequest {} }

message! {
    HashResponse {
        header: Opt<ResponseHeader> = 1,
        hash: Uint32 = 2,
    }
}

message! {
    HashKvRequest {
        revision: Int64 = 1,
    }
}

message! {
    HashKvResponse {
        header: Opt<ResponseHeader> = 1,
        hash: Uint32 = 2,
        compact_revision: Int64 = 3,
    }
}

message! { SnapshotRequest {} }

message! {
    SnapshotResponse {
        header: Opt<ResponseHeader> = 1,
        remaining_bytes: Uint64 = 2,
        blob: Bytes = 3,
    }
}

message! {
    MoveLeaderRequest {
        target_id: Uint64 = 1 "targetID",
    }
}

message! {
    MoveLeaderResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

enumeration! {
    /// `DowngradeRequest.DowngradeAction`.
    DowngradeAction in downgrade_action = "etcdserverpb.DowngradeRequest.DowngradeAction" {
        VALIDATE = 0, ENABLE = 1, CANCEL = 2,
    }
}

message! {
    DowngradeRequest {
        action: Enum<DowngradeAction> = 1,
        version: Str = 2,
    }
}

message! {
    DowngradeResponse {
        header: Opt<ResponseHeader> = 1,
        version: Str = 2,
    }
}
