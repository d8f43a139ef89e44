//! The Lease service.

use super::super::{Bool, Bytes, Int64, Msg, Opt, Rep, Str};
use super::{field, message};
use crate::pb::*;

message!(LeaseGrantRequest {
    field!(ttl: Int64 = "TTL"),
    field!(id: Int64 = "ID"),
});

message!(LeaseGrantResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(id: Int64 = "ID"),
    field!(ttl: Int64 = "TTL"),
    field!(error: Str = "error"),
});

message!(LeaseRevokeRequest {
    field!(id: Int64 = "ID"),
});

message!(LeaseRevokeResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(LeaseKeepAliveRequest {
    field!(id: Int64 = "ID"),
});

message!(LeaseKeepAliveResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(id: Int64 = "ID"),
    field!(ttl: Int64 = "TTL"),
});

message!(LeaseTimeToLiveRequest {
    field!(id: Int64 = "ID"),
    field!(keys: Bool = "keys"),
});

message!(LeaseTimeToLiveResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(id: Int64 = "ID"),
    field!(ttl: Int64 = "TTL"),
    field!(granted_ttl: Int64 = "grantedTTL"),
    field!(keys: Rep<Bytes> = "keys"),
});

message!(LeaseLeasesRequest {});

message!(LeaseStatus {
    field!(id: Int64 = "ID"),
});

message!(LeaseLeasesResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(leases: Rep<Msg<LeaseStatus>> = "leases"),
});
