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
use crate::raft;

/// etcd's `maxNoLeaderCnt`.
pub const MAX_NO_LEADER_CHECKS: u32 = 3;

/// A call as the interceptors see it.
pub enum Call<'a> {
    /// A unary call and its request (`None`: one the simulator does not
    /// serve, which no learner serves either).
    Unary(Option<&'a Request>),
    /// A stream; of these a learner serves only `Snapshot`.
    Stream { snapshot: bool },
}

impl EtcdServer {
    /// `newUnaryInterceptor` / `newStreamInterceptor`: the learner check,
    /// then the leader check for a call that asked for a leader (etcd's
    /// leader monitor then watches such a stream).
    pub fn intercept(&self, call: Call, require_leader: bool) -> Result<(), EtcdError> {
        if self.is_learner() && !served_by_learner(&call) {
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
/// `Snapshot`.
fn served_by_learner(call: &Call) -> bool {
    match call {
        Call::Unary(Some(Request::Status(_))) => true,
        Call::Unary(Some(Request::Range(r))) => r.serializable,
        Call::Unary(_) => false,
        Call::Stream { snapshot } => *snapshot,
    }
}
