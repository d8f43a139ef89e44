//! A small in-test world: nodes, a message queue the test controls, and a
//! state machine per node that records every applied entry.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::raft::{
    ConfState, Config, Entry, Event, HardState, Message, MessageType, Payload, Raft, ReadState,
    Role, Storage,
};

/// Commands are numbers; a snapshot is the whole applied history.
pub type Node = Raft<u64, Applied>;
pub type Msg = Message<u64, Applied>;
/// `(index, term, command)` of every applied entry, `None` for entries that
/// carry no command.
pub type Applied = Vec<(u64, u64, Option<u64>)>;

pub fn config(id: u64, seed: u64) -> Config {
    let mut c = Config::new(id);
    c.seed = seed.wrapping_mul(1000).wrapping_add(id);
    c
}

/// A node restarted from a hand-made durable state: `terms[i]` is the term
/// of entry `i + 1`.
pub fn node_with_log(id: u64, voters: &[u64], terms: &[u64], hs: HardState) -> Node {
    let mut storage: Storage<u64, Applied> =
        Storage::new(ConfState::with_voters(voters.iter().copied()));
    let entries: Vec<Entry<u64>> = terms
        .iter()
        .enumerate()
        .map(|(i, &term)| Entry {
            term,
            index: i as u64 + 1,
            payload: Payload::Empty,
        })
        .collect();
    storage.append(&entries);
    storage.set_hard_state(hs);
    Raft::restart(config(id, 0), storage).expect("valid config")
}

pub struct Network {
    pub nodes: BTreeMap<u64, Node>,
    pub applied: BTreeMap<u64, Applied>,
    pub reads: BTreeMap<u64, Vec<ReadState>>,
    pub events: BTreeMap<u64, Vec<Event>>,
    pub queue: VecDeque<Msg>,
    /// Directed links that drop everything.
    pub cut: BTreeSet<(u64, u64)>,
    /// Message types dropped everywhere.
    pub ignored: BTreeSet<MessageType>,
    /// Crashed nodes: their durable state, waiting for a restart.
    pub down: BTreeMap<u64, Storage<u64, Applied>>,
    /// Every (term, leader) ever observed, for election safety.
    pub leaders: BTreeMap<u64, BTreeSet<u64>>,
}

impl Network {
    pub fn new(ids: &[u64], seed: u64) -> Self {
        let nodes = ids
            .iter()
            .map(|&id| {
                let n = Raft::new(
                    config(id, seed),
                    ConfState::with_voters(ids.iter().copied()),
                );
                (id, n.expect("valid config"))
            })
            .collect();
        Network::with_nodes(nodes)
    }

    pub fn with_nodes(nodes: BTreeMap<u64, Node>) -> Self {
        Network {
            applied: nodes.keys().map(|&id| (id, Vec::new())).collect(),
            nodes,
            reads: BTreeMap::new(),
            events: BTreeMap::new(),
            queue: VecDeque::new(),
            cut: BTreeSet::new(),
            ignored: BTreeSet::new(),
            down: BTreeMap::new(),
            leaders: BTreeMap::new(),
        }
    }

    pub fn node(&self, id: u64) -> &Node {
        &self.nodes[&id]
    }

    pub fn node_mut(&mut self, id: u64) -> &mut Node {
        self.nodes.get_mut(&id).expect("node exists")
    }

    /// Handles one node's Ready like an etcd server would: persist (the node
    /// does it on advance), queue messages, apply snapshot and entries.
    pub fn process_ready(&mut self, id: u64) {
        let Some(node) = self.nodes.get_mut(&id) else {
            return;
        };
        if !node.has_ready() {
            return;
        }
        let rd = node.ready();
        let sm = self.applied.entry(id).or_default();
        if let Some(snap) = &rd.snapshot {
            *sm = snap.data.clone();
        }
        for e in &rd.committed_entries {
            let data = match &e.payload {
                Payload::Normal(v) => Some(*v),
                Payload::ConfChange(cc) => {
                    let _ = node.apply_conf_change(cc);
                    None
                }
                Payload::Empty => None,
            };
            sm.push((e.index, e.term, data));
        }
        self.reads
            .entry(id)
            .or_default()
            .extend(rd.read_states.iter().copied());
        self.events
            .entry(id)
            .or_default()
            .extend(rd.events.iter().cloned());
        self.queue.extend(rd.messages.iter().cloned());
        node.advance(rd);
        let st = node.soft_state();
        if st.role == Role::Leader {
            self.leaders
                .entry(node.hard_state().term)
                .or_default()
                .insert(id);
        }
    }

    pub fn process_all_ready(&mut self) {
        let ids: Vec<u64> = self.nodes.keys().copied().collect();
        for id in ids {
            self.process_ready(id);
        }
    }

    pub fn can_deliver(&self, m: &Msg) -> bool {
        self.nodes.contains_key(&m.to)
            && !self.cut.contains(&(m.from, m.to))
            && !self.ignored.contains(&m.msg_type)
    }

    /// Delivers `m` unless its link is cut. Like etcd's transport, tells
    /// the sender of a snapshot whether it arrived (without that report a
    /// leader keeps the follower paused in snapshot state).
    pub fn deliver(&mut self, m: Msg) {
        if !self.can_deliver(&m) {
            self.lose(m);
            return;
        }
        let (from, to, snap) = (m.from, m.to, m.msg_type == MessageType::Snap);
        let _ = self.node_mut(to).step(m);
        if snap {
            if let Some(n) = self.nodes.get_mut(&from) {
                n.report_snapshot(to, true);
            }
        }
    }

    /// The network loses `m`.
    pub fn lose(&mut self, m: Msg) {
        if m.msg_type == MessageType::Snap {
            if let Some(n) = self.nodes.get_mut(&m.from) {
                n.report_snapshot(m.to, false);
            }
        }
    }

    /// Delivers until no node has anything left to say.
    pub fn stabilize(&mut self) {
        for _ in 0..10_000 {
            self.process_all_ready();
            if self.queue.is_empty() {
                return;
            }
            while let Some(m) = self.queue.pop_front() {
                self.deliver(m);
            }
        }
        panic!("network did not stabilize");
    }

    pub fn tick(&mut self, id: u64) {
        if let Some(n) = self.nodes.get_mut(&id) {
            n.tick();
        }
    }

    /// Ticks every live node `n` times, stabilizing after each tick.
    pub fn tick_all(&mut self, n: usize) {
        for _ in 0..n {
            let ids: Vec<u64> = self.nodes.keys().copied().collect();
            for id in ids {
                self.tick(id);
            }
            self.stabilize();
        }
    }

    /// Campaigns once everything committed is applied (a node with an
    /// unapplied conf change refuses to campaign, as in etcd).
    pub fn campaign(&mut self, id: u64) {
        self.process_all_ready();
        let _ = self.node_mut(id).campaign();
        self.stabilize();
    }

    pub fn propose(&mut self, id: u64, v: u64) -> Result<(), crate::raft::RaftError> {
        let r = self.node_mut(id).propose(v);
        self.stabilize();
        r
    }

    pub fn isolate(&mut self, id: u64) {
        let ids: Vec<u64> = self
            .nodes
            .keys()
            .copied()
            .chain(self.down.keys().copied())
            .collect();
        for other in ids {
            if other != id {
                self.cut.insert((id, other));
                self.cut.insert((other, id));
            }
        }
    }

    pub fn heal(&mut self) {
        self.cut.clear();
        self.ignored.clear();
    }

    pub fn crash(&mut self, id: u64) {
        if let Some(n) = self.nodes.remove(&id) {
            self.down.insert(id, n.storage().clone());
            self.applied.insert(id, Vec::new());
        }
    }

    pub fn restart(&mut self, id: u64, seed: u64) {
        if let Some(storage) = self.down.remove(&id) {
            let n = Raft::restart(config(id, seed), storage).expect("valid config");
            self.nodes.insert(id, n);
        }
    }

    pub fn leader(&self) -> Option<u64> {
        self.nodes
            .values()
            .filter(|n| n.soft_state().role == Role::Leader)
            .max_by_key(|n| n.hard_state().term)
            .map(|n| n.id())
    }

    pub fn role(&self, id: u64) -> Role {
        self.node(id).soft_state().role
    }

    pub fn term(&self, id: u64) -> u64 {
        self.node(id).hard_state().term
    }

    pub fn commit(&self, id: u64) -> u64 {
        self.node(id).hard_state().commit
    }

    /// Commands applied by `id`, in order.
    pub fn commands(&self, id: u64) -> Vec<u64> {
        self.applied[&id]
            .iter()
            .filter_map(|&(_, _, d)| d)
            .collect()
    }
}

impl Network {
    /// A cluster bootstrapped as etcd does (conf change entries 1..=n).
    pub fn bootstrap(ids: &[u64], seed: u64) -> Self {
        let nodes = ids
            .iter()
            .map(|&id| {
                (
                    id,
                    Raft::bootstrap(config(id, seed), ids).expect("valid config"),
                )
            })
            .collect();
        Network::with_nodes(nodes)
    }
}

pub fn msg(msg_type: MessageType, from: u64, to: u64, term: u64) -> Msg {
    Message::new(msg_type, from, to, term)
}

/// Makes a standalone node leader by answering its (pre-)vote requests
/// with grants from every peer.
pub fn elect_directly(n: &mut Node) {
    let _ = n.campaign();
    for _ in 0..4 {
        if n.soft_state().role == Role::Leader {
            break;
        }
        let rd = n.ready();
        let requests: Vec<Msg> = rd.messages.clone();
        n.advance(rd);
        for m in requests {
            let resp_type = match m.msg_type {
                MessageType::PreVote => MessageType::PreVoteResp,
                MessageType::Vote => MessageType::VoteResp,
                _ => continue,
            };
            let _ = n.step(msg(resp_type, m.to, m.from, m.term));
        }
    }
    assert_eq!(n.soft_state().role, Role::Leader);
    let rd = n.ready();
    n.advance(rd);
}

/// The terms of a node's in-memory log, first entry first.
pub fn log_terms(n: &Node) -> Vec<u64> {
    n.log_entries().iter().map(|e| e.term).collect()
}
