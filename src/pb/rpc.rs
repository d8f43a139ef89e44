//! etcd's RPCs, each declared once, in the table of [`rpcs!`]: think of
//! etcd's `rpc.proto` with its `google.api.http` annotations. A row says
//! what etcd 3.5.1 registers and how its gRPC layer treats the call:
//!
//! ```text
//! Range = "etcdserverpb.KV/Range" ["kv/range"] RangeRequest -> RangeResponse
//!     { Unary, token: Resolve, learner: Serializable, header: Full, name: range = 3 }
//! ```
//!
//! * the gRPC method, as metrics label it;
//! * the gateway paths under `/v3/` (the first is the proto's `post`, the
//!   others its `additional_bindings`); grpc-gateway tries them in table
//!   order;
//! * the request and response messages, and how they flow ([`CallKind`]);
//! * what the handler does with the caller's token ([`TokenUse`]);
//! * whether a learner serves it ([`Learner`]);
//! * which response header the member fills ([`Header`]);
//! * for the calls an etcd member serves, the request's name in the trace,
//!   in the style of etcd's `InternalRaftRequest` fields, with that field's
//!   number when etcd proposes it; for the Auth service, whether applying
//!   it needs the admin (etcd's `needAdminPermission`).
//!
//! A call that carries `hasleader` metadata is refused while the member
//! knows no leader: etcd's interceptors check that for every RPC alike, so
//! it is no column.
//!
//! This module expands the table into [`Rpc`] and its [`RpcInfo`]; the layers
//! above expand it into what they need (`rpcs!(their_macro)` hands the
//! rows to `their_macro!`): the server its `Request` and `Response` enums,
//! the gateway the decoding of each call's body.

/// How a call's messages flow (grpc-prometheus's `grpc_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    Unary,
    ClientStream,
    ServerStream,
    BidiStream,
}

impl CallKind {
    /// The `grpc_type` label value.
    pub fn label(self) -> &'static str {
        match self {
            CallKind::Unary => "unary",
            CallKind::ClientStream => "client_stream",
            CallKind::ServerStream => "server_stream",
            CallKind::BidiStream => "bidi_stream",
        }
    }
}

/// What a call's handler does with the caller's token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenUse {
    /// Never looks at it (cluster and status calls, Authenticate).
    None,
    /// Turns it into the sender's auth info (etcd `AuthInfoFromCtx`),
    /// whose permissions are checked where the request applies.
    Resolve,
    /// Root only, checked before serving (etcd's `authMaintenanceServer`;
    /// leadership transfer and downgrade are not among its checks).
    Admin,
}

/// Whether a learner serves the call (etcd's `isRPCSupportedForLearner`,
/// and its stream interceptor's exception for `Snapshot`); it refuses the
/// others with `etcdserver: rpc not supported for learner`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Learner {
    Refused,
    Served,
    /// Served when the request is `serializable`.
    Serializable,
}

/// The response header the member that answers fills in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    /// Cluster id, member id, Raft term, and the revision (the store's
    /// current one unless the applier set it).
    Full,
    /// The cluster API's answers carry no revision (docs/etcd-behaviour.md #8).
    NoRevision,
    /// etcd answers a bare `{}` (defragment, move-leader: docs/etcd-behaviour.md #9; the
    /// snapshot stream: #54).
    Absent,
}

/// The table's facts about one RPC (see the module documentation).
#[derive(Debug)]
pub struct RpcInfo {
    pub method: &'static str,
    pub paths: &'static [&'static str],
    pub kind: CallKind,
    pub token: TokenUse,
    pub learner: Learner,
    pub header: Header,
    /// The request's name in the trace (`put`, `auth_user_add`); empty for
    /// the calls no member serves as a request.
    pub name: &'static str,
    /// The request's field of etcd's `InternalRaftRequest`; 0 for those
    /// etcd does not propose.
    pub raft_field: u16,
}

/// The table of etcd's RPCs. `rpcs!(then)` hands its rows to macro `then`,
/// section by section, each row as
/// `[Rpc "method" [paths] Request Response Kind Token Learner Header [name number?] [admin?]]`.
///
/// Sections: `server`, the unary calls an etcd member serves
/// (`server::Request::<Rpc>`); `auth`, the Auth service's calls, which the
/// member serves too (`Request::Auth(AuthRequest::<Rpc>)`); `concurrency`,
/// the v3lock and v3election services (etcd runs its `concurrency` recipes
/// for them; the token goes with the calls the recipes make); `other`: the
/// streams served by code of their own (watch, lease keep-alive, snapshot),
/// and what the gateway never reaches (HashKV, registered on Hash's path
/// after it; gRPC's health service, which has no path).
macro_rules! rpcs {
    ($then:ident) => {
        $crate::pb::rpcs! { @rows $then
            server {
                Range = "etcdserverpb.KV/Range" ["kv/range"] RangeRequest -> RangeResponse
                    { Unary, token: Resolve, learner: Serializable, header: Full, name: range = 3 }
                Put = "etcdserverpb.KV/Put" ["kv/put"] PutRequest -> PutResponse
                    { Unary, token: Resolve, learner: Refused, header: Full, name: put = 4 }
                DeleteRange = "etcdserverpb.KV/DeleteRange" ["kv/deleterange"]
                    DeleteRangeRequest -> DeleteRangeResponse
                    { Unary, token: Resolve, learner: Refused, header: Full, name: delete_range = 5 }
                Txn = "etcdserverpb.KV/Txn" ["kv/txn"] TxnRequest -> TxnResponse
                    { Unary, token: Resolve, learner: Refused, header: Full, name: txn = 6 }
                Compaction = "etcdserverpb.KV/Compact" ["kv/compaction"]
                    CompactionRequest -> CompactionResponse
                    { Unary, token: Resolve, learner: Refused, header: Full, name: compaction = 7 }
                LeaseGrant = "etcdserverpb.Lease/LeaseGrant" ["lease/grant"]
                    LeaseGrantRequest -> LeaseGrantResponse
                    { Unary, token: Resolve, learner: Refused, header: Full, name: lease_grant = 8 }
                LeaseRevoke = "etcdserverpb.Lease/LeaseRevoke" ["lease/revoke", "kv/lease/revoke"]
                    LeaseRevokeRequest -> LeaseRevokeResponse
                    { Unary, token: Resolve, learner: Refused, header: Full, name: lease_revoke = 9 }
                LeaseTimeToLive = "etcdserverpb.Lease/LeaseTimeToLive"
                    ["lease/timetolive", "kv/lease/timetolive"]
                    LeaseTimeToLiveRequest -> LeaseTimeToLiveResponse
                    { Unary, token: None, learner: Refused, header: Full, name: lease_time_to_live }
                LeaseLeases = "etcdserverpb.Lease/LeaseLeases" ["lease/leases", "kv/lease/leases"]
                    LeaseLeasesRequest -> LeaseLeasesResponse
                    { Unary, token: None, learner: Refused, header: Full, name: lease_leases }
                MemberAdd = "etcdserverpb.Cluster/MemberAdd" ["cluster/member/add"]
                    MemberAddRequest -> MemberAddResponse
                    { Unary, token: None, learner: Refused, header: NoRevision, name: member_add }
                MemberRemove = "etcdserverpb.Cluster/MemberRemove" ["cluster/member/remove"]
                    MemberRemoveRequest -> MemberRemoveResponse
                    { Unary, token: None, learner: Refused, header: NoRevision, name: member_remove }
                MemberUpdate = "etcdserverpb.Cluster/MemberUpdate" ["cluster/member/update"]
                    MemberUpdateRequest -> MemberUpdateResponse
                    { Unary, token: None, learner: Refused, header: NoRevision, name: member_update }
                MemberList = "etcdserverpb.Cluster/MemberList" ["cluster/member/list"]
                    MemberListRequest -> MemberListResponse
                    { Unary, token: None, learner: Refused, header: NoRevision, name: member_list }
                MemberPromote = "etcdserverpb.Cluster/MemberPromote" ["cluster/member/promote"]
                    MemberPromoteRequest -> MemberPromoteResponse
                    { Unary, token: None, learner: Refused, header: NoRevision, name: member_promote }
                Alarm = "etcdserverpb.Maintenance/Alarm" ["maintenance/alarm"]
                    AlarmRequest -> AlarmResponse
                    { Unary, token: Resolve, learner: Refused, header: Full, name: alarm = 10 }
                Status = "etcdserverpb.Maintenance/Status" ["maintenance/status"]
                    StatusRequest -> StatusResponse
                    { Unary, token: None, learner: Served, header: Full, name: status }
                Defragment = "etcdserverpb.Maintenance/Defragment" ["maintenance/defragment"]
                    DefragmentRequest -> DefragmentResponse
                    { Unary, token: Admin, learner: Refused, header: Absent, name: defragment }
                Hash = "etcdserverpb.Maintenance/Hash" ["maintenance/hash"]
                    HashRequest -> HashResponse
                    { Unary, token: Admin, learner: Refused, header: Full, name: hash }
                MoveLeader = "etcdserverpb.Maintenance/MoveLeader"
                    ["maintenance/transfer-leadership"]
                    MoveLeaderRequest -> MoveLeaderResponse
                    { Unary, token: None, learner: Refused, header: Absent, name: move_leader }
                Downgrade = "etcdserverpb.Maintenance/Downgrade" ["maintenance/downgrade"]
                    DowngradeRequest -> DowngradeResponse
                    { Unary, token: None, learner: Refused, header: Full, name: downgrade }
            }
            auth {
                AuthEnable = "etcdserverpb.Auth/AuthEnable" ["auth/enable"]
                    AuthEnableRequest -> AuthEnableResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_enable = 1000, admin: true }
                AuthDisable = "etcdserverpb.Auth/AuthDisable" ["auth/disable"]
                    AuthDisableRequest -> AuthDisableResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_disable = 1011, admin: true }
                AuthStatus = "etcdserverpb.Auth/AuthStatus" ["auth/status"]
                    AuthStatusRequest -> AuthStatusResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_status = 1013, admin: true }
                // checked at the member, then proposed as InternalAuthenticate
                Authenticate = "etcdserverpb.Auth/Authenticate" ["auth/authenticate"]
                    AuthenticateRequest -> AuthenticateResponse
                    { Unary, token: None, learner: Refused, header: Full,
                      name: authenticate, admin: false }
                UserAdd = "etcdserverpb.Auth/UserAdd" ["auth/user/add"]
                    AuthUserAddRequest -> AuthUserAddResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_user_add = 1100, admin: true }
                UserGet = "etcdserverpb.Auth/UserGet" ["auth/user/get"]
                    AuthUserGetRequest -> AuthUserGetResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_user_get = 1102, admin: false }
                UserList = "etcdserverpb.Auth/UserList" ["auth/user/list"]
                    AuthUserListRequest -> AuthUserListResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_user_list = 1106, admin: true }
                UserDelete = "etcdserverpb.Auth/UserDelete" ["auth/user/delete"]
                    AuthUserDeleteRequest -> AuthUserDeleteResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_user_delete = 1101, admin: true }
                UserChangePassword = "etcdserverpb.Auth/UserChangePassword" ["auth/user/changepw"]
                    AuthUserChangePasswordRequest -> AuthUserChangePasswordResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_user_change_password = 1103, admin: true }
                UserGrantRole = "etcdserverpb.Auth/UserGrantRole" ["auth/user/grant"]
                    AuthUserGrantRoleRequest -> AuthUserGrantRoleResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_user_grant_role = 1104, admin: true }
                UserRevokeRole = "etcdserverpb.Auth/UserRevokeRole" ["auth/user/revoke"]
                    AuthUserRevokeRoleRequest -> AuthUserRevokeRoleResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_user_revoke_role = 1105, admin: true }
                RoleAdd = "etcdserverpb.Auth/RoleAdd" ["auth/role/add"]
                    AuthRoleAddRequest -> AuthRoleAddResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_role_add = 1200, admin: true }
                RoleGet = "etcdserverpb.Auth/RoleGet" ["auth/role/get"]
                    AuthRoleGetRequest -> AuthRoleGetResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_role_get = 1202, admin: false }
                RoleList = "etcdserverpb.Auth/RoleList" ["auth/role/list"]
                    AuthRoleListRequest -> AuthRoleListResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_role_list = 1107, admin: true }
                RoleDelete = "etcdserverpb.Auth/RoleDelete" ["auth/role/delete"]
                    AuthRoleDeleteRequest -> AuthRoleDeleteResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_role_delete = 1201, admin: true }
                RoleGrantPermission = "etcdserverpb.Auth/RoleGrantPermission" ["auth/role/grant"]
                    AuthRoleGrantPermissionRequest -> AuthRoleGrantPermissionResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_role_grant_permission = 1203, admin: true }
                RoleRevokePermission = "etcdserverpb.Auth/RoleRevokePermission" ["auth/role/revoke"]
                    AuthRoleRevokePermissionRequest -> AuthRoleRevokePermissionResponse
                    { Unary, token: Resolve, learner: Refused, header: Full,
                      name: auth_role_revoke_permission = 1204, admin: true }
            }
            concurrency {
                Lock = "v3lockpb.Lock/Lock" ["lock/lock"] LockRequest -> LockResponse
                    { Unary, token: Resolve, learner: Refused, header: Full }
                Unlock = "v3lockpb.Lock/Unlock" ["lock/unlock"] UnlockRequest -> UnlockResponse
                    { Unary, token: Resolve, learner: Refused, header: Full }
                Campaign = "v3electionpb.Election/Campaign" ["election/campaign"]
                    CampaignRequest -> CampaignResponse
                    { Unary, token: Resolve, learner: Refused, header: Full }
                Proclaim = "v3electionpb.Election/Proclaim" ["election/proclaim"]
                    ProclaimRequest -> ProclaimResponse
                    { Unary, token: Resolve, learner: Refused, header: Full }
                Leader = "v3electionpb.Election/Leader" ["election/leader"]
                    LeaderRequest -> LeaderResponse
                    { Unary, token: Resolve, learner: Refused, header: Full }
                Observe = "v3electionpb.Election/Observe" ["election/observe"]
                    LeaderRequest -> LeaderResponse
                    { ServerStream, token: Resolve, learner: Refused, header: Full }
                Resign = "v3electionpb.Election/Resign" ["election/resign"]
                    ResignRequest -> ResignResponse
                    { Unary, token: Resolve, learner: Refused, header: Full }
            }
            other {
                Watch = "etcdserverpb.Watch/Watch" ["watch"] WatchRequest -> WatchResponse
                    { BidiStream, token: Resolve, learner: Refused, header: Full }
                LeaseKeepAlive = "etcdserverpb.Lease/LeaseKeepAlive" ["lease/keepalive"]
                    LeaseKeepAliveRequest -> LeaseKeepAliveResponse
                    { BidiStream, token: None, learner: Refused, header: Full }
                Snapshot = "etcdserverpb.Maintenance/Snapshot" ["maintenance/snapshot"]
                    SnapshotRequest -> SnapshotResponse
                    { ServerStream, token: Admin, learner: Served, header: Absent }
                HashKv = "etcdserverpb.Maintenance/HashKV" ["maintenance/hash"]
                    HashKvRequest -> HashKvResponse
                    { Unary, token: Admin, learner: Refused, header: Full }
                HealthCheck = "grpc.health.v1.Health/Check" []
                    HealthCheckRequest -> HealthCheckResponse
                    { Unary, token: None, learner: Refused, header: Absent }
                HealthWatch = "grpc.health.v1.Health/Watch" []
                    HealthCheckRequest -> HealthCheckResponse
                    { ServerStream, token: None, learner: Refused, header: Absent }
            }
        }
    };
    // Each row read once; `$then` gets them in one shape.
    (@rows $then:ident $($section:ident {
        $($rpc:ident = $method:literal [$($path:literal),*] $req:ident -> $resp:ident {
            $kind:ident, token: $token:ident, learner: $learner:ident, header: $header:ident
            $(, name: $name:ident $(= $field:literal)?)? $(, admin: $admin:literal)?
        })*
    })*) => {
        $then! {
            $($section {
                $([$rpc $method [$($path)*] $req $resp $kind $token $learner $header
                    [$($name $($field)?)?] [$($admin)?]])*
            })*
        }
    };
}

/// A row's request name, or its `InternalRaftRequest` field number: empty
/// and 0 when it has none.
macro_rules! name_and_field {
    (name [$name:ident $($field:literal)?]) => {
        stringify!($name)
    };
    (name []) => {
        ""
    };
    (field [$name:ident $field:literal]) => {
        $field
    };
    (field [$($name:ident)?]) => {
        0
    };
}

pub(crate) use {name_and_field, rpcs};

/// Makes [`Rpc`] and its [`RpcInfo`] from every row of the table.
macro_rules! declare_rpcs {
    ($($section:ident {
        $([$rpc:ident $method:literal [$($path:literal)*] $req:ident $resp:ident $kind:ident
            $token:ident $learner:ident $header:ident $name:tt $admin:tt])*
    })*) => {
        /// An RPC of etcd's gRPC server, as its table declares it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Rpc {
            $($($rpc,)*)*
        }

        impl Rpc {
            /// Every RPC, in table order.
            pub const ALL: &'static [Rpc] = &[$($(Rpc::$rpc,)*)*];

            /// Its row of the table.
            pub fn info(self) -> &'static RpcInfo {
                match self {
                    $($(Rpc::$rpc => &RpcInfo {
                        method: $method,
                        paths: &[$($path),*],
                        kind: CallKind::$kind,
                        token: TokenUse::$token,
                        learner: Learner::$learner,
                        header: Header::$header,
                        name: $crate::pb::rpc::name_and_field!(name $name),
                        raft_field: $crate::pb::rpc::name_and_field!(field $name),
                    },)*)*
                }
            }
        }
    };
}

rpcs!(declare_rpcs);

impl Rpc {
    /// The RPC a gateway path (after `/v3/`) reaches: the first in table
    /// order that registers it.
    pub fn at_path(path: &str) -> Option<Rpc> {
        Rpc::ALL
            .iter()
            .copied()
            .find(|rpc| rpc.info().paths.contains(&path))
    }

    /// The full gRPC method name (`etcdserverpb.KV/Range`).
    pub fn method(self) -> &'static str {
        self.info().method
    }

    /// The service and the method (`etcdserverpb.KV`, `Range`).
    pub fn service_and_method(self) -> (&'static str, &'static str) {
        let full = self.method();
        full.split_once('/').unwrap_or((full, ""))
    }

    pub fn kind(self) -> CallKind {
        self.info().kind
    }

    pub fn token(self) -> TokenUse {
        self.info().token
    }

    pub fn learner(self) -> Learner {
        self.info().learner
    }

    pub fn header(self) -> Header {
        self.info().header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_is_service_slash_method_and_named_once() {
        let mut names: Vec<&str> = Rpc::ALL.iter().map(|r| r.method()).collect();
        for name in &names {
            let (service, method) = name.split_once('/').unwrap_or_default();
            assert!(service.contains('.') && !method.is_empty(), "{name}");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Rpc::ALL.len());
    }

    #[test]
    fn a_served_request_is_named_after_its_internal_raft_request_field() {
        let row = |rpc: Rpc| (rpc.info().name, rpc.info().raft_field);
        assert_eq!(row(Rpc::Put), ("put", 4));
        assert_eq!(row(Rpc::UserAdd), ("auth_user_add", 1100));
        // served, never proposed: a name, no field
        assert_eq!(row(Rpc::Status), ("status", 0));
        assert_eq!(row(Rpc::Authenticate), ("authenticate", 0));
        // no member request at all
        assert_eq!(row(Rpc::Watch), ("", 0));
    }

    #[test]
    fn additional_bindings_reach_the_same_rpc() {
        assert_eq!(Rpc::at_path("kv/lease/revoke"), Some(Rpc::LeaseRevoke));
        assert_eq!(Rpc::at_path("lease/revoke"), Some(Rpc::LeaseRevoke));
        assert_eq!(Rpc::at_path("kv/lease/leases"), Some(Rpc::LeaseLeases));
    }

    #[test]
    fn hash_kv_registered_after_hash_on_its_path_is_never_reached() {
        assert_eq!(Rpc::HashKv.info().paths, ["maintenance/hash"]);
        assert_eq!(Rpc::at_path("maintenance/hash"), Some(Rpc::Hash));
    }

    #[test]
    fn a_learner_serves_status_serializable_ranges_and_snapshots_only() {
        let served: Vec<(Rpc, Learner)> = Rpc::ALL
            .iter()
            .map(|&r| (r, r.learner()))
            .filter(|(_, l)| *l != Learner::Refused)
            .collect();
        assert_eq!(
            served,
            [
                (Rpc::Range, Learner::Serializable),
                (Rpc::Status, Learner::Served),
                (Rpc::Snapshot, Learner::Served),
            ]
        );
    }
}
