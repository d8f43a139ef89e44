//! Faults and control: what the world does to its members (crash,
//! restart, partitions, blocked links, slow and lossy links, leadership
//! transfer, adding and removing members), each recorded in the trace.

use super::network::Link;
use super::{member_urls, trace, Answer, Cluster, Outcome, Rng};
use crate::errors::EtcdError;
use crate::membership;
use crate::pb::Member;
use crate::server::EtcdServer;
use trace::{Control, DropReason, TraceKind};

impl Cluster {
    /// Records a fault or control action in the trace.
    pub fn control_event(&mut self, what: Control) {
        self.refresh_links();
        self.trace.push(self.now, TraceKind::Control(what));
    }

    /// Notes which peer connections are up after a fault or control action:
    /// both members run and no direction between them is cut.
    pub(super) fn refresh_links(&mut self) {
        let n = self.servers.len();
        for a in 0..n {
            for b in a + 1..n {
                let up = self.is_serving(a)
                    && self.is_serving(b)
                    && !self.network.is_blocked(a, b)
                    && !self.network.is_blocked(b, a);
                if !up {
                    self.links.remove((a, b));
                } else if !self.links.contains((a, b)) {
                    self.links.insert((a, b), self.now);
                }
            }
        }
    }

    /// Member `i` crashes: its volatile state is lost, its clients are cut
    /// off, messages to and from it vanish.
    pub fn crash(&mut self, i: usize) -> Result<(), EtcdError> {
        let s = self.servers.get_mut(i).ok_or(EtcdError::MemberNotFound)?;
        if !s.is_up() {
            return Ok(());
        }
        for ticket in s.crash() {
            self.outcomes.push(Outcome::Answer(Answer::Refused(ticket)));
        }
        self.outcomes.push(Outcome::MemberDown(i));
        self.control_event(Control::Crash { member: i });
        for lost in self.network.drop_member(i) {
            self.lost(&lost, DropReason::Crash);
        }
        Ok(())
    }

    /// Member `i` restarts from its durable state.
    pub fn restart(&mut self, i: usize) -> Result<(), EtcdError> {
        let s = self.servers.get_mut(i).ok_or(EtcdError::MemberNotFound)?;
        if !s.is_crashed() || s.is_removed() {
            return Ok(());
        }
        s.restart()?;
        self.control_event(Control::Restart { member: i });
        self.settle();
        Ok(())
    }

    /// No Raft message crosses between `groups` (clients still reach every
    /// member).
    pub fn partition(&mut self, groups: &[Vec<usize>]) {
        self.network.partition(groups, self.servers.len());
        self.control_event(Control::Partition {
            groups: groups.to_vec(),
        });
    }

    /// `from` can no longer send to `to` (the other way still works).
    pub fn block(&mut self, from: usize, to: usize) {
        self.network.block(from, to);
        self.control_event(Control::Block { from, to });
    }

    /// The network is whole again.
    pub fn heal(&mut self) {
        self.network.heal();
        self.healed_at = self.now;
        self.control_event(Control::Heal);
    }

    /// Latency and loss of one link (or of all, when `link` is None).
    pub fn set_link(&mut self, link: Option<(usize, usize)>, l: Link) {
        match link {
            Some((from, to)) => self.network.set_link(from, to, l),
            None => self.network.set_all_links(l),
        }
        // (not a fault: peer connections stay as they are)
        let what = Control::Link {
            pair: link,
            link: l,
        };
        self.trace.push(self.now, TraceKind::Control(what));
    }

    /// Asks the leader to hand over to member `to`.
    pub fn transfer_leadership(&mut self, to: usize) -> Result<(), EtcdError> {
        let target = self.servers.get(to).ok_or(EtcdError::MemberNotFound)?.id;
        let l = self.leader().ok_or(EtcdError::NoLeader)?;
        self.serve(l, |s, _| s.transfer_leadership(target));
        self.control_event(Control::Transfer { to });
        self.settle();
        Ok(())
    }

    /// Starts a new member process that joins the cluster empty (it was
    /// added with the member API, or is added now) and catches up from the
    /// leader. Returns its index.
    pub fn start_member(&mut self, id: u64) -> usize {
        if let Some(i) = self.node_of(id) {
            return i;
        }
        let i = self.servers.len();
        let mut cfg = self.server_config(i, id);
        cfg.raft.seed = Rng::new(id).next_u64();
        self.servers.push(EtcdServer::join(cfg, self.now));
        self.control_event(Control::StartMember { member: i });
        i
    }

    /// Adds a member through the leader (as `member add` does) and starts
    /// its process, which joins empty and catches up from the leader.
    pub fn add_member(&mut self, learner: bool) -> Result<usize, EtcdError> {
        let l = self.leader().ok_or(EtcdError::NoLeader)?;
        let i = self.servers.len();
        let (_, peer) = member_urls(i);
        let peer_urls = vec![peer];
        let id = membership::member_id(&peer_urls, &self.token, Some(self.unix_secs()));
        let add = Member {
            id,
            name: String::new(),
            peer_urls,
            client_urls: Vec::new(),
            is_learner: learner,
        };
        let change = membership::ConfChange::Add(add);
        self.serve(l, |s, _| s.propose_member_change(change))
            .unwrap_or(Err(EtcdError::NoLeader))?;
        let i = self.start_member(id);
        self.control_event(Control::AddMember { member: i, learner });
        self.settle();
        Ok(i)
    }

    /// Removes member `i` through the leader (as `member remove` does).
    pub fn remove_member(&mut self, i: usize) -> Result<(), EtcdError> {
        let l = self.leader().ok_or(EtcdError::NoLeader)?;
        let id = self.servers.get(i).ok_or(EtcdError::MemberNotFound)?.id;
        let change = membership::ConfChange::Remove(id);
        self.serve(l, |s, _| s.propose_member_change(change))
            .unwrap_or(Err(EtcdError::NoLeader))?;
        self.control_event(Control::RemoveMember { member: i });
        self.settle();
        Ok(())
    }

    /// Unix seconds on the simulated wall clock (member ids of added members).
    fn unix_secs(&self) -> u64 {
        (self.start_ms + self.now) / 1000
    }
}
