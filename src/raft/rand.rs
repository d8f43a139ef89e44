//! The node's only source of randomness: SplitMix64 from a seed in the
//! config, so one seed always gives the same election timeouts (DESIGN.md,
//! "Determinism and time").

#[derive(Clone, Debug)]
pub struct SplitMix64 {
    pub(super) state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, n)`; `n` must be non-zero. The modulo bias is
    /// irrelevant for an election jitter of a few ticks.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}
