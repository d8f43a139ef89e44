//! The history watchers replay (etcd `watchableStore.syncWatchers` and
//! `kvsToEvents`): the backend's entries from a revision on, as events.

use super::index::in_range;
use super::kvstore::KvStore;
use super::Revision;
use crate::errors::EtcdError;
use crate::pb::{event_type, Event};

impl KvStore {
    /// The events on keys in `[key, end)` (etcd's range conventions) with a
    /// revision `>= from_rev`, in revision order (several per revision for a
    /// transaction): PUT with the key-value, DELETE with a key-value holding
    /// only the key and the deletion revision. No `prev_kv`: a watcher asks
    /// [`KvStore::kv_at`] for `mod_revision - 1`, as etcd's watch server does.
    ///
    /// Fails with `Compacted` when `from_rev` is below the compaction
    /// revision: etcd cancels such a watcher with `compact_revision` set
    /// ([`KvStore::compact_revision`]). Like etcd, `from_rev` equal to the
    /// compaction revision is accepted and then only shows what compaction
    /// kept of that revision: the last put of each key still alive at it
    /// (deletes and overwritten puts at that revision are gone).
    pub fn events_since(&self, key: &[u8], end: &[u8], from_rev: i64) -> Result<Vec<Event>, EtcdError> {
        if from_rev < self.compact_main_rev {
            return Err(EtcdError::Compacted);
        }
        let start = Revision::new(from_rev.max(1), 0);
        let events = self
            .backend
            .range(start..)
            .filter(|(_, rec)| in_range(&rec.kv.key, key, end))
            .map(|(_, rec)| Event {
                r#type: if rec.tombstone { event_type::DELETE } else { event_type::PUT },
                kv: Some(rec.kv.clone()),
                prev_kv: None,
            })
            .collect();
        Ok(events)
    }
}
