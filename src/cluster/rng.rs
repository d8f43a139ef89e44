//! The world's one source of randomness: seeded, with a derived stream per
//! subsystem so that adding draws in one does not shift another.

/// SplitMix64: small, fast and good enough for simulation choices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// An independent stream for one subsystem (ids, elections, network...).
    pub fn derive(&self, name: &str) -> Rng {
        // FNV-1a of the name, mixed with the seed
        let mut h: u64 = 0xcbf29ce484222325;
        for b in name.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
        }
        let mut r = Rng {
            state: self.state ^ h,
        };
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
}

impl crate::server::Draw for Rng {
    fn next_u64(&mut self) -> u64 {
        Rng::next_u64(self)
    }
}

/// As part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::Rng;
    use crate::checkpoint::record;

    record!(Rng { state });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(42).derive("ids");
        let mut b = Rng::new(42).derive("ids");
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn derived_streams_differ() {
        let mut a = Rng::new(42).derive("ids");
        let mut b = Rng::new(42).derive("network");
        assert_ne!(a.next_u64(), b.next_u64());
    }
}
