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
    pub fn events_since(
        &self,
        key: &[u8],
        end: &[u8],
        from_rev: i64,
    ) -> Result<Vec<Event>, EtcdError> {
        if from_rev < self.compact_main_rev {
            return Err(EtcdError::Compacted);
        }
        let start = Revision::new(from_rev.max(1), 0);
        let events = self
            .backend
            .range(start..)
            .filter(|(_, rec)| in_range(&rec.kv.key, key, end))
            .map(|(_, rec)| Event {
                r#type: if rec.tombstone {
                    event_type::DELETE
                } else {
                    event_type::PUT
                },
                kv: Some(rec.kv.clone()),
                prev_kv: None,
            })
            .collect();
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvcc::kvstore::tests::{delete, put};
    use crate::pb::KeyValue;

    fn summary(events: &[Event]) -> Vec<(i32, String, i64)> {
        events
            .iter()
            .map(|e| {
                let kv = e.kv.clone().unwrap_or_default();
                (
                    e.r#type,
                    String::from_utf8_lossy(&kv.key).into_owned(),
                    kv.mod_revision,
                )
            })
            .collect()
    }

    #[test]
    fn events_since_lists_changes_in_revision_order() {
        let mut store = KvStore::new();
        put(&mut store, "b", "1"); // 2
        put(&mut store, "a", "1"); // 3
        delete(&mut store, "b", ""); // 4
        put(&mut store, "z", "1"); // 5
        let events = store.events_since(b"a", b"c", 2).unwrap();
        let (put_t, del_t) = (event_type::PUT, event_type::DELETE);
        assert_eq!(
            summary(&events),
            vec![
                (put_t, "b".into(), 2),
                (put_t, "a".into(), 3),
                (del_t, "b".into(), 4)
            ]
        );
        assert_eq!(
            summary(&store.events_since(b"a", b"c", 4).unwrap()),
            vec![(del_t, "b".into(), 4)]
        );
        assert!(store.events_since(b"a", b"c", 6).unwrap().is_empty());
        assert_eq!(store.events_since(b"a", &[0], 5).unwrap().len(), 1);
    }

    #[test]
    fn delete_events_carry_only_key_and_deletion_revision() {
        let mut store = KvStore::new();
        put(&mut store, "k", "v"); // 2
        delete(&mut store, "k", ""); // 3
        let events = store.events_since(b"k", b"", 3).unwrap();
        let want = KeyValue {
            key: b"k".to_vec(),
            mod_revision: 3,
            ..KeyValue::default()
        };
        assert_eq!(
            events,
            vec![Event {
                r#type: event_type::DELETE,
                kv: Some(want),
                prev_kv: None
            }]
        );
    }

    #[test]
    fn history_below_compaction_revision_is_compacted() {
        let mut store = KvStore::new();
        put(&mut store, "k", "a"); // 2
        put(&mut store, "k", "b"); // 3
        put(&mut store, "k", "c"); // 4
        store.compact(3).unwrap();
        assert_eq!(store.events_since(b"k", b"", 2), Err(EtcdError::Compacted));
        assert_eq!(store.events_since(b"k", b"", 1), Err(EtcdError::Compacted));
        // etcd accepts the compaction revision itself (minRev < compactRev cancels).
        let events = store.events_since(b"k", b"", 3).unwrap();
        assert_eq!(
            summary(&events),
            vec![
                (event_type::PUT, "k".into(), 3),
                (event_type::PUT, "k".into(), 4)
            ]
        );
    }

    #[test]
    fn history_at_compaction_revision_loses_deletes_of_that_revision() {
        let mut store = KvStore::new();
        put(&mut store, "k", "a"); // 2
        delete(&mut store, "k", ""); // 3
        store.compact(3).unwrap();
        assert!(store.events_since(b"k", b"", 3).unwrap().is_empty());
    }

    #[test]
    fn prev_kv_is_the_value_before_the_event() {
        let mut store = KvStore::new();
        put(&mut store, "k", "a"); // 2
        put(&mut store, "k", "b"); // 3
        let prev = store.kv_at(b"k", 3 - 1).unwrap().unwrap();
        assert_eq!(prev.value, b"a");
        assert_eq!(store.kv_at(b"k", 1).unwrap(), None);
    }
}
