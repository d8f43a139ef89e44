//! The Cluster service.

use super::super::{Bool, Msg, Opt, Rep, Str, Uint64};
use super::{field, message};
use crate::pb::*;

message!(Member {
    field!(id: Uint64 = "ID"),
    field!(name: Str = "name"),
    field!(peer_urls: Rep<Str> = "peerURLs"),
    field!(client_urls: Rep<Str> = "clientURLs"),
    field!(is_learner: Bool = "isLearner"),
});

message!(MemberAddRequest {
    field!(peer_urls: Rep<Str> = "peerURLs"),
    field!(is_learner: Bool = "isLearner"),
});

message!(MemberAddResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(member: Opt<Member> = "member"),
    field!(members: Rep<Msg<Member>> = "members"),
});

message!(MemberRemoveRequest {
    field!(id: Uint64 = "ID"),
});

message!(MemberRemoveResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(members: Rep<Msg<Member>> = "members"),
});

message!(MemberUpdateRequest {
    field!(id: Uint64 = "ID"),
    field!(peer_urls: Rep<Str> = "peerURLs"),
});

message!(MemberUpdateResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(members: Rep<Msg<Member>> = "members"),
});

message!(MemberListRequest {
    field!(linearizable: Bool = "linearizable"),
});

message!(MemberListResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(members: Rep<Msg<Member>> = "members"),
});

message!(MemberPromoteRequest {
    field!(id: Uint64 = "ID"),
});

message!(MemberPromoteResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(members: Rep<Msg<Member>> = "members"),
});
