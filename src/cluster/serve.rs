//! How the world calls a member's server and handles what it produced.
//! Each call lends the server the time, its view of the transport
//! (`transport`) and the world's random draws; what the server
//! produced ([`EtcdServer::drain`]) is handled at once, in order: Raft
//! messages go into the network, answers to the clients, forwards to the
//! leader's server (whose answer comes back to the member), events into
//! the trace and the safety audit.

use super::transport::PeerView;
use super::{trace, Answer, Cluster, Msg, Outcome, Rng};
use crate::server::{ClientInput, EntryKind, Env, EtcdServer, Event, Forward, Output};
use trace::{DropReason, TraceKind};

impl Cluster {
    /// Lets every member handle its Raft node's `Ready`s (and what follows
    /// them) until none has anything left.
    pub(super) fn process_readies(&mut self) {
        loop {
            let mut any = false;
            for i in 0..self.servers.len() {
                any |= self.serve(i, |s, env| s.run(env)).unwrap_or(false);
            }
            if !any {
                return;
            }
        }
    }

    /// Watch messages go out after everything else a settle produced (etcd's
    /// watch streams send on their own goroutines); those of lock and
    /// election calls went back to them.
    pub(super) fn collect_watch_messages(&mut self) {
        for s in &mut self.servers {
            for (ticket, resp) in s.watch_messages() {
                let watch = Answer::Watch(ticket, resp);
                self.outcomes.push(Outcome::Answer(watch));
            }
        }
    }

    /// Calls member `i`'s server with what the world lends it for the call
    /// (the time, its view of the transport, random draws), then handles
    /// what it produced.
    pub(super) fn serve<R>(
        &mut self,
        i: usize,
        f: impl FnOnce(&mut EtcdServer, &mut Env) -> R,
    ) -> Option<R> {
        let r = self.call(i, f)?;
        self.dispatch(i);
        Some(r)
    }

    /// Calls member `i`'s server with what the world lends it.
    fn call<R>(&mut self, i: usize, f: impl FnOnce(&mut EtcdServer, &mut Env) -> R) -> Option<R> {
        let now = self.now;
        let (server, peers, draw) = self.lend(i)?;
        let mut env = Env {
            now,
            peers: &peers,
            draw,
        };
        Some(f(server, &mut env))
    }

    /// Member `i`'s server, its view of the transport, and the world's
    /// random draws. (Not inlined: one copy for every kind of call keeps
    /// the wasm small.)
    #[inline(never)]
    fn lend(&mut self, i: usize) -> Option<(&mut EtcdServer, PeerView<'_>, &mut Rng)> {
        let at = i.min(self.servers.len());
        let (before, rest) = self.servers.split_at_mut(at);
        let (server, after) = rest.split_first_mut()?;
        let peers = PeerView {
            index: i,
            before,
            after,
            network: &self.network,
            links: &self.links,
            healed_at: self.healed_at,
        };
        Some((server, peers, &mut self.token_rng))
    }

    /// Handles what member `i`'s server produced, in order (answers of
    /// forwards come back to it and are handled in turn).
    fn dispatch(&mut self, i: usize) {
        loop {
            let Some(out) = self.servers.get_mut(i).map(EtcdServer::drain) else {
                return;
            };
            if out.is_empty() {
                return;
            }
            for o in out {
                let outcome = match o {
                    Output::Message(m) => {
                        self.send(i, *m);
                        continue;
                    }
                    Output::Forward { to, forward } => {
                        self.forward(i, to, forward);
                        continue;
                    }
                    Output::Event(e) => {
                        self.record(i, e);
                        continue;
                    }
                    Output::Stopped => {
                        for lost in self.network.drop_member(i) {
                            self.lost(&lost, DropReason::Removed);
                        }
                        Outcome::MemberDown(i)
                    }
                    Output::Answer(a) => Outcome::Answer(a),
                    Output::NoLeader => Outcome::NoLeader(i),
                };
                self.outcomes.push(outcome);
            }
        }
    }

    /// Carries a request from member `i` to the leader `to` and its answer
    /// back (at once: the peer link was up when `i` let it go).
    fn forward(&mut self, i: usize, to: u64, forward: Forward) {
        let Some(l) = self.node_of(to) else {
            return;
        };
        if let Some(answer) = self.call(l, |s, env| s.serve_forward(env, forward)) {
            self.call(i, |s, env| s.forwarded(env, answer));
        }
    }

    /// Sends a Raft message of member `from` into the network.
    fn send(&mut self, from: usize, m: Msg) {
        let Some(to) = self.node_of(m.to) else {
            // a member added to the configuration without a process
            return;
        };
        // written before the send moves the message (and before a drop)
        let id = self.network.next_id();
        self.trace.push(self.now, TraceKind::send(id, from, to, &m));
        if let Err((lost, reason)) = self.network.send(self.now, from, to, m) {
            self.lost(&lost, reason);
        }
    }

    /// Records what happened on member `i`: in the trace, and in the audit
    /// when one is kept.
    fn record(&mut self, i: usize, event: Event) {
        let now = self.now;
        let kind = match event {
            Event::Request { name, ticket } => TraceKind::Request {
                member: i,
                request: name,
                ticket,
            },
            Event::Raft(ev) => {
                if let (crate::raft::Event::BecameLeader { term }, Some(a)) = (&ev, &mut self.audit)
                {
                    let id = self.servers.get(i).map_or(0, |s| s.id);
                    a.leaders.entry(*term).or_default().insert(id);
                }
                let event = ev.map_nodes(|id| self.node_of(id));
                TraceKind::Raft { member: i, event }
            }
            Event::Applied { index, digest } => {
                if let Some(log) = self.audit.as_mut().and_then(|a| a.applied.get_mut(i)) {
                    log.push((index, digest));
                }
                return;
            }
            Event::Apply {
                index,
                term,
                entry,
                revision,
            } => TraceKind::Apply {
                member: i,
                index,
                term,
                entry: match entry {
                    EntryKind::Empty => trace::EntryKind::Empty,
                    EntryKind::Request(name) => trace::EntryKind::Request(name),
                    EntryKind::ConfChange { change, node_id } => trace::EntryKind::ConfChange {
                        change,
                        node: self.node_of(node_id),
                        node_id,
                    },
                },
                revision,
            },
            Event::ApplySnapshot { index, term } => TraceKind::ApplySnapshot {
                member: i,
                index,
                term,
            },
            Event::Compacted { index } => TraceKind::Snapshot { member: i, index },
        };
        self.trace.push(now, kind);
    }

    /// A client's input, for the member it is addressed to; a member that
    /// is down refuses the connection.
    pub(super) fn handle(&mut self, member: usize, input: ClientInput) {
        if self.is_serving(member) || input.reaches_a_down_member() {
            self.serve(member, |s, env| s.input(env, input));
        } else if !matches!(input, ClientInput::Service { .. }) {
            // (a lock or election call the gateway refused when its
            // member went down)
            let refused = Answer::Refused(input.ticket());
            self.outcomes.push(Outcome::Answer(refused));
        }
    }
}
