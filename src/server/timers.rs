//! The server's own timers: etcd's request timeout on every request a
//! client waits for, answers due later, and the leader's lessor revoking
//! expired leases. The world asks when the next one is due and runs them
//! then; the server has no clock.

use super::config::{LEASE_REVOKE_RETRY_MS, REQUEST_TIMEOUT_MS};
use super::env::Env;
use super::output::Output;
use super::wait::Waiting;
use super::{EtcdServer, Reply, Request, Ticket};

impl EtcdServer {
    /// When this member's next request timeout or answer is due.
    pub fn next_due(&self) -> Option<u64> {
        self.w.next_due()
    }

    /// Answers due and requests timed out at `env.now`.
    pub fn fire_timers(&mut self, env: &mut Env) {
        let now = env.now;
        while let Some(entry) = self.w.deadlines.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((due, _), ticket) = entry.remove_entry();
            let ticket = *ticket;
            if let Some(waited) = self.w.forget(ticket) {
                let e = self.timeout_error(env, waited, due - REQUEST_TIMEOUT_MS);
                self.push(if waited == Waiting::KeepAlive {
                    Output::KeepAlive(ticket, Err(e))
                } else {
                    Output::Reply(ticket, Err(e))
                });
            }
        }
        while let Some(entry) = self.w.deferred.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (ticket, reply): (Ticket, Reply) = *entry.remove();
            self.reply(ticket, reply);
        }
    }

    /// The leader's lessor finds expired leases and proposes their
    /// revocation, as etcd's leader does (checking again later, in case
    /// the revocation is lost).
    pub fn revoke_expired_leases(&mut self, env: &mut Env) {
        let now = env.now;
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
