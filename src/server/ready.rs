//! Handling what the Raft node produces (its `Ready`, as etcd's `raftNode`
//! and `applyAll` do): handing its messages to the world, applying
//! committed entries and snapshots, answering the clients waiting for them,
//! serving linearizable reads, what follows a change of leader, snapshots
//! of the state with log compaction, and publishing the member's attributes
//! and the cluster version.

use super::env::Env;
use super::output::{entry_digest, Answer, EntryKind, Event, Output};
use super::{
    EtcdServer, InternalRaftRequest, RaftEntry, RaftMessage, Request, Response, SnapshotData,
};
use crate::auth::AuthRequest;
use crate::membership::{ConfChange, ConfChangeContext};
use crate::pb::Member;
use crate::raft::{self, ConfChangeType, Payload, Ready};
use std::rc::Rc;

impl EtcdServer {
    /// Handles every `Ready` the Raft node has, then what may go on after
    /// them: reads whose index is applied, requests waiting for a token's
    /// index or for a leader, publishing. Whether there was a `Ready`.
    pub fn run(&mut self, env: &mut Env) -> bool {
        let mut any = false;
        while self.is_up() && self.raft.has_ready() {
            any = true;
            let rd = self.raft.ready();
            self.handle_ready(env, rd);
            self.maybe_snapshot();
        }
        self.serve_reads(env);
        self.release_token_waits(env);
        self.release_waiting(env);
        self.maybe_publish();
        any | self.run_services(env)
    }

    fn handle_ready(
        &mut self,
        env: &mut Env,
        mut rd: Ready<Rc<InternalRaftRequest>, SnapshotData>,
    ) {
        // the transitions happened as the node stepped, before what follows
        // from them (its messages, commits, applies) in the trace
        for ev in std::mem::take(&mut rd.events) {
            self.event(Event::Raft(ev));
        }
        if let Some(ss) = rd.soft_state {
            self.on_soft_state(env.now, ss);
        }
        for mut m in std::mem::take(&mut rd.messages) {
            if m.msg_type == raft::MessageType::Snap {
                self.merge_snapshot(&mut m);
            }
            self.push(Output::Message(Box::new(m)));
        }
        if let Some(snap) = &mut rd.snapshot {
            // the state goes into the server; Raft storage keeps only where
            // the log starts (see `SnapshotData`)
            let data = snap.data.take();
            if let Some(data) = data.filter(|_| snap.metadata.index > self.applied_index()) {
                let hdr = self.header();
                self.restore(&data, hdr);
                let (index, term) = (snap.metadata.index, snap.metadata.term);
                self.event(Event::ApplySnapshot { index, term });
            }
        }
        for e in &rd.committed_entries {
            self.apply_entry(env, e);
            if !self.is_up() {
                break; // removed from the cluster: it stops
            }
        }
        for rs in &rd.read_states {
            if let Some(r) = self.w.reads.get_mut(&rs.request_ctx) {
                r.index = Some(rs.index);
            }
        }
        self.raft.advance(rd);
    }

    /// etcd's `createMergedSnapshotMessage`: a snapshot goes out as this
    /// member's state at its applied index, with the configuration as of
    /// then, not as the last snapshot it took, whose configuration lacks a
    /// member added since (a learner that must catch up from it would
    /// ignore it, not being in it). The stored snapshot holds no state (see
    /// `SnapshotData`): its index is at most the applied one, since a
    /// member compacts at its applied index and applies a received snapshot
    /// before Raft stores it.
    fn merge_snapshot(&self, m: &mut RaftMessage) {
        let Some(snap) = m.snapshot.as_mut() else {
            return;
        };
        let applied = self.applied_index();
        let st = self.raft.status();
        let term = if applied == st.log.snapshot_index {
            Some(st.log.snapshot_term)
        } else {
            let entries = self.raft.log_entries();
            entries.iter().find(|e| e.index == applied).map(|e| e.term)
        };
        if let Some(term) = term.filter(|_| applied > snap.metadata.index) {
            snap.metadata = raft::SnapshotMetadata {
                index: applied,
                term,
                conf_state: st.conf_state,
            };
        }
        snap.data = Some(Box::new(self.state_snapshot()));
    }

    /// A change of role or leader: the new leader's lessor takes over
    /// expiry (full TTLs again), reads waiting for a read index fail with
    /// `leader changed`, transfers to the new leader are done.
    fn on_soft_state(&mut self, now: u64, ss: raft::SoftState) {
        let leader = ss.role == raft::Role::Leader;
        self.set_primary(leader, now);
        // etcd tells waiting reads of a leader appearing (also the same one
        // again after none), not of losing one
        let new_leader = ss.leader != raft::NONE && ss.leader != self.last_leader;
        self.last_leader = ss.leader;
        self.leader_changes_seen += u64::from(new_leader);
        if leader && new_leader {
            self.lead_elected_at = Some(now);
        }
        let failed: Vec<u64> = self
            .w
            .reads
            .iter()
            .filter(|(_, r)| new_leader && r.index.is_none())
            .map(|(c, _)| *c)
            .collect();
        for ctx in failed {
            if let Some(r) = self.w.reads.remove(&ctx) {
                self.answer(Answer::Reply(
                    r.ticket,
                    Err(crate::errors::EtcdError::LeaderChanged),
                ));
            }
        }
        let done: Vec<u64> = self
            .w
            .transfers
            .iter()
            .filter(|(_, t)| *t == ss.leader)
            .map(|(t, _)| *t)
            .collect();
        self.w.transfers.retain(|(_, t)| *t != ss.leader);
        for ticket in done {
            self.reply(ticket, Ok(Response::MoveLeader(Default::default())));
        }
    }

    /// Applies one committed entry.
    fn apply_entry(&mut self, env: &mut Env, e: &RaftEntry) {
        let now = env.now;
        let applied = self.applied_index();
        if e.index > applied {
            self.event(Event::Applied {
                index: e.index,
                digest: entry_digest(e),
            });
        }
        match &e.payload {
            Payload::Empty => {
                self.note_applied(e.index);
                if e.index > applied {
                    self.applied_event(e, None);
                }
            }
            Payload::Normal(req) => {
                if e.index <= applied {
                    return; // applied before a restart
                }
                let hdr = self.header();
                let revision = self.kv().current_revision();
                let reply = self.apply(e.index, req, now, hdr);
                let after = self.kv().current_revision();
                self.applied_event(e, (after != revision).then_some(after));
                let Some(ticket) = self.w.proposals.remove(&req.id) else {
                    return;
                };
                let ticket = *ticket;
                // etcd's Authenticate starts over if the auth store changed
                // since it checked the password
                if let Some(auth) = self.w.authentications.remove(&req.id) {
                    let (a, checked) = *auth;
                    if reply.is_ok() && self.auth().revision() != checked {
                        return self.authenticate(env, ticket, &a);
                    }
                }
                self.reply(ticket, reply);
            }
            Payload::ConfChange(cc) => {
                let Some(ctx) = self.conf_change_context(cc) else {
                    self.note_applied(e.index);
                    if e.index > applied {
                        self.applied_event(e, None);
                    }
                    return;
                };
                if e.index <= applied {
                    // delivered again after a restart: Raft's configuration
                    // must follow what the server accepted then
                    if self.conf_change_accepted(e.index) {
                        let _ = self.raft.apply_conf_change(cc);
                    }
                    return;
                }
                let reply = match self.validate_conf_change(&ctx.change) {
                    Ok(()) => {
                        let _ = self.raft.apply_conf_change(cc);
                        self.apply_conf_change(e.index, &ctx.change)
                    }
                    Err(err) => {
                        self.note_applied(e.index);
                        Err(err)
                    }
                };
                self.applied_event(e, None);
                if let Some(ticket) = self.w.proposals.remove(&ctx.request_id) {
                    self.reply(*ticket, reply);
                }
                if let ConfChange::Remove(id) = ctx.change {
                    if id == self.id && self.membership().is_removed(id) {
                        self.stop();
                    }
                }
            }
        }
    }

    /// Tells the world that `e` was applied, which moved the store to
    /// `revision` if it is given.
    fn applied_event(&mut self, e: &RaftEntry, revision: Option<i64>) {
        self.event(Event::Apply {
            index: e.index,
            term: e.term,
            entry: EntryKind::of(e),
            revision,
        });
    }

    /// Removed from the cluster, the member shuts down: its clients'
    /// connections are gone.
    fn stop(&mut self) {
        for ticket in self.take_clients() {
            self.answer(Answer::Refused(ticket));
        }
        self.removed = true;
        self.push(Output::Stopped);
    }

    /// The membership change a conf change entry carries. Bootstrap
    /// entries carry none: their member comes from the initial cluster.
    fn conf_change_context(&self, cc: &raft::ConfChange) -> Option<ConfChangeContext> {
        if cc.context.is_empty() && cc.change_type == ConfChangeType::AddNode {
            let m = self
                .cfg
                .initial_cluster
                .iter()
                .find(|m| m.id == cc.node_id)?;
            // the client URLs come later, when the member publishes them
            let m = Member {
                client_urls: Vec::new(),
                ..m.clone()
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
    fn maybe_snapshot(&mut self) {
        let applied = self.applied_index();
        let snap = self.raft.storage().snapshot_metadata().index;
        let count = self.cfg.snapshot_count;
        if count > 0 && applied >= snap + count && applied <= self.raft.status().applied {
            // the state stays in the server alone (see `SnapshotData`)
            if self.raft.compact(applied, None).is_ok() {
                self.event(Event::Compacted { index: applied });
            }
        }
    }

    /// Serves linearizable reads whose read index this member has applied.
    fn serve_reads(&mut self, env: &mut Env) {
        let applied = self.applied_index();
        let ready: Vec<u64> = self
            .w
            .reads
            .iter()
            .filter(|(_, r)| r.index.is_some_and(|x| x <= applied))
            .map(|(c, _)| *c)
            .collect();
        for ctx in ready {
            let Some(r) = self.w.reads.remove(&ctx) else {
                continue;
            };
            if let Request::Auth(AuthRequest::Authenticate(a)) = &r.request {
                self.authenticate(env, r.ticket, a);
                continue;
            }
            let view = self.raft_view();
            let reply = self
                .authorize(&r.request, r.token.as_deref(), env.now)
                .and_then(|ai| self.read_as(&r.request, &ai, env.now, view));
            self.reply(r.ticket, reply);
        }
    }

    /// etcd's start-up duties once a leader is known: the member publishes
    /// its name and client URLs through Raft; the leader sets the cluster
    /// version once every member has.
    fn maybe_publish(&mut self) {
        if !self.is_up() || self.leader_id() == raft::NONE {
            return;
        }
        if !self.published {
            let req = Request::MemberAttrSet {
                id: self.id,
                name: self.cfg.name.clone(),
                client_urls: self.cfg.client_urls.clone(),
            };
            if let Ok(p) = self.new_proposal(req, Default::default()) {
                if self.raft.propose(p.into()).is_ok() {
                    self.published = true;
                }
            }
            return;
        }
        if self.is_leader()
            && self.cluster_version().is_none()
            && self.applied_index() >= self.raft.hard_state().commit
        {
            let all_published = self
                .membership()
                .members()
                .iter()
                .all(|m| !m.name.is_empty());
            let pending = self.raft.status().log.last_index > self.raft.hard_state().commit;
            if all_published && !pending {
                let req = Request::ClusterVersionSet {
                    version: "3.5.0".into(),
                };
                if let Ok(p) = self.new_proposal(req, Default::default()) {
                    let _ = self.raft.propose(p.into());
                }
            }
        }
    }
}
