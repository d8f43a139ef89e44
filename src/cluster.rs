//! The simulated world: member processes (each an etcd server with its
//! Raft node, see [`crate::server`]), the virtual network between them, the
//! virtual clock, faults, and the trace. It knows members, messages and
//! time, never JSON, HTTP or etcd's request rules.
//!
//! Time is virtual milliseconds. Every 100 ms (etcd's heartbeat interval)
//! each running member ticks; messages arrive after their link's latency;
//! each server says when its own timers are due (request timeouts, lease
//! expiry, watch progress). Nothing happens between events, and the same
//! seed and inputs give the same run. Each call into a server lends it
//! the time, a view of the transport (`cluster/transport.rs`) and the
//! world's random draws; what it produced ([`EtcdServer::drain`]) is
//! handled at once, in order (`cluster/serve.rs`): messages go into the
//! network, answers to the clients, forwards to the leader's server,
//! events into the trace. Faults and control are in `cluster/faults.rs`.

mod faults;
mod log_view;
pub mod network;
mod pairs;
mod rng;
mod serve;
/// The cluster as part of a checkpoint (see `crate::checkpoint`): its
/// members, network, clocks, inbox, trace and RNGs.
mod checkpoint {
    use super::{Audit, Cluster, Outcome};
    use crate::checkpoint::{record, variants};

    record!(Cluster {
        cluster_id,
        token,
        start_ms,
        servers,
        initial_cluster,
        network,
        token_rng,
        now,
        next_tick,
        progress_interval,
        snapshot_count,
        inbox,
        healed_at,
        links,
        outcomes,
        monitor_checked,
        trace,
        audit,
    });
    record!(Audit { applied, leaders });
    variants!(Outcome {
        Answer(answer),
        MemberDown(member),
        NoLeader(member),
    });
}

#[cfg(test)]
mod checkpoint_tests;
#[cfg(test)]
mod tests;
pub mod trace;
mod transport;

use crate::boxed_map::BoxedMap;
use crate::config::Config;
use crate::errors::EtcdError;
use crate::membership;
use crate::pb::{LeaseKeepAliveRequest, Member, WatchRequest};
pub use crate::server::Answer;
use crate::server::{ClientInput, EtcdServer, RaftMessage, Request, ServerConfig, ServiceCall};
use network::{InFlight, Network};
use pairs::PairMap;
use std::collections::VecDeque;
use trace::{Control, DropReason, Trace, TraceKind};

pub use crate::server::{entry_digest, Ticket, ELECTION_MS, REQUEST_TIMEOUT_MS, TICK_MS};
pub use log_view::{LogEntryView, LogView};
pub use rng::Rng;

type Msg = RaftMessage;

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
    /// Something for a client of a member.
    Answer(Answer),
    /// Member `i` went down: every stream it served is cut.
    MemberDown(usize),
    /// Member `i` has known no leader for `maxNoLeaderCnt` election
    /// timeouts: etcd ends its streams opened with `hasleader`.
    NoLeader(usize),
}

/// Work handed to the cluster, handled in order: a client's input for
/// member `.0`.
type Input = (usize, ClientInput);

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
    servers: Vec<EtcdServer>,
    /// The members the cluster was bootstrapped with (etcd's
    /// `--initial-cluster`): every member process is started with it.
    initial_cluster: Vec<Member>,
    network: Network<Msg>,
    /// Draws the random part of simple auth tokens.
    token_rng: Rng,
    now: u64,
    next_tick: u64,
    progress_interval: u64,
    snapshot_count: u64,
    inbox: VecDeque<Input>,
    /// Since when the network has been whole (strict reconfiguration).
    healed_at: u64,
    /// Pairs of members (lower index first) whose peer connection is up,
    /// and since when (etcd's transport `ActiveSince`).
    links: PairMap<u64>,
    outcomes: Vec<Outcome>,
    /// The last election timeout (virtual time / `ELECTION_MS`) at which
    /// the members' leader monitors checked.
    monitor_checked: u64,
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
        let mut c = Cluster {
            cluster_id,
            token: config.initial_cluster_token.clone(),
            start_ms,
            servers: Vec::new(),
            initial_cluster: roster,
            network: Network::new(Rng::new(config.seed).derive("network")),
            token_rng: Rng::new(config.seed).derive("auth-tokens"),
            now: 0,
            next_tick: TICK_MS,
            progress_interval: config.watch_progress_notify_interval_ms,
            snapshot_count: config.snapshot_count,
            inbox: VecDeque::new(),
            healed_at: 0,
            links: PairMap::default(),
            outcomes: Vec::new(),
            monitor_checked: 0,
            trace: Trace::new(20_000),
            audit: None,
        };
        for (i, &id) in ids.iter().enumerate() {
            let mut cfg = c.server_config(i, id);
            cfg.raft.seed = seeds.next_u64();
            c.servers.push(EtcdServer::bootstrap(cfg, &ids));
        }
        // the peers were connected before the cluster formed
        c.refresh_links();
        c.bootstrap();
        c
    }

    /// What the process of member `i` (id `id`) is started with.
    fn server_config(&self, i: usize, id: u64) -> ServerConfig {
        let (client, _) = member_urls(i);
        let mut cfg = ServerConfig::new(id);
        cfg.name = format!("m{i}");
        cfg.client_urls = vec![client];
        cfg.cluster_id = self.cluster_id;
        cfg.initial_cluster = self.initial_cluster.clone();
        cfg.initial_cluster_token = self.token.clone();
        cfg.wall_start_ms = self.start_ms;
        cfg.snapshot_count = self.snapshot_count;
        cfg.progress_interval_ms = self.progress_interval;
        cfg
    }

    /// etcd's start: the bootstrap conf changes apply, member 0 campaigns
    /// (our deterministic choice of first leader), every member publishes
    /// its attributes and the leader sets the cluster version. Runs until
    /// all of that is applied everywhere.
    fn bootstrap(&mut self) {
        self.process_readies();
        if let Some(s) = self.servers.first_mut() {
            s.campaign();
        }
        let want = 2 * self.servers.len() as u64 + 2;
        for _ in 0..100_000 {
            self.process_readies();
            let done = self
                .servers
                .iter()
                .all(|s| s.applied_index() >= want && s.cluster_version().is_some());
            if done {
                break;
            }
            match self.next_event() {
                Some(t) => self.run_events_at(t),
                None => break,
            }
        }
        self.run_due(self.now);
        self.control_event(Control::Started {
            members: self.servers.len(),
        });
    }

    pub fn cluster_id(&self) -> u64 {
        self.cluster_id
    }

    pub fn member_count(&self) -> usize {
        self.servers.len()
    }

    pub fn member(&self, i: usize) -> Option<&EtcdServer> {
        self.servers.get(i)
    }

    /// Whether member `i` is up to take client requests.
    pub fn is_serving(&self, i: usize) -> bool {
        self.servers.get(i).is_some_and(EtcdServer::is_up)
    }

    /// The index of the member that leads, if one does.
    pub fn leader(&self) -> Option<usize> {
        self.servers.iter().position(EtcdServer::is_leader)
    }

    /// Whether member `i` knows a leader (etcd's `/health`).
    pub fn has_leader(&self, i: usize) -> bool {
        self.servers
            .get(i)
            .is_some_and(|s| s.leader_id() != crate::raft::NONE)
    }

    /// etcd's interceptors judge a call to member `i` (see
    /// [`EtcdServer::intercept`]); a member that does not exist knows no
    /// leader.
    pub fn intercept(
        &self,
        i: usize,
        rpc: crate::pb::Rpc,
        request: Option<&Request>,
        require_leader: bool,
    ) -> Result<(), EtcdError> {
        match self.servers.get(i) {
            Some(s) => s.intercept(rpc, request, require_leader),
            None if require_leader => Err(EtcdError::NoLeader),
            None => Ok(()),
        }
    }

    /// Whether member `i` is a learner in its own view of the membership.
    pub fn is_learner(&self, i: usize) -> bool {
        self.servers.get(i).is_some_and(EtcdServer::is_learner)
    }

    /// New leaders member `i` has seen since its process started.
    pub fn leader_changes_seen(&self, i: usize) -> u64 {
        self.servers
            .get(i)
            .map_or(0, EtcdServer::leader_changes_seen)
    }

    /// Client proposals member `i` still waits on (etcd's
    /// `proposals_pending`).
    pub fn proposals_pending(&self, i: usize) -> usize {
        self.servers.get(i).map_or(0, EtcdServer::proposals_pending)
    }

    pub fn now(&self) -> u64 {
        self.now
    }

    /// BREAKS RAFT on purpose on every member (see
    /// `raft::Config::unsafe_vote_ignores_log`): only for the test that
    /// shows the safety checks catch a broken rule.
    #[doc(hidden)]
    pub fn unsafe_break_vote_rule(&mut self) {
        for s in &mut self.servers {
            s.unsafe_break_vote_rule();
        }
    }

    /// Starts recording what safety checks need (applied entries per
    /// member, leaders per term).
    pub fn enable_audit(&mut self) {
        self.audit = Some(Audit {
            applied: vec![Vec::new(); self.servers.len()],
            ..Audit::default()
        });
    }

    pub fn audit(&self) -> Option<&Audit> {
        self.audit.as_ref()
    }

    /// Member `i`'s Raft log as (index, term, digest), compacted part left
    /// out; and its commit index.
    pub fn raft_log(&self, i: usize) -> (Vec<(u64, u64, u64)>, u64) {
        let Some(s) = self.servers.get(i) else {
            return (Vec::new(), 0);
        };
        let log = s
            .raft()
            .log_entries()
            .iter()
            .map(|e| (e.index, e.term, entry_digest(e)))
            .collect();
        (log, s.raft().hard_state().commit)
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
        self.servers
            .iter()
            .enumerate()
            .map(|(index, s)| {
                let st = s.raft().status();
                let hs = s.raft().hard_state();
                let role = if !s.is_up() {
                    "down"
                } else {
                    match st.soft_state.role {
                        crate::raft::Role::Leader => "leader",
                        crate::raft::Role::Candidate => "candidate",
                        crate::raft::Role::PreCandidate => "pre-candidate",
                        crate::raft::Role::Follower => "follower",
                    }
                };
                MemberView {
                    index,
                    id: s.id,
                    name: s
                        .membership()
                        .get(s.id)
                        .map(|m| m.name.clone())
                        .unwrap_or_default(),
                    role,
                    term: hs.term,
                    vote: hs.vote,
                    leader_id: st.soft_state.leader,
                    commit: hs.commit,
                    applied: s.applied_index(),
                    crashed: s.is_crashed(),
                    removed: s.is_removed(),
                    revision: s.kv().current_revision(),
                    watchers: s.watches().watcher_count(),
                    log_first: st.log.first_index,
                    log_last: st.log.last_index,
                }
            })
            .collect()
    }

    fn node_of(&self, id: u64) -> Option<usize> {
        self.servers.iter().position(|s| s.id == id)
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
        self.input(
            member,
            ClientInput::Unary {
                ticket,
                request,
                token,
            },
        );
    }

    /// A client opens a watch stream on `member`, with its auth token if any.
    pub fn watch_open(&mut self, member: usize, ticket: Ticket, token: Option<String>) {
        self.input(member, ClientInput::WatchOpen { ticket, token });
    }

    /// One request message on an open watch stream.
    pub fn watch(&mut self, member: usize, ticket: Ticket, request: WatchRequest) {
        self.input(member, ClientInput::Watch { ticket, request });
    }

    /// The watch stream's client went away: its watchers are freed.
    pub fn watch_close(&mut self, member: usize, ticket: Ticket) {
        self.input(member, ClientInput::WatchClose { ticket });
    }

    /// One keep-alive request on a keep-alive stream.
    pub fn keep_alive(&mut self, member: usize, ticket: Ticket, request: LeaseKeepAliveRequest) {
        self.input(member, ClientInput::KeepAlive { ticket, request });
    }

    /// The keep-alive stream's requests ended: the answer stream ends after
    /// the answers already owed.
    pub fn keep_alive_end(&mut self, member: usize, ticket: Ticket) {
        self.input(member, ClientInput::KeepAliveEnd { ticket });
    }

    /// A client asks `member` for a snapshot (a stream of database
    /// chunks), with its auth token if any.
    pub fn snapshot(&mut self, member: usize, ticket: Ticket, token: Option<String>) {
        self.input(member, ClientInput::Snapshot { ticket, token });
    }

    /// A lock or election call to `member`, with the client's auth token
    /// if any: the member's v3lock and v3election services run it.
    pub fn service(
        &mut self,
        member: usize,
        ticket: Ticket,
        call: ServiceCall,
        token: Option<String>,
    ) {
        let input = ClientInput::Service {
            ticket,
            call,
            token,
        };
        self.input(member, input);
    }

    /// The client of a lock or election call went away, or its stream was
    /// ended: what the call holds is given back.
    pub fn service_cancel(&mut self, member: usize, ticket: Ticket) {
        self.input(member, ClientInput::ServiceCancel { ticket });
    }

    /// A client's input for `member`, handled in order with the others.
    pub fn input(&mut self, member: usize, input: ClientInput) {
        self.inbox.push_back((member, input));
    }

    /// Answers produced so far, in order.
    pub fn drain(&mut self) -> Vec<Outcome> {
        std::mem::take(&mut self.outcomes)
    }

    /// Tickets of every unary request the cluster holds: queued, waiting
    /// on a member, or answered later.
    pub fn waiting_tickets(&self) -> std::collections::BTreeSet<Ticket> {
        let mut t = std::collections::BTreeSet::new();
        t.extend(self.inbox.iter().filter_map(|(_, i)| match i {
            ClientInput::Unary { ticket, .. } | ClientInput::Snapshot { ticket, .. } => {
                Some(*ticket)
            }
            _ => None,
        }));
        t.extend(self.servers.iter().flat_map(EtcdServer::waiting));
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
        let tick = self
            .servers
            .iter()
            .any(EtcdServer::is_up)
            .then_some(self.next_tick);
        let delivery = self.network.next_delivery();
        let timers = self.servers.iter().filter_map(EtcdServer::next_due).min();
        [tick, delivery, timers].into_iter().flatten().min()
    }

    /// Runs the world up to virtual time `ms`: every event due by then
    /// happens at its own time, in order.
    pub fn advance_to(&mut self, ms: u64) {
        self.settle();
        self.run_due(ms);
        self.now = self.now.max(ms);
        self.settle();
        // what that sent over a 0 ms link arrives now
        self.run_due(self.now);
    }

    /// Runs every event due by `ms`, each at its own time, also those that
    /// running them makes due by then (a message over a 0 ms link arrives
    /// at the instant it was sent). Whenever the clock stands still, nothing
    /// is due at or before it: a replay that moves the clock to the same
    /// instant then runs exactly what ran (see `world/journal.rs`).
    fn run_due(&mut self, ms: u64) {
        while let Some(t) = self.next_event().filter(|t| *t <= ms) {
            self.run_events_at(t);
        }
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
        // idle at an instant, with everything due by then run
        self.run_due(self.now);
    }

    /// Whether work was handed to the cluster that it has not looked at.
    pub fn has_input(&self) -> bool {
        !self.inbox.is_empty()
    }

    fn has_waiting_clients(&self) -> bool {
        !self.inbox.is_empty() || self.servers.iter().any(EtcdServer::has_waiting)
    }

    /// Handles what is due now: client inputs and what the servers produce
    /// (watch messages last; those of lock and election calls go back to
    /// them, which may go on).
    fn settle(&mut self) {
        loop {
            loop {
                self.process_readies();
                let Some((member, input)) = self.inbox.pop_front() else {
                    break;
                };
                self.handle(member, input);
            }
            self.collect_watch_messages();
            if !self.servers.iter().any(EtcdServer::has_service_work) {
                return;
            }
        }
    }

    /// Moves the clock to `t` and runs everything due then.
    fn run_events_at(&mut self, t: u64) {
        self.now = self.now.max(t);
        let now = self.now;
        while let Some(m) = self.network.pop_due(now) {
            match m {
                Ok(m) => self.deliver(m),
                Err(lost) => self.lost(&lost, DropReason::Blocked),
            }
        }
        if self.next_tick <= now {
            for s in &mut self.servers {
                if s.is_up() {
                    s.tick();
                }
            }
            self.next_tick = (now / TICK_MS + 1) * TICK_MS;
            self.monitor_leaders();
        }
        self.fire_timers();
        self.settle();
    }

    fn deliver(&mut self, m: InFlight<Msg>) {
        let envelope = envelope(&m);
        let (from, to) = (m.from, m.to);
        let Some(server) = self.servers.get_mut(to) else {
            return;
        };
        if !server.is_up() {
            return self
                .trace
                .push(self.now, TraceKind::Drop(envelope, DropReason::Down));
        }
        let is_snap = m.msg.msg_type == crate::raft::MessageType::Snap;
        let to_id = m.msg.to;
        server.step(m.msg);
        self.trace.push(self.now, TraceKind::Deliver(envelope));
        if is_snap {
            // etcd's transport tells the leader the snapshot arrived
            if let Some(sender) = self.servers.get_mut(from) {
                sender.report_snapshot(to_id, true);
            }
        }
    }

    /// A message never arrived. A lost snapshot is reported to its sender,
    /// as etcd's transport does, or the leader would wait for it forever.
    fn lost(&mut self, m: &InFlight<Msg>, reason: DropReason) {
        self.trace
            .push(self.now, TraceKind::Drop(envelope(m), reason));
        if m.msg.msg_type == crate::raft::MessageType::Snap {
            if let Some(sender) = self.servers.get_mut(m.from) {
                sender.report_snapshot(m.msg.to, false);
            }
        }
    }

    /// Every running member's leader monitor checks, if a new election
    /// timeout has begun (called after each tick).
    fn monitor_leaders(&mut self) {
        let period = self.now / ELECTION_MS;
        if period <= self.monitor_checked {
            return;
        }
        self.monitor_checked = period;
        for i in 0..self.servers.len() {
            if self.is_serving(i) {
                self.serve(i, |s, _| s.monitor_leader());
            }
        }
    }

    /// Each server with a timer due runs its timers (most events are ticks
    /// and messages, with nothing due).
    fn fire_timers(&mut self) {
        for i in 0..self.servers.len() {
            let due = self.servers.get(i).and_then(EtcdServer::next_due);
            if due.is_some_and(|t| t <= self.now) {
                self.serve(i, |s, env| s.fire_timers(env));
            }
        }
    }
}

/// What the trace says of a message on its way.
fn envelope(m: &InFlight<Msg>) -> trace::Envelope {
    trace::Envelope {
        id: m.id,
        from: m.from,
        to: m.to,
        msg_type: m.msg.msg_type,
    }
}
