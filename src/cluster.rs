//! The simulated world: the members, the virtual clock, the queue of client
//! requests and the Raft log they share. It knows members and time, never
//! JSON or HTTP.
//!
//! For now every member commits through one shared log at once (a perfect
//! network, member 0 the leader); the Raft of a later issue replaces that
//! seam. Time is virtual: lease expiry and watch progress notifications are
//! timers that fire when the clock reaches them.

pub mod network;
mod rng;

use crate::errors::EtcdError;
use crate::membership::{self, parse_urls, ConfChange};
use crate::pb::{
    downgrade_action, DowngradeResponse, Member, MoveLeaderResponse, SnapshotResponse,
};
use crate::pb::{
    LeaseKeepAliveRequest, LeaseKeepAliveResponse, LeaseRevokeRequest, WatchRequest, WatchResponse,
};
use crate::server::maintenance::{self, RaftView};
use crate::server::watch::HeaderInfo;
use crate::server::{EtcdServer, InternalRaftRequest, Path, Reply, Request, Response};
use std::collections::{BTreeMap, VecDeque};

pub use rng::Rng;

/// Names one client request or stream from submit to its end.
pub type Ticket = u64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    pub members: usize,
    pub seed: u64,
    /// Watch progress notification interval (ms); 0 disables it.
    pub watch_progress_notify_interval_ms: u64,
    /// etcd's `--initial-cluster-token`: member and cluster ids derive
    /// from it and the peer URLs.
    pub initial_cluster_token: String,
}

/// etcd's `HealthInterval`: strict reconfiguration checks want peers
/// connected for this long.
pub const HEALTH_INTERVAL_MS: u64 = 5_000;

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

/// etcd's request timeout: 5 s plus two election timeouts.
pub const REQUEST_TIMEOUT_MS: u64 = 7_000;

/// Largest message the gRPC server accepts: `--max-request-bytes` + 512 KiB.
pub const MAX_RECV_BYTES: usize = crate::server::MAX_REQUEST_BYTES + 512 * 1024;

/// What the cluster answers, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The answer to a unary request.
    Reply(Ticket, Reply),
    /// A message on a watch stream.
    Watch(Ticket, WatchResponse),
    /// A keep-alive answer on a keep-alive stream.
    KeepAlive(Ticket, Result<LeaseKeepAliveResponse, EtcdError>),
    /// A message of the snapshot stream.
    Snapshot(Ticket, SnapshotResponse),
    /// A stream is over (a keep-alive stream whose requests ended, a
    /// finished snapshot).
    StreamEnd(Ticket),
}

/// Work handed to the cluster, handled in order.
enum Input {
    Unary {
        member: usize,
        ticket: Ticket,
        request: Request,
    },
    WatchOpen {
        member: usize,
        ticket: Ticket,
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
    },
}

/// A cluster of etcd members.
pub struct Cluster {
    cluster_id: u64,
    term: u64,
    leader: usize,
    members: Vec<EtcdServer>,
    /// Members whose process is gone (removed from the cluster).
    stopped: Vec<bool>,
    /// etcd's `--initial-cluster-token`, part of every member id.
    token: String,
    /// The simulated wall clock at virtual time 0 (Unix ms).
    start_ms: u64,
    /// Entries committed so far; entry i has Raft index `first_index + i`.
    log: Vec<InternalRaftRequest>,
    first_index: u64,
    now: u64,
    progress_interval: u64,
    inbox: VecDeque<Input>,
    /// Proposal id -> the client waiting for it.
    waiting: BTreeMap<u64, (usize, Ticket)>,
    /// Answers due later: (time, sequence) -> answer.
    deferred: BTreeMap<(u64, u64), (usize, Ticket, Reply)>,
    deferred_seq: u64,
    outcomes: Vec<Outcome>,
}

impl Cluster {
    pub fn new(config: &ClusterConfig) -> Self {
        let mut rng = Rng::new(config.seed).derive("ids");
        // stands for the wall clock at start (Unix ms, in 2023..2026), which
        // etcd's id generators start from
        let start_ms = 1_700_000_000_000 + rng.next_u64() % 100_000_000_000;
        let n = config.members.clamp(1, 7);
        // etcd's bootstrap entries: one conf change per member, the first
        // leader's empty entry, each member publishing its attributes, and
        // the cluster version: a fresh member has applied 2n+2 entries
        let first_index = 2 * n as u64 + 3;
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
        let members = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| EtcdServer::new(id, first_index - 1, start_ms, i == 0, roster.clone()))
            .collect();
        Cluster {
            cluster_id,
            // etcd's first election makes term 2 (term 1 holds the bootstrap entries)
            term: 2,
            leader: 0,
            members,
            stopped: vec![false; n],
            token: config.initial_cluster_token.clone(),
            start_ms,
            log: Vec::new(),
            first_index,
            now: 0,
            progress_interval: config.watch_progress_notify_interval_ms,
            inbox: VecDeque::new(),
            waiting: BTreeMap::new(),
            deferred: BTreeMap::new(),
            deferred_seq: 0,
            outcomes: Vec::new(),
        }
    }

    pub fn cluster_id(&self) -> u64 {
        self.cluster_id
    }

    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    pub fn member(&self, i: usize) -> Option<&EtcdServer> {
        self.members.get(i)
    }

    /// Whether member `i` is up to take client requests.
    pub fn is_serving(&self, i: usize) -> bool {
        i < self.members.len() && !self.stopped.get(i).copied().unwrap_or(true)
    }

    pub fn leader(&self) -> usize {
        self.leader
    }

    pub fn term(&self) -> u64 {
        self.term
    }

    /// The Raft index of the last committed entry.
    pub fn commit_index(&self) -> u64 {
        self.first_index + self.log.len() as u64 - 1
    }

    pub fn now(&self) -> u64 {
        self.now
    }

    fn raft_view(&self) -> RaftView {
        RaftView {
            leader_id: self.members.get(self.leader).map_or(0, |m| m.id),
            term: self.term,
            commit: self.commit_index(),
        }
    }

    fn header(&self, member: usize) -> HeaderInfo {
        HeaderInfo {
            cluster_id: self.cluster_id,
            member_id: self.members.get(member).map_or(0, |m| m.id),
            raft_term: self.term,
        }
    }

    /// Hands a unary request to `member`; its answer comes out of
    /// [`Cluster::drain`].
    pub fn submit(&mut self, member: usize, ticket: Ticket, request: Request) {
        self.inbox.push_back(Input::Unary {
            member,
            ticket,
            request,
        });
    }

    /// A client opens a watch stream on `member`.
    pub fn watch_open(&mut self, member: usize, ticket: Ticket) {
        self.inbox.push_back(Input::WatchOpen { member, ticket });
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

    /// A client asks `member` for a snapshot (a stream of database chunks).
    pub fn snapshot(&mut self, member: usize, ticket: Ticket) {
        self.inbox.push_back(Input::Snapshot { member, ticket });
    }

    /// When the next thing is due, if anything is.
    pub fn next_due(&self) -> Option<u64> {
        if !self.inbox.is_empty() {
            return Some(self.now);
        }
        self.next_timer()
    }

    fn next_timer(&self) -> Option<u64> {
        let expiry = self
            .members
            .get(self.leader)
            .and_then(|m| m.next_lease_expiry());
        let progress = self
            .members
            .iter()
            .filter_map(|m| m.next_progress(self.progress_interval))
            .min();
        let deferred = self.deferred.keys().next().map(|k| k.0);
        [expiry, progress, deferred].into_iter().flatten().min()
    }

    /// Runs the world up to virtual time `ms`: every timer due by then
    /// fires at its own time, in order.
    pub fn advance_to(&mut self, ms: u64) {
        loop {
            self.run_until_idle();
            match self.next_timer() {
                Some(t) if t <= ms => {
                    self.now = self.now.max(t);
                    self.fire_timers();
                }
                _ => break,
            }
        }
        self.now = self.now.max(ms);
    }

    /// Runs until every request that can be answered now has been answered.
    pub fn run_until_idle(&mut self) {
        while let Some(input) = self.inbox.pop_front() {
            self.handle(input);
            self.collect_watch_messages();
        }
    }

    /// Answers produced so far, in order.
    pub fn drain(&mut self) -> Vec<Outcome> {
        std::mem::take(&mut self.outcomes)
    }

    fn fire_timers(&mut self) {
        let now = self.now;
        while let Some(entry) = self.deferred.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (member, ticket, reply) = entry.remove();
            self.reply(member, ticket, reply);
        }
        // the leader's lessor finds expired leases and proposes their
        // revocation, as etcd's leader does
        let expired = self
            .members
            .get(self.leader)
            .map(|m| m.expired_leases(now))
            .unwrap_or_default();
        for id in expired {
            let leader = self.leader;
            if let Some(m) = self.members.get_mut(leader) {
                if let Ok(p) = m.new_proposal(Request::LeaseRevoke(LeaseRevokeRequest { id })) {
                    self.commit(p);
                }
            }
        }
        let interval = self.progress_interval;
        for i in 0..self.members.len() {
            let hdr = self.header(i);
            if let Some(m) = self.members.get_mut(i) {
                if m.next_progress(interval).is_some_and(|t| t <= now) {
                    m.progress(now, interval, hdr);
                }
            }
        }
        self.collect_watch_messages();
    }

    fn collect_watch_messages(&mut self) {
        for m in &mut self.members {
            for (ticket, resp) in m.take_watch_messages() {
                self.outcomes.push(Outcome::Watch(ticket, resp));
            }
        }
    }

    fn handle(&mut self, input: Input) {
        let now = self.now;
        match input {
            Input::Unary {
                member,
                ticket,
                request,
            } => self.handle_unary(member, ticket, request),
            Input::WatchOpen { member, ticket } => {
                if let Some(m) = self.members.get_mut(member) {
                    m.open_watch_stream(ticket, now);
                }
            }
            Input::Watch {
                member,
                ticket,
                request,
            } => {
                let hdr = self.header(member);
                if let Some(m) = self.members.get_mut(member) {
                    m.watch(ticket, request, hdr);
                }
            }
            Input::WatchClose { member, ticket } => {
                if let Some(m) = self.members.get_mut(member) {
                    m.close_watch_stream(ticket);
                }
            }
            Input::KeepAlive {
                member,
                ticket,
                request,
            } => {
                // a follower forwards keep-alives to the leader
                let leader = self.leader;
                let answer = match self.members.get_mut(leader) {
                    Some(l) => l.renew(&request, now),
                    None => Err(EtcdError::NoLeader),
                };
                let hdr = self.header(member);
                let rev = self
                    .members
                    .get(member)
                    .map_or(0, |m| m.kv().current_revision());
                let answer = answer.map(|mut r| {
                    r.header = Some(crate::pb::ResponseHeader {
                        cluster_id: hdr.cluster_id,
                        member_id: hdr.member_id,
                        revision: rev,
                        raft_term: hdr.raft_term,
                    });
                    r
                });
                self.outcomes.push(Outcome::KeepAlive(ticket, answer));
            }
            Input::KeepAliveEnd { ticket } => self.outcomes.push(Outcome::StreamEnd(ticket)),
            Input::Snapshot { member, ticket } => {
                let Some(m) = self.members.get(member) else {
                    return self
                        .outcomes
                        .push(Outcome::Reply(ticket, Err(EtcdError::Stopped)));
                };
                // 3.5.1 sends neither a header nor remaining_bytes (FINDINGS #54)
                for blob in m.snapshot_blobs() {
                    let msg = SnapshotResponse {
                        header: None,
                        remaining_bytes: 0,
                        blob,
                    };
                    self.outcomes.push(Outcome::Snapshot(ticket, msg));
                }
                self.outcomes.push(Outcome::StreamEnd(ticket));
            }
        }
    }

    fn handle_unary(&mut self, member: usize, ticket: Ticket, request: Request) {
        let now = self.now;
        let raft = self.raft_view();
        let Some(m) = self.members.get(member) else {
            return self
                .outcomes
                .push(Outcome::Reply(ticket, Err(EtcdError::Stopped)));
        };
        let path = match m.route(&request) {
            Ok(p) => p,
            Err(e) => return self.outcomes.push(Outcome::Reply(ticket, Err(e))),
        };
        match path {
            // with a perfect network every member has applied all committed
            // entries, so a ReadIndex round is immediate
            Path::LocalRead | Path::LinearizableRead => {
                let reply = m.read(&request, now, raft);
                self.reply(member, ticket, reply);
            }
            Path::Leader => {
                let reply = match self.members.get(self.leader) {
                    Some(l) => l.read(&request, now, raft),
                    None => Err(EtcdError::NoLeader),
                };
                self.reply(member, ticket, reply);
            }
            Path::Cluster => match request {
                Request::MoveLeader(r) => {
                    let reply = self.move_leader(member, r.target_id);
                    self.reply(member, ticket, reply);
                }
                Request::Downgrade(r) => self.downgrade(member, ticket, &r),
                other => match self.check_member_change(other) {
                    Ok(cc) => self.propose(member, ticket, Request::ConfChange(cc)),
                    Err(e) => self.outcomes.push(Outcome::Reply(ticket, Err(e))),
                },
            },
            Path::Propose => self.propose(member, ticket, request),
        }
    }

    fn propose(&mut self, member: usize, ticket: Ticket, request: Request) {
        let Some(m) = self.members.get_mut(member) else {
            return;
        };
        match m.new_proposal(request) {
            Ok(p) => {
                self.waiting.insert(p.id, (member, ticket));
                self.commit(p);
            }
            Err(e) => self.outcomes.push(Outcome::Reply(ticket, Err(e))),
        }
    }

    /// Whether the leader has been connected to every other voter for
    /// etcd's health interval (the start counts as the connection time).
    fn connected_long_enough(&self) -> bool {
        self.now >= HEALTH_INTERVAL_MS
    }

    /// Whether member `id` runs here and follows the leader's log (a member
    /// added at runtime has no process: its match index stays 0).
    fn is_running(&self, id: u64) -> bool {
        self.members
            .iter()
            .zip(&self.stopped)
            .any(|(m, stopped)| m.id == id && !stopped)
    }

    /// The checks etcd's server makes before proposing a membership change
    /// (strict reconfiguration on, as by default), then the change itself.
    fn check_member_change(&mut self, req: Request) -> Result<ConfChange, EtcdError> {
        let leader = self.members.get(self.leader).ok_or(EtcdError::NoLeader)?;
        let ms = leader.membership();
        let voters = ms.members().iter().filter(|m| !m.is_learner).count();
        match req {
            Request::MemberAdd(r) => {
                let peer_urls = parse_urls(&r.peer_urls)?;
                if !r.is_learner && !ms.ready_to_add_voter() {
                    return Err(EtcdError::NotEnoughStartedMembers);
                }
                if voters > 1 && !self.connected_long_enough() {
                    return Err(EtcdError::UnhealthyCluster);
                }
                let unix_secs = (self.start_ms + self.now) / 1000;
                let id = membership::member_id(&peer_urls, &self.token, Some(unix_secs));
                let m = Member {
                    id,
                    name: String::new(),
                    peer_urls,
                    client_urls: Vec::new(),
                    is_learner: r.is_learner,
                };
                Ok(ConfChange::Add(m))
            }
            Request::MemberRemove(r) => {
                let learner = ms.get(r.id).is_some_and(|m| m.is_learner);
                if !learner {
                    if !ms.ready_to_remove_voter(r.id) {
                        return Err(EtcdError::NotEnoughStartedMembers);
                    }
                    // a member that never connected is safe to remove
                    let target_active = self.is_running(r.id) || leader.id == r.id;
                    let active = if self.connected_long_enough() {
                        self.stopped.iter().filter(|s| !**s).count()
                    } else {
                        1
                    };
                    if target_active && active - 1 < 1 + (voters - 1) / 2 {
                        return Err(EtcdError::UnhealthyCluster);
                    }
                }
                Ok(ConfChange::Remove(r.id))
            }
            Request::MemberUpdate(r) => Ok(ConfChange::Update {
                id: r.id,
                peer_urls: parse_urls(&r.peer_urls)?,
            }),
            Request::MemberPromote(r) => {
                // etcd's isLearnerReady: a member the leader tracks must have
                // caught up to 90% of the leader's log
                if ms.get(r.id).is_some() && !self.is_running(r.id) {
                    return Err(EtcdError::LearnerNotReady);
                }
                if !ms.ready_to_promote(r.id) {
                    return Err(EtcdError::NotEnoughStartedMembers);
                }
                Ok(ConfChange::Promote(r.id))
            }
            _ => Err(EtcdError::UnknownMethod),
        }
    }

    /// etcd's MoveLeader: only the leader may, to a voting member; the
    /// transferee becomes leader in a new term.
    fn move_leader(&mut self, member: usize, target: u64) -> Reply {
        if member != self.leader {
            return Err(EtcdError::NotLeader);
        }
        let Some(to) = self.members.iter().position(|m| m.id == target) else {
            return Err(EtcdError::BadLeaderTransferee);
        };
        if to != self.leader {
            self.change_leader(to);
        }
        Ok(Response::MoveLeader(MoveLeaderResponse::default()))
    }

    /// A new leader in a new term: its lessor takes over expiry with full
    /// TTLs, and it appends its empty entry.
    fn change_leader(&mut self, to: usize) {
        let now = self.now;
        self.term += 1;
        self.leader = to;
        for (i, m) in self.members.iter_mut().enumerate() {
            m.set_primary(i == to, now);
        }
        self.first_index += 1;
        for m in &mut self.members {
            m.note_applied(self.first_index + self.log.len() as u64 - 1);
        }
    }

    /// etcd 3.5.1's downgrade: VALIDATE answers at once; ENABLE and CANCEL
    /// change the job through Raft but their answer never arrives, so the
    /// client gets `request timed out` after the request timeout.
    fn downgrade(&mut self, member: usize, ticket: Ticket, r: &crate::pb::DowngradeRequest) {
        let enabled = self
            .members
            .get(member)
            .is_some_and(|m| m.downgrade_enabled());
        let validate = |v: &str| -> Result<(), EtcdError> {
            maintenance::check_downgrade_target(maintenance::parse_downgrade_version(v)?)?;
            if enabled {
                return Err(EtcdError::DowngradeInProcess);
            }
            Ok(())
        };
        let cluster_version = format!(
            "{}.{}.0",
            maintenance::CLUSTER_VERSION.0,
            maintenance::CLUSTER_VERSION.1
        );
        let set = match r.action {
            downgrade_action::VALIDATE => {
                let reply = validate(&r.version).map(|_| {
                    Response::Downgrade(DowngradeResponse {
                        header: None,
                        version: cluster_version,
                    })
                });
                return self.reply(member, ticket, reply);
            }
            downgrade_action::ENABLE => validate(&r.version).map(|_| true),
            downgrade_action::CANCEL if enabled => Ok(false),
            downgrade_action::CANCEL => Err(EtcdError::NoInflightDowngrade),
            _ => Err(EtcdError::UnknownMethod),
        };
        match set {
            Ok(on) => {
                let leader = self.leader;
                if let Some(p) = self.members.get_mut(leader).and_then(|l| {
                    l.new_proposal(Request::DowngradeInfoSet { enabled: on })
                        .ok()
                }) {
                    self.commit(p);
                }
                self.deferred_seq += 1;
                let due = self.now + REQUEST_TIMEOUT_MS;
                self.deferred.insert(
                    (due, self.deferred_seq),
                    (member, ticket, Err(EtcdError::Timeout)),
                );
            }
            Err(e) => self.reply(member, ticket, Err(e)),
        }
    }

    /// Appends a committed entry and has every member apply it.
    fn commit(&mut self, entry: InternalRaftRequest) {
        let index = self.commit_index() + 1;
        let now = self.now;
        let waiter = self.waiting.remove(&entry.id);
        let mut answer = None;
        for i in 0..self.members.len() {
            let hdr = self.header(i);
            if let Some(m) = self.members.get_mut(i) {
                let reply = m.apply(index, &entry, now, hdr);
                if matches!(waiter, Some((w, _)) if w == i) {
                    answer = Some(reply);
                }
            }
        }
        if let Request::ConfChange(ConfChange::Remove(id)) = &entry.request {
            // a removed member shuts down
            if let Some(i) = self.members.iter().position(|m| m.id == *id) {
                if self
                    .members
                    .get(self.leader)
                    .is_some_and(|l| l.membership().is_removed(*id))
                {
                    if let Some(s) = self.stopped.get_mut(i) {
                        *s = true;
                    }
                }
            }
        }
        self.log.push(entry);
        if let (Some((member, ticket)), Some(reply)) = (waiter, answer) {
            self.reply(member, ticket, reply);
        }
    }

    fn reply(&mut self, member: usize, ticket: Ticket, reply: Reply) {
        let hdr = self.header(member);
        let reply = reply.map(|mut r| {
            if let Some(m) = self.members.get(member) {
                m.fill_header(&mut r, hdr);
            }
            r
        });
        self.outcomes.push(Outcome::Reply(ticket, reply));
    }
}
