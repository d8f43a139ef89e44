//! etcd's leader monitor (`monitorLeader`, server/etcdserver/api/v3rpc/
//! interceptor.go): every election timeout each member checks whether it
//! knows a leader. After `maxNoLeaderCnt` checks in a row without one, it
//! cancels the streams opened with `hasleader` metadata, and again at every
//! later check until a leader is back. Here the checks fall on the ticks
//! that start a new election timeout of virtual time, the same for every
//! member; a crash ends the member's monitor and its count.

use super::{Cluster, Outcome, TICK_MS};

/// etcd's election timeout: `ElectionTicks` (10) heartbeats.
pub const ELECTION_MS: u64 = 10 * TICK_MS;

/// etcd's `maxNoLeaderCnt`.
pub const MAX_NO_LEADER_CHECKS: u32 = 3;

#[derive(Clone, Debug, Default)]
pub struct LeaderMonitor {
    /// The last election timeout (virtual time / `ELECTION_MS`) checked.
    checked: u64,
    /// Checks in a row without a leader, by member index (a Vec, not a
    /// map: one map type less in the wasm).
    no_leader: Vec<u32>,
}

impl LeaderMonitor {
    /// Member `i`'s process is gone, and its monitor with it.
    pub fn reset(&mut self, i: usize) {
        if let Some(count) = self.no_leader.get_mut(i) {
            *count = 0;
        }
    }
}

impl Cluster {
    /// Runs the checks of every running member if a new election timeout
    /// has begun (called after each tick).
    pub(super) fn monitor_leaders(&mut self) {
        let period = self.now / ELECTION_MS;
        if period <= self.leader_monitor.checked {
            return;
        }
        self.leader_monitor.checked = period;
        for i in 0..self.nodes.len() {
            if !self.nodes[i].is_up() {
                continue;
            }
            let known = self.has_leader(i);
            let counts = &mut self.leader_monitor.no_leader;
            if counts.len() <= i {
                counts.resize(i + 1, 0);
            }
            let count = if known { 0 } else { counts[i] + 1 };
            counts[i] = count;
            if count >= MAX_NO_LEADER_CHECKS {
                self.outcomes.push(Outcome::NoLeader(i));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// The times in `from..=to` (whole seconds) at which member 0's
    /// monitor reports no leader.
    fn reports(c: &mut Cluster, from: u64, to: u64) -> Vec<u64> {
        let mut at = Vec::new();
        for t in (from..=to).step_by(ELECTION_MS as usize) {
            c.advance_to(t);
            if c.drain().contains(&Outcome::NoLeader(0)) {
                at.push(t);
            }
        }
        at
    }

    #[test]
    fn a_member_reports_from_the_third_check_without_leader_and_a_crash_starts_over() {
        let mut c = Cluster::new(&Config::default());
        c.advance_to(1_000);
        c.partition(&[vec![0], vec![1, 2]]);
        let mut lost = 1_000;
        while c.has_leader(0) {
            lost += TICK_MS;
            c.advance_to(lost);
        }
        let first = lost.div_ceil(ELECTION_MS) * ELECTION_MS;
        let third = first + 2 * ELECTION_MS;
        assert_eq!(
            reports(&mut c, first, third + 1_000),
            [third, third + 1_000]
        );
        // a restarted process has a new monitor
        let _ = c.crash(0);
        let _ = c.restart(0);
        let restarted = c.now();
        assert_eq!(
            reports(&mut c, restarted + 1_000, restarted + 3_000),
            [restarted + 3_000]
        );
    }
}
