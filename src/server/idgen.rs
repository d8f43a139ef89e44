//! Request and lease ids as etcd's `pkg/idutil` makes them: the member id's
//! low 16 bits, then a 40-bit millisecond timestamp taken at start, then a
//! counter that may carry into the timestamp.

const TS_LEN: u32 = 40;
const CNT_LEN: u32 = 8;
const SUFFIX_LEN: u32 = TS_LEN + CNT_LEN;

fn lowbit(x: u64, n: u32) -> u64 {
    x & (u64::MAX >> (64 - n))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdGenerator {
    prefix: u64,
    suffix: u64,
}

impl IdGenerator {
    /// `start_ms` stands for the wall clock at start; the simulation derives
    /// it from its seed so ids are reproducible.
    pub fn new(member_id: u64, start_ms: u64) -> Self {
        IdGenerator {
            prefix: (member_id & 0xffff) << SUFFIX_LEN,
            suffix: lowbit(start_ms, TS_LEN) << CNT_LEN,
        }
    }

    pub fn next_id(&mut self) -> u64 {
        self.suffix = self.suffix.wrapping_add(1);
        self.prefix | lowbit(self.suffix, SUFFIX_LEN)
    }
}

/// As part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::IdGenerator;
    use crate::checkpoint::record;

    record!(IdGenerator { prefix, suffix });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_the_member_prefix_and_count_up() {
        let mut g = IdGenerator::new(0xabcd_1234, 5);
        let a = g.next_id();
        let b = g.next_id();
        assert_eq!(a >> 48, 0x1234);
        assert_eq!(b, a + 1);
        assert_eq!(a & 0xffff_ffff_ffff, (5 << 8) + 1);
    }
}
