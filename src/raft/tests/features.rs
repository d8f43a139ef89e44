//! etcd-raft's additions to the paper: pre-vote, check-quorum and leader
//! lease, ReadIndex, leadership transfer, learners, conf changes, snapshots
//! and restart (after etcd-io/raft's `raft_test.go`).

use super::network::{config, elect_directly, log_terms, msg, Network, Node};
use crate::raft::{
    ConfChange, ConfChangeType, ConfState, Event, MessageContext, MessageType, Payload, Raft,
    RaftError, ReadState, Role,
};

fn cc(change_type: ConfChangeType, node_id: u64) -> ConfChange {
    ConfChange {
        change_type,
        node_id,
        context: Vec::new(),
    }
}

/// Pre-vote (Raft thesis 9.6): a node that was partitioned away keeps
/// failing pre-votes without raising its term, so when it rejoins the
/// leader is not disturbed.
#[test]
fn prevote_keeps_a_rejoining_partitioned_node_from_disrupting_the_cluster() {
    let mut net = Network::new(&[1, 2, 3], 3);
    net.campaign(1);
    let term = net.term(1);
    net.isolate(3);
    net.tick_all(100);
    assert_eq!(
        net.term(3),
        term,
        "pre-votes failed without raising the term"
    );
    net.heal();
    net.tick_all(20);
    assert_eq!(net.leader(), Some(1));
    assert_eq!(net.term(1), term);
    assert_eq!(net.role(3), Role::Follower);
}

/// The contrast: without pre-vote (and check-quorum) the rejoining node's
/// inflated term forces an election.
#[test]
fn without_prevote_a_rejoining_node_forces_a_new_term() {
    let mut nodes = std::collections::BTreeMap::new();
    for id in [1, 2, 3] {
        let mut c = config(id, 4);
        c.pre_vote = false;
        c.check_quorum = false;
        nodes.insert(id, Raft::new(c, ConfState::with_voters([1, 2, 3])).unwrap());
    }
    let mut net = Network::with_nodes(nodes);
    net.campaign(1);
    let term = net.term(1);
    net.isolate(3);
    net.tick_all(100);
    assert!(net.term(3) > term + 1);
    net.heal();
    net.tick_all(40);
    assert!(net.term(1) > term, "the cluster moved to a higher term");
}

/// Check quorum (Raft thesis 6.2): a leader that has not heard from a
/// quorum within an election timeout steps down.
#[test]
fn check_quorum_makes_an_isolated_leader_step_down() {
    let mut net = Network::new(&[1, 2, 3], 5);
    net.campaign(1);
    net.isolate(1);
    net.tick_all(20);
    assert_ne!(net.role(1), Role::Leader);
    let new_leader = net.leader().expect("the majority elected a leader");
    assert_ne!(new_leader, 1);
}

/// Leader lease (Raft thesis 4.2.3): a follower that heard from its leader
/// within the election timeout ignores vote requests, even of higher term.
#[test]
fn follower_in_leader_lease_ignores_higher_term_votes() {
    let mut net = Network::new(&[1, 2, 3], 6);
    net.campaign(1);
    let term = net.term(2);
    let mut vote = msg(MessageType::Vote, 3, 2, term + 5);
    vote.index = 100;
    vote.log_term = term + 4;
    net.deliver(vote);
    assert_eq!(net.term(2), term);
    net.process_all_ready();
    assert!(net.queue.is_empty(), "no answer at all");
    assert!(net.events[&2]
        .iter()
        .any(|e| matches!(e, Event::VoteIgnoredInLease { .. })));
}

/// ReadIndex (Raft thesis 6.4, etcd's safe read-only mode): the leader
/// answers with its commit index only after a heartbeat round confirms a
/// quorum still follows it.
#[test]
fn read_index_answers_only_after_a_heartbeat_quorum() {
    let mut net = Network::new(&[1, 2, 3], 7);
    net.campaign(1);
    net.propose(1, 1).unwrap();
    let commit = net.commit(1);
    net.isolate(1);
    net.node_mut(1).read_index(42).unwrap();
    net.stabilize();
    net.tick_all(3);
    assert!(
        net.reads.get(&1).is_none_or(|r| r.is_empty()),
        "no quorum yet"
    );
    net.heal();
    net.tick_all(1); // the next heartbeat carries the pending request
    assert_eq!(
        net.reads[&1],
        vec![ReadState {
            index: commit,
            request_ctx: 42
        }]
    );
}

/// A follower forwards ReadIndex to the leader and gets the leader's commit
/// index back.
#[test]
fn follower_read_index_is_served_by_the_leader() {
    let mut net = Network::new(&[1, 2, 3], 8);
    net.campaign(1);
    net.propose(1, 1).unwrap();
    net.node_mut(2).read_index(9).unwrap();
    net.stabilize();
    assert_eq!(
        net.reads[&2],
        vec![ReadState {
            index: net.commit(1),
            request_ctx: 9
        }]
    );
}

/// A leader that has not committed an entry of its term does not know the
/// cluster's commit index yet, so it holds read requests until it does.
#[test]
fn new_leader_delays_read_index_until_it_commits_in_its_term() {
    let mut n: Node = Raft::new(config(1, 0), ConfState::with_voters([1, 2, 3])).unwrap();
    elect_directly(&mut n);
    let term = n.hard_state().term;
    n.read_index(5).unwrap();
    let rd = n.ready();
    assert!(
        rd.messages.is_empty(),
        "no heartbeat round before the commit"
    );
    n.advance(rd);

    let mut ack = msg(MessageType::AppResp, 2, 1, term);
    ack.index = 1;
    n.step(ack).unwrap();
    assert_eq!(n.hard_state().commit, 1);
    let rd = n.ready();
    let hb = rd
        .messages
        .iter()
        .find(|m| m.msg_type == MessageType::Heartbeat && m.to == 2);
    assert_eq!(hb.map(|m| m.context), Some(MessageContext::Read(5)));
    n.advance(rd);
    let mut hb_resp = msg(MessageType::HeartbeatResp, 2, 1, term);
    hb_resp.context = MessageContext::Read(5);
    n.step(hb_resp).unwrap();
    assert_eq!(
        n.ready().read_states,
        vec![ReadState {
            index: 1,
            request_ctx: 5
        }]
    );
}

/// Leadership transfer (Raft thesis 3.10): the leader brings the transferee
/// up to date, then tells it to campaign at once (no pre-vote, lease
/// overridden).
#[test]
fn leadership_transfer_hands_over_to_an_up_to_date_transferee() {
    let mut net = Network::new(&[1, 2, 3], 9);
    net.campaign(1);
    net.isolate(3);
    net.propose(1, 1).unwrap();
    net.heal();
    let term = net.term(1);
    net.node_mut(1).transfer_leader(3).unwrap();
    net.stabilize();
    assert_eq!(net.leader(), Some(3));
    assert_eq!(net.term(3), term + 1);
    assert_eq!(net.commands(3), vec![1]);
}

/// A follower forwards the transfer request to the leader.
#[test]
fn transfer_requested_on_a_follower_is_forwarded_to_the_leader() {
    let mut net = Network::new(&[1, 2, 3], 10);
    net.campaign(1);
    net.node_mut(2).transfer_leader(2).unwrap();
    net.stabilize();
    assert_eq!(net.leader(), Some(2));
}

/// While a transfer is under way proposals are dropped; a transfer that
/// does not finish within an election timeout is abandoned.
#[test]
fn transfer_drops_proposals_and_aborts_after_an_election_timeout() {
    let mut net = Network::new(&[1, 2, 3], 11);
    net.campaign(1);
    net.isolate(3);
    net.propose(1, 1).unwrap();
    net.node_mut(1).transfer_leader(3).unwrap();
    net.stabilize();
    assert_eq!(net.node(1).status().lead_transferee, 3);
    assert_eq!(net.propose(1, 2), Err(RaftError::ProposalDropped));
    net.tick_all(10);
    assert_eq!(net.leader(), Some(1));
    assert_eq!(net.node(1).status().lead_transferee, 0);
    assert_eq!(net.propose(1, 3), Ok(()));
}

/// Followers forward proposals to the leader; without a leader a proposal
/// is dropped with etcd's error.
#[test]
fn proposals_are_forwarded_to_the_leader_or_dropped_without_one() {
    let mut net = Network::new(&[1, 2, 3], 12);
    assert_eq!(net.propose(2, 1), Err(RaftError::ProposalDropped));
    assert_eq!(
        RaftError::ProposalDropped.to_string(),
        "raft proposal dropped"
    );
    net.campaign(1);
    net.propose(2, 5).unwrap();
    for id in [1, 2, 3] {
        assert_eq!(net.commands(id), vec![5]);
    }
}

fn learner_net(seed: u64) -> Network {
    let conf = ConfState {
        voters: [1, 2].into(),
        learners: [3].into(),
    };
    let nodes = [1, 2, 3]
        .into_iter()
        .map(|id| (id, Raft::new(config(id, seed), conf.clone()).unwrap()))
        .collect();
    Network::with_nodes(nodes)
}

/// Learners receive the log but never vote, never campaign and never count
/// toward a commit quorum.
#[test]
fn learner_is_replicated_to_but_neither_votes_nor_counts() {
    let mut net = learner_net(13);
    net.campaign(1);
    net.propose(1, 1).unwrap();
    assert_eq!(
        net.commands(3),
        vec![1],
        "the learner applies what is committed"
    );

    net.isolate(2);
    net.propose(1, 2).unwrap();
    assert_eq!(net.commit(1), 2, "leader + learner is no quorum");
    assert_eq!(
        net.node(3).log_entries().len(),
        3,
        "but the learner has the entry"
    );

    net.heal();
    net.isolate(1);
    net.tick_all(50);
    assert_ne!(net.role(3), Role::Leader);
    assert!(!net.events[&3]
        .iter()
        .any(|e| matches!(e, Event::BecamePreCandidate { .. })));
}

/// Promoting a learner is an AddNode on it; afterwards it votes.
#[test]
fn add_node_promotes_a_learner_to_voter() {
    let mut net = learner_net(14);
    net.campaign(1);
    net.node_mut(1)
        .propose_conf_change(cc(ConfChangeType::AddNode, 3))
        .unwrap();
    net.stabilize();
    for id in [1, 2, 3] {
        assert_eq!(
            net.node(id).status().conf_state,
            ConfState::with_voters([1, 2, 3])
        );
    }
    // Now 1 and 3 form a quorum without 2.
    net.isolate(2);
    net.propose(1, 4).unwrap();
    assert_eq!(net.commands(3), vec![4]);
}

/// A member joins through a conf change, catches up from the log (etcd's
/// bootstrap entries included) and then counts toward the quorum.
#[test]
fn conf_change_adds_a_member_that_catches_up() {
    let mut net = Network::bootstrap(&[1, 2, 3], 15);
    net.campaign(1);
    net.propose(1, 1).unwrap();
    let joiner: Node = Raft::new(config(4, 15), ConfState::default()).unwrap();
    net.nodes.insert(4, joiner);
    net.applied.insert(4, Vec::new());
    net.node_mut(1)
        .propose_conf_change(cc(ConfChangeType::AddNode, 4))
        .unwrap();
    net.stabilize();
    net.tick_all(2);
    assert_eq!(log_terms(net.node(4)), log_terms(net.node(1)));
    assert_eq!(
        net.node(4).status().conf_state,
        ConfState::with_voters([1, 2, 3, 4])
    );
    assert_eq!(net.commands(4), vec![1]);
}

/// etcd's pendingConfIndex: while a conf change is not applied, a second
/// one is turned into an empty entry.
#[test]
fn only_one_conf_change_is_pending_at_a_time() {
    let mut net = Network::bootstrap(&[1, 2, 3], 16);
    net.campaign(1);
    let leader = net.node_mut(1);
    leader
        .propose_conf_change(cc(ConfChangeType::RemoveNode, 3))
        .unwrap();
    leader
        .propose_conf_change(cc(ConfChangeType::RemoveNode, 2))
        .unwrap();
    let last = leader.status().log.last_index;
    assert_eq!(
        leader.log_entries().last().map(|e| &e.payload),
        Some(&Payload::Empty)
    );
    net.stabilize();
    assert!(net.events[&1].contains(&Event::ConfChangeRefused { index: last }));
    assert_eq!(
        net.node(1).status().conf_state,
        ConfState::with_voters([1, 2])
    );
    // Once applied, the next change is accepted.
    net.node_mut(1)
        .propose_conf_change(cc(ConfChangeType::RemoveNode, 2))
        .unwrap();
    net.stabilize();
    assert_eq!(net.node(1).status().conf_state, ConfState::with_voters([1]));
}

/// A leader that removes itself steps down; the remaining voters elect a
/// leader among themselves.
#[test]
fn removed_leader_steps_down_and_the_rest_elect_a_leader() {
    let mut net = Network::bootstrap(&[1, 2, 3], 17);
    net.campaign(1);
    net.node_mut(1)
        .propose_conf_change(cc(ConfChangeType::RemoveNode, 1))
        .unwrap();
    net.stabilize();
    assert_ne!(net.role(1), Role::Leader);
    net.tick_all(30);
    let leader = net.leader().expect("a new leader");
    assert!(leader == 2 || leader == 3);
    assert_eq!(
        net.node(leader).status().conf_state,
        ConfState::with_voters([2, 3])
    );
    net.propose(leader, 9).unwrap();
    assert_eq!(net.commands(2), vec![9]);
    assert_eq!(net.commands(3), vec![9]);
}

/// Applying a change that would leave no voter is refused.
#[test]
fn conf_change_removing_the_last_voter_is_refused() {
    let mut n: Node = Raft::new(config(1, 0), ConfState::with_voters([1])).unwrap();
    let err = n.apply_conf_change(&cc(ConfChangeType::RemoveNode, 1));
    assert_eq!(err, Err(RaftError::InvalidConfChange("removed all voters")));
    assert_eq!(n.status().conf_state, ConfState::with_voters([1]));
}

/// Raft paper 7: a follower whose next entries were compacted away gets
/// the snapshot, restores it, and ordinary replication resumes.
#[test]
fn lagging_follower_gets_a_snapshot_after_compaction_and_catches_up() {
    let mut net = Network::new(&[1, 2, 3], 18);
    net.campaign(1);
    net.isolate(3);
    for v in 1..=10 {
        net.propose(1, v).unwrap();
    }
    let applied = net.node(1).status().applied;
    let state = net.applied[&1].clone();
    net.node_mut(1).compact(applied, state).unwrap();
    let log = net.node(1).status().log;
    assert_eq!(log.first_index, applied + 1);
    // the snapshot ends at the last compacted entry, of the leader's term
    let term = net.node(1).hard_state().term;
    assert_eq!((log.snapshot_index, log.snapshot_term), (applied, term));
    net.heal();
    net.tick_all(3);
    assert!(net.events[&3]
        .iter()
        .any(|e| matches!(e, Event::SnapshotRestored { .. })));
    assert_eq!(net.commands(3), (1..=10).collect::<Vec<_>>());
    net.propose(1, 11).unwrap();
    assert_eq!(net.commands(3), (1..=11).collect::<Vec<_>>());
    assert_eq!(net.node(3).storage().snapshot_metadata().index, applied);
}

/// Crash and restart: term, vote, log and commit come back from the
/// durable state; the node rejoins and applies the log again.
#[test]
fn restart_from_durable_state_keeps_term_vote_log_and_commit() {
    let mut net = Network::new(&[1, 2, 3], 19);
    net.campaign(1);
    net.propose(1, 1).unwrap();
    net.propose(1, 2).unwrap();
    let before = net.node(2).hard_state();
    let log_before = net.node(2).log_entries().to_vec();
    net.crash(2);
    net.restart(2, 19);
    assert_eq!(net.node(2).hard_state(), before);
    assert_eq!(net.node(2).log_entries(), &log_before[..]);
    assert_eq!(net.role(2), Role::Follower);
    net.tick_all(2);
    assert_eq!(net.commands(2), vec![1, 2]);
}

/// What the caller never acknowledged with `advance` is not durable.
#[test]
fn state_not_advanced_is_lost_in_a_crash() {
    let mut n: Node = Raft::new(config(1, 0), ConfState::with_voters([1])).unwrap();
    n.campaign().unwrap();
    n.propose(1).unwrap();
    assert_eq!(n.hard_state().term, 1);
    let storage = n.storage().clone();
    let n2: Node = Raft::restart(config(1, 0), storage).unwrap();
    assert_eq!(n2.hard_state().term, 0);
    assert!(n2.log_entries().is_empty());
}

/// The whole cluster restarts; committed commands survive and are applied
/// again after a new election.
#[test]
fn whole_cluster_restart_preserves_committed_entries() {
    let mut net = Network::new(&[1, 2, 3], 20);
    net.campaign(1);
    for v in 1..=3 {
        net.propose(1, v).unwrap();
    }
    let state = net.applied[&1].clone();
    net.node_mut(1).compact(2, state[..2].to_vec()).unwrap();
    for id in [1, 2, 3] {
        net.crash(id);
    }
    for id in [1, 2, 3] {
        net.restart(id, 21);
    }
    net.tick_all(30);
    let leader = net.leader().expect("a leader after restart");
    net.propose(leader, 4).unwrap();
    for id in [1, 2, 3] {
        assert_eq!(net.commands(id), vec![1, 2, 3, 4], "node {id}");
    }
}

/// etcd's bootstrap: n conf change entries at term 1, then the first leader
/// (term 2) appends its empty entry at n + 1.
#[test]
fn bootstrap_layout_matches_etcd() {
    let mut net = Network::bootstrap(&[1, 2, 3], 22);
    net.process_all_ready();
    assert_eq!(net.node(1).status().applied, 3);
    assert_eq!(net.commit(1), 3);
    net.campaign(1);
    assert_eq!(net.term(1), 2);
    let last = net.node(1).log_entries().last().cloned().unwrap();
    assert_eq!(
        (last.index, last.term, last.payload),
        (4, 2, Payload::Empty)
    );
    assert_eq!(net.commit(2), 4);
}

/// Messages from peers can be stale, duplicated or nonsense: the node
/// ignores or rejects them and never panics.
#[test]
fn malformed_and_random_messages_never_panic() {
    use crate::raft::rand::SplitMix64;
    let types = [
        MessageType::Prop,
        MessageType::App,
        MessageType::AppResp,
        MessageType::Vote,
        MessageType::VoteResp,
        MessageType::Snap,
        MessageType::Heartbeat,
        MessageType::HeartbeatResp,
        MessageType::TransferLeader,
        MessageType::TimeoutNow,
        MessageType::ReadIndex,
        MessageType::ReadIndexResp,
        MessageType::PreVote,
        MessageType::PreVoteResp,
        MessageType::Hup,
    ];
    let mut rng = SplitMix64::new(99);
    for round in 0..200 {
        let mut net = Network::new(&[1, 2, 3], round);
        if round % 2 == 0 {
            net.campaign(1);
            net.propose(1, 1).unwrap();
        }
        for _ in 0..50 {
            let small = |rng: &mut SplitMix64| match rng.below(4) {
                0 => u64::MAX - rng.below(2),
                _ => rng.below(6),
            };
            let t = types[rng.below(types.len() as u64) as usize];
            let mut m = msg(t, 1 + rng.below(4), 1 + rng.below(3), small(&mut rng));
            m.index = small(&mut rng);
            m.log_term = small(&mut rng);
            m.commit = small(&mut rng);
            m.reject = rng.below(2) == 0;
            m.reject_hint = small(&mut rng);
            m.context = match rng.below(3) {
                0 => MessageContext::Read(rng.below(3)),
                1 => MessageContext::CampaignTransfer,
                _ => MessageContext::None,
            };
            for _ in 0..rng.below(3) {
                let payload = if rng.below(2) == 0 {
                    Payload::Normal(7)
                } else {
                    Payload::ConfChange(cc(ConfChangeType::RemoveNode, rng.below(4)))
                };
                m.entries.push(crate::raft::Entry {
                    term: small(&mut rng),
                    index: small(&mut rng),
                    payload,
                });
            }
            if t == MessageType::Snap && rng.below(2) == 0 {
                m.snapshot = Some(Box::new(crate::raft::Snapshot {
                    metadata: crate::raft::SnapshotMetadata {
                        index: small(&mut rng),
                        term: small(&mut rng),
                        conf_state: ConfState::with_voters([1, 2, 3]),
                    },
                    data: Vec::new(),
                }));
            }
            net.deliver(m);
            net.process_all_ready();
            net.queue.clear();
            if rng.below(4) == 0 {
                let id = 1 + rng.below(3);
                net.tick(id);
            }
        }
    }
}
