//! The Lease service: grant, revoke, keepalive, time-to-live, leases.
//!
//! Proto field names `ID`, `TTL`, `grantedTTL` become `id`, `ttl`,
//! `granted_ttl` here; the JSON mapping keeps the proto spelling.

use super::{message, Bool, Bytes, Int64, Msg, Opt, Rep, ResponseHeader, Str};

message! {
    LeaseGrantRequest {
        ttl: Int64 = 1 "TTL",
        id: Int64 = 2 "ID",
    }
}

message! {
    LeaseGrantResponse {
        header: Opt<ResponseHeader> = 1,
        id: Int64 = 2 "ID",
        ttl: Int64 = 3 "TTL",
        error: Str = 4,
    }
}

message! {
    LeaseRevokeRequest {
        id: Int64 = 1 "ID",
    }
}

message! {
    LeaseRevokeResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    LeaseKeepAliveRequest {
        id: Int64 = 1 "ID",
    }
}

message! {
    LeaseKeepAliveResponse {
        header: Opt<ResponseHeader> = 1,
        id: Int64 = 2 "ID",
        ttl: Int64 = 3 "TTL",
    }
}

message! {
    LeaseTimeToLiveRequest {
        id: Int64 = 1 "ID",
        keys: Bool = 2,
    }
}

message! {
    LeaseTimeToLiveResponse {
        header: Opt<ResponseHeader> = 1,
        id: Int64 = 2 "ID",
        ttl: Int64 = 3 "TTL",
        granted_ttl: Int64 = 4 "grantedTTL",
        keys: Rep<Bytes> = 5,
    }
}

message! {
    LeaseLeasesRequest {}
}

message! {
    LeaseStatus {
        id: Int64 = 1 "ID",
    }
}

message! {
    LeaseLeasesResponse {
        header: Opt<ResponseHeader> = 1,
        leases: Rep<Msg<LeaseStatus>> = 2,
    }
}
