//! The virtual network between members: per-link latency and loss drawn from
//! the seeded generator, partitions (symmetric or one-way, any grouping),
//! and the queue of messages in flight ordered by delivery time. It carries
//! any message type and never looks inside.

use super::pairs::PairMap;
use super::rng::Rng;
use super::trace::DropReason;
use crate::boxed_map::BoxedMap;
use std::collections::BTreeMap;

/// How one directed link behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// Fixed delay in ms.
    pub latency_ms: u64,
    /// Extra random delay, uniform in `0..=jitter_ms`.
    pub jitter_ms: u64,
    /// Probability of losing a message, in parts per million.
    pub loss_ppm: u32,
}

impl Default for Link {
    /// Loopback, as etcd's local cluster on one machine (the members at
    /// 2379, 22379 and 32379): a message takes microseconds there, no time
    /// on a clock of whole ms. So a write costs no virtual time and the
    /// world keeps pace with the wall clock however many requests it
    /// answers (see `pkg/src/driver.mjs`). Latency is a setting
    /// (`/_sim/link`): a few ms, as on a LAN, lets a student see messages
    /// travel.
    fn default() -> Self {
        Link {
            latency_ms: 0,
            jitter_ms: 0,
            loss_ppm: 0,
        }
    }
}

/// A message on its way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlight<M> {
    /// The message's number: the count of messages sent, it included.
    pub id: u64,
    pub from: usize,
    pub to: usize,
    pub deliver_at: u64,
    pub msg: M,
}

#[derive(Clone, Debug)]
pub struct Network<M> {
    rng: Rng,
    default_link: Link,
    /// Directed links set apart from the default.
    links: PairMap<Link>,
    /// Directed pairs that cannot talk.
    blocked: PairMap<()>,
    /// (delivery time, sequence) -> message: delivery in time order, FIFO
    /// among equal times.
    queue: BoxedMap<(u64, u64), InFlight<M>>,
    seq: u64,
    /// Messages sent, delivered and dropped so far (for inspection).
    pub sent: u64,
    pub dropped: u64,
}

impl<M> Network<M> {
    pub fn new(rng: Rng) -> Self {
        Network {
            rng,
            default_link: Link::default(),
            links: PairMap::default(),
            blocked: PairMap::default(),
            queue: BTreeMap::new(),
            seq: 0,
            sent: 0,
            dropped: 0,
        }
    }

    pub fn link(&self, from: usize, to: usize) -> Link {
        self.links
            .get((from, to))
            .copied()
            .unwrap_or(self.default_link)
    }

    /// Sets one directed link's behaviour.
    pub fn set_link(&mut self, from: usize, to: usize, link: Link) {
        self.links.insert((from, to), link);
    }

    /// Sets every link's behaviour (and forgets per-link settings).
    pub fn set_all_links(&mut self, link: Link) {
        self.default_link = link;
        self.links.clear();
    }

    /// Cuts the network into groups: no message crosses between groups.
    /// Members not named in any group form one more group together.
    pub fn partition(&mut self, groups: &[Vec<usize>], members: usize) {
        let mut group_of = vec![usize::MAX; members];
        for (g, group) in groups.iter().enumerate() {
            for &m in group {
                if let Some(slot) = group_of.get_mut(m) {
                    *slot = g;
                }
            }
        }
        self.blocked.clear();
        for a in 0..members {
            for b in 0..members {
                if a != b && group_of[a] != group_of[b] {
                    self.blocked.insert((a, b), ());
                }
            }
        }
    }

    /// Blocks one direction only: `from` can no longer reach `to`.
    pub fn block(&mut self, from: usize, to: usize) {
        self.blocked.insert((from, to), ());
    }

    /// Every link works again (latency and loss settings stay).
    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    pub fn is_blocked(&self, from: usize, to: usize) -> bool {
        self.blocked.contains((from, to))
    }

    /// The directed pairs that cannot talk, for inspection.
    pub fn blocked_pairs(&self) -> Vec<(usize, usize)> {
        self.blocked.pairs().collect()
    }

    /// Sends `msg` at time `now` and gives its id; it arrives after the
    /// link's latency, unless the link is cut or the message is lost (then
    /// it comes back, with why).
    pub fn send(
        &mut self,
        now: u64,
        from: usize,
        to: usize,
        msg: M,
    ) -> Result<u64, (InFlight<M>, DropReason)> {
        self.sent += 1;
        let link = self.link(from, to);
        let mut m = InFlight {
            id: self.sent,
            from,
            to,
            deliver_at: now,
            msg,
        };
        let cut = if self.blocked.contains((from, to)) {
            Some(DropReason::Blocked)
        } else if self.lost(link.loss_ppm) {
            Some(DropReason::Loss)
        } else {
            None
        };
        if let Some(reason) = cut {
            self.dropped += 1;
            return Err((m, reason));
        }
        let jitter = if link.jitter_ms == 0 {
            0
        } else {
            self.rng.next_u64() % (link.jitter_ms + 1)
        };
        m.deliver_at = now + link.latency_ms + jitter;
        self.seq += 1;
        let id = m.id;
        self.queue.insert((m.deliver_at, self.seq), Box::new(m));
        Ok(id)
    }

    /// The id the next message sent will have.
    pub fn next_id(&self) -> u64 {
        self.sent + 1
    }

    fn lost(&mut self, loss_ppm: u32) -> bool {
        loss_ppm > 0 && (self.rng.next_u64() % 1_000_000) < u64::from(loss_ppm)
    }

    /// When the next message arrives.
    pub fn next_delivery(&self) -> Option<u64> {
        self.queue.keys().next().map(|k| k.0)
    }

    /// The next message due by `now`, in delivery order: `Ok` to deliver,
    /// `Err` when its link was cut while it was in flight (lost on arrival).
    pub fn pop_due(&mut self, now: u64) -> Option<Result<InFlight<M>, InFlight<M>>> {
        let entry = self.queue.first_entry()?;
        if entry.key().0 > now {
            return None;
        }
        let m = *entry.remove();
        if self.blocked.contains((m.from, m.to)) {
            self.dropped += 1;
            return Some(Err(m));
        }
        Some(Ok(m))
    }

    /// Drops everything in flight to or from `member` (it crashed) and
    /// returns it.
    pub fn drop_member(&mut self, member: usize) -> Vec<InFlight<M>> {
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|(_, m)| m.from == member || m.to == member);
        self.queue.extend(kept);
        self.dropped += gone.len() as u64;
        gone.into_iter().map(|(_, m)| *m).collect()
    }

    /// Messages in flight, for visualisation.
    pub fn in_flight(&self) -> impl Iterator<Item = &InFlight<M>> {
        self.queue.values().map(|m| &**m)
    }
}

/// The network as part of a checkpoint (see `crate::checkpoint`): its
/// links, faults, messages in flight and RNG.
mod checkpoint {
    use super::{InFlight, Link, Network};
    use crate::checkpoint::record;

    record!(Link {
        latency_ms,
        jitter_ms,
        loss_ppm
    });
    record!(InFlight<M> {
        id,
        from,
        to,
        deliver_at,
        msg
    });
    record!(Network<M> {
        rng,
        default_link,
        links,
        blocked,
        queue,
        seq,
        sent,
        dropped,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net() -> Network<&'static str> {
        Network::new(Rng::new(7))
    }

    #[test]
    fn messages_arrive_after_the_link_latency_in_order() {
        let mut n = net();
        n.set_all_links(Link {
            latency_ms: 5,
            jitter_ms: 0,
            loss_ppm: 0,
        });
        let _ = n.send(0, 0, 1, "a");
        let _ = n.send(1, 0, 1, "b");
        assert_eq!(n.pop_due(4), None);
        assert_eq!(n.pop_due(5).and_then(Result::ok).map(|m| m.msg), Some("a"));
        assert_eq!(n.pop_due(5), None);
        assert_eq!(n.pop_due(6).and_then(Result::ok).map(|m| m.msg), Some("b"));
    }

    #[test]
    fn a_partition_stops_messages_between_groups_only() {
        let mut n = net();
        n.partition(&[vec![0], vec![1, 2]], 3);
        let _ = n.send(0, 0, 1, "cut");
        let _ = n.send(0, 1, 2, "kept");
        assert_eq!(
            n.pop_due(100).and_then(Result::ok).map(|m| m.msg),
            Some("kept")
        );
        assert_eq!(n.pop_due(100), None);
        n.heal();
        let _ = n.send(100, 0, 1, "healed");
        assert_eq!(
            n.pop_due(200).and_then(Result::ok).map(|m| m.msg),
            Some("healed")
        );
    }

    #[test]
    fn a_one_way_block_keeps_the_other_direction() {
        let mut n = net();
        n.block(0, 1);
        let _ = n.send(0, 0, 1, "blocked");
        let _ = n.send(0, 1, 0, "open");
        assert_eq!(
            n.pop_due(100).and_then(Result::ok).map(|m| m.msg),
            Some("open")
        );
        assert_eq!(n.pop_due(100), None);
    }

    #[test]
    fn messages_in_flight_are_lost_when_the_link_is_cut() {
        let mut n = net();
        let _ = n.send(0, 0, 1, "late");
        n.partition(&[vec![0], vec![1]], 2);
        assert!(matches!(n.pop_due(100), Some(Err(m)) if m.msg == "late"));
        assert_eq!(n.dropped, 1);
    }

    #[test]
    fn loss_follows_the_configured_rate() {
        let mut n = net();
        n.set_all_links(Link {
            latency_ms: 1,
            jitter_ms: 0,
            loss_ppm: 500_000,
        });
        for _ in 0..1000 {
            let _ = n.send(0, 0, 1, "x");
        }
        assert!((400..600).contains(&n.dropped), "{}", n.dropped);
    }

    #[test]
    fn same_seed_same_deliveries() {
        let run = || {
            let mut n = net();
            n.set_all_links(Link {
                latency_ms: 1,
                jitter_ms: 10,
                loss_ppm: 100_000,
            });
            for i in 0..50 {
                let _ = n.send(i, 0, 1, "m");
            }
            let mut times = Vec::new();
            while let Some(m) = n.pop_due(u64::MAX) {
                times.push(m.map_or(0, |m| m.deliver_at));
            }
            times
        };
        assert_eq!(run(), run());
    }
}
