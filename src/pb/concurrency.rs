//! The v3lock and v3election services (`v3lockpb`, `v3electionpb`): the
//! concurrency recipes etcd serves over gRPC.

use super::{message, Bytes, Int64, KeyValue, Opt, ResponseHeader};

message! {
    LockRequest {
        name: Bytes = 1,
        lease: Int64 = 2,
    }
}

message! {
    LockResponse {
        header: Opt<ResponseHeader> = 1,
        key: Bytes = 2,
    }
}

message! {
    UnlockRequest {
        key: Bytes = 1,
    }
}

message! {
    UnlockResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    CampaignRequest {
        name: Bytes = 1,
        lease: Int64 = 2,
        value: Bytes = 3,
    }
}

message! {
    CampaignResponse {
        header: Opt<ResponseHeader> = 1,
        leader: Opt<LeaderKey> = 2,
    }
}

message! {
    LeaderKey {
        name: Bytes = 1,
        key: Bytes = 2,
        rev: Int64 = 3,
        lease: Int64 = 4,
    }
}

message! {
    LeaderRequest {
        name: Bytes = 1,
    }
}

message! {
    LeaderResponse {
        header: Opt<ResponseHeader> = 1,
        kv: Opt<KeyValue> = 2,
    }
}

message! {
    ResignRequest {
        leader: Opt<LeaderKey> = 1,
    }
}

message! {
    ResignResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    ProclaimRequest {
        leader: Opt<LeaderKey> = 1,
        value: Bytes = 2,
    }
}

message! {
    ProclaimResponse {
        header: Opt<ResponseHeader> = 1,
    }
}
