//! Compaction (etcd `store.Compact` in `kvstore.go` and
//! `kvstore_compaction.go`). etcd compacts the index at once and the backend
//! in the background; here both happen immediately.

use super::kvstore::{entry_size, KvStore};
use super::Revision;
use crate::errors::EtcdError;

impl KvStore {
    /// Drops the history below `rev`: afterwards reads below `rev` fail with
    /// `Compacted`, while every key alive at `rev` keeps its value at `rev`
    /// (the compaction revision stays readable, FINDINGS.md #32).
    ///
    /// `rev` at or below the previous compaction fails with `Compacted`
    /// (checked first, as etcd's `updateCompactRev`), `rev` above the current
    /// revision with `FutureRev`.
    pub fn compact(&mut self, rev: i64) -> Result<(), EtcdError> {
        if rev <= self.compact_main_rev {
            return Err(EtcdError::Compacted);
        }
        if rev > self.current_rev {
            return Err(EtcdError::FutureRev);
        }
        self.compact_main_rev = rev;
        let keep = self.index.compact(rev);
        // Backend: every revision <= rev goes, except those the index keeps.
        let newer = self.backend.split_off(&Revision::new(rev.saturating_add(1), 0));
        let older = std::mem::replace(&mut self.backend, newer);
        for (r, record) in older {
            if keep.contains(&r) {
                self.backend.insert(r, record);
            } else {
                self.backend_bytes -= entry_size(&record);
            }
        }
        Ok(())
    }
}
