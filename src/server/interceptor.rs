//! etcd's gRPC interceptors (`server/etcdserver/api/v3rpc/interceptor.go`
//! in 3.5.1): what every call meets once gRPC has received its request and
//! before its handler runs. A learner serves only `Status`, serializable
//! `Range` and the `Snapshot` stream; a call carrying the metadata
//! `hasleader: true` is refused while the member knows no leader. And the
//! leader monitor (`monitorLeader`): every election timeout each member
//! checks whether it knows a leader; after `maxNoLeaderCnt` checks in a row
//! without one, it cancels the streams opened with `hasleader`, and again at
//! every later check until a leader is back. The world runs the checks on
//! the ticks that start a new election timeout of virtual time, the same
//! for every member; a crash ends the member's monitor and its count.

use super::output::Output;
use super::{EtcdServer, Request};
use crate::errors::EtcdError;
use crate::pb::{Learner, Rpc};
use crate::raft;

/// etcd's `maxNoLeaderCnt`.
pub const MAX_NO_LEADER_CHECKS: u32 = 3;

impl EtcdServer {
    /// `newUnaryInterceptor` / `newStreamInterceptor` for a call of `rpc`
    /// (with its request, for a unary call the member serves): the learner
    /// check, then the leader check for a call that asked for a leader
    /// (etcd's leader monitor then watches such a stream).
    pub fn intercept(
        &self,
        rpc: Rpc,
        request: Option<&Request>,
        require_leader: bool,
    ) -> Result<(), EtcdError> {
        if self.is_learner() && !served_by_learner(rpc, request) {
            return Err(EtcdError::NotSupportedForLearner);
        }
        if require_leader && self.leader_id() == raft::NONE {
            return Err(EtcdError::NoLeader);
        }
        Ok(())
    }

    /// One check of the leader monitor: after `MAX_NO_LEADER_CHECKS` in a
    /// row without a leader, the streams that asked for one end
    /// ([`Output::NoLeader`]).
    pub fn monitor_leader(&mut self) {
        let count = if self.leader_id() != raft::NONE {
            0
        } else {
            self.no_leader_checks + 1
        };
        self.no_leader_checks = count;
        if count >= MAX_NO_LEADER_CHECKS {
            self.push(Output::NoLeader);
        }
    }
}

/// `isRPCSupportedForLearner`, and the stream interceptor's exception for
/// `Snapshot`, as the RPC table has them.
fn served_by_learner(rpc: Rpc, request: Option<&Request>) -> bool {
    match rpc.learner() {
        Learner::Served => true,
        Learner::Refused => false,
        // only a range has the flag
        Learner::Serializable => matches!(request, Some(Request::Range(r)) if r.serializable),
    }
}
