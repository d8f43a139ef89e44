//! A node read back from its checkpoint is the node: the same bytes again,
//! and the same behaviour from then on.

use std::collections::BTreeMap;

use crate::checkpoint::{from_bytes, to_bytes};
use crate::raft::tests::network::{Network, Node};
use crate::raft::{ConfChange, ConfChangeType, MessageType};

/// Every node of `net` through its checkpoint, the bytes checked to be the
/// same when written again.
fn reloaded(net: &Network) -> Network {
    let nodes: BTreeMap<u64, Node> = net
        .nodes
        .iter()
        .map(|(&id, n)| {
            let bytes = to_bytes(n);
            let back: Node = from_bytes(&bytes).expect("a node reads back");
            assert_eq!(to_bytes(&back), bytes, "node {id} re-encodes alike");
            assert_eq!(format!("{back:?}"), format!("{n:?}"));
            (id, back)
        })
        .collect();
    let mut copy = Network::with_nodes(nodes);
    copy.applied = net.applied.clone();
    copy.queue = net
        .queue
        .iter()
        .map(|m| from_bytes(&to_bytes(m)).expect("a message reads back"))
        .collect();
    copy.cut = net.cut.clone();
    copy.reads = net.reads.clone();
    copy.events = net.events.clone();
    copy.leaders = net.leaders.clone();
    copy
}

/// Runs the same steps on a network and on its reloaded copy.
fn run_on(net: &mut Network) {
    net.heal();
    net.tick_all(3);
    let leader = net.leader().expect("a leader");
    for v in 100..110 {
        let _ = net.propose(leader, v);
    }
    let _ = net.node_mut(leader).read_index(42);
    net.tick_all(25);
    net.stabilize();
}

fn same(a: &Network, b: &Network) {
    assert_eq!(format!("{:?}", a.nodes), format!("{:?}", b.nodes));
    assert_eq!(a.applied, b.applied);
    assert_eq!(a.reads, b.reads);
    assert_eq!(a.events, b.events);
}

#[test]
fn a_node_read_back_from_its_checkpoint_goes_on_as_the_saved_one() {
    let mut net = Network::bootstrap(&[1, 2, 3], 7);
    net.campaign(1);
    for v in 1..=20 {
        net.propose(1, v).expect("leader accepts");
    }
    // 2 compacts its log into a snapshot of what it applied.
    let applied = net.applied[&2].clone();
    let last = applied.last().map_or(0, |&(i, _, _)| i);
    net.node_mut(2).compact(last, applied).expect("compacts");
    // 3 falls behind, the leader compacts past it: a snapshot must go out.
    net.isolate(3);
    for v in 21..=30 {
        net.propose(1, v).expect("leader accepts");
    }
    let applied = net.applied[&1].clone();
    let last = applied.last().map_or(0, |&(i, _, _)| i);
    net.node_mut(1).compact(last, applied).expect("compacts");
    net.heal();
    // Mid-flight: an unstable proposal, a conf change, a read, messages
    // queued and ticks counted, nothing delivered yet.
    net.node_mut(1).propose(31).expect("leader accepts");
    let cc = ConfChange {
        change_type: ConfChangeType::AddLearnerNode,
        node_id: 4,
        context: b"peer".to_vec(),
    };
    net.node_mut(1)
        .propose_conf_change(cc)
        .expect("leader accepts");
    net.node_mut(1).read_index(7).expect("leader reads");
    for id in [1, 2, 3] {
        net.tick(id);
        net.process_ready(id);
    }
    net.process_ready(1);
    assert!(!net.queue.is_empty());

    let mut copy = reloaded(&net);
    same(&net, &copy);
    run_on(&mut net);
    run_on(&mut copy);
    same(&net, &copy);
    assert!(net.commands(3).contains(&109), "3 caught up by a snapshot");
}

#[test]
fn a_message_carrying_a_snapshot_reads_back() {
    let mut net = Network::bootstrap(&[1, 2], 3);
    net.campaign(1);
    net.propose(1, 5).expect("leader accepts");
    let applied = net.applied[&1].clone();
    net.node_mut(1)
        .compact(applied.len() as u64, applied)
        .expect("compacts");
    let mut m = crate::raft::tests::network::msg(MessageType::Snap, 1, 2, 2);
    m.snapshot = net.node(1).storage().snapshot().map(Box::new);
    assert!(m.snapshot.is_some());
    let bytes = to_bytes(&m);
    assert_eq!(
        from_bytes::<crate::raft::tests::network::Msg>(&bytes),
        Ok(m)
    );
}
