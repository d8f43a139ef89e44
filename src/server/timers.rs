//! The server's own timers: etcd's request timeout on every request a
//! client waits for, answers due later, the leader's lessor revoking
//! expired leases, and watch progress notifications. The world asks when
//! the next one is due and runs them then; the server has no clock.

use super::config::{LEASE_REVOKE_RETRY_MS, REQUEST_TIMEOUT_MS};
use super::env::Env;
use super::output::Answer;
use super::wait::Waiting;
use super::{EtcdServer, Request};

impl EtcdServer {
    /// When this member's next timer is due: a request timeout, an answer
    /// due later, a lease to expire (only the leader's lessor tracks
    /// expiry), a progress notification (only a running member sends one).
    pub fn next_due(&self) -> Option<u64> {
        let expiry = self.is_leader().then(|| self.next_lease_expiry()).flatten();
        let progress = self.is_up().then(|| self.next_progress()).flatten();
        [self.w.next_due(), expiry, progress]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs every timer due at `env.now`.
    pub fn fire_timers(&mut self, env: &mut Env) {
        let now = env.now;
        for (due, ticket) in self.w.due_deadlines(now) {
            if let Some(waited) = self.w.forget(ticket) {
                let e = self.timeout_error(env, waited, due - REQUEST_TIMEOUT_MS);
                self.hand_over(if waited == Waiting::KeepAlive {
                    Answer::KeepAlive(ticket, Err(e))
                } else {
                    Answer::Reply(ticket, Err(e))
                });
            }
        }
        for (_, ticket, reply) in self.w.due_answers(now) {
            self.reply(ticket, reply);
        }
        if self.is_leader() {
            self.revoke_expired_leases(now);
        }
        if self.is_up() && self.next_progress().is_some_and(|t| t <= now) {
            let hdr = self.header();
            self.progress(now, hdr);
        }
    }

    /// The leader's lessor finds expired leases and proposes their
    /// revocation, as etcd's leader does (checking again later, in case
    /// the revocation is lost).
    fn revoke_expired_leases(&mut self, now: u64) {
        for id in self.expired_leases(now) {
            self.postpone_lease(id, now + LEASE_REVOKE_RETRY_MS);
            let req = Request::LeaseRevoke(crate::pb::LeaseRevokeRequest { id });
            // as root (etcd's `WithRoot`): revoking needs write on the keys
            let root = self.root_auth_info();
            if let Ok(p) = self.new_proposal(req, root) {
                let _ = self.raft.propose(p);
            }
        }
    }
}
