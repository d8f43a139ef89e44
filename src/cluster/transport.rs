//! The peer transport as one member sees it: the narrow view of the world a
//! server gets for a call (see [`crate::server::Transport`]). It answers
//! from the network's state and the other member processes; it never lets
//! the server touch them.

use super::network::Network;
use super::pairs::PairMap;
use super::Msg;
use crate::server::{EtcdServer, Transport};

pub struct PeerView<'a> {
    /// The member whose view this is.
    pub index: usize,
    /// The other members: those before it and those after it.
    pub before: &'a [EtcdServer],
    pub after: &'a [EtcdServer],
    pub network: &'a Network<Msg>,
    /// See `Cluster::links`.
    pub links: &'a PairMap<u64>,
    pub healed_at: u64,
}

impl PeerView<'_> {
    /// The index and server of peer `id`.
    fn peer(&self, id: u64) -> Option<(usize, &EtcdServer)> {
        let after = self.index + 1;
        self.before
            .iter()
            .enumerate()
            .chain(self.after.iter().enumerate().map(|(i, s)| (after + i, s)))
            .find(|(_, s)| s.id == id)
    }

    /// Whether neither direction between this member and peer `j` is cut.
    fn link_whole(&self, j: usize) -> bool {
        !self.network.is_blocked(self.index, j) && !self.network.is_blocked(j, self.index)
    }
}

impl Transport for PeerView<'_> {
    fn active_since(&self, id: u64) -> Option<u64> {
        let (j, s) = self.peer(id)?;
        if !s.is_up() || !self.link_whole(j) {
            return None;
        }
        let i = self.index;
        self.links.get((i.min(j), i.max(j))).copied()
    }

    fn is_connected(&self, id: u64) -> bool {
        self.peer(id)
            .is_some_and(|(j, s)| s.is_up() && self.link_whole(j))
    }

    fn is_running(&self, id: u64) -> bool {
        self.peer(id).is_some_and(|(_, s)| s.is_up())
    }

    fn reaches_leader(&self, id: u64) -> bool {
        self.peer(id)
            .is_some_and(|(j, s)| s.is_leader() && self.link_whole(j))
    }

    fn whole_since(&self) -> u64 {
        self.healed_at
    }
}
