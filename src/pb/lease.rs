//! The Lease service: grant, revoke, keepalive, time-to-live, leases.
//!
//! Proto field names `ID`, `TTL`, `grantedTTL` become `id`, `ttl`,
//! `granted_ttl` here; the JSON mapping keeps the proto spelling.

use super::ResponseHeader;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseGrantRequest {
    pub ttl: i64,
    pub id: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseGrantResponse {
    pub header: Option<ResponseHeader>,
    pub id: i64,
    pub ttl: i64,
    pub error: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseRevokeRequest {
    pub id: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseRevokeResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseKeepAliveRequest {
    pub id: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseKeepAliveResponse {
    pub header: Option<ResponseHeader>,
    pub id: i64,
    pub ttl: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseTimeToLiveRequest {
    pub id: i64,
    pub keys: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseTimeToLiveResponse {
    pub header: Option<ResponseHeader>,
    pub id: i64,
    pub ttl: i64,
    pub granted_ttl: i64,
    pub keys: Vec<Vec<u8>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseLeasesRequest {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseStatus {
    pub id: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseLeasesResponse {
    pub header: Option<ResponseHeader>,
    pub leases: Vec<LeaseStatus>,
}
