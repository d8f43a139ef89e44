//! The Cluster service: membership.
//!
//! Proto field names `ID`, `peerURLs`, `clientURLs`, `isLearner` become
//! `id`, `peer_urls`, `client_urls`, `is_learner` here; the JSON mapping
//! keeps the proto spelling.

use super::{message, Bool, Msg, Opt, Rep, ResponseHeader, Str, Uint64};

message! {
    Member {
        id: Uint64 = 1 "ID",
        name: Str = 2,
        peer_urls: Rep<Str> = 3 "peerURLs",
        client_urls: Rep<Str> = 4 "clientURLs",
        is_learner: Bool = 5 "isLearner",
    }
}

message! {
    MemberAddRequest {
        peer_urls: Rep<Str> = 1 "peerURLs",
        is_learner: Bool = 2 "isLearner",
    }
}

message! {
    MemberAddResponse {
        header: Opt<ResponseHeader> = 1,
        member: Opt<Member> = 2,
        members: Rep<Msg<Member>> = 3,
    }
}

message! {
    MemberRemoveRequest {
        id: Uint64 = 1 "ID",
    }
}

message! {
    MemberRemoveResponse {
        header: Opt<ResponseHeader> = 1,
        members: Rep<Msg<Member>> = 2,
    }
}

message! {
    MemberUpdateRequest {
        id: Uint64 = 1 "ID",
        peer_urls: Rep<Str> = 2 "peerURLs",
    }
}

message! {
    MemberUpdateResponse {
        header: Opt<ResponseHeader> = 1,
        members: Rep<Msg<Member>> = 2,
    }
}

message! {
    MemberListRequest {
        linearizable: Bool = 1,
    }
}

message! {
    MemberListResponse {
        header: Opt<ResponseHeader> = 1,
        members: Rep<Msg<Member>> = 2,
    }
}

message! {
    MemberPromoteRequest {
        id: Uint64 = 1 "ID",
    }
}

message! {
    MemberPromoteResponse {
        header: Opt<ResponseHeader> = 1,
        members: Rep<Msg<Member>> = 2,
    }
}
