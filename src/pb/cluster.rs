//! The Cluster service: membership.
//!
//! Proto field names `ID`, `peerURLs`, `clientURLs`, `isLearner` become
//! `id`, `peer_urls`, `client_urls`, `is_learner` here; the JSON mapping
//! keeps the proto spelling.

use super::ResponseHeader;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Member {
    pub id: u64,
    pub name: String,
    pub peer_urls: Vec<String>,
    pub client_urls: Vec<String>,
    pub is_learner: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberAddRequest {
    pub peer_urls: Vec<String>,
    pub is_learner: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberAddResponse {
    pub header: Option<ResponseHeader>,
    pub member: Option<Member>,
    pub members: Vec<Member>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberRemoveRequest {
    pub id: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberRemoveResponse {
    pub header: Option<ResponseHeader>,
    pub members: Vec<Member>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberUpdateRequest {
    pub id: u64,
    pub peer_urls: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberUpdateResponse {
    pub header: Option<ResponseHeader>,
    pub members: Vec<Member>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberListRequest {
    pub linearizable: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberListResponse {
    pub header: Option<ResponseHeader>,
    pub members: Vec<Member>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberPromoteRequest {
    pub id: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberPromoteResponse {
    pub header: Option<ResponseHeader>,
    pub members: Vec<Member>,
}
