//! One etcd member, as etcd's `EtcdServer` (`server/etcdserver`): its Raft
//! node, everything its clients wait for, and its state machine. A member
//! never knows HTTP, JSON, the network or the clock.
//!
//! - serving clients (`v3_server`): etcd's gRPC checks and route, token
//!   waits, ReadIndex and linearizable reads, proposals and their waits,
//!   requests the leader answers (forwarded to it), membership changes
//!   with etcd's strict reconfiguration checks made by the leader,
//!   move-leader, downgrade, the keep-alive and snapshot streams;
//! - the Raft node's `Ready` (`ready`): messages for the peers, applying
//!   entries and snapshots, answering proposals, leader changes, snapshots
//!   with log compaction, publishing its attributes and the cluster
//!   version; the node itself and the process around it (`raft_node`:
//!   tick, step, crash, restart);
//! - its own timers (`timers`): etcd's request timeout, the leader's lessor
//!   revoking expired leases, watch progress notifications;
//! - etcd's v3rpc interceptors and leader monitor (`interceptor`), and the
//!   v3lock and v3election services, whose concurrency recipes (`recipe`)
//!   call the member through the same path as a client (`v3client`);
//! - the applier and state machine (here and `apply*`, `watch`,
//!   `maintenance`): MVCC store, lessor, auth, alarms, membership, the
//!   watch hub.
//!
//! Its interface is in the style of etcd-io/raft's: the world hands it
//! [`ClientInput`]s, Raft messages ([`EtcdServer::step`]) and ticks
//! ([`EtcdServer::tick`]), lends it the time, a narrow view of the
//! transport and random draws for each call ([`Env`]), runs it
//! ([`EtcdServer::run`]) and its timers when due
//! ([`EtcdServer::next_due`], [`EtcdServer::fire_timers`]), and takes what
//! it produced in order ([`EtcdServer::drain`]: [`Output`]s, with watch
//! messages from [`EtcdServer::watch_messages`]).

mod apply;
mod apply_auth;
mod checkpoint;
mod config;
mod env;
mod gosort;
mod idgen;
pub mod interceptor;
pub mod maintenance;
mod output;
mod raft_node;
mod ready;
mod recipe;
mod timers;
mod v3_server;
pub mod v3client;
mod validate;
mod wait;
pub mod watch;

use crate::alarm::AlarmStore;
use crate::auth::{AuthInfo, AuthRequest, AuthResponse, AuthStore, SimpleTokens};
use crate::boxed_map::BoxedMap;
use crate::errors::EtcdError;
use crate::lease::Lessor;
use crate::membership::{ConfChange, Membership};
use crate::mvcc::KvStore;
use crate::pb::size::embedded;
use crate::pb::{self, Header, Message, Reflect, Rpc, TokenUse};
pub use checkpoint::request_name;
pub use config::{
    ServerConfig, ELECTION_MS, HEALTH_INTERVAL_MS, LEASE_REVOKE_RETRY_MS, MAX_RECV_BYTES,
    REQUEST_TIMEOUT_MS, TICK_MS,
};
pub use env::{Draw, Env, Transport};
use idgen::IdGenerator;
use maintenance::RaftView;
pub use output::{entry_digest, Answer, EntryKind, Event, Forwarded, Output};
pub use raft_node::{RaftEntry, RaftMessage, RaftNode};
pub use v3_server::ClientInput;
pub use v3client::{ServiceCall, ServiceReply, ServiceResponse};
pub use wait::Forward;
use wait::Waits;
use watch::{HeaderInfo, Outbox, StreamId, WatchHub};

/// etcd's default `--max-request-bytes`: the largest Raft proposal.
pub const MAX_REQUEST_BYTES: usize = 1_572_864;

/// The minimum lease TTL, `ceil(1.5 * election timeout)` = 2 s by default.
pub const MIN_LEASE_TTL: i64 = 2;

/// Names one client request or stream from submit to its end.
pub type Ticket = u64;

/// The server's side of the RPC table (`pb::rpcs!`): a `Request` and a
/// `Response` variant for each call of its `server` section, the Auth
/// service's under `Auth`.
macro_rules! server_calls {
    (server {
        $([$rpc:ident $method:literal $paths:tt $req:ident $resp:ident $kind:ident $token:ident
            $learner:ident $header:ident [$name:ident $($field:literal)?] $admin:tt])*
    } $($others:tt)*) => {
        /// A unary request to a member, as its gRPC services receive it.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Request {
            $($rpc(pb::$req),)*
            Auth(AuthRequest),
            /// Internal: the downgrade job on or off (etcd `DowngradeInfoSetRequest`).
            DowngradeInfoSet {
                enabled: bool,
            },
            /// Internal: a member publishes its name and client URLs after start
            /// (etcd's `ClusterMemberAttrSetRequest`).
            MemberAttrSet {
                id: u64,
                name: String,
                client_urls: Vec<String>,
            },
            /// Internal: the cluster version is decided (etcd's
            /// `ClusterVersionSetRequest`).
            ClusterVersionSet {
                version: String,
            },
        }

        /// A member's answer; its header's cluster and member ids and term are
        /// filled by the member that answers the client ([`EtcdServer::fill_header`]).
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Response {
            $($rpc(pb::$resp),)*
            Auth(AuthResponse),
        }

        // A request waits in a checkpoint (proposals, reads, token waits),
        // and so does an answer (deferred, for a recipe).
        $crate::checkpoint::messages!($(pb::$req, pb::$resp),*);
        $crate::checkpoint::variants!(Request {
            $($rpc(message),)*
            Auth(request),
            DowngradeInfoSet { enabled },
            MemberAttrSet { id, name, client_urls },
            ClusterVersionSet { version },
        });
        $crate::checkpoint::variants!(Response { $($rpc(message),)* Auth(response) });

        impl Request {
            /// The RPC it came in by (`None`: the member's own requests).
            pub fn rpc(&self) -> Option<Rpc> {
                match self {
                    $(Request::$rpc(_) => Some(Rpc::$rpc),)*
                    Request::Auth(a) => a.rpc(),
                    _ => None,
                }
            }
        }

        impl Response {
            /// The RPC it answers.
            pub fn rpc(&self) -> Rpc {
                match self {
                    $(Response::$rpc(_) => Rpc::$rpc,)*
                    Response::Auth(a) => a.rpc(),
                }
            }

            /// The response message.
            pub fn message(&self) -> &dyn Reflect {
                match self {
                    $(Response::$rpc(r) => r,)*
                    Response::Auth(a) => a.message(),
                }
            }

            fn header_mut(&mut self) -> &mut Option<pb::ResponseHeader> {
                match self {
                    $(Response::$rpc(r) => &mut r.header,)*
                    Response::Auth(a) => a.header_mut(),
                }
            }
        }
    };
}

pb::rpcs!(server_calls);

pub type Reply = Result<Response, EtcdError>;

impl Request {
    /// Its name for the trace and the log listing, in the style of etcd's
    /// `InternalRaftRequest` fields (`put`, `delete_range`, `lease_grant`).
    pub fn name(&self) -> &'static str {
        match self.rpc() {
            Some(rpc) => rpc.info().name,
            None => self.own().0,
        }
    }

    /// Its field of etcd's `InternalRaftRequest` (0: never proposed).
    fn raft_field(&self) -> u32 {
        match self.rpc() {
            Some(rpc) => rpc.info().raft_field.into(),
            None => self.own().1,
        }
    }

    /// The name and `InternalRaftRequest` field of the member's own
    /// requests.
    fn own(&self) -> (&'static str, u32) {
        match self {
            Request::ClusterVersionSet { .. } => ("cluster_version_set", 1300),
            Request::MemberAttrSet { .. } => ("member_attr_set", 1301),
            Request::DowngradeInfoSet { .. } => ("downgrade_info_set", 1302),
            // the others have an RPC (see `name`) but InternalAuthenticate,
            // which Authenticate proposes
            _ => ("authenticate", 1012),
        }
    }

    /// The size of the message on the wire, for gRPC's receive limit and
    /// etcd's `--max-request-bytes`. Measured for the KV service's
    /// requests, whose keys and values make requests large; the others
    /// count as small. (Every message has its size, `Message::encoded_len`;
    /// measuring every request here made the wasm half a kilobyte larger,
    /// gzipped.)
    pub fn encoded_len(&self) -> usize {
        match self {
            Request::Range(r) => r.encoded_len(),
            Request::Put(r) => r.encoded_len(),
            Request::DeleteRange(r) => r.encoded_len(),
            Request::Txn(r) => r.encoded_len(),
            Request::Compaction(r) => r.encoded_len(),
            _ => 0,
        }
    }
}

/// How a request is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Read from the member's own state at once (`serializable`, leases list).
    LocalRead,
    /// Read after a ReadIndex round confirms the member is up to date.
    LinearizableRead,
    /// Answered by the leader (lease time-to-live and keep-alive).
    Leader,
    /// Proposed to Raft and answered once applied.
    Propose,
    /// A change to the cluster: membership (checked by the leader),
    /// leadership transfer, downgrade jobs.
    Cluster,
}

/// A proposal as it travels through the Raft log (etcd `InternalRaftRequest`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InternalRaftRequest {
    pub id: u64,
    pub request: Request,
    /// Who proposed it (etcd's `RequestHeader{Username, AuthRevision}`).
    pub auth: AuthInfo,
}

impl InternalRaftRequest {
    /// Encoded size: the request under its field number plus the
    /// `RequestHeader{ID}` under field 100, as etcd marshals it.
    pub fn encoded_len(&self) -> usize {
        // RequestHeader { ID = 1, Username = 2, AuthRevision = 3 }
        let mut header_len = 1 + varint_len(self.id);
        if !self.auth.username.is_empty() {
            header_len += embedded(2, self.auth.username.len());
        }
        if self.auth.revision != 0 {
            header_len += 1 + varint_len(self.auth.revision);
        }
        embedded(100, header_len) + embedded(self.request.raft_field(), self.request.encoded_len())
    }
}

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// What the handler of `req` does with the caller's token (the member's
/// own requests carry none).
fn token_use(req: &Request) -> TokenUse {
    req.rpc().map_or(TokenUse::None, Rpc::token)
}

/// What a member's Raft snapshots carry. etcd keeps its v3 state in the
/// backend, not in the Raft snapshot: the snapshot in Raft storage only
/// marks where the log starts, and one sent to a follower is filled with
/// the state at the applied index as it goes out (etcd's
/// `createMergedSnapshotMessage`, see `merge_snapshot`). So only a snapshot
/// in flight holds the state; storage keeps `None`, not a copy of the store
/// per member.
pub type SnapshotData = Option<Box<StateSnapshot>>;

/// A member's replicated state at an applied index (a Raft snapshot).
#[derive(Clone, Debug)]
pub struct StateSnapshot {
    pub kv: KvStore,
    pub lessor: Lessor,
    pub alarms: AlarmStore,
    pub membership: Membership,
    pub cluster_version: Option<String>,
    pub conf_accepted: std::collections::BTreeSet<u64>,
    pub downgrade_enabled: bool,
    pub auth: AuthStore,
    pub applied_index: u64,
}

/// One etcd member: its Raft node, the client requests waiting on it, its
/// v3lock and v3election services, and its state machine.
pub struct EtcdServer {
    pub id: u64,
    cfg: ServerConfig,
    raft: RaftNode,
    crashed: bool,
    /// Removed from the cluster: stopped for good.
    removed: bool,
    /// Whether this member has published its name and client URLs.
    published: bool,
    /// The leader this member knows now, or none (etcd tells waiting reads
    /// when a leader appears that is not this one).
    last_leader: u64,
    /// When this member last became leader (etcd's `leadElectedTime`).
    lead_elected_at: Option<u64>,
    /// New leaders seen since the process started (etcd's
    /// `leader_changes_seen_total`, counted where `last_leader` changes).
    leader_changes_seen: u64,
    /// The leader monitor's checks in a row without a leader.
    no_leader_checks: u32,
    w: Waits,
    /// Lock and election calls under way.
    services: BoxedMap<Ticket, v3client::Running>,
    /// Answers and watch messages come back to them, not yet handed over.
    service_events: Vec<(Ticket, v3client::ServiceEvent)>,
    /// What the member produced for its world, in order (see `drain`).
    out: Vec<Output>,
    kv: KvStore,
    lessor: Lessor,
    alarms: AlarmStore,
    membership: Membership,
    /// Decided once every member runs (etcd's cluster version).
    cluster_version: Option<String>,
    /// Raft indexes of the conf changes that were accepted (not refused):
    /// after a restart Raft delivers them again and needs to know.
    conf_accepted: std::collections::BTreeSet<u64>,
    /// A downgrade job is in progress (replicated via Raft).
    downgrade_enabled: bool,
    auth: AuthStore,
    /// Simple tokens live in this member's memory only.
    tokens: SimpleTokens,
    /// The token each watch stream was opened with, checked at every create.
    watch_tokens: std::collections::BTreeMap<StreamId, Option<String>>,
    watches: WatchHub,
    /// Watch messages produced by applies and watch requests, to be sent.
    watch_out: Outbox,
    applied_index: u64,
    ids: IdGenerator,
}

impl EtcdServer {
    /// A member of no cluster yet, with an empty state machine: its Raft
    /// node knows no peers. `start_ms` seeds its id generator.
    pub fn new(id: u64, start_ms: u64) -> Self {
        let cfg = ServerConfig::new(id);
        let raft = raft_node::new_node(&cfg.raft);
        EtcdServer::with_raft(cfg, raft, start_ms)
    }

    /// A member of a fresh cluster of `peers` (etcd's `--initial-cluster-state
    /// new`): its log starts with their conf changes.
    pub fn bootstrap(cfg: ServerConfig, peers: &[u64]) -> Self {
        let raft = raft_node::bootstrap_node(&cfg.raft, peers);
        let start = cfg.wall_start_ms;
        EtcdServer::with_raft(cfg, raft, start)
    }

    /// A member started at `now` to join a running cluster (etcd's
    /// `--initial-cluster-state existing`): it starts empty and catches up
    /// from the leader.
    pub fn join(cfg: ServerConfig, now: u64) -> Self {
        let raft = raft_node::new_node(&cfg.raft);
        let start = cfg.wall_start_ms + now;
        EtcdServer::with_raft(cfg, raft, start)
    }

    /// A member whose Raft node is `raft`, with an empty state machine; the
    /// Raft log builds it up (bootstrap conf changes first). `start_ms`
    /// seeds its id generator.
    fn with_raft(cfg: ServerConfig, raft: RaftNode, start_ms: u64) -> Self {
        let id = cfg.raft.id;
        let watches = WatchHub::new(MAX_REQUEST_BYTES, cfg.progress_interval_ms);
        EtcdServer {
            id,
            cfg,
            raft,
            crashed: false,
            removed: false,
            published: false,
            last_leader: 0,
            lead_elected_at: None,
            leader_changes_seen: 0,
            no_leader_checks: 0,
            w: Waits::new(),
            services: Default::default(),
            service_events: Vec::new(),
            out: Vec::new(),
            kv: KvStore::new(),
            lessor: Lessor::new(MIN_LEASE_TTL, false),
            alarms: AlarmStore::default(),
            membership: Membership::default(),
            cluster_version: None,
            conf_accepted: Default::default(),
            downgrade_enabled: false,
            auth: AuthStore::default(),
            tokens: SimpleTokens::default(),
            watch_tokens: Default::default(),
            watches,
            watch_out: Outbox::new(),
            applied_index: 0,
            ids: IdGenerator::new(id, start_ms),
        }
    }

    pub fn kv(&self) -> &KvStore {
        &self.kv
    }

    pub fn lessor(&self) -> &Lessor {
        &self.lessor
    }

    pub fn alarms(&self) -> &AlarmStore {
        &self.alarms
    }

    pub fn membership(&self) -> &Membership {
        &self.membership
    }

    pub fn downgrade_enabled(&self) -> bool {
        self.downgrade_enabled
    }

    pub fn auth(&self) -> &AuthStore {
        &self.auth
    }

    pub fn watches(&self) -> &WatchHub {
        &self.watches
    }

    pub fn applied_index(&self) -> u64 {
        self.applied_index
    }

    /// The checks of etcd's gRPC layer, then how the request will be served.
    pub fn route(&self, req: &Request) -> Result<Path, EtcdError> {
        use validate::*;
        match req {
            Request::Range(r) => {
                check_range(r)?;
                Ok(if r.serializable {
                    Path::LocalRead
                } else {
                    Path::LinearizableRead
                })
            }
            Request::Put(r) => check_put(r).map(|_| Path::Propose),
            Request::DeleteRange(r) => check_delete(r).map(|_| Path::Propose),
            Request::Txn(t) => {
                check_txn(t)?;
                Ok(
                    match (apply::txn_is_read_only(t), apply::txn_is_serializable(t)) {
                        (true, true) => Path::LocalRead,
                        (true, false) => Path::LinearizableRead,
                        _ => Path::Propose,
                    },
                )
            }
            Request::Compaction(_)
            | Request::LeaseGrant(_)
            | Request::LeaseRevoke(_)
            | Request::Alarm(_)
            | Request::DowngradeInfoSet { .. }
            | Request::MemberAttrSet { .. }
            | Request::ClusterVersionSet { .. } => Ok(Path::Propose),
            // the password is checked after a ReadIndex round (etcd's
            // Authenticate), then the authentication is proposed
            Request::Auth(AuthRequest::Authenticate(_)) => Ok(Path::LinearizableRead),
            Request::Auth(_) => Ok(Path::Propose),
            Request::MemberList(r) => Ok(if r.linearizable {
                Path::LinearizableRead
            } else {
                Path::LocalRead
            }),
            Request::MemberAdd(_)
            | Request::MemberRemove(_)
            | Request::MemberUpdate(_)
            | Request::MemberPromote(_) => Ok(Path::Cluster),
            Request::LeaseTimeToLive(_) => Ok(Path::Leader),
            Request::LeaseLeases(_)
            | Request::Status(_)
            | Request::Defragment(_)
            | Request::Hash(_) => Ok(Path::LocalRead),
            Request::MoveLeader(_) | Request::Downgrade(_) => Ok(Path::Cluster),
        }
    }

    /// Who sends a request with `token` (etcd `AuthInfoFromCtx`): nobody
    /// without one, `invalid auth token` for one this member does not know
    /// (also while auth is disabled, when no token is known). Using a token
    /// keeps it alive.
    pub fn auth_info(&mut self, token: Option<&str>, now: u64) -> Result<AuthInfo, EtcdError> {
        let Some(token) = token else {
            return Ok(AuthInfo::default());
        };
        match self.tokens.user(token, now) {
            Some(user) => Ok(self.auth.info_of(user)),
            None => Err(EtcdError::InvalidAuthToken),
        }
    }

    /// What the handler of `req` does with the caller's token before
    /// serving it: the calls that look at it resolve it, and the
    /// maintenance calls for root only check it at once.
    pub fn authorize(
        &mut self,
        req: &Request,
        token: Option<&str>,
        now: u64,
    ) -> Result<AuthInfo, EtcdError> {
        match token_use(req) {
            TokenUse::None => Ok(AuthInfo::default()),
            TokenUse::Resolve => self.auth_info(token, now),
            TokenUse::Admin => self.authorize_admin(token, now),
        }
    }

    /// The maintenance calls for root only (defragment, hash, snapshot)
    /// check the caller before anything, answering with the auth package's
    /// own errors (etcd's `authMaintenanceServer.isAuthenticated`).
    pub fn authorize_admin(
        &mut self,
        token: Option<&str>,
        now: u64,
    ) -> Result<AuthInfo, EtcdError> {
        use crate::errors::AuthError;
        let ai = self
            .auth_info(token, now)
            .map_err(|_| EtcdError::Auth(AuthError::InvalidAuthToken))?;
        self.auth.is_admin_permitted(&ai).map_err(|e| match e {
            EtcdError::UserEmpty => EtcdError::Auth(AuthError::UserEmpty),
            EtcdError::UserNotFound => EtcdError::Auth(AuthError::UserNotFound),
            _ => EtcdError::Auth(AuthError::PermissionDenied),
        })?;
        Ok(ai)
    }

    /// The Raft index a request's simple token was issued at, when this
    /// member has not applied it yet: etcd waits for it before looking the
    /// token up (a token from one member is good on another).
    pub fn token_index_ahead(&self, req: &Request, token: Option<&str>) -> Option<u64> {
        if token_use(req) == TokenUse::None {
            return None;
        }
        let (_, index) = token?.split_once('.')?;
        let index: u64 = index.parse().ok()?;
        (index > self.applied_index).then_some(index)
    }

    /// The auth info of the leader's own proposals (lease expiry): root's,
    /// as etcd's `WithRoot`.
    pub fn root_auth_info(&self) -> AuthInfo {
        self.auth.info_of(crate::auth::store::ROOT_USER.to_string())
    }

    /// etcd `CheckPassword` on the member the client asked.
    pub fn check_password(&self, name: &str, password: &str) -> Result<(), EtcdError> {
        self.auth.check_password(name, password)
    }

    /// Serves a read for the sender `ai`: a range or read-only txn needs
    /// read permission on its keys (etcd `doSerialize`).
    pub fn read_as(&self, req: &Request, ai: &AuthInfo, now: u64, raft: RaftView) -> Reply {
        apply_auth::check(&self.auth, &self.lessor, ai, req)?;
        self.read(req, now, raft)
    }

    /// Serves a read from this member's applied state (`now` for leases,
    /// `raft` for the status answer).
    pub fn read(&self, req: &Request, now: u64, raft: RaftView) -> Reply {
        match req {
            Request::Status(_) => Ok(Response::Status(self.status(raft))),
            Request::MemberList(_) => Ok(Response::MemberList(pb::MemberListResponse {
                header: None,
                members: self.membership.members(),
            })),
            // defragmenting an in-memory store changes nothing; etcd answers `{}`
            Request::Defragment(_) => Ok(Response::Defragment(pb::DefragmentResponse::default())),
            Request::Hash(_) => Ok(Response::Hash(pb::HashResponse {
                header: None,
                hash: maintenance::db_hash(&self.kv),
            })),
            Request::Range(r) => apply::range(&self.kv, r).map(Response::Range),
            Request::Txn(t) => apply::txn_read(&self.kv, t).map(Response::Txn),
            Request::LeaseTimeToLive(r) => Ok(Response::LeaseTimeToLive(self.time_to_live(r, now))),
            Request::LeaseLeases(_) => {
                let leases = self
                    .lessor
                    .leases()
                    .iter()
                    .map(|l| pb::LeaseStatus { id: l.id })
                    .collect();
                Ok(Response::LeaseLeases(pb::LeaseLeasesResponse {
                    header: None,
                    leases,
                }))
            }
            // route() never sends writes here
            _ => Err(EtcdError::Stopped),
        }
    }

    fn status(&self, raft: RaftView) -> pb::StatusResponse {
        let mut errors = Vec::new();
        if raft.leader_id == 0 {
            errors.push(EtcdError::NoLeader.to_string());
        }
        errors.extend(
            self.alarms
                .get(pb::alarm_type::NONE)
                .iter()
                .map(maintenance::alarm_text),
        );
        pb::StatusResponse {
            header: None,
            version: maintenance::SERVER_VERSION.to_string(),
            db_size: self.kv.db_size(),
            leader: raft.leader_id,
            raft_index: raft.commit,
            raft_term: raft.term,
            raft_applied_index: self.applied_index,
            errors,
            db_size_in_use: self.kv.db_size_in_use(),
            is_learner: false,
        }
    }

    /// The snapshot stream's blobs (the database image, then its sha256).
    pub fn snapshot_blobs(&self) -> Vec<Vec<u8>> {
        maintenance::snapshot_blobs(&self.kv)
    }

    /// etcd's LeaseTimeToLive on the leader; an unknown lease is `TTL: -1`
    /// rather than an error (v3rpc `LeaseTimeToLive`).
    fn time_to_live(
        &self,
        r: &pb::LeaseTimeToLiveRequest,
        now: u64,
    ) -> pb::LeaseTimeToLiveResponse {
        let Some(l) = self.lessor.lookup(r.id) else {
            return pb::LeaseTimeToLiveResponse {
                id: r.id,
                ttl: -1,
                ..Default::default()
            };
        };
        pb::LeaseTimeToLiveResponse {
            header: None,
            id: r.id,
            ttl: l.remaining_secs(now).unwrap_or(l.ttl),
            granted_ttl: l.ttl,
            keys: if r.keys {
                l.keys.iter().cloned().collect()
            } else {
                Vec::new()
            },
        }
    }

    /// A keep-alive on the leader: the remaining TTL, 0 for an unknown lease
    /// (v3rpc `leaseKeepAlive` turns not-found into TTL 0).
    pub fn renew(
        &mut self,
        r: &pb::LeaseKeepAliveRequest,
        now: u64,
    ) -> Result<pb::LeaseKeepAliveResponse, EtcdError> {
        let ttl = match self.lessor.renew(r.id, now) {
            Ok(ttl) => ttl,
            Err(EtcdError::LeaseNotFound) => 0,
            Err(e) => return Err(e),
        };
        Ok(pb::LeaseKeepAliveResponse {
            header: None,
            id: r.id,
            ttl,
        })
    }

    /// A fresh id for a request travelling through Raft (etcd's
    /// `reqIDGen.Next()`), also for conf changes, whose waiters it names.
    pub fn next_request_id(&mut self) -> u64 {
        self.ids.next_id()
    }

    /// Wraps a write for Raft, refusing one larger than etcd's
    /// `--max-request-bytes` (`etcdserver: request is too large`). A lease
    /// grant without an id gets one here, as etcd's server picks it.
    /// A password is hashed here, as etcd's server does before proposing.
    pub fn new_proposal(
        &mut self,
        mut request: Request,
        auth: AuthInfo,
    ) -> Result<InternalRaftRequest, EtcdError> {
        match &mut request {
            Request::LeaseGrant(g) => {
                while g.id == 0 {
                    // only positive int64 ids
                    g.id = (self.ids.next_id() & (u64::MAX >> 1)) as i64;
                }
            }
            Request::Auth(AuthRequest::UserAdd(r)) => {
                r.hashed_password = crate::auth::store::hash_password(&r.password);
                r.password.clear();
            }
            Request::Auth(AuthRequest::UserChangePassword(r)) => {
                r.hashed_password = crate::auth::store::hash_password(&r.password);
                r.password.clear();
            }
            _ => {}
        }
        let p = InternalRaftRequest {
            id: self.next_request_id(),
            request,
            auth,
        };
        if p.encoded_len() > MAX_REQUEST_BYTES {
            return Err(EtcdError::RequestTooLarge);
        }
        Ok(p)
    }

    /// Applies one committed entry at virtual time `now`; every member
    /// applies the same entries in the same order and gets the same answer.
    /// Its events go to this member's watchers.
    pub fn apply(
        &mut self,
        index: u64,
        entry: &InternalRaftRequest,
        now: u64,
        hdr: HeaderInfo,
    ) -> Reply {
        self.applied_index = index;
        if let Some(e) = self.refused_by_alarm(&entry.request) {
            return Err(e);
        }
        apply_auth::check(&self.auth, &self.lessor, &entry.auth, &entry.request)?;
        let (reply, events) = match &entry.request {
            Request::Put(p) => split(apply::put(&mut self.kv, &self.lessor, p), Response::Put),
            Request::DeleteRange(d) => {
                split(apply::delete_range(&mut self.kv, d), Response::DeleteRange)
            }
            Request::Txn(t) => split(
                apply::txn_write(&mut self.kv, &self.lessor, t),
                Response::Txn,
            ),
            Request::Compaction(c) => (
                apply::compaction(&mut self.kv, c).map(Response::Compaction),
                Vec::new(),
            ),
            Request::LeaseGrant(g) => {
                let r = self.lessor.grant(g.id, g.ttl, now).map(|l| {
                    Response::LeaseGrant(pb::LeaseGrantResponse {
                        header: None,
                        id: l.id,
                        ttl: l.ttl,
                        error: String::new(),
                    })
                });
                (r, Vec::new())
            }
            Request::LeaseRevoke(r) => match self.lessor.revoke(r.id) {
                Ok(keys) => {
                    let events = self.kv.delete_keys(&keys);
                    (
                        Ok(Response::LeaseRevoke(pb::LeaseRevokeResponse {
                            header: None,
                        })),
                        events,
                    )
                }
                Err(e) => (Err(e), Vec::new()),
            },
            Request::Alarm(a) => (Ok(Response::Alarm(self.apply_alarm(a))), Vec::new()),
            Request::Auth(a) => (
                apply_auth::apply(&mut self.auth, &mut self.tokens, a, index, now)
                    .map(Response::Auth),
                Vec::new(),
            ),
            Request::MemberAttrSet {
                id,
                name,
                client_urls,
            } => {
                self.membership.set_attributes(*id, name, client_urls);
                (
                    Ok(Response::Defragment(pb::DefragmentResponse::default())),
                    Vec::new(),
                )
            }
            Request::ClusterVersionSet { version } => {
                self.cluster_version = Some(version.clone());
                (
                    Ok(Response::Defragment(pb::DefragmentResponse::default())),
                    Vec::new(),
                )
            }
            Request::DowngradeInfoSet { enabled } => {
                self.downgrade_enabled = *enabled;
                (
                    Ok(Response::Downgrade(pb::DowngradeResponse::default())),
                    Vec::new(),
                )
            }
            // reads are never proposed
            _ => (Err(EtcdError::Stopped), Vec::new()),
        };
        if !events.is_empty() {
            for ev in &events {
                if let Some(kv) = &ev.kv {
                    let lease = if ev.r#type == pb::event_type::PUT {
                        kv.lease
                    } else {
                        0
                    };
                    self.lessor.bind(&kv.key, lease);
                }
            }
            let rev = self.kv.current_revision();
            self.watches
                .notify(&events, rev, &self.kv, hdr, &mut self.watch_out);
        }
        reply
    }

    /// An active alarm changes how entries apply (etcd swaps in
    /// `applierV3Corrupt` or `applierV3Capped`).
    fn refused_by_alarm(&self, req: &Request) -> Option<EtcdError> {
        use pb::alarm_type::{CORRUPT, NOSPACE};
        let writes = matches!(
            req,
            Request::Put(_)
                | Request::DeleteRange(_)
                | Request::Txn(_)
                | Request::Compaction(_)
                | Request::LeaseGrant(_)
                | Request::LeaseRevoke(_)
        );
        if self.alarms.is_active(CORRUPT) && writes {
            return Some(EtcdError::Corrupt);
        }
        // only requests that cost space: puts, txns with a put, lease grants
        let grows = match req {
            Request::Put(_) | Request::LeaseGrant(_) => true,
            Request::Txn(t) => t
                .success
                .iter()
                .chain(t.failure.iter())
                .any(|op| matches!(op.request, Some(pb::request_op::Request::RequestPut(_)))),
            _ => false,
        };
        if self.alarms.is_active(NOSPACE) && grows {
            return Some(EtcdError::NoSpace);
        }
        None
    }

    /// etcd's `ValidateConfigurationChange` when a conf change entry is
    /// applied: a refused change becomes a no-op on every member.
    pub fn validate_conf_change(&self, cc: &ConfChange) -> Result<(), EtcdError> {
        self.membership.validate(cc)
    }

    /// Applies a validated membership change at Raft index `index`,
    /// answered with the members after it.
    pub fn apply_conf_change(&mut self, index: u64, cc: &ConfChange) -> Reply {
        self.applied_index = index;
        self.membership.validate(cc)?;
        self.membership.apply(cc);
        self.conf_accepted.insert(index);
        let members = self.membership.members();
        Ok(match cc {
            ConfChange::Add(m) => Response::MemberAdd(pb::MemberAddResponse {
                header: None,
                member: Some(pb::Member {
                    name: String::new(),
                    client_urls: Vec::new(),
                    ..m.clone()
                }),
                members,
            }),
            ConfChange::Remove(_) => Response::MemberRemove(pb::MemberRemoveResponse {
                header: None,
                members,
            }),
            ConfChange::Update { .. } => Response::MemberUpdate(pb::MemberUpdateResponse {
                header: None,
                members,
            }),
            ConfChange::Promote(_) => Response::MemberPromote(pb::MemberPromoteResponse {
                header: None,
                members,
            }),
        })
    }

    /// etcd's `applierV3backend.Alarm`.
    fn apply_alarm(&mut self, a: &pb::AlarmRequest) -> pb::AlarmResponse {
        use pb::alarm_action::{ACTIVATE, DEACTIVATE, GET};
        let alarms = match a.action {
            GET => self.alarms.get(a.alarm),
            ACTIVATE if a.alarm != pb::alarm_type::NONE => {
                vec![self.alarms.activate(a.member_id, a.alarm)]
            }
            DEACTIVATE => self
                .alarms
                .deactivate(a.member_id, a.alarm)
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        pb::AlarmResponse {
            header: None,
            alarms,
        }
    }

    /// Whether the conf change at `index` was accepted when applied.
    pub fn conf_change_accepted(&self, index: u64) -> bool {
        self.conf_accepted.contains(&index)
    }

    pub fn cluster_version(&self) -> Option<&str> {
        self.cluster_version.as_deref()
    }

    /// The leader proposed revoking expired lease `id`; check again at `at`.
    pub fn postpone_lease(&mut self, id: i64, at: u64) {
        self.lessor.postpone(id, at);
    }

    /// The replicated state, for a Raft snapshot.
    pub fn state_snapshot(&self) -> StateSnapshot {
        StateSnapshot {
            kv: self.kv.clone(),
            lessor: self.lessor.clone(),
            alarms: self.alarms.clone(),
            membership: self.membership.clone(),
            cluster_version: self.cluster_version.clone(),
            conf_accepted: self.conf_accepted.clone(),
            downgrade_enabled: self.downgrade_enabled,
            auth: self.auth.clone(),
            applied_index: self.applied_index,
        }
    }

    /// Replaces the replicated state with a snapshot from the leader; the
    /// watchers catch up from the new store (or are canceled if it no
    /// longer has their history), as etcd's watchable store does.
    pub fn restore(&mut self, snap: &StateSnapshot, hdr: HeaderInfo) {
        let primary = self.lessor.is_primary();
        self.kv = snap.kv.clone();
        self.lessor = snap.lessor.clone();
        if !primary {
            self.lessor.demote();
        }
        self.alarms = snap.alarms.clone();
        self.membership = snap.membership.clone();
        self.cluster_version = snap.cluster_version.clone();
        self.conf_accepted = snap.conf_accepted.clone();
        self.downgrade_enabled = snap.downgrade_enabled;
        self.auth = snap.auth.clone();
        self.applied_index = snap.applied_index;
        self.watches.resync(&self.kv, hdr, &mut self.watch_out);
    }

    /// The process crashes and forgets what lives only in memory: waiting
    /// clients (their tickets are returned: their connections are gone),
    /// lock and election calls, watchers, the lessor's primary role and the
    /// simple tokens (etcd's `tokenSimple` keeps them in memory: a restarted
    /// member answers `invalid auth token` to a token issued before). The
    /// Raft storage, the store and everything applied stay (they are on
    /// disk in etcd).
    pub fn crash(&mut self) -> Vec<u64> {
        self.crashed = true;
        self.no_leader_checks = 0;
        self.tokens.clear();
        self.watch_tokens.clear();
        self.watches = WatchHub::new(MAX_REQUEST_BYTES, self.cfg.progress_interval_ms);
        self.watch_out.clear();
        self.lessor.demote();
        self.take_clients()
    }

    /// Raft applied an entry that is not a request (a leader's empty entry).
    pub fn note_applied(&mut self, index: u64) {
        self.applied_index = self.applied_index.max(index);
    }

    /// Leases whose time is up (only the primary tracks expiry).
    pub fn expired_leases(&self, now: u64) -> Vec<i64> {
        self.lessor.expired(now)
    }

    pub fn next_lease_expiry(&self) -> Option<u64> {
        self.lessor.next_expiry()
    }

    /// Leadership changes: the new leader's lessor gives every lease its
    /// full TTL again; the others stop tracking expiry.
    pub fn set_primary(&mut self, primary: bool, now: u64) {
        if primary {
            self.lessor.promote(now);
        } else {
            self.lessor.demote();
        }
    }

    /// One message of a client's watch stream.
    /// A create the sender may not watch is answered created and canceled
    /// at once (etcd's `isWatchPermitted`, docs/etcd-behaviour.md #41).
    pub fn watch(&mut self, stream: StreamId, req: pb::WatchRequest, hdr: HeaderInfo, now: u64) {
        if let Some(pb::watch_request::RequestUnion::CreateRequest(c)) = &req.request_union {
            if !self.is_watch_permitted(stream, c, now) {
                let resp = pb::WatchResponse {
                    header: hdr.at(self.kv.current_revision()),
                    watch_id: c.watch_id,
                    created: true,
                    canceled: true,
                    cancel_reason: format!(
                        "rpc error: code = PermissionDenied desc = {}",
                        EtcdError::PermissionDenied
                    ),
                    ..Default::default()
                };
                self.watch_out.push((stream, resp));
                return;
            }
        }
        self.watches
            .request(stream, req, &self.kv, hdr, &mut self.watch_out);
    }

    fn is_watch_permitted(
        &mut self,
        stream: StreamId,
        c: &pb::WatchCreateRequest,
        now: u64,
    ) -> bool {
        let token = self.watch_tokens.get(&stream).cloned().flatten();
        match self.auth_info(token.as_deref(), now) {
            Ok(ai) => self
                .auth
                .is_range_permitted(&ai, &c.key, &c.range_end)
                .is_ok(),
            Err(_) => false,
        }
    }

    /// A watch stream opens at `now` (its progress ticker starts) with the
    /// client's token, if any.
    pub fn open_watch_stream(&mut self, stream: StreamId, now: u64, token: Option<String>) {
        self.watch_tokens.insert(stream, token);
        self.watches.open(stream, now);
    }

    /// A watch stream's client went away.
    pub fn close_watch_stream(&mut self, stream: StreamId) {
        self.watch_tokens.remove(&stream);
        self.watches.close(stream);
    }

    /// When this member's next watch progress notification is due.
    pub fn next_progress(&self) -> Option<u64> {
        self.watches.next_tick()
    }

    /// Sends the progress notifications due at `now`.
    pub fn progress(&mut self, now: u64, hdr: HeaderInfo) {
        self.watches.tick(now, &self.kv, hdr, &mut self.watch_out);
    }

    /// Watch messages produced so far.
    pub fn take_watch_messages(&mut self) -> Outbox {
        std::mem::take(&mut self.watch_out)
    }

    /// Fills the response header as etcd's gRPC layer does on the member
    /// that answers, in the shape the RPC table gives its answer: cluster
    /// id, this member's id, its term, and (unless the cluster API answers)
    /// the current revision when the applier left none.
    pub fn fill_header(&self, resp: &mut Response, hdr: HeaderInfo) {
        let shape = resp.rpc().header();
        let h = resp.header_mut();
        match shape {
            Header::Absent => {}
            Header::NoRevision => {
                *h = Some(pb::ResponseHeader {
                    cluster_id: hdr.cluster_id,
                    member_id: self.id,
                    revision: 0,
                    raft_term: hdr.raft_term,
                });
            }
            Header::Full => {
                let h = h.get_or_insert_with(Default::default);
                h.cluster_id = hdr.cluster_id;
                h.member_id = self.id;
                h.raft_term = hdr.raft_term;
                if h.revision == 0 {
                    h.revision = self.kv.current_revision();
                }
            }
        }
    }
}

fn split<T>(
    r: Result<(T, Vec<pb::Event>), EtcdError>,
    f: impl FnOnce(T) -> Response,
) -> (Reply, Vec<pb::Event>) {
    match r {
        Ok((v, events)) => (Ok(f(v)), events),
        Err(e) => (Err(e), Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposal(request: Request) -> InternalRaftRequest {
        InternalRaftRequest {
            id: 1,
            request,
            auth: AuthInfo::default(),
        }
    }

    #[test]
    fn a_proposal_carries_its_request_under_its_internal_raft_request_field() {
        // header = 100 holding ID = 1: 2-byte tag, length, 2 bytes
        let header = 2 + 1 + 2;
        // put = 4: 1-byte tag, length, key "k" (3 bytes)
        let put = Request::Put(pb::PutRequest {
            key: b"k".to_vec(),
            ..Default::default()
        });
        assert_eq!(proposal(put).encoded_len(), header + 1 + 1 + 3);
        // auth_role_add = 1200: 2-byte tag, length; auth requests count
        // as small (Request::encoded_len)
        let role_add = Request::Auth(AuthRequest::RoleAdd(pb::AuthRoleAddRequest {
            name: "r".into(),
        }));
        assert_eq!(proposal(role_add).encoded_len(), header + 2 + 1);
    }
}
