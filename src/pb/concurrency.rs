//! The v3lock and v3election services (`v3lockpb`, `v3electionpb`): the
//! concurrency recipes etcd serves over gRPC.

use super::{KeyValue, ResponseHeader};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockRequest {
    pub name: Vec<u8>,
    pub lease: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockResponse {
    pub header: Option<ResponseHeader>,
    pub key: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnlockRequest {
    pub key: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnlockResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CampaignRequest {
    pub name: Vec<u8>,
    pub lease: i64,
    pub value: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CampaignResponse {
    pub header: Option<ResponseHeader>,
    pub leader: Option<LeaderKey>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaderKey {
    pub name: Vec<u8>,
    pub key: Vec<u8>,
    pub rev: i64,
    pub lease: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaderRequest {
    pub name: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaderResponse {
    pub header: Option<ResponseHeader>,
    pub kv: Option<KeyValue>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResignRequest {
    pub leader: Option<LeaderKey>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResignResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProclaimRequest {
    pub leader: Option<LeaderKey>,
    pub value: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProclaimResponse {
    pub header: Option<ResponseHeader>,
}
