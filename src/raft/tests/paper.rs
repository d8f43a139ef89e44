//! The rules of the Raft paper (Ongaro and Ousterhout, 2014), one test per
//! rule, after etcd-io/raft's `raft_paper_test.go`.

use super::network::{elect_directly, log_terms, msg, node_with_log, Network, Node};
use crate::raft::{ConfState, Config, HardState, MessageType, Payload, Raft, Role, NONE};

fn three(cfg: impl Fn(&mut Config)) -> Node {
    let mut c = super::network::config(1, 0);
    cfg(&mut c);
    Raft::new(c, ConfState::with_voters([1, 2, 3])).unwrap()
}

/// §5.1: "If a server receives a request with a higher term, it updates its
/// current term and reverts to follower", whatever its role.
#[test]
fn follower_candidate_and_leader_update_term_from_higher_term_message() {
    let mut follower = three(|_| {});
    let mut candidate = three(|c| c.pre_vote = false);
    candidate.campaign().unwrap();
    assert_eq!(candidate.soft_state().role, Role::Candidate);
    let mut leader = three(|_| {});
    elect_directly(&mut leader);

    for n in [&mut follower, &mut candidate, &mut leader] {
        n.step(msg(MessageType::App, 2, 1, 5)).unwrap();
        assert_eq!(n.hard_state().term, 5);
        assert_eq!(n.soft_state().role, Role::Follower);
        assert_eq!(n.soft_state().leader, 2);
    }
}

/// §5.1: a request with a stale term is rejected; with check-quorum the
/// stale leader is told our term (etcd answers with an empty AppResp).
#[test]
fn node_rejects_stale_term_append_and_tells_the_sender_its_term() {
    let mut n = node_with_log(
        1,
        &[1, 2, 3],
        &[1],
        HardState {
            term: 3,
            vote: 0,
            commit: 1,
        },
    );
    let mut app = msg(MessageType::App, 2, 1, 2);
    app.index = 1;
    app.log_term = 1;
    app.entries.push(crate::raft::Entry {
        term: 2,
        index: 2,
        payload: Payload::Normal(9),
    });
    n.step(app).unwrap();
    assert_eq!(
        n.log_entries().len(),
        1,
        "stale append must not touch the log"
    );
    let rd = n.ready();
    assert_eq!(rd.messages.len(), 1);
    assert_eq!(rd.messages[0].msg_type, MessageType::AppResp);
    assert_eq!(rd.messages[0].term, 3);

    // A stale vote request is simply ignored.
    n.advance(rd);
    n.step(msg(MessageType::Vote, 2, 1, 2)).unwrap();
    assert!(n.ready().messages.is_empty());
}

/// §5.2: "If AppendEntries RPC received from new leader: convert to
/// follower" — a candidate that hears from a leader of its own term.
#[test]
fn candidate_steps_down_on_append_from_leader_of_its_term() {
    let mut n = three(|c| c.pre_vote = false);
    n.campaign().unwrap();
    let term = n.hard_state().term;
    n.step(msg(MessageType::App, 2, 1, term)).unwrap();
    assert_eq!(n.soft_state().role, Role::Follower);
    assert_eq!(n.soft_state().leader, 2);
    assert_eq!(n.hard_state().term, term);
}

/// §5.2: "Each server will vote for at most one candidate in a given term,
/// on a first-come-first-served basis."
#[test]
fn node_votes_at_most_once_per_term() {
    let mut n = three(|_| {});
    let granted = |n: &mut Node, from: u64| {
        let rd = n.ready();
        let resp = rd.messages.iter().find(|m| m.to == from).cloned();
        n.advance(rd);
        resp.map(|m| !m.reject)
    };
    n.step(msg(MessageType::Vote, 2, 1, 1)).unwrap();
    assert_eq!(granted(&mut n, 2), Some(true));
    assert_eq!(n.hard_state().vote, 2);
    n.step(msg(MessageType::Vote, 3, 1, 1)).unwrap();
    assert_eq!(granted(&mut n, 3), Some(false));
    // Repeating the vote for the same candidate is fine.
    n.step(msg(MessageType::Vote, 2, 1, 1)).unwrap();
    assert_eq!(granted(&mut n, 2), Some(true));
}

/// §5.4.1: "the voter denies its vote if its own log is more up-to-date
/// than that of the candidate" (compare last terms, then lengths).
#[test]
fn voter_rejects_candidate_with_less_up_to_date_log() {
    // The voter's log: index 1 at term 1, index 2 at term 2.
    for (log_term, index, want_grant) in [
        (1, 5, false),
        (2, 1, false),
        (2, 2, true),
        (2, 3, true),
        (3, 1, true),
    ] {
        let mut n = node_with_log(
            1,
            &[1, 2, 3],
            &[1, 2],
            HardState {
                term: 2,
                vote: 0,
                commit: 0,
            },
        );
        let mut vote = msg(MessageType::Vote, 2, 1, 3);
        vote.log_term = log_term;
        vote.index = index;
        n.step(vote).unwrap();
        let rd = n.ready();
        let resp = &rd.messages[0];
        assert_eq!(resp.msg_type, MessageType::VoteResp);
        assert_eq!(
            !resp.reject, want_grant,
            "candidate last (term {log_term}, index {index})"
        );
    }
}

/// §8: a new leader appends an empty entry of its term and commits it,
/// which also tells it the commit index of the whole cluster.
#[test]
fn leader_appends_empty_entry_and_commits_it() {
    let mut net = Network::new(&[1, 2, 3], 1);
    net.campaign(1);
    assert_eq!(net.leader(), Some(1));
    let entries = net.node(1).log_entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].payload, Payload::Empty);
    assert_eq!(entries[0].term, net.term(1));
    for id in [1, 2, 3] {
        assert_eq!(net.commit(id), 1, "node {id}");
    }
}

/// §5.3: an entry is committed once the leader replicated it on a majority;
/// followers learn the commit index from later appends and heartbeats.
#[test]
fn leader_commits_entry_replicated_on_a_majority() {
    let mut net = Network::new(&[1, 2, 3, 4, 5], 2);
    net.campaign(1);
    net.isolate(4);
    net.isolate(5);
    net.propose(1, 7).unwrap();
    assert_eq!(net.commit(1), 2, "3 of 5 hold it: committed");
    assert_eq!(net.commands(2), vec![7]);
    net.isolate(3);
    net.propose(1, 8).unwrap();
    assert_eq!(net.commit(1), 2, "2 of 5 hold it: not committed");
    net.heal();
    net.tick_all(1);
    for id in 1..=5 {
        assert_eq!(net.commands(id), vec![7, 8], "node {id}");
    }
}

/// §5.4.2 (Figure 8): a leader never commits an entry from an earlier term
/// by counting replicas; it commits it only together with one of its own.
#[test]
fn leader_does_not_commit_entries_of_older_terms_by_counting_replicas() {
    // Index 2 was appended at term 2 by a leader that failed before
    // committing it.
    let mut n = node_with_log(
        1,
        &[1, 2, 3],
        &[1, 2],
        HardState {
            term: 3,
            vote: 0,
            commit: 1,
        },
    );
    elect_directly(&mut n);
    let term = n.hard_state().term;
    assert_eq!(log_terms(&n), vec![1, 2, term]);

    let mut ack = msg(MessageType::AppResp, 2, 1, term);
    ack.index = 2;
    n.step(ack).unwrap();
    assert_eq!(
        n.hard_state().commit,
        1,
        "index 2 is on a majority but of term 2"
    );

    let mut ack = msg(MessageType::AppResp, 2, 1, term);
    ack.index = 3;
    n.step(ack).unwrap();
    assert_eq!(
        n.hard_state().commit,
        3,
        "the current-term entry commits both"
    );
}

/// §5.3 log matching: a follower deletes a conflicting uncommitted tail and
/// takes the leader's entries; afterwards all logs are identical.
#[test]
fn follower_overwrites_conflicting_tail_and_logs_match() {
    let hs = |term| HardState {
        term,
        vote: 0,
        commit: 1,
    };
    let mut nodes = std::collections::BTreeMap::new();
    nodes.insert(1, node_with_log(1, &[1, 2, 3], &[1, 2, 2], hs(2)));
    nodes.insert(2, node_with_log(2, &[1, 2, 3], &[1, 1, 1, 1], hs(1)));
    nodes.insert(3, node_with_log(3, &[1, 2, 3], &[1], hs(1)));
    let mut net = Network::with_nodes(nodes);
    net.campaign(1);
    assert_eq!(net.leader(), Some(1));
    let want = log_terms(net.node(1));
    assert_eq!(want, vec![1, 2, 2, 3]);
    for id in [2, 3] {
        assert_eq!(log_terms(net.node(id)), want, "node {id}");
        assert_eq!(net.commit(id), 4);
    }
}

/// §5.3 optimisation (etcd's findConflictByTerm): a rejection carries the
/// follower's term at its hint and the leader skips whole terms, so a long
/// divergent tail costs one probe per term, not one per entry.
#[test]
fn rejection_hint_backtracks_a_term_at_a_time() {
    let hs = |term| HardState {
        term,
        vote: 0,
        commit: 1,
    };
    let mut nodes = std::collections::BTreeMap::new();
    nodes.insert(
        1,
        node_with_log(1, &[1, 2], &[1, 3, 3, 3, 5, 5, 5, 5, 5], hs(5)),
    );
    nodes.insert(2, node_with_log(2, &[1, 2], &[1, 1, 1, 1, 2, 2], hs(2)));
    let mut net = Network::with_nodes(nodes);
    let _ = net.node_mut(1).campaign();
    let mut rejections = 0;
    for _ in 0..100 {
        net.process_all_ready();
        let Some(m) = net.queue.pop_front() else {
            break;
        };
        if m.msg_type == MessageType::AppResp && m.reject {
            rejections += 1;
        }
        net.deliver(m);
    }
    assert_eq!(net.leader(), Some(1));
    assert_eq!(log_terms(net.node(2)), log_terms(net.node(1)));
    // Linear probing would take 8 rejections here.
    assert!(rejections <= 2, "{rejections} rejections");
}

/// §5.2: a follower that hears nothing for an election timeout starts an
/// election; the randomized timeout lies in [election_tick, 2*election_tick).
#[test]
fn follower_campaigns_after_randomized_election_timeout() {
    for seed in 0..20 {
        let mut c = super::network::config(1, seed);
        c.pre_vote = false;
        let mut n: Node = Raft::new(c, ConfState::with_voters([1, 2, 3])).unwrap();
        let mut ticks = 0;
        while n.soft_state().role == Role::Follower {
            n.tick();
            ticks += 1;
        }
        assert!((10..20).contains(&ticks), "seed {seed}: {ticks} ticks");
        assert_eq!(n.hard_state().vote, 1, "votes for itself");
        assert_eq!(n.soft_state().leader, NONE);
    }
}

/// Figure 3, log matching / state machine safety: committed entries are
/// never overwritten, even by an append that claims otherwise (etcd panics
/// on such a message; a peer must not be able to crash or corrupt us).
#[test]
fn append_that_would_overwrite_a_committed_entry_is_ignored() {
    let mut n = node_with_log(
        1,
        &[1, 2, 3],
        &[1, 1, 1],
        HardState {
            term: 1,
            vote: 0,
            commit: 3,
        },
    );
    let mut app = msg(MessageType::App, 2, 1, 2);
    app.index = 1;
    app.log_term = 1;
    app.commit = 3;
    for (i, term) in [(2, 2), (3, 2)] {
        app.entries.push(crate::raft::Entry {
            term,
            index: i,
            payload: Payload::Normal(i),
        });
    }
    n.step(app).unwrap();
    assert_eq!(log_terms(&n), vec![1, 1, 1]);
    assert_eq!(n.hard_state().commit, 3);
}
