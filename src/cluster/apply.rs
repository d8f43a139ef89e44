//! Handling what the Raft nodes produce (their `Ready`): sending messages,
//! applying committed entries to the etcd servers, answering the clients
//! waiting for them, serving linearizable reads, and what follows a change
//! of leader.

use super::trace::TraceKind;
use super::{Cluster, Msg, Outcome};
use crate::auth::AuthRequest;
use crate::membership::{ConfChange, ConfChangeContext};
use crate::pb::Member;
use crate::raft::{self, ConfChangeType, Entry, Payload, Ready};
use crate::server::{InternalRaftRequest, Request, Response, StateSnapshot};

impl Cluster {
    /// Handles every node's `Ready` until none has anything left.
    pub(super) fn process_readies(&mut self) {
        loop {
            let mut any = false;
            for i in 0..self.servers.len() {
                while self.servers[i].is_up() && self.servers[i].raft.has_ready() {
                    any = true;
                    let rd = self.servers[i].raft.ready();
                    self.handle_ready(i, rd);
                    self.maybe_snapshot(i);
                }
                self.serve_reads(i);
                self.release_token_waits(i);
                self.release_waiting(i);
                self.maybe_publish(i);
            }
            if !any {
                return;
            }
        }
    }

    fn handle_ready(&mut self, i: usize, mut rd: Ready<InternalRaftRequest, StateSnapshot>) {
        if let Some(ss) = rd.soft_state {
            self.on_soft_state(i, ss);
        }
        let msgs: Vec<Msg> = std::mem::take(&mut rd.messages);
        self.send(i, msgs);
        if let Some(snap) = &rd.snapshot {
            if snap.metadata.index > self.servers[i].applied_index() {
                let hdr = self.header(i);
                self.servers[i].restore(&snap.data, hdr);
                self.trace.push(
                    self.now,
                    TraceKind::Apply {
                        member: i,
                        index: snap.metadata.index,
                        what: "snapshot".into(),
                    },
                );
            }
        }
        // (Raft's `advance` needs the committed entries back)
        let committed = rd.committed_entries.clone();
        for e in &committed {
            self.apply_entry(i, e);
            if !self.servers[i].is_up() {
                break; // removed from the cluster: it stops
            }
        }
        for rs in &rd.read_states {
            if let Some(r) = self.servers[i].w.reads.get_mut(&rs.request_ctx) {
                r.index = Some(rs.index);
            }
        }
        for ev in &rd.events {
            self.trace.push(
                self.now,
                TraceKind::Raft {
                    member: i,
                    what: super::trace::raft_event(ev),
                },
            );
        }
        self.servers[i].raft.advance(rd);
    }

    /// A change of role or leader: the new leader's lessor takes over
    /// expiry (full TTLs again), reads waiting for a read index fail with
    /// `leader changed`, transfers to the new leader are done.
    fn on_soft_state(&mut self, i: usize, ss: raft::SoftState) {
        let now = self.now;
        let leader = ss.role == raft::Role::Leader;
        if leader {
            let term = self.servers[i].term();
            let id = self.servers[i].id;
            if let Some(a) = &mut self.audit {
                a.leaders.entry(term).or_default().insert(id);
            }
        }
        let n = &mut self.servers[i];
        n.set_primary(leader, now);
        // etcd tells waiting reads of a leader appearing (also the same one
        // again after none), not of losing one
        let new_leader = ss.leader != raft::NONE && ss.leader != n.last_leader;
        n.last_leader = ss.leader;
        n.leader_changes_seen += u64::from(new_leader);
        if leader && new_leader {
            n.lead_elected_at = Some(now);
        }
        let failed: Vec<u64> =
            n.w.reads
                .iter()
                .filter(|(_, r)| new_leader && r.index.is_none())
                .map(|(c, _)| *c)
                .collect();
        for ctx in failed {
            if let Some(r) = n.w.reads.remove(&ctx) {
                self.outcomes.push(Outcome::Reply(
                    r.ticket,
                    Err(crate::errors::EtcdError::LeaderChanged),
                ));
            }
        }
        let n = &mut self.servers[i];
        let done: Vec<u64> =
            n.w.transfers
                .iter()
                .filter(|(_, t)| *t == ss.leader)
                .map(|(t, _)| *t)
                .collect();
        n.w.transfers.retain(|(_, t)| *t != ss.leader);
        for ticket in done {
            self.reply(i, ticket, Ok(Response::MoveLeader(Default::default())));
        }
    }

    /// Applies one committed entry on member `i`.
    fn apply_entry(&mut self, i: usize, e: &Entry<InternalRaftRequest>) {
        let now = self.now;
        let applied = self.servers[i].applied_index();
        if e.index > applied {
            if let Some(a) = &mut self.audit {
                if let Some(log) = a.applied.get_mut(i) {
                    log.push((e.index, super::entry_digest(e)));
                }
            }
        }
        match &e.payload {
            Payload::Empty => self.servers[i].note_applied(e.index),
            Payload::Normal(req) => {
                if e.index <= applied {
                    return; // applied before a restart
                }
                let hdr = self.header(i);
                let reply = self.servers[i].apply(e.index, req, now, hdr);
                self.trace.push(
                    now,
                    TraceKind::Apply {
                        member: i,
                        index: e.index,
                        what: super::log_view::describe(e),
                    },
                );
                let Some(ticket) = self.servers[i].w.proposals.remove(&req.id) else {
                    return;
                };
                let ticket = *ticket;
                // etcd's Authenticate starts over if the auth store changed
                // since it checked the password
                if let Some(auth) = self.servers[i].w.authentications.remove(&req.id) {
                    let (a, checked) = *auth;
                    if reply.is_ok() && self.servers[i].auth().revision() != checked {
                        return self.authenticate(i, ticket, &a);
                    }
                }
                self.reply(i, ticket, reply);
            }
            Payload::ConfChange(cc) => {
                let Some(ctx) = self.conf_change_context(cc) else {
                    self.servers[i].note_applied(e.index);
                    return;
                };
                if e.index <= applied {
                    // delivered again after a restart: Raft's configuration
                    // must follow what the server accepted then
                    if self.servers[i].conf_change_accepted(e.index) {
                        let _ = self.servers[i].raft.apply_conf_change(cc);
                    }
                    return;
                }
                let reply = match self.servers[i].validate_conf_change(&ctx.change) {
                    Ok(()) => {
                        let _ = self.servers[i].raft.apply_conf_change(cc);
                        self.servers[i].apply_conf_change(e.index, &ctx.change)
                    }
                    Err(err) => {
                        self.servers[i].note_applied(e.index);
                        Err(err)
                    }
                };
                self.trace.push(
                    now,
                    TraceKind::Apply {
                        member: i,
                        index: e.index,
                        what: super::trace::conf_change(&ctx.change),
                    },
                );
                if let Some(ticket) = self.servers[i].w.proposals.remove(&ctx.request_id) {
                    self.reply(i, *ticket, reply);
                }
                if let ConfChange::Remove(id) = ctx.change {
                    if id == self.servers[i].id && self.servers[i].membership().is_removed(id) {
                        // a removed member shuts down
                        for ticket in self.servers[i].w.take_waiting() {
                            self.outcomes.push(Outcome::Refused(ticket));
                        }
                        self.servers[i].removed = true;
                        self.outcomes.push(Outcome::MemberDown(i));
                        for lost in self.network.drop_member(i) {
                            self.lost(lost.from, &lost.msg);
                        }
                    }
                }
            }
        }
    }

    /// The membership change a conf change entry carries. Bootstrap
    /// entries carry none: their member comes from the initial roster.
    fn conf_change_context(&self, cc: &raft::ConfChange) -> Option<ConfChangeContext> {
        if cc.context.is_empty() && cc.change_type == ConfChangeType::AddNode {
            let m: Member = (**self.roster.get(&cc.node_id)?).clone();
            // the client URLs come later, when the member publishes them
            let m = Member {
                client_urls: Vec::new(),
                ..m
            };
            return Some(ConfChangeContext {
                request_id: 0,
                change: ConfChange::Add(m),
            });
        }
        ConfChangeContext::decode(&cc.context)
    }

    /// etcd's snapshot trigger: every `snapshot_count` applied entries the
    /// member snapshots its state and Raft compacts the log up to it.
    fn maybe_snapshot(&mut self, i: usize) {
        let n = &mut self.servers[i];
        let applied = n.applied_index();
        let snap = n.raft.storage().snapshot_metadata().index;
        if self.snapshot_count > 0
            && applied >= snap + self.snapshot_count
            && applied <= n.raft.status().applied
        {
            let data = n.state_snapshot();
            if n.raft.compact(applied, data).is_ok() {
                self.trace.push(
                    self.now,
                    TraceKind::Raft {
                        member: i,
                        what: format!("snapshot and compact at {applied}"),
                    },
                );
            }
        }
    }

    /// Serves linearizable reads whose read index member `i` has applied.
    fn serve_reads(&mut self, i: usize) {
        let applied = self.servers[i].applied_index();
        let ready: Vec<u64> = self.servers[i]
            .w
            .reads
            .iter()
            .filter(|(_, r)| r.index.is_some_and(|x| x <= applied))
            .map(|(c, _)| *c)
            .collect();
        for ctx in ready {
            let Some(r) = self.servers[i].w.reads.remove(&ctx) else {
                continue;
            };
            if let Request::Auth(AuthRequest::Authenticate(a)) = &r.request {
                self.authenticate(i, r.ticket, a);
                continue;
            }
            let view = self.raft_view(i);
            let server = &mut self.servers[i];
            let reply = server
                .authorize(&r.request, r.token.as_deref(), self.now)
                .and_then(|ai| server.read_as(&r.request, &ai, self.now, view));
            self.reply(i, r.ticket, reply);
        }
    }

    /// etcd's start-up duties once a leader is known: every member
    /// publishes its name and client URLs through Raft; the leader sets the
    /// cluster version once every member has.
    fn maybe_publish(&mut self, i: usize) {
        let n = &self.servers[i];
        if !n.is_up() || n.leader_id() == raft::NONE {
            return;
        }
        if !n.published {
            let id = n.id;
            let index = i;
            let (client, _) = super::member_urls(index);
            let name = self
                .roster
                .get(&id)
                .map(|m| m.name.clone())
                .unwrap_or_else(|| format!("m{index}"));
            let req = Request::MemberAttrSet {
                id,
                name,
                client_urls: vec![client],
            };
            let n = &mut self.servers[i];
            if let Ok(p) = n.new_proposal(req, Default::default()) {
                if n.raft.propose(p).is_ok() {
                    n.published = true;
                }
            }
            return;
        }
        if n.is_leader()
            && n.cluster_version().is_none()
            && n.applied_index() >= n.raft.hard_state().commit
        {
            let all_published = n.membership().members().iter().all(|m| !m.name.is_empty());
            let pending = n.raft.status().log.last_index > n.raft.hard_state().commit;
            if all_published && !pending {
                let req = Request::ClusterVersionSet {
                    version: "3.5.0".into(),
                };
                let n = &mut self.servers[i];
                if let Ok(p) = n.new_proposal(req, Default::default()) {
                    let _ = n.raft.propose(p);
                }
            }
        }
    }
}
