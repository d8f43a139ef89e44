//! Pending ReadIndex requests on the leader (etcd's `readOnly`, safe mode;
//! Raft thesis 6.4). A read is served at the commit index the leader had
//! when the request arrived, once a heartbeat round proves that the leader
//! was still the leader at that time.

use crate::boxed_map::BoxedMap;
use std::collections::BTreeSet;

/// A read request waiting for its heartbeat quorum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadIndexStatus {
    /// Who asked: this node (answer locally) or a follower (send it back).
    pub from: u64,
    pub ctx: u64,
    /// The leader's commit index when the request arrived.
    pub index: u64,
    pub acks: BTreeSet<u64>,
}

#[derive(Clone, Debug, Default)]
pub struct ReadOnly {
    pub(super) pending: BoxedMap<u64, ReadIndexStatus>,
    /// Contexts in arrival order; a heartbeat acknowledging one acknowledges
    /// every earlier one too.
    pub(super) queue: Vec<u64>,
}

impl ReadOnly {
    /// Queues a request; a context already pending is ignored, as in etcd.
    pub fn add_request(&mut self, index: u64, from: u64, ctx: u64) {
        if self.pending.contains_key(&ctx) {
            return;
        }
        self.pending.insert(
            ctx,
            Box::new(ReadIndexStatus {
                from,
                ctx,
                index,
                acks: BTreeSet::new(),
            }),
        );
        self.queue.push(ctx);
    }

    /// Records that `id` answered the heartbeat carrying `ctx`; returns who
    /// acknowledged it so far (None if `ctx` is not pending).
    pub fn recv_ack(&mut self, id: u64, ctx: u64) -> Option<&BTreeSet<u64>> {
        let rs = self.pending.get_mut(&ctx)?;
        rs.acks.insert(id);
        Some(&rs.acks)
    }

    /// `ctx` reached a quorum: it and every request queued before it are
    /// ready to be answered.
    pub fn advance(&mut self, ctx: u64) -> Vec<ReadIndexStatus> {
        let Some(pos) = self.queue.iter().position(|&c| c == ctx) else {
            return Vec::new();
        };
        self.queue
            .drain(..=pos)
            .filter_map(|c| self.pending.remove(&c))
            .map(|rs| *rs)
            .collect()
    }

    /// The context heartbeats carry: the newest pending request.
    pub fn last_pending_ctx(&self) -> Option<u64> {
        self.queue.last().copied()
    }
}
