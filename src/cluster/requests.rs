//! Client requests arriving at a member: reads served locally or after a
//! ReadIndex round, proposals through Raft, requests the leader answers,
//! membership changes with etcd's checks, leadership transfer, downgrade,
//! and the streams (watch, keep-alive, snapshot).

use super::trace::TraceKind;
use super::{Cluster, Input, Outcome, Ticket, ELECTION_MS, HEALTH_INTERVAL_MS, REQUEST_TIMEOUT_MS};
use crate::auth::simple_token::token_prefix;
use crate::auth::{AuthInfo, AuthRequest};
use crate::errors::EtcdError;
use crate::membership::{self, parse_urls, ConfChange, ConfChangeContext};
use crate::pb::{
    downgrade_action, AuthenticateRequest, DowngradeRequest, DowngradeResponse, Member,
    MoveLeaderResponse, SnapshotResponse,
};
use crate::raft::{self, ConfChangeType};
use crate::server::maintenance;
use crate::server::wait::{Forward, PendingRead, TokenWait, Waiting};
use crate::server::{Path, Request, Response};

impl Cluster {
    pub(super) fn handle(&mut self, input: Input) {
        let now = self.now;
        let up = |c: &Cluster, m: usize| c.servers.get(m).is_some_and(|n| n.is_up());
        match input {
            Input::Unary {
                member,
                ticket,
                request,
                token,
            } => self.handle_unary(member, ticket, request, token),
            Input::WatchOpen {
                member,
                ticket,
                token,
            } if up(self, member) => {
                self.servers[member].open_watch_stream(ticket, now, token);
            }
            Input::Watch {
                member,
                ticket,
                request,
            } if up(self, member) => {
                let hdr = self.header(member);
                self.servers[member].watch(ticket, request, hdr, now);
            }
            Input::WatchClose { member, ticket } => {
                if let Some(n) = self.servers.get_mut(member) {
                    n.close_watch_stream(ticket);
                }
            }
            Input::KeepAlive {
                member,
                ticket,
                request,
            } if up(self, member) => {
                // the leader renews; a follower forwards, waiting for one
                self.servers[member]
                    .w
                    .forwards
                    .push(Forward::KeepAlive(ticket, request));
                self.add_deadline(member, ticket);
                self.release_waiting(member);
            }
            Input::KeepAliveEnd { ticket } => {
                // after the renewals still waiting on the stream, if any
                let waiting = self
                    .servers
                    .iter_mut()
                    .find(|n| n.w.forwards.iter().any(|f| f.ticket() == ticket));
                match waiting {
                    Some(n) => n.w.forwards.push(Forward::End(ticket)),
                    None => self.outcomes.push(Outcome::StreamEnd(ticket)),
                }
            }
            Input::Snapshot {
                member,
                ticket,
                token,
            } if up(self, member) => {
                // root only (etcd's `authMaintenanceServer`)
                let server = &mut self.servers[member];
                if let Err(e) = server.authorize_admin(token.as_deref(), now) {
                    return self.outcomes.push(Outcome::Snapshot(ticket, Err(e)));
                }
                // 3.5.1 sends neither a header nor remaining_bytes (FINDINGS #54)
                for blob in server.snapshot_blobs() {
                    let msg = SnapshotResponse {
                        header: None,
                        remaining_bytes: 0,
                        blob,
                    };
                    self.outcomes.push(Outcome::Snapshot(ticket, Ok(msg)));
                }
                self.outcomes.push(Outcome::StreamEnd(ticket));
            }
            Input::WatchOpen { ticket, .. }
            | Input::Watch { ticket, .. }
            | Input::KeepAlive { ticket, .. }
            | Input::Snapshot { ticket, .. } => self.outcomes.push(Outcome::Refused(ticket)),
        }
    }

    /// The leader, if `member` knows one it can reach (to forward to).
    fn reachable_leader(&self, member: usize) -> Option<usize> {
        let lead = self.servers.get(member)?.leader_id();
        let l = self.node_of(lead)?;
        let ok = self.servers[l].is_leader()
            && (l == member
                || (!self.network.is_blocked(member, l) && !self.network.is_blocked(l, member)));
        ok.then_some(l)
    }

    fn handle_unary(
        &mut self,
        member: usize,
        ticket: Ticket,
        request: Request,
        token: Option<String>,
    ) {
        let now = self.now;
        if !self.servers.get(member).is_some_and(|n| n.is_up()) {
            return self.outcomes.push(Outcome::Refused(ticket));
        }
        self.trace.push(
            now,
            TraceKind::Client {
                member,
                what: request.name().into(),
            },
        );
        self.serve_unary(member, ticket, request, token);
    }

    /// Serves a client request on a running member: etcd's gRPC checks,
    /// then the caller's token, then the path the request takes.
    fn serve_unary(
        &mut self,
        member: usize,
        ticket: Ticket,
        request: Request,
        token: Option<String>,
    ) {
        let now = self.now;
        let server = &mut self.servers[member];
        let path = match server.route(&request) {
            Ok(p) => p,
            Err(e) => return self.outcomes.push(Outcome::Reply(ticket, Err(e))),
        };
        if let Some(index) = server.token_index_ahead(&request, token.as_deref()) {
            self.servers[member].w.token_waits.push(TokenWait {
                ticket,
                index,
                request,
                token,
            });
            return self.add_deadline(member, ticket);
        }
        if path == Path::LinearizableRead {
            return self.read_index(member, ticket, request, token);
        }
        let auth = match server.authorize(&request, token.as_deref(), now) {
            Ok(a) => a,
            Err(e) => return self.outcomes.push(Outcome::Reply(ticket, Err(e))),
        };
        match path {
            Path::LocalRead => {
                let view = self.raft_view(member);
                let reply = self.servers[member].read_as(&request, &auth, now, view);
                self.reply(member, ticket, reply);
            }
            // waiting in `read_index` (above)
            Path::LinearizableRead => {}
            Path::Leader => {
                // a follower forwards to the leader; without one it retries
                // until the request timeout, as etcd's does
                self.servers[member]
                    .w
                    .forwards
                    .push(Forward::Request(ticket, request));
                self.add_deadline(member, ticket);
                self.release_waiting(member);
            }
            Path::Propose => {
                self.propose(member, ticket, request, auth);
            }
            Path::Cluster => match request {
                Request::MoveLeader(r) => self.move_leader(member, ticket, r.target_id),
                Request::Downgrade(r) => self.downgrade(member, ticket, &r),
                other => match self.check_member_change(member, other) {
                    Ok(change) => self.propose_conf_change(member, ticket, change),
                    Err(e) => self.outcomes.push(Outcome::Reply(ticket, Err(e))),
                },
            },
        }
    }

    /// A linearizable read waits for a ReadIndex round, then for this
    /// member to apply up to that index.
    fn read_index(
        &mut self,
        member: usize,
        ticket: Ticket,
        request: Request,
        token: Option<String>,
    ) {
        let n = &mut self.servers[member];
        let ctx = n.w.next_read_ctx;
        n.w.next_read_ctx += 1;
        n.w.reads.insert(
            ctx,
            Box::new(PendingRead {
                ticket,
                request,
                token,
                index: None,
            }),
        );
        // without a leader the read waits until it times out, as etcd's does
        let _ = n.raft.read_index(ctx);
        self.add_deadline(member, ticket);
    }

    /// Answers `reply` after etcd's request timeout (a request that never
    /// completes, as in etcd).
    fn defer(&mut self, member: usize, ticket: Ticket, reply: crate::server::Reply) {
        let seq = self.next_seq();
        self.deferred.insert(
            (self.now + REQUEST_TIMEOUT_MS, seq),
            Box::new((member, ticket, reply)),
        );
    }

    pub(super) fn propose(
        &mut self,
        member: usize,
        ticket: Ticket,
        request: Request,
        auth: AuthInfo,
    ) -> Option<u64> {
        let n = &mut self.servers[member];
        match n.new_proposal(request, auth) {
            Ok(p) => {
                let id = p.id;
                n.w.proposals.insert(id, Box::new(ticket));
                // etcd's Propose waits while the member knows no leader
                if n.leader_id() == raft::NONE {
                    n.w.held.push(p);
                } else {
                    // (lost if the leader is gone: the client times out)
                    let _ = n.raft.propose(p);
                }
                self.add_deadline(member, ticket);
                Some(id)
            }
            Err(e) => {
                self.outcomes.push(Outcome::Reply(ticket, Err(e)));
                None
            }
        }
    }

    /// Requests whose token's index member `i` has now applied go on.
    pub(super) fn release_token_waits(&mut self, i: usize) {
        let applied = self.servers[i].applied_index();
        let (ready, waiting) = std::mem::take(&mut self.servers[i].w.token_waits)
            .into_iter()
            .partition(|w| w.index <= applied);
        self.servers[i].w.token_waits = waiting;
        for w in ready {
            self.forget_deadline(w.ticket);
            self.serve_unary(i, w.ticket, w.request, w.token);
        }
    }

    /// etcd's Authenticate once member `i` is up to date: it checks the
    /// password, draws the token's random part and proposes the
    /// authentication; every member then knows the token.
    pub(super) fn authenticate(&mut self, i: usize, ticket: Ticket, r: &AuthenticateRequest) {
        if let Err(e) = self.servers[i].check_password(&r.name, &r.password) {
            return self.reply(i, ticket, Err(e));
        }
        let checked = self.servers[i].auth().revision();
        let simple_token = token_prefix(|| self.token_rng.next_u64());
        let req = Request::Auth(AuthRequest::InternalAuthenticate {
            name: r.name.clone(),
            simple_token,
        });
        self.forget_deadline(ticket);
        if let Some(id) = self.propose(i, ticket, req, AuthInfo::default()) {
            self.servers[i]
                .w
                .authentications
                .insert(id, Box::new((r.clone(), checked)));
        }
    }

    /// Requests waiting on member `i` for a leader go on once there is one:
    /// held proposals go to Raft, forwarded requests to a reachable leader.
    pub(super) fn release_waiting(&mut self, i: usize) {
        let n = &mut self.servers[i];
        if !n.is_up() {
            return;
        }
        if n.leader_id() != raft::NONE {
            for p in std::mem::take(&mut n.w.held) {
                let _ = n.raft.propose(p);
            }
        }
        if n.w.forwards.is_empty() {
            return;
        }
        let Some(l) = self.reachable_leader(i) else {
            return;
        };
        let now = self.now;
        for f in std::mem::take(&mut self.servers[i].w.forwards) {
            self.forget_deadline(f.ticket());
            match f {
                Forward::Request(ticket, request) => {
                    let view = self.raft_view(l);
                    let reply = self.servers[l].read(&request, now, view);
                    self.reply(i, ticket, reply);
                }
                Forward::KeepAlive(ticket, request) => {
                    let answer = self.servers[l].renew(&request, now);
                    let hdr = self.header(i);
                    let rev = self.servers[i].kv().current_revision();
                    let answer = answer.map(|mut r| {
                        r.header = hdr.at(rev);
                        r
                    });
                    self.outcomes.push(Outcome::KeepAlive(ticket, answer));
                }
                Forward::End(ticket) => self.outcomes.push(Outcome::StreamEnd(ticket)),
            }
        }
    }

    /// What etcd answers a request that timed out, by what it waited for.
    pub(super) fn timeout_error(&self, member: usize, waited: Waiting, start: u64) -> EtcdError {
        let Some(n) = self.servers.get(member) else {
            return EtcdError::Timeout;
        };
        match waited {
            Waiting::Held => EtcdError::ProposalDeadline,
            Waiting::Forward | Waiting::KeepAlive if n.leader_id() == raft::NONE => {
                EtcdError::NoLeader
            }
            Waiting::Forward | Waiting::KeepAlive | Waiting::Other => EtcdError::Timeout,
            Waiting::Proposal => self.proposal_timeout(member, start),
        }
    }

    /// etcd's `parseProposeCtxErr`: a proposal that started at `start` and
    /// was not applied in time.
    fn proposal_timeout(&self, member: usize, start: u64) -> EtcdError {
        let n = &self.servers[member];
        // this member became leader shortly after the request started
        if let Some(elected) = n.lead_elected_at {
            if start + 2 * ELECTION_MS > elected && start < elected {
                return EtcdError::TimeoutDueToLeaderFail;
            }
        }
        let connected = |peer: usize| {
            self.connected_since(member, peer)
                .is_some_and(|since| since < start)
        };
        let lead = n.leader_id();
        let lost = if lead == raft::NONE {
            false
        } else if lead == n.id {
            let members = n.membership().members();
            let reachable = members
                .iter()
                .filter(|m| m.id == lead || self.node_of(m.id).is_some_and(connected))
                .count();
            reachable < members.len() / 2 + 1
        } else {
            !self.node_of(lead).is_some_and(connected)
        };
        if lost {
            EtcdError::TimeoutDueToConnectionLost
        } else {
            EtcdError::Timeout
        }
    }

    fn propose_conf_change(&mut self, member: usize, ticket: Ticket, change: ConfChange) {
        let n = &mut self.servers[member];
        let request_id = n.next_request_id();
        let (change_type, node_id) = match &change {
            ConfChange::Add(m) if m.is_learner => (ConfChangeType::AddLearnerNode, m.id),
            ConfChange::Add(m) => (ConfChangeType::AddNode, m.id),
            ConfChange::Remove(id) => (ConfChangeType::RemoveNode, *id),
            ConfChange::Update { id, .. } => (ConfChangeType::UpdateNode, *id),
            ConfChange::Promote(id) => (ConfChangeType::AddNode, *id),
        };
        let context = ConfChangeContext { request_id, change }.encode();
        n.w.proposals.insert(request_id, Box::new(ticket));
        let _ = n.raft.propose_conf_change(raft::ConfChange {
            change_type,
            node_id,
            context,
        });
        self.add_deadline(member, ticket);
    }

    /// Whether the leader has been connected to every voter for etcd's
    /// health interval: all voters run, no link to them is cut, and the
    /// network has been whole that long.
    fn connected_long_enough(&self, leader: usize) -> bool {
        let ms = self.servers[leader].membership();
        let voters_ok =
            ms.members()
                .iter()
                .filter(|m| !m.is_learner)
                .all(|m| match self.node_of(m.id) {
                    Some(i) => {
                        self.servers[i].is_up()
                            && (i == leader
                                || (!self.network.is_blocked(leader, i)
                                    && !self.network.is_blocked(i, leader)))
                    }
                    None => false,
                });
        voters_ok && self.now >= self.healed_at + HEALTH_INTERVAL_MS
    }

    /// The checks etcd's server makes before proposing a membership change
    /// (strict reconfiguration on, as by default), then the change itself.
    fn check_member_change(
        &mut self,
        member: usize,
        req: Request,
    ) -> Result<ConfChange, EtcdError> {
        // the leader decides; a follower forwards (or waits for a leader)
        let l = self.reachable_leader(member).ok_or(EtcdError::Timeout)?;
        let ms = self.servers[l].membership().clone();
        let voters = ms.members().iter().filter(|m| !m.is_learner).count();
        let running = |c: &Cluster, id: u64| c.node_of(id).is_some_and(|i| c.servers[i].is_up());
        match req {
            Request::MemberAdd(r) => {
                let peer_urls = parse_urls(&r.peer_urls)?;
                if !r.is_learner && !ms.ready_to_add_voter() {
                    return Err(EtcdError::NotEnoughStartedMembers);
                }
                if voters > 1 && !self.connected_long_enough(l) {
                    return Err(EtcdError::UnhealthyCluster);
                }
                let id = membership::member_id(&peer_urls, &self.token, Some(self.unix_secs()));
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
                    if running(self, r.id) {
                        let active = if self.connected_long_enough(l) {
                            ms.members()
                                .iter()
                                .filter(|m| !m.is_learner && running(self, m.id))
                                .count()
                        } else {
                            1
                        };
                        if active < 2 + (voters - 1) / 2 {
                            return Err(EtcdError::UnhealthyCluster);
                        }
                    }
                }
                Ok(ConfChange::Remove(r.id))
            }
            Request::MemberUpdate(r) => Ok(ConfChange::Update {
                id: r.id,
                peer_urls: parse_urls(&r.peer_urls)?,
            }),
            Request::MemberPromote(r) => {
                // etcd's isLearnerReady: the learner's match index must be at
                // least 90% of the leader's
                let st = self.servers[l].raft.status();
                if let Some(p) = st.progress.get(&r.id) {
                    let lead_match = st
                        .progress
                        .get(&self.servers[l].id)
                        .map_or(0, |p| p.matched);
                    if (p.matched as f64) < lead_match as f64 * 0.9 {
                        return Err(EtcdError::LearnerNotReady);
                    }
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
    /// answer comes once the transferee leads.
    fn move_leader(&mut self, member: usize, ticket: Ticket, target: u64) {
        let n = &self.servers[member];
        if !n.is_leader() {
            return self
                .outcomes
                .push(Outcome::Reply(ticket, Err(EtcdError::NotLeader)));
        }
        let is_voter = n.membership().get(target).is_some_and(|m| !m.is_learner);
        if !is_voter {
            return self
                .outcomes
                .push(Outcome::Reply(ticket, Err(EtcdError::BadLeaderTransferee)));
        }
        if target == n.id {
            return self.reply(
                member,
                ticket,
                Ok(Response::MoveLeader(MoveLeaderResponse::default())),
            );
        }
        let n = &mut self.servers[member];
        n.w.transfers.push((ticket, target));
        let _ = n.raft.transfer_leader(target);
        let seq = self.next_seq();
        self.deadlines.insert(
            (self.now + REQUEST_TIMEOUT_MS, seq),
            Box::new((member, ticket)),
        );
    }

    /// etcd 3.5.1's downgrade: VALIDATE answers at once; ENABLE and CANCEL
    /// change the job through Raft but their answer never arrives, so the
    /// client gets `request timed out` after the request timeout.
    fn downgrade(&mut self, member: usize, ticket: Ticket, r: &DowngradeRequest) {
        let enabled = self.servers[member].downgrade_enabled();
        let validate = |v: &str| -> Result<(), EtcdError> {
            maintenance::check_downgrade_target(maintenance::parse_downgrade_version(v)?)?;
            if enabled {
                return Err(EtcdError::DowngradeInProcess);
            }
            Ok(())
        };
        let (major, minor) = maintenance::CLUSTER_VERSION;
        let set = match r.action {
            downgrade_action::VALIDATE => {
                let reply = validate(&r.version).map(|_| {
                    Response::Downgrade(DowngradeResponse {
                        header: None,
                        version: format!("{major}.{minor}.0"),
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
                let n = &mut self.servers[member];
                if let Ok(p) = n.new_proposal(
                    Request::DowngradeInfoSet { enabled: on },
                    AuthInfo::default(),
                ) {
                    let _ = n.raft.propose(p);
                }
                self.defer(member, ticket, Err(EtcdError::Timeout));
            }
            Err(e) => self.reply(member, ticket, Err(e)),
        }
    }
}
