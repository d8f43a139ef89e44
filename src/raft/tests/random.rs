//! Seeded randomized simulation (in the spirit of TigerBeetle's VOPR):
//! random delays, reordering, drops, partitions, crashes and proposals,
//! with Raft's safety properties (paper Figure 3) checked throughout and
//! liveness checked once the faults stop. A failure names its seed.

use std::collections::BTreeMap;

use super::network::{Network, Node};
use crate::raft::rand::SplitMix64;
use crate::raft::{Event, Role};

/// Everything known to be committed: index -> (entry term, command, the
/// term of the leader that committed it, at the latest).
type Committed = BTreeMap<u64, (u64, Option<u64>, u64)>;

struct Sim {
    net: Network,
    rng: SplitMix64,
    seed: u64,
    ids: Vec<u64>,
    committed: Committed,
    /// Snapshots restored by followers, to show the run exercised them.
    snapshots: usize,
    next_command: u64,
    /// Per node: how much of its applied history was already recorded.
    seen: BTreeMap<u64, usize>,
    steps: u64,
}

impl Sim {
    fn new(n: u64, seed: u64) -> Self {
        let ids: Vec<u64> = (1..=n).collect();
        Sim {
            net: Network::new(&ids, seed),
            rng: SplitMix64::new(seed ^ 0x5EED),
            seed,
            ids,
            committed: BTreeMap::new(),
            snapshots: 0,
            next_command: 1,
            seen: BTreeMap::new(),
            steps: 0,
        }
    }

    fn pick(&mut self) -> u64 {
        self.ids[self.rng.below(self.ids.len() as u64) as usize]
    }

    fn step(&mut self) {
        match self.rng.below(100) {
            // Deliver a random queued message: arbitrary delay and order.
            0..=49 => {
                for _ in 0..1 + self.rng.below(4) {
                    if self.net.queue.is_empty() {
                        break;
                    }
                    let i = self.rng.below(self.net.queue.len() as u64) as usize;
                    let Some(m) = self.net.queue.remove(i) else {
                        break;
                    };
                    if self.rng.below(10) == 0 {
                        self.net.lose(m);
                        continue;
                    }
                    if self.rng.below(20) == 0 {
                        self.net.queue.push_back(m.clone()); // duplicated
                    }
                    self.net.deliver(m);
                }
            }
            50..=74 => {
                let id = self.pick();
                self.net.tick(id);
            }
            75..=84 => {
                let id = self.pick();
                let v = self.next_command;
                self.next_command += 1;
                if let Some(n) = self.net.nodes.get_mut(&id) {
                    let _ = n.propose(v);
                }
            }
            85..=88 => {
                let (a, b) = (self.pick(), self.pick());
                self.net.cut.insert((a, b));
                self.net.cut.insert((b, a));
            }
            89..=90 => {
                let id = self.pick();
                self.net.isolate(id);
            }
            91..=94 => self.net.cut.clear(),
            95 => {
                // At most a minority down at once.
                let id = self.pick();
                if (self.net.down.len() + 1) * 2 < self.ids.len() {
                    self.net.crash(id);
                }
            }
            96..=97 => {
                if let Some(&id) = self.net.down.keys().next() {
                    let seed = self.rng.next_u64();
                    self.net.restart(id, seed);
                }
            }
            _ => {
                let id = self.pick();
                if let Some(n) = self.net.nodes.get(&id) {
                    let st = n.status();
                    // Compact now and then, so snapshots get exercised.
                    if st.applied > st.log.snapshot_index + 5 {
                        let state: Vec<_> = self.net.applied[&id]
                            .iter()
                            .copied()
                            .filter(|e| e.0 <= st.applied)
                            .collect();
                        let _ = self.net.node_mut(id).compact(st.applied, state);
                    }
                }
            }
        }
        self.net.process_all_ready();
        self.record_commits();
        self.steps += 1;
        if self.steps.is_multiple_of(16) {
            self.check();
        }
    }

    fn record_commits(&mut self) {
        for events in std::mem::take(&mut self.net.events).into_values() {
            let restored = events
                .iter()
                .filter(|e| matches!(e, Event::SnapshotRestored { .. }));
            self.snapshots += restored.count();
        }
        for (&id, applied) in &self.net.applied {
            let term_now = self
                .net
                .nodes
                .get(&id)
                .map_or(u64::MAX, |n| n.hard_state().term);
            // Only look at what was applied since the last look (a crash
            // or a snapshot may have replaced the history: start over).
            let seen = self.seen.entry(id).or_insert(0);
            if applied.len() < *seen {
                *seen = 0;
            }
            let from = *seen;
            *seen = applied.len();
            for &(index, term, data) in &applied[from..] {
                match self.committed.get(&index) {
                    Some(&(t, d, _)) => assert_eq!(
                        (t, d),
                        (term, data),
                        "seed {}: state machine safety: node {id} applied a different entry at {index}",
                        self.seed
                    ),
                    None => {
                        self.committed.insert(index, (term, data, term_now));
                    }
                }
            }
        }
    }

    fn check(&self) {
        let seed = self.seed;
        // Election safety: at most one leader per term.
        for (term, leaders) in &self.net.leaders {
            assert!(
                leaders.len() <= 1,
                "seed {seed}: term {term} has leaders {leaders:?}"
            );
        }
        // Log matching: same index and term => identical prefixes.
        let nodes: Vec<&Node> = self.net.nodes.values().collect();
        for (i, a) in nodes.iter().enumerate() {
            for b in &nodes[i + 1..] {
                check_log_matching(seed, a, b);
            }
        }
        // Leader completeness: a leader holds every entry committed in an
        // earlier term (the commit term is bounded above by the term of
        // the first node seen applying it).
        for n in nodes.iter().filter(|n| n.soft_state().role == Role::Leader) {
            let term = n.hard_state().term;
            let first = n.status().log.first_index;
            for (&index, &(entry_term, _, commit_term)) in self.committed.range(first..) {
                if commit_term < term {
                    let have = n
                        .log_entries()
                        .get((index - first) as usize)
                        .map(|e| e.term);
                    assert_eq!(
                        have,
                        Some(entry_term),
                        "seed {seed}: leader {} of term {term} lacks committed entry {index}",
                        n.id()
                    );
                }
            }
        }
    }

    /// Stops the faults and requires the cluster to elect a leader and
    /// commit a new proposal everywhere.
    fn heal_and_check_liveness(&mut self) {
        self.net.heal();
        let down: Vec<u64> = self.net.down.keys().copied().collect();
        for id in down {
            self.net.restart(id, self.seed);
        }
        let v = u64::MAX;
        for _ in 0..200 {
            self.net.tick_all(1);
            if let Some(l) = self.net.leader() {
                if self.net.node_mut(l).propose(v).is_ok() {
                    break;
                }
            }
        }
        self.net.tick_all(5);
        self.record_commits();
        self.check();
        for &id in &self.ids {
            assert!(
                self.net.commands(id).contains(&v),
                "seed {}: node {id} never applied the proposal after healing",
                self.seed
            );
        }
    }
}

fn check_log_matching(seed: u64, a: &Node, b: &Node) {
    let (ea, eb) = (a.log_entries(), b.log_entries());
    let from = a.status().log.first_index.max(b.status().log.first_index);
    let to = a.status().log.last_index.min(b.status().log.last_index);
    let at = |es: &[crate::raft::Entry<u64>], first: u64, i: u64| es[(i - first) as usize].clone();
    let (fa, fb) = (a.status().log.first_index, b.status().log.first_index);
    // Find the highest common index with equal terms; below it all equal.
    let mut matched = false;
    for i in (from..=to).rev() {
        let (x, y) = (at(ea, fa, i), at(eb, fb, i));
        if matched {
            assert_eq!(
                x,
                y,
                "seed {seed}: log matching broken at {i} ({} vs {})",
                a.id(),
                b.id()
            );
        } else if x.term == y.term {
            matched = true;
            assert_eq!(
                x, y,
                "seed {seed}: same index and term, different entry at {i}"
            );
        }
    }
}

/// Runs one seed; returns (terms with a leader, snapshots restored).
fn run(n: u64, seed: u64, steps: usize) -> (usize, usize) {
    let mut sim = Sim::new(n, seed);
    for _ in 0..steps {
        sim.step();
    }
    sim.heal_and_check_liveness();
    (sim.net.leaders.len(), sim.snapshots)
}

#[test]
fn random_faults_three_nodes_keep_raft_safe_and_live() {
    let (mut terms, mut snapshots) = (0, 0);
    for seed in 0..24 {
        let (t, s) = run(3, seed, 3000);
        terms += t;
        snapshots += s;
    }
    // Guard against a vacuous run: the faults forced many elections and
    // the compactions forced snapshots.
    assert!(terms > 48, "{terms} leader terms");
    assert!(snapshots > 0);
}

#[test]
fn random_faults_five_nodes_keep_raft_safe_and_live() {
    let (mut terms, mut snapshots) = (0, 0);
    for seed in 100..124 {
        let (t, s) = run(5, seed, 3000);
        terms += t;
        snapshots += s;
    }
    assert!(terms > 48, "{terms} leader terms");
    assert!(snapshots > 0);
}

/// Election safety alone, under nothing but random partitions and ticks,
/// over many seeds.
#[test]
fn election_safety_holds_under_random_partitions() {
    for seed in 0..50 {
        let mut net = Network::new(&[1, 2, 3, 4, 5], seed);
        let mut rng = SplitMix64::new(seed);
        for _ in 0..60 {
            net.cut.clear();
            for a in 1..=5u64 {
                for b in 1..=5u64 {
                    if a < b && rng.below(3) == 0 {
                        net.cut.insert((a, b));
                        net.cut.insert((b, a));
                    }
                }
            }
            net.tick_all(1 + rng.below(8) as usize);
        }
        for (term, leaders) in &net.leaders {
            assert!(
                leaders.len() <= 1,
                "seed {seed}: term {term} has leaders {leaders:?}"
            );
        }
        assert!(!net.leaders.is_empty(), "seed {seed}: never elected anyone");
    }
}
