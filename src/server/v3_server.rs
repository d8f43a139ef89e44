//! Client requests arriving at a member (etcd's `v3_server.go`): reads
//! served locally or after a ReadIndex round, proposals through Raft,
//! requests the leader answers, membership changes with etcd's checks,
//! leadership transfer, downgrade, and the streams (keep-alive, snapshot);
//! with etcd's request timeout and the errors it ends in.

use super::config::{ELECTION_MS, HEALTH_INTERVAL_MS};
use super::env::Env;
use super::output::{Answer, Forwarded, Output};
use super::v3client::ServiceCall;
use super::wait::{Forward, PendingRead, TokenWait, Waiting};
use super::{EtcdServer, Path, Request, Response, Ticket};
use crate::auth::simple_token::token_prefix;
use crate::auth::{AuthInfo, AuthRequest};
use crate::errors::EtcdError;
use crate::membership::{self, parse_urls, ConfChange, ConfChangeContext};
use crate::pb::{
    downgrade_action, AuthenticateRequest, DowngradeRequest, DowngradeResponse,
    LeaseKeepAliveRequest, Member, MoveLeaderResponse, SnapshotResponse, WatchRequest,
};
use crate::raft::{self, ConfChangeType};
use crate::server::maintenance;

/// What a client hands a member, each under the ticket that names the
/// request or stream (with the client's auth token where one is read).
#[derive(Clone, Debug)]
pub enum ClientInput {
    /// A unary request.
    Unary {
        ticket: Ticket,
        request: Request,
        token: Option<String>,
    },
    /// A watch stream opens.
    WatchOpen {
        ticket: Ticket,
        token: Option<String>,
    },
    /// One request message on an open watch stream.
    Watch {
        ticket: Ticket,
        request: WatchRequest,
    },
    /// The watch stream's client went away: its watchers are freed.
    WatchClose { ticket: Ticket },
    /// One keep-alive request on a keep-alive stream.
    KeepAlive {
        ticket: Ticket,
        request: LeaseKeepAliveRequest,
    },
    /// The keep-alive stream's requests ended: it ends after the answers
    /// already owed.
    KeepAliveEnd { ticket: Ticket },
    /// A snapshot stream.
    Snapshot {
        ticket: Ticket,
        token: Option<String>,
    },
    /// A lock or election call (see `v3client`).
    Service {
        ticket: Ticket,
        call: ServiceCall,
        token: Option<String>,
    },
    /// The client of a lock or election call went away, or its stream was
    /// ended: what the call holds is given back.
    ServiceCancel { ticket: Ticket },
}

impl ClientInput {
    pub fn ticket(&self) -> Ticket {
        match self {
            ClientInput::Unary { ticket, .. }
            | ClientInput::WatchOpen { ticket, .. }
            | ClientInput::Watch { ticket, .. }
            | ClientInput::WatchClose { ticket }
            | ClientInput::KeepAlive { ticket, .. }
            | ClientInput::KeepAliveEnd { ticket }
            | ClientInput::Snapshot { ticket, .. }
            | ClientInput::Service { ticket, .. }
            | ClientInput::ServiceCancel { ticket } => *ticket,
        }
    }

    /// Whether a member that is down still takes it: what only frees what
    /// a client held (a down member has nothing left to free).
    pub fn reaches_a_down_member(&self) -> bool {
        matches!(
            self,
            ClientInput::WatchClose { .. }
                | ClientInput::KeepAliveEnd { .. }
                | ClientInput::ServiceCancel { .. }
        )
    }
}

impl EtcdServer {
    /// One input from a client.
    pub fn input(&mut self, env: &mut Env, input: ClientInput) {
        let now = env.now;
        match input {
            ClientInput::Unary {
                ticket,
                request,
                token,
            } => self.submit(env, ticket, request, token),
            ClientInput::WatchOpen { ticket, token } => self.open_watch_stream(ticket, now, token),
            ClientInput::Watch { ticket, request } => {
                let hdr = self.header();
                self.watch(ticket, request, hdr, now);
            }
            ClientInput::WatchClose { ticket } => self.close_watch_stream(ticket),
            ClientInput::KeepAlive { ticket, request } => self.keep_alive(env, ticket, request),
            ClientInput::KeepAliveEnd { ticket } => self.keep_alive_end(ticket),
            ClientInput::Snapshot { ticket, token } => self.snapshot(env, ticket, token),
            ClientInput::Service {
                ticket,
                call,
                token,
            } => self.call_service(env, ticket, call, token),
            ClientInput::ServiceCancel { ticket } => self.cancel_service(env, ticket),
        }
    }

    /// A unary request from a client, with its auth token if it sent one.
    pub(super) fn submit(
        &mut self,
        env: &mut Env,
        ticket: Ticket,
        request: Request,
        token: Option<String>,
    ) {
        let name = request.name();
        self.event(super::Event::Request { name, ticket });
        self.serve_unary(env, ticket, request, token);
    }

    /// One keep-alive request on a keep-alive stream: the leader renews; a
    /// follower forwards, waiting for one.
    fn keep_alive(&mut self, env: &mut Env, ticket: Ticket, request: LeaseKeepAliveRequest) {
        self.w.forwards.push(Forward::KeepAlive(ticket, request));
        self.w.add_deadline(env.now, ticket);
        self.release_waiting(env);
    }

    /// The keep-alive stream's requests ended: it ends after the renewals
    /// still waiting on it, if any.
    fn keep_alive_end(&mut self, ticket: Ticket) {
        if self.w.forwards.iter().any(|f| f.ticket() == ticket) {
            self.w.forwards.push(Forward::End(ticket));
        } else {
            self.answer(Answer::StreamEnd(ticket));
        }
    }

    /// A client asks for a snapshot (a stream of database chunks).
    fn snapshot(&mut self, env: &mut Env, ticket: Ticket, token: Option<String>) {
        // root only (etcd's `authMaintenanceServer`)
        if let Err(e) = self.authorize_admin(token.as_deref(), env.now) {
            return self.answer(Answer::Snapshot(ticket, Err(e)));
        }
        // 3.5.1 sends neither a header nor remaining_bytes (docs/etcd-behaviour.md #54)
        for blob in self.snapshot_blobs() {
            let msg = SnapshotResponse {
                header: None,
                remaining_bytes: 0,
                blob,
            };
            self.answer(Answer::Snapshot(ticket, Ok(msg)));
        }
        self.answer(Answer::StreamEnd(ticket));
    }

    /// Whether the leader this member knows is one it can reach now (to
    /// forward to): itself, or a peer that leads behind a whole link.
    fn leader_reachable(&self, env: &Env) -> bool {
        let lead = self.leader_id();
        if lead == self.id {
            self.is_leader()
        } else {
            env.peers.reaches_leader(lead)
        }
    }

    /// Serves a client request on a running member: etcd's gRPC checks,
    /// then the caller's token, then the path the request takes.
    pub(super) fn serve_unary(
        &mut self,
        env: &mut Env,
        ticket: Ticket,
        request: Request,
        token: Option<String>,
    ) {
        let now = env.now;
        let path = match self.route(&request) {
            Ok(p) => p,
            Err(e) => return self.answer(Answer::Reply(ticket, Err(e))),
        };
        if let Some(index) = self.token_index_ahead(&request, token.as_deref()) {
            self.w.token_waits.push(TokenWait {
                ticket,
                index,
                request,
                token,
            });
            return self.w.add_deadline(now, ticket);
        }
        if path == Path::LinearizableRead {
            return self.read_index(now, ticket, request, token);
        }
        let auth = match self.authorize(&request, token.as_deref(), now) {
            Ok(a) => a,
            Err(e) => return self.answer(Answer::Reply(ticket, Err(e))),
        };
        match path {
            Path::LocalRead => {
                let view = self.raft_view();
                let reply = self.read_as(&request, &auth, now, view);
                self.reply(ticket, reply);
            }
            // waiting in `read_index` (above)
            Path::LinearizableRead => {}
            Path::Leader => {
                // a follower forwards to the leader; without one it retries
                // until the request timeout, as etcd's does
                self.w.forwards.push(Forward::Request(ticket, request));
                self.w.add_deadline(now, ticket);
                self.release_waiting(env);
            }
            Path::Propose => {
                self.propose(now, ticket, request, auth);
            }
            Path::Cluster => match request {
                Request::MoveLeader(r) => self.move_leader(now, ticket, r.target_id),
                Request::Downgrade(r) => self.downgrade(now, ticket, &r),
                // the leader decides; a follower forwards (or waits for a leader)
                other if self.leader_id() == self.id => {
                    let checked = self.check_member_change(env, other);
                    self.member_change_checked(now, ticket, checked);
                }
                other if self.leader_reachable(env) => {
                    let to = self.leader_id();
                    let forward = Forward::MemberChange(ticket, other);
                    self.push(Output::Forward { to, forward });
                }
                _ => self.answer(Answer::Reply(ticket, Err(EtcdError::Timeout))),
            },
        }
    }

    /// A linearizable read waits for a ReadIndex round, then for this
    /// member to apply up to that index.
    fn read_index(&mut self, now: u64, ticket: Ticket, request: Request, token: Option<String>) {
        let ctx = self.w.next_read_ctx;
        self.w.next_read_ctx += 1;
        self.w.reads.insert(
            ctx,
            Box::new(PendingRead {
                ticket,
                request,
                token,
                index: None,
            }),
        );
        // without a leader the read waits until it times out, as etcd's does
        let _ = self.raft.read_index(ctx);
        self.w.add_deadline(now, ticket);
    }

    pub(super) fn propose(
        &mut self,
        now: u64,
        ticket: Ticket,
        request: Request,
        auth: AuthInfo,
    ) -> Option<u64> {
        match self.new_proposal(request, auth) {
            Ok(p) => {
                let id = p.id;
                self.w.proposals.insert(id, Box::new(ticket));
                // etcd's Propose waits while the member knows no leader
                if self.leader_id() == raft::NONE {
                    self.w.held.push(p);
                } else {
                    // (lost if the leader is gone: the client times out)
                    let _ = self.raft.propose(p.into());
                }
                self.w.add_deadline(now, ticket);
                Some(id)
            }
            Err(e) => {
                self.answer(Answer::Reply(ticket, Err(e)));
                None
            }
        }
    }

    /// Requests whose token's index this member has now applied go on.
    pub(super) fn release_token_waits(&mut self, env: &mut Env) {
        let applied = self.applied_index();
        let (ready, waiting) = std::mem::take(&mut self.w.token_waits)
            .into_iter()
            .partition(|w| w.index <= applied);
        self.w.token_waits = waiting;
        for w in ready {
            self.w.forget_deadline(w.ticket);
            self.serve_unary(env, w.ticket, w.request, w.token);
        }
    }

    /// etcd's Authenticate once this member is up to date: it checks the
    /// password, draws the token's random part and proposes the
    /// authentication; every member then knows the token.
    pub(super) fn authenticate(&mut self, env: &mut Env, ticket: Ticket, r: &AuthenticateRequest) {
        if let Err(e) = self.check_password(&r.name, &r.password) {
            return self.reply(ticket, Err(e));
        }
        let checked = self.auth().revision();
        let simple_token = token_prefix(|| env.draw.next_u64());
        let req = Request::Auth(AuthRequest::InternalAuthenticate {
            name: r.name.clone(),
            simple_token,
        });
        self.w.forget_deadline(ticket);
        if let Some(id) = self.propose(env.now, ticket, req, AuthInfo::default()) {
            self.w
                .authentications
                .insert(id, Box::new((r.clone(), checked)));
        }
    }

    /// Requests waiting for a leader go on once there is one: held
    /// proposals go to Raft, forwarded requests to a reachable leader.
    pub(super) fn release_waiting(&mut self, env: &mut Env) {
        if !self.is_up() {
            return;
        }
        if self.leader_id() != raft::NONE {
            for p in std::mem::take(&mut self.w.held) {
                let _ = self.raft.propose(p.into());
            }
        }
        if self.w.forwards.is_empty() || !self.leader_reachable(env) {
            return;
        }
        let to = self.leader_id();
        for f in std::mem::take(&mut self.w.forwards) {
            self.w.forget_deadline(f.ticket());
            if to == self.id {
                let answer = self.serve_forward(env, f);
                self.forwarded(env, answer);
            } else {
                self.push(Output::Forward { to, forward: f });
            }
        }
    }

    /// As the leader, answers what a member forwarded to it.
    pub fn serve_forward(&mut self, env: &Env, forward: Forward) -> Forwarded {
        match forward {
            Forward::Request(ticket, request) => {
                let view = self.raft_view();
                Forwarded::Reply(ticket, self.read(&request, env.now, view))
            }
            Forward::KeepAlive(ticket, request) => {
                Forwarded::KeepAlive(ticket, self.renew(&request, env.now))
            }
            Forward::End(ticket) => Forwarded::End(ticket),
            Forward::MemberChange(ticket, request) => {
                Forwarded::MemberChange(ticket, self.check_member_change(env, request))
            }
        }
    }

    /// The leader's answer to what this member forwarded.
    pub fn forwarded(&mut self, env: &mut Env, answer: Forwarded) {
        match answer {
            Forwarded::Reply(ticket, reply) => self.reply(ticket, reply),
            Forwarded::KeepAlive(ticket, answer) => {
                let hdr = self.header();
                let rev = self.kv().current_revision();
                let answer = answer.map(|mut r| {
                    r.header = hdr.at(rev);
                    r
                });
                self.answer(Answer::KeepAlive(ticket, answer));
            }
            Forwarded::End(ticket) => self.answer(Answer::StreamEnd(ticket)),
            Forwarded::MemberChange(ticket, checked) => {
                self.member_change_checked(env.now, ticket, checked)
            }
        }
    }

    /// What etcd answers a request that timed out, by what it waited for.
    pub(super) fn timeout_error(&self, env: &Env, waited: Waiting, start: u64) -> EtcdError {
        match waited {
            Waiting::Held => EtcdError::ProposalDeadline,
            Waiting::Forward | Waiting::KeepAlive if self.leader_id() == raft::NONE => {
                EtcdError::NoLeader
            }
            Waiting::Forward | Waiting::KeepAlive | Waiting::Other => EtcdError::Timeout,
            Waiting::Proposal => self.proposal_timeout(env, start),
        }
    }

    /// etcd's `parseProposeCtxErr`: a proposal that started at `start` and
    /// was not applied in time.
    fn proposal_timeout(&self, env: &Env, start: u64) -> EtcdError {
        // this member became leader shortly after the request started
        if let Some(elected) = self.lead_elected_at {
            if start + 2 * ELECTION_MS > elected && start < elected {
                return EtcdError::TimeoutDueToLeaderFail;
            }
        }
        let connected = |peer: u64| {
            env.peers
                .active_since(peer)
                .is_some_and(|since| since < start)
        };
        let lead = self.leader_id();
        let lost = if lead == raft::NONE {
            false
        } else if lead == self.id {
            let members = self.membership().members();
            let reachable = members
                .iter()
                .filter(|m| m.id == lead || connected(m.id))
                .count();
            reachable < members.len() / 2 + 1
        } else {
            !connected(lead)
        };
        if lost {
            EtcdError::TimeoutDueToConnectionLost
        } else {
            EtcdError::Timeout
        }
    }

    /// Proposes the membership change the leader's checks allowed, or
    /// answers why not.
    fn member_change_checked(
        &mut self,
        now: u64,
        ticket: Ticket,
        checked: Result<ConfChange, EtcdError>,
    ) {
        match checked {
            Ok(change) => self.propose_conf_change(now, ticket, change),
            Err(e) => self.answer(Answer::Reply(ticket, Err(e))),
        }
    }

    fn propose_conf_change(&mut self, now: u64, ticket: Ticket, change: ConfChange) {
        let request_id = self.next_request_id();
        self.w.proposals.insert(request_id, Box::new(ticket));
        let _ = self
            .raft
            .propose_conf_change(conf_change(request_id, change));
        self.w.add_deadline(now, ticket);
    }

    /// Proposes a membership change the world asks for (no client waits
    /// for it), after etcd's check of the change against the membership.
    pub fn propose_member_change(&mut self, change: ConfChange) -> Result<(), EtcdError> {
        self.validate_conf_change(&change)?;
        self.raft
            .propose_conf_change(conf_change(0, change))
            .map_err(|_| EtcdError::NoLeader)
    }

    /// Whether this leader has been connected to every voter for etcd's
    /// health interval: all voters run, no link to them is cut, and the
    /// network has been whole that long.
    fn connected_long_enough(&self, env: &Env) -> bool {
        let ms = self.membership();
        let voters_ok = ms
            .members()
            .iter()
            .filter(|m| !m.is_learner)
            .all(|m| m.id == self.id || env.peers.is_connected(m.id));
        voters_ok && env.now >= env.peers.whole_since() + HEALTH_INTERVAL_MS
    }

    /// The checks etcd's server makes before proposing a membership change
    /// (strict reconfiguration on, as by default), made by the leader, then
    /// the change itself.
    fn check_member_change(&self, env: &Env, req: Request) -> Result<ConfChange, EtcdError> {
        let ms = self.membership();
        let voters = ms.members().iter().filter(|m| !m.is_learner).count();
        let running = |id: u64| id == self.id || env.peers.is_running(id);
        match req {
            Request::MemberAdd(r) => {
                let peer_urls = parse_urls(&r.peer_urls)?;
                if !r.is_learner && !ms.ready_to_add_voter() {
                    return Err(EtcdError::NotEnoughStartedMembers);
                }
                if voters > 1 && !self.connected_long_enough(env) {
                    return Err(EtcdError::UnhealthyCluster);
                }
                let unix_secs = (self.cfg.wall_start_ms + env.now) / 1000;
                let token = &self.cfg.initial_cluster_token;
                let id = membership::member_id(&peer_urls, token, Some(unix_secs));
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
                    if running(r.id) {
                        let active = if self.connected_long_enough(env) {
                            ms.members()
                                .iter()
                                .filter(|m| !m.is_learner && running(m.id))
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
            Request::MemberUpdate(r) => {
                // etcd's UpdateMember proposes the URLs as given, unparsed:
                // applying the change checks the member first (unknown or
                // removed: `member not found`), then URLs in use. etcd never
                // parses them (an invalid one would make its peer transport
                // panic): refused here, only once etcd's own checks pass.
                let change = ConfChange::Update {
                    id: r.id,
                    peer_urls: r.peer_urls,
                };
                if let (Ok(()), ConfChange::Update { peer_urls, .. }) =
                    (ms.validate(&change), &change)
                {
                    parse_urls(peer_urls)?;
                }
                Ok(change)
            }
            Request::MemberPromote(r) => {
                // etcd's isLearnerReady: the learner's match index must be at
                // least 90% of the leader's
                let st = self.raft.status();
                if let Some(p) = st.progress.get(&r.id) {
                    let lead_match = st.progress.get(&self.id).map_or(0, |p| p.matched);
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
    fn move_leader(&mut self, now: u64, ticket: Ticket, target: u64) {
        if !self.is_leader() {
            return self.answer(Answer::Reply(ticket, Err(EtcdError::NotLeader)));
        }
        let is_voter = self.membership().get(target).is_some_and(|m| !m.is_learner);
        if !is_voter {
            return self.answer(Answer::Reply(ticket, Err(EtcdError::BadLeaderTransferee)));
        }
        if target == self.id {
            return self.reply(
                ticket,
                Ok(Response::MoveLeader(MoveLeaderResponse::default())),
            );
        }
        self.w.transfers.push((ticket, target));
        let _ = self.raft.transfer_leader(target);
        self.w.add_deadline(now, ticket);
    }

    /// etcd 3.5.1's downgrade: VALIDATE answers at once; ENABLE and CANCEL
    /// change the job through Raft but their answer never arrives, so the
    /// client gets `request timed out` after the request timeout.
    fn downgrade(&mut self, now: u64, ticket: Ticket, r: &DowngradeRequest) {
        let enabled = self.downgrade_enabled();
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
                return self.reply(ticket, reply);
            }
            downgrade_action::ENABLE => validate(&r.version).map(|_| true),
            downgrade_action::CANCEL if enabled => Ok(false),
            downgrade_action::CANCEL => Err(EtcdError::NoInflightDowngrade),
            _ => Err(EtcdError::UnknownMethod),
        };
        match set {
            Ok(on) => {
                if let Ok(p) = self.new_proposal(
                    Request::DowngradeInfoSet { enabled: on },
                    AuthInfo::default(),
                ) {
                    let _ = self.raft.propose(p.into());
                }
                self.w.defer(now, ticket, Err(EtcdError::Timeout));
            }
            Err(e) => self.reply(ticket, Err(e)),
        }
    }
}

/// The Raft conf change that carries a membership change, its waiter named
/// by `request_id` (0: nobody waits).
fn conf_change(request_id: u64, change: ConfChange) -> raft::ConfChange {
    let (change_type, node_id) = match &change {
        ConfChange::Add(m) if m.is_learner => (ConfChangeType::AddLearnerNode, m.id),
        ConfChange::Add(m) => (ConfChangeType::AddNode, m.id),
        ConfChange::Remove(id) => (ConfChangeType::RemoveNode, *id),
        ConfChange::Update { id, .. } => (ConfChangeType::UpdateNode, *id),
        ConfChange::Promote(id) => (ConfChangeType::AddNode, *id),
    };
    let context = ConfChangeContext { request_id, change }.encode();
    raft::ConfChange {
        change_type,
        node_id,
        context,
    }
}

/// A client's input waiting in the cluster's inbox, as part of a
/// checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::ClientInput;
    use crate::checkpoint::variants;

    variants!(ClientInput {
        Unary {
            ticket,
            request,
            token
        },
        WatchOpen { ticket, token },
        Watch { ticket, request },
        WatchClose { ticket },
        KeepAlive { ticket, request },
        KeepAliveEnd { ticket },
        Snapshot { ticket, token },
        Service {
            ticket,
            call,
            token
        },
        ServiceCancel { ticket },
    });
}
