//! The simulated world: members (each a Raft node plus an etcd server), the
//! virtual network between them, the virtual clock, faults, and the client
//! requests in flight. It knows members, messages and time, never JSON or
//! HTTP.
//!
//! Time is virtual milliseconds. Every 100 ms (etcd's heartbeat interval)
//! each running member's Raft node ticks; messages arrive after their
//! link's latency; lease expiry, watch progress notifications and request
//! timeouts are timers. Nothing happens between events, and the same seed
//! and inputs give the same run.

mod apply;
mod leader_monitor;
mod log_view;
pub mod network;
mod node;
mod pairs;
mod requests;
mod rng;
pub mod trace;

use crate::boxed_map::BoxedMap;
use crate::config::Config;
use crate::errors::EtcdError;
use crate::membership;
use crate::pb::{
    LeaseKeepAliveRequest, LeaseKeepAliveResponse, Member, SnapshotResponse, WatchRequest,
    WatchResponse,
};
use crate::raft::{self, Message as RaftMessage, Raft};
use crate::server::maintenance::RaftView;
use crate::server::watch::HeaderInfo;
use crate::server::{EtcdServer, InternalRaftRequest, Reply, Request, StateSnapshot};
use network::{Link, Network};
use node::Node;
use pairs::PairMap;
use std::collections::{BTreeMap, VecDeque};
use trace::{Trace, TraceKind};

pub use log_view::{LogEntryView, LogView};
pub use rng::Rng;

/// Names one client request or stream from submit to its end.
pub type Ticket = u64;

type Msg = RaftMessage<InternalRaftRequest, StateSnapshot>;

/// etcd's heartbeat interval: one Raft tick.
pub const TICK_MS: u64 = 100;

/// etcd's `HealthInterval`: strict reconfiguration checks want peers
/// connected for this long.
pub const HEALTH_INTERVAL_MS: u64 = 5_000;

/// etcd's election timeout: ten ticks.
pub const ELECTION_MS: u64 = 10 * TICK_MS;

/// etcd's request timeout: 5 s plus two election timeouts.
pub const REQUEST_TIMEOUT_MS: u64 = 7_000;

/// etcd retries revoking an expired lease after this long.
const LEASE_REVOKE_RETRY_MS: u64 = 3_000;

/// Largest message the gRPC server accepts: `--max-request-bytes` + 512 KiB.
pub const MAX_RECV_BYTES: usize = crate::server::MAX_REQUEST_BYTES + 512 * 1024;

/// The client and peer URL of member `i` (etcd's local-cluster ports:
/// 2379/2380, 22379/22380, 32379/32380, ...).
pub fn member_urls(i: usize) -> (String, String) {
    let base = if i == 0 {
        2379
    } else {
        (i as u64 + 1) * 10_000 + 2379
    };
    // past 65535 fall back to consecutive ports
    let base = if base + 1 > 65_535 {
        2379 + 10 * i as u64
    } else {
        base
    };
    (
        format!("http://127.0.0.1:{base}"),
        format!("http://127.0.0.1:{}", base + 1),
    )
}

/// What the cluster answers, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The answer to a unary request.
    Reply(Ticket, Reply),
    /// A message on a watch stream.
    Watch(Ticket, WatchResponse),
    /// A keep-alive answer on a keep-alive stream.
    KeepAlive(Ticket, Result<LeaseKeepAliveResponse, EtcdError>),
    /// A message of the snapshot stream, or the error that ends it.
    Snapshot(Ticket, Result<SnapshotResponse, EtcdError>),
    /// A stream is over (a keep-alive stream whose requests ended, a
    /// finished snapshot).
    StreamEnd(Ticket),
    /// The member serving this request went down: its connection is gone.
    Refused(Ticket),
    /// Member `i` went down: every stream it served is cut.
    MemberDown(usize),
    /// Member `i` has known no leader for `maxNoLeaderCnt` election
    /// timeouts: etcd ends its streams opened with `hasleader`.
    NoLeader(usize),
}

/// Work handed to the cluster, handled in order.
enum Input {
    Unary {
        member: usize,
        ticket: Ticket,
        request: Request,
        token: Option<String>,
    },
    WatchOpen {
        member: usize,
        ticket: Ticket,
        token: Option<String>,
    },
    Watch {
        member: usize,
        ticket: Ticket,
        request: WatchRequest,
    },
    WatchClose {
        member: usize,
        ticket: Ticket,
    },
    KeepAlive {
        member: usize,
        ticket: Ticket,
        request: LeaseKeepAliveRequest,
    },
    KeepAliveEnd {
        ticket: Ticket,
    },
    Snapshot {
        member: usize,
        ticket: Ticket,
        token: Option<String>,
    },
}

/// A member as inspection shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberView {
    pub index: usize,
    pub id: u64,
    pub name: String,
    pub role: &'static str,
    pub term: u64,
    pub vote: u64,
    pub leader_id: u64,
    pub commit: u64,
    pub applied: u64,
    pub crashed: bool,
    pub removed: bool,
    pub revision: i64,
    pub watchers: usize,
    pub log_first: u64,
    pub log_last: u64,
}

/// A cluster of etcd members.
pub struct Cluster {
    cluster_id: u64,
    token: String,
    /// The simulated wall clock at virtual time 0 (Unix ms).
    start_ms: u64,
    nodes: Vec<Node>,
    /// The members the cluster was bootstrapped with (etcd's
    /// `--initial-cluster`), by id.
    roster: BoxedMap<u64, Member>,
    network: Network<Msg>,
    /// Draws the random part of simple auth tokens.
    token_rng: Rng,
    now: u64,
    next_tick: u64,
    progress_interval: u64,
    snapshot_count: u64,
    inbox: VecDeque<Input>,
    /// Request timeouts: (time, seq) -> (member, ticket).
    deadlines: BoxedMap<(u64, u64), (usize, Ticket)>,
    /// Answers due later: (time, seq) -> answer.
    deferred: BoxedMap<(u64, u64), (usize, Ticket, Reply)>,
    seq: u64,
    /// Since when the network has been whole (strict reconfiguration).
    healed_at: u64,
    /// Pairs of members (lower index first) whose peer connection is up,
    /// and since when (etcd's transport `ActiveSince`).
    links: PairMap<u64>,
    outcomes: Vec<Outcome>,
    leader_monitor: leader_monitor::LeaderMonitor,
    trace: Trace,
    /// What safety checks need, recorded only when asked for (tests).
    audit: Option<Audit>,
}

/// A record for checking Raft's safety properties after a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Audit {
    /// Per member, the entries it applied, in order: (index, digest).
    pub applied: Vec<Vec<(u64, u64)>>,
    /// Per term, every member that became leader in it.
    pub leaders: BoxedMap<u64, std::collections::BTreeSet<u64>>,
}

/// What identifies an entry's content: the request id it carries (0 for a
/// leader's empty entry).
pub fn entry_digest(e: &raft::Entry<InternalRaftRequest>) -> u64 {
    match &e.payload {
        raft::Payload::Empty => 0,
        raft::Payload::Normal(r) => r.id,
        raft::Payload::ConfChange(cc) => membership::ConfChangeContext::decode(&cc.context)
            .map_or(cc.node_id, |c| c.request_id ^ cc.node_id),
    }
}

impl Cluster {
    pub fn new(config: &Config) -> Self {
        let mut rng = Rng::new(config.seed).derive("ids");
        // stands for the wall clock at start (Unix ms, in 2023..2026), which
        // etcd's id generators start from
        let start_ms = 1_700_000_000_000 + rng.next_u64() % 100_000_000_000;
        let n = config.members.clamp(1, 7);
        // ids derived from URLs and token exactly as etcd derives them
        let roster: Vec<Member> = (0..n)
            .map(|i| {
                let (client, peer) = member_urls(i);
                let peer_urls = vec![peer];
                let id = membership::member_id(&peer_urls, &config.initial_cluster_token, None);
                Member {
                    id,
                    name: format!("m{i}"),
                    peer_urls,
                    client_urls: vec![client],
                    is_learner: false,
                }
            })
            .collect();
        let ids: Vec<u64> = roster.iter().map(|m| m.id).collect();
        let cluster_id = membership::cluster_id(&ids);
        let election = Rng::new(config.seed).derive("elections");
        let mut seeds = election.clone();
        let nodes = ids
            .iter()
            .map(|&id| {
                let mut rc = raft::Config::new(id);
                rc.seed = seeds.next_u64();
                let r = Raft::bootstrap(rc.clone(), &ids).unwrap_or_else(|_| fallback_raft(&rc));
                Node::new(EtcdServer::new(id, start_ms), r, rc)
            })
            .collect();
        let mut c = Cluster {
            cluster_id,
            token: config.initial_cluster_token.clone(),
            start_ms,
            nodes,
            roster: BTreeMap::new(),
            network: Network::new(Rng::new(config.seed).derive("network")),
            token_rng: Rng::new(config.seed).derive("auth-tokens"),
            now: 0,
            next_tick: TICK_MS,
            progress_interval: config.watch_progress_notify_interval_ms,
            snapshot_count: config.snapshot_count,
            inbox: VecDeque::new(),
            deadlines: BTreeMap::new(),
            deferred: BTreeMap::new(),
            seq: 0,
            healed_at: 0,
            links: PairMap::default(),
            outcomes: Vec::new(),
            leader_monitor: Default::default(),
            trace: Trace::new(20_000),
            audit: None,
        };
        c.roster
            .extend(roster.into_iter().map(|m| (m.id, Box::new(m))));
        // the peers were connected before the cluster formed
        c.refresh_links();
        c.bootstrap();
        c
    }

    /// etcd's start: the bootstrap conf changes apply, member 0 campaigns
    /// (our deterministic choice of first leader), every member publishes
    /// its attributes and the leader sets the cluster version. Runs until
    /// all of that is applied everywhere.
    fn bootstrap(&mut self) {
        self.process_readies();
        if let Some(n) = self.nodes.first_mut() {
            let _ = n.raft.campaign();
        }
        let want = 2 * self.nodes.len() as u64 + 2;
        for _ in 0..100_000 {
            self.process_readies();
            let done = self
                .nodes
                .iter()
                .all(|n| n.server.applied_index() >= want && n.server.cluster_version().is_some());
            if done {
                break;
            }
            match self.next_event() {
                Some(t) => self.run_events_at(t),
                None => break,
            }
        }
        self.control_event(format!("cluster of {} started", self.nodes.len()));
    }

    pub fn cluster_id(&self) -> u64 {
        self.cluster_id
    }

    pub fn member_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn member(&self, i: usize) -> Option<&EtcdServer> {
        self.nodes.get(i).map(|n| &n.server)
    }

    /// Whether member `i` is up to take client requests.
    pub fn is_serving(&self, i: usize) -> bool {
        self.nodes.get(i).is_some_and(Node::is_up)
    }

    /// The index of the member that leads, if one does.
    pub fn leader(&self) -> Option<usize> {
        self.nodes.iter().position(Node::is_leader)
    }

    /// Whether member `i` knows a leader (etcd's `/health`).
    pub fn has_leader(&self, i: usize) -> bool {
        self.nodes
            .get(i)
            .is_some_and(|n| n.leader_id() != raft::NONE)
    }

    /// Whether member `i` is a learner in its own view of the membership
    /// (etcd's `s.IsMemberExist(s.ID()) && s.IsLearner()`).
    pub fn is_learner(&self, i: usize) -> bool {
        self.nodes.get(i).is_some_and(|n| {
            n.server
                .membership()
                .get(n.id())
                .is_some_and(|m| m.is_learner)
        })
    }

    /// New leaders member `i` has seen since its process started.
    pub fn leader_changes_seen(&self, i: usize) -> u64 {
        self.nodes.get(i).map_or(0, |n| n.leader_changes_seen)
    }

    /// Client proposals member `i` still waits on (etcd's
    /// `proposals_pending`).
    pub fn proposals_pending(&self, i: usize) -> usize {
        self.nodes.get(i).map_or(0, |n| n.proposals.len())
    }

    pub fn now(&self) -> u64 {
        self.now
    }

    /// BREAKS RAFT on purpose on every member (see
    /// `raft::Config::unsafe_vote_ignores_log`): only for the test that
    /// shows the safety checks catch a broken rule.
    #[doc(hidden)]
    pub fn unsafe_break_vote_rule(&mut self) {
        for n in &mut self.nodes {
            n.raft_config.unsafe_vote_ignores_log = true;
            n.raft.set_unsafe_vote_ignores_log(true);
        }
    }

    /// Starts recording what safety checks need (applied entries per
    /// member, leaders per term).
    pub fn enable_audit(&mut self) {
        self.audit = Some(Audit {
            applied: vec![Vec::new(); self.nodes.len()],
            ..Audit::default()
        });
    }

    pub fn audit(&self) -> Option<&Audit> {
        self.audit.as_ref()
    }

    /// Member `i`'s Raft log as (index, term, digest), compacted part left
    /// out; and its commit index.
    pub fn raft_log(&self, i: usize) -> (Vec<(u64, u64, u64)>, u64) {
        let Some(n) = self.nodes.get(i) else {
            return (Vec::new(), 0);
        };
        let log = n
            .raft
            .log_entries()
            .iter()
            .map(|e| (e.index, e.term, entry_digest(e)))
            .collect();
        (log, n.raft.hard_state().commit)
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    pub fn trace_mut(&mut self) -> &mut Trace {
        &mut self.trace
    }

    pub fn network(&self) -> &Network<Msg> {
        &self.network
    }

    /// Every member as inspection shows it.
    pub fn members(&self) -> Vec<MemberView> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(index, n)| {
                let st = n.raft.status();
                let hs = n.raft.hard_state();
                let role = if !n.is_up() {
                    "down"
                } else {
                    match st.soft_state.role {
                        raft::Role::Leader => "leader",
                        raft::Role::Candidate => "candidate",
                        raft::Role::PreCandidate => "pre-candidate",
                        raft::Role::Follower => "follower",
                    }
                };
                MemberView {
                    index,
                    id: n.id(),
                    name: n
                        .server
                        .membership()
                        .get(n.id())
                        .map(|m| m.name.clone())
                        .unwrap_or_default(),
                    role,
                    term: hs.term,
                    vote: hs.vote,
                    leader_id: st.soft_state.leader,
                    commit: hs.commit,
                    applied: n.server.applied_index(),
                    crashed: n.crashed,
                    removed: n.removed,
                    revision: n.server.kv().current_revision(),
                    watchers: n.server.watches().watcher_count(),
                    log_first: st.log.first_index,
                    log_last: st.log.last_index,
                }
            })
            .collect()
    }

    fn raft_view(&self, i: usize) -> RaftView {
        self.nodes
            .get(i)
            .map(|n| RaftView {
                leader_id: n.leader_id(),
                term: n.term(),
                commit: n.raft.hard_state().commit,
            })
            .unwrap_or_default()
    }

    fn header(&self, i: usize) -> HeaderInfo {
        HeaderInfo {
            cluster_id: self.cluster_id,
            member_id: self.nodes.get(i).map_or(0, Node::id),
            raft_term: self.nodes.get(i).map_or(0, Node::term),
        }
    }

    fn node_of(&self, id: u64) -> Option<usize> {
        self.nodes.iter().position(|n| n.id() == id)
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Hands a unary request to `member`; its answer comes out of
    /// [`Cluster::drain`].
    /// `token` is the client's auth token, if it sent one.
    pub fn submit(
        &mut self,
        member: usize,
        ticket: Ticket,
        request: Request,
        token: Option<String>,
    ) {
        self.inbox.push_back(Input::Unary {
            member,
            ticket,
            request,
            token,
        });
    }

    /// A client opens a watch stream on `member`, with its auth token if any.
    pub fn watch_open(&mut self, member: usize, ticket: Ticket, token: Option<String>) {
        self.inbox.push_back(Input::WatchOpen {
            member,
            ticket,
            token,
        });
    }

    /// One request message on an open watch stream.
    pub fn watch(&mut self, member: usize, ticket: Ticket, request: WatchRequest) {
        self.inbox.push_back(Input::Watch {
            member,
            ticket,
            request,
        });
    }

    /// The watch stream's client went away: its watchers are freed.
    pub fn watch_close(&mut self, member: usize, ticket: Ticket) {
        self.inbox.push_back(Input::WatchClose { member, ticket });
    }

    /// One keep-alive request on a keep-alive stream.
    pub fn keep_alive(&mut self, member: usize, ticket: Ticket, request: LeaseKeepAliveRequest) {
        self.inbox.push_back(Input::KeepAlive {
            member,
            ticket,
            request,
        });
    }

    /// The keep-alive stream's requests ended: the answer stream ends after
    /// the answers already owed.
    pub fn keep_alive_end(&mut self, ticket: Ticket) {
        self.inbox.push_back(Input::KeepAliveEnd { ticket });
    }

    /// A client asks `member` for a snapshot (a stream of database
    /// chunks), with its auth token if any.
    pub fn snapshot(&mut self, member: usize, ticket: Ticket, token: Option<String>) {
        self.inbox.push_back(Input::Snapshot {
            member,
            ticket,
            token,
        });
    }

    /// Answers produced so far, in order.
    pub fn drain(&mut self) -> Vec<Outcome> {
        std::mem::take(&mut self.outcomes)
    }

    /// Records a fault or control action in the trace.
    pub fn control_event(&mut self, what: String) {
        self.refresh_links();
        self.trace.push(self.now, TraceKind::Control { what });
    }

    /// Notes which peer connections are up after a fault or control action:
    /// both members run and no direction between them is cut.
    fn refresh_links(&mut self) {
        let n = self.nodes.len();
        for a in 0..n {
            for b in a + 1..n {
                let up = self.nodes[a].is_up()
                    && self.nodes[b].is_up()
                    && !self.network.is_blocked(a, b)
                    && !self.network.is_blocked(b, a);
                if !up {
                    self.links.remove((a, b));
                } else if !self.links.contains((a, b)) {
                    self.links.insert((a, b), self.now);
                }
            }
        }
    }

    /// Since when the peer connection between `a` and `b` has been up, if
    /// it is up.
    fn connected_since(&self, a: usize, b: usize) -> Option<u64> {
        let up = |i: usize| self.nodes.get(i).is_some_and(Node::is_up);
        if !up(a) || !up(b) || self.network.is_blocked(a, b) || self.network.is_blocked(b, a) {
            return None;
        }
        self.links.get((a.min(b), a.max(b))).copied()
    }

    /// Tickets of every unary request the cluster holds: queued, waiting
    /// on a member, or answered later.
    pub fn waiting_tickets(&self) -> std::collections::BTreeSet<Ticket> {
        let mut t = std::collections::BTreeSet::new();
        t.extend(self.inbox.iter().filter_map(|i| match i {
            Input::Unary { ticket, .. } | Input::Snapshot { ticket, .. } => Some(*ticket),
            _ => None,
        }));
        t.extend(self.nodes.iter().flat_map(Node::waiting));
        t.extend(self.deferred.values().map(|d| d.1));
        t
    }

    /// When the next thing is due, if anything is.
    pub fn next_due(&self) -> Option<u64> {
        if !self.inbox.is_empty() {
            return Some(self.now);
        }
        self.next_event()
    }

    /// The time of the next event: a tick, a message arriving, a timer.
    fn next_event(&self) -> Option<u64> {
        let tick = self.nodes.iter().any(Node::is_up).then_some(self.next_tick);
        let delivery = self.network.next_delivery();
        let deadline = self.deadlines.keys().next().map(|k| k.0);
        let deferred = self.deferred.keys().next().map(|k| k.0);
        let expiry = self
            .nodes
            .iter()
            .filter(|n| n.is_leader())
            .filter_map(|n| n.server.next_lease_expiry())
            .min();
        let progress = self
            .nodes
            .iter()
            .filter(|n| n.is_up())
            .filter_map(|n| n.server.next_progress(self.progress_interval))
            .min();
        [tick, delivery, deadline, deferred, expiry, progress]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs the world up to virtual time `ms`: every event due by then
    /// happens at its own time, in order.
    pub fn advance_to(&mut self, ms: u64) {
        self.settle();
        while let Some(t) = self.next_event().filter(|t| *t <= ms) {
            self.run_events_at(t);
        }
        self.now = self.now.max(ms);
        self.settle();
    }

    /// Runs until every client request has been answered (moving virtual
    /// time forward as far as that takes; request timeouts bound it).
    pub fn run_until_idle(&mut self) {
        self.run_until_idle_or(u64::MAX);
    }

    /// As [`Cluster::run_until_idle`], but never past virtual time `limit`.
    pub fn run_until_idle_or(&mut self, limit: u64) {
        self.settle();
        while self.has_waiting_clients() {
            match self.next_event().filter(|t| *t <= limit) {
                Some(t) => self.run_events_at(t),
                None => break,
            }
        }
    }

    /// Whether work was handed to the cluster that it has not looked at.
    pub fn has_input(&self) -> bool {
        !self.inbox.is_empty()
    }

    fn has_waiting_clients(&self) -> bool {
        !self.inbox.is_empty()
            || !self.deferred.is_empty()
            || self.nodes.iter().any(Node::has_waiting)
    }

    /// Handles what is due now: client inputs and the nodes' output.
    fn settle(&mut self) {
        loop {
            self.process_readies();
            let Some(input) = self.inbox.pop_front() else {
                break;
            };
            self.handle(input);
        }
        self.collect_watch_messages();
    }

    /// Moves the clock to `t` and runs everything due then.
    fn run_events_at(&mut self, t: u64) {
        self.now = self.now.max(t);
        let now = self.now;
        while let Some(m) = self.network.pop_due(now) {
            match m {
                Ok(m) => self.deliver(m.from, m.to, m.msg),
                Err(lost) => self.lost(lost.from, &lost.msg),
            }
        }
        if self.next_tick <= now {
            for i in 0..self.nodes.len() {
                if self.nodes[i].is_up() {
                    self.nodes[i].raft.tick();
                }
            }
            self.next_tick = (now / TICK_MS + 1) * TICK_MS;
            self.monitor_leaders();
        }
        self.fire_timers();
        self.settle();
    }

    fn deliver(&mut self, from: usize, to: usize, msg: Msg) {
        let Some(node) = self.nodes.get_mut(to) else {
            return;
        };
        if !node.is_up() {
            return;
        }
        let kind = msg.msg_type.name().to_string();
        let is_snap = msg.msg_type == raft::MessageType::Snap;
        let to_id = msg.to;
        let _ = node.raft.step(msg);
        self.trace
            .push(self.now, TraceKind::Deliver { from, to, kind });
        if is_snap {
            // etcd's transport tells the leader the snapshot arrived
            if let Some(sender) = self.nodes.get_mut(from) {
                sender.raft.report_snapshot(to_id, true);
            }
        }
    }

    /// A message never arrived. A lost snapshot is reported to its sender,
    /// as etcd's transport does, or the leader would wait for it forever.
    fn lost(&mut self, from: usize, msg: &Msg) {
        if msg.msg_type == raft::MessageType::Snap {
            if let Some(sender) = self.nodes.get_mut(from) {
                sender.raft.report_snapshot(msg.to, false);
            }
        }
    }

    fn fire_timers(&mut self) {
        let now = self.now;
        while let Some(entry) = self.deadlines.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((due, _), d) = entry.remove_entry();
            let (member, ticket) = *d;
            let waited = self.nodes.get_mut(member).and_then(|n| n.forget(ticket));
            if let Some(waited) = waited {
                let e = self.timeout_error(member, waited, due - REQUEST_TIMEOUT_MS);
                self.outcomes.push(if waited == node::Waiting::KeepAlive {
                    Outcome::KeepAlive(ticket, Err(e))
                } else {
                    Outcome::Reply(ticket, Err(e))
                });
            }
        }
        while let Some(entry) = self.deferred.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (member, ticket, reply) = *entry.remove();
            self.reply(member, ticket, reply);
        }
        // the leader's lessor finds expired leases and proposes their
        // revocation, as etcd's leader does (retrying later if needed)
        if let Some(l) = self.leader() {
            for id in self.nodes[l].server.expired_leases(now) {
                self.nodes[l]
                    .server
                    .postpone_lease(id, now + LEASE_REVOKE_RETRY_MS);
                let req = Request::LeaseRevoke(crate::pb::LeaseRevokeRequest { id });
                // as root (etcd's `WithRoot`): revoking needs write on the keys
                let root = self.nodes[l].server.root_auth_info();
                if let Ok(p) = self.nodes[l].server.new_proposal(req, root) {
                    let _ = self.nodes[l].raft.propose(p);
                }
            }
        }
        let interval = self.progress_interval;
        for i in 0..self.nodes.len() {
            let hdr = self.header(i);
            let n = &mut self.nodes[i];
            if n.is_up() && n.server.next_progress(interval).is_some_and(|t| t <= now) {
                n.server.progress(now, interval, hdr);
            }
        }
    }

    fn collect_watch_messages(&mut self) {
        for n in &mut self.nodes {
            for (ticket, resp) in n.server.take_watch_messages() {
                self.outcomes.push(Outcome::Watch(ticket, resp));
            }
        }
    }

    /// Sends a node's Raft messages into the network.
    fn send(&mut self, from: usize, msgs: Vec<Msg>) {
        for m in msgs {
            let Some(to) = self.node_of(m.to) else {
                // a member added to the configuration without a process
                continue;
            };
            self.trace.push(
                self.now,
                TraceKind::Send {
                    from,
                    to,
                    kind: m.msg_type.name().to_string(),
                    term: m.term,
                    index: m.index,
                    entries: m.entries.len(),
                },
            );
            if let Err(lost) = self.network.send(self.now, from, to, m) {
                self.lost(from, &lost);
            }
        }
    }

    fn reply(&mut self, member: usize, ticket: Ticket, reply: Reply) {
        let hdr = self.header(member);
        let reply = reply.map(|mut r| {
            if let Some(n) = self.nodes.get(member) {
                n.server.fill_header(&mut r, hdr);
            }
            r
        });
        self.outcomes.push(Outcome::Reply(ticket, reply));
    }

    /// Drops the request timeout of `ticket` (answered before it).
    fn forget_deadline(&mut self, ticket: Ticket) {
        self.deadlines.retain(|_, d| d.1 != ticket);
    }

    fn add_deadline(&mut self, member: usize, ticket: Ticket) {
        let seq = self.next_seq();
        self.deadlines.insert(
            (self.now + REQUEST_TIMEOUT_MS, seq),
            Box::new((member, ticket)),
        );
    }

    // ---- faults and control ----

    /// Member `i` crashes: its volatile state is lost, its clients are cut
    /// off, messages to and from it vanish.
    pub fn crash(&mut self, i: usize) -> Result<(), EtcdError> {
        let n = self.nodes.get_mut(i).ok_or(EtcdError::MemberNotFound)?;
        if !n.is_up() {
            return Ok(());
        }
        for ticket in n.crash() {
            self.outcomes.push(Outcome::Refused(ticket));
        }
        self.outcomes.push(Outcome::MemberDown(i));
        self.leader_monitor.reset(i);
        for lost in self.network.drop_member(i) {
            self.lost(lost.from, &lost.msg);
        }
        self.control_event(format!("crash m{i}"));
        Ok(())
    }

    /// Member `i` restarts from its durable state.
    pub fn restart(&mut self, i: usize) -> Result<(), EtcdError> {
        let n = self.nodes.get_mut(i).ok_or(EtcdError::MemberNotFound)?;
        if !n.crashed || n.removed {
            return Ok(());
        }
        n.restart()?;
        self.control_event(format!("restart m{i}"));
        self.settle();
        Ok(())
    }

    /// No Raft message crosses between `groups` (clients still reach every
    /// member).
    pub fn partition(&mut self, groups: &[Vec<usize>]) {
        self.network.partition(groups, self.nodes.len());
        self.control_event(format!("partition {}", trace::groups(groups)));
    }

    /// `from` can no longer send to `to` (the other way still works).
    pub fn block(&mut self, from: usize, to: usize) {
        self.network.block(from, to);
        self.control_event(format!("block m{from} -> m{to}"));
    }

    /// The network is whole again.
    pub fn heal(&mut self) {
        self.network.heal();
        self.healed_at = self.now;
        self.control_event("heal".into());
    }

    /// Latency and loss of one link (or of all, when `link` is None).
    pub fn set_link(&mut self, link: Option<(usize, usize)>, l: Link) {
        match link {
            Some((from, to)) => self.network.set_link(from, to, l),
            None => self.network.set_all_links(l),
        }
    }

    /// Asks the leader to hand over to member `to`.
    pub fn transfer_leadership(&mut self, to: usize) -> Result<(), EtcdError> {
        let target = self.nodes.get(to).ok_or(EtcdError::MemberNotFound)?.id();
        let l = self.leader().ok_or(EtcdError::NoLeader)?;
        let _ = self.nodes[l].raft.transfer_leader(target);
        self.control_event(format!("transfer leadership to m{to}"));
        self.settle();
        Ok(())
    }

    /// Starts a new member process that joins the cluster empty (it was
    /// added with the member API, or is added now) and catches up from the
    /// leader. Returns its index.
    pub fn start_member(&mut self, id: u64) -> usize {
        if let Some(i) = self.node_of(id) {
            return i;
        }
        let i = self.nodes.len();
        let mut rc = raft::Config::new(id);
        rc.seed = Rng::new(id).next_u64();
        let r = Raft::new(rc.clone(), raft::ConfState::default())
            .unwrap_or_else(|_| fallback_raft(&rc));
        self.nodes.push(Node::new(
            EtcdServer::new(id, self.start_ms + self.now),
            r,
            rc,
        ));
        self.control_event(format!("start m{i}"));
        i
    }

    /// Adds a member through the leader (as `member add` does) and starts
    /// its process, which joins empty and catches up from the leader.
    pub fn add_member(&mut self, learner: bool) -> Result<usize, EtcdError> {
        let l = self.leader().ok_or(EtcdError::NoLeader)?;
        let i = self.nodes.len();
        let (client, peer) = member_urls(i);
        let peer_urls = vec![peer];
        let id = membership::member_id(&peer_urls, &self.token, Some(self.unix_secs()));
        let m = Member {
            id,
            name: format!("m{i}"),
            peer_urls,
            client_urls: vec![client],
            is_learner: learner,
        };
        self.roster.insert(id, Box::new(m.clone()));
        let add = Member {
            name: String::new(),
            client_urls: Vec::new(),
            ..m
        };
        self.nodes[l]
            .server
            .validate_conf_change(&membership::ConfChange::Add(add.clone()))?;
        let change_type = if learner {
            raft::ConfChangeType::AddLearnerNode
        } else {
            raft::ConfChangeType::AddNode
        };
        let context = membership::ConfChangeContext {
            request_id: 0,
            change: membership::ConfChange::Add(add),
        }
        .encode();
        self.nodes[l]
            .raft
            .propose_conf_change(raft::ConfChange {
                change_type,
                node_id: id,
                context,
            })
            .map_err(|_| EtcdError::NoLeader)?;
        let i = self.start_member(id);
        self.control_event(format!("add member m{i}"));
        self.settle();
        Ok(i)
    }

    /// Removes member `i` through the leader (as `member remove` does).
    pub fn remove_member(&mut self, i: usize) -> Result<(), EtcdError> {
        let l = self.leader().ok_or(EtcdError::NoLeader)?;
        let id = self.nodes.get(i).ok_or(EtcdError::MemberNotFound)?.id();
        let change = membership::ConfChange::Remove(id);
        self.nodes[l].server.validate_conf_change(&change)?;
        let context = membership::ConfChangeContext {
            request_id: 0,
            change,
        }
        .encode();
        let cc = raft::ConfChange {
            change_type: raft::ConfChangeType::RemoveNode,
            node_id: id,
            context,
        };
        self.nodes[l]
            .raft
            .propose_conf_change(cc)
            .map_err(|_| EtcdError::NoLeader)?;
        self.control_event(format!("remove member m{i}"));
        self.settle();
        Ok(())
    }

    /// Unix seconds on the simulated wall clock (member ids of added members).
    fn unix_secs(&self) -> u64 {
        (self.start_ms + self.now) / 1000
    }
}

/// A node that can never be built from a valid config; only reached if the
/// id were 0, which sha1-derived ids are not.
fn fallback_raft(rc: &raft::Config) -> node::RaftNode {
    let mut c = rc.clone();
    c.id = c.id.max(1);
    Raft::new(c, raft::ConfState::default()).unwrap_or_else(|_| unreachable!("a valid config"))
}
