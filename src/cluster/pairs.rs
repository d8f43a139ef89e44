//! Maps keyed by a pair of member indexes, kept as a sorted Vec: they hold
//! at most one entry per pair of members, and a `BTreeMap` for each would
//! bring its own copy of the tree's code into the wasm (8 KB for the three
//! the cluster has: peer links, link settings, blocked directions).

/// A map from (a, b) to `V`, in pair order.
#[derive(Clone, Debug)]
pub struct PairMap<V> {
    entries: Vec<((usize, usize), V)>,
}

impl<V> Default for PairMap<V> {
    fn default() -> Self {
        PairMap {
            entries: Vec::new(),
        }
    }
}

impl<V> PairMap<V> {
    fn find(&self, pair: (usize, usize)) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&pair, |(p, _)| *p)
    }

    pub fn get(&self, pair: (usize, usize)) -> Option<&V> {
        let i = self.find(pair).ok()?;
        Some(&self.entries[i].1)
    }

    pub fn contains(&self, pair: (usize, usize)) -> bool {
        self.find(pair).is_ok()
    }

    /// Sets the value of `pair`, replacing any.
    pub fn insert(&mut self, pair: (usize, usize), value: V) {
        match self.find(pair) {
            Ok(i) => self.entries[i].1 = value,
            Err(i) => self.entries.insert(i, (pair, value)),
        }
    }

    pub fn remove(&mut self, pair: (usize, usize)) {
        if let Ok(i) = self.find(pair) {
            self.entries.remove(i);
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The pairs, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.entries.iter().map(|(p, _)| *p)
    }
}

/// As part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::PairMap;
    use crate::checkpoint::record;

    record!(PairMap<V> { entries });
}
