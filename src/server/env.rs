//! What the world lends a server for one call: the time, what it can tell
//! of its peers, and random draws. The server holds no clock, no network
//! and no generator of its own, so the world stays deterministic.

/// One call's surroundings.
pub struct Env<'a> {
    /// Virtual time in milliseconds.
    pub now: u64,
    pub peers: &'a dyn Transport,
    /// The world's draws for the random part of simple auth tokens.
    pub draw: &'a mut dyn Draw,
}

/// A seeded source of random numbers.
pub trait Draw {
    fn next_u64(&mut self) -> u64;
}

/// What a member can tell of its peers, by member id: what etcd asks its
/// peer transport (`rafthttp.Transporter`), and whether a forward to the
/// leader would arrive.
pub trait Transport {
    /// Since when the connection to peer `id` has been up, if it is up
    /// (etcd's `ActiveSince`).
    fn active_since(&self, id: u64) -> Option<u64>;
    /// Whether peer `id` runs and no direction of the link to it is cut.
    fn is_connected(&self, id: u64) -> bool;
    /// Whether peer `id`'s process runs.
    fn is_running(&self, id: u64) -> bool;
    /// Whether peer `id` leads and a forward to it would arrive now.
    fn reaches_leader(&self, id: u64) -> bool;
    /// Since when no link of the network has been cut (after the last heal).
    fn whole_since(&self) -> u64;
}
