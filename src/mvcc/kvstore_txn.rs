//! Write transactions (etcd `storeTxnWrite` in `kvstore_txn.go`, and the
//! event building of `watchable_store_txn.go`).
//!
//! All the changes of one transaction share one main revision,
//! `begin + 1`, and get increasing `sub` revisions. The store revision moves
//! to `begin + 1` when the transaction ends, and only if something changed.

use super::kvstore::{KvStore, RangeOptions, RangeResult, Record};
use super::Revision;
use crate::errors::EtcdError;
use crate::pb::{event_type, Event, KeyValue};

/// A write transaction on a [`KvStore`]; obtained from [`KvStore::write`],
/// finished with [`TxnWrite::end`]. Dropping it without `end` still
/// commits its changes (the store cannot be left half-written), only the
/// events are lost.
#[derive(Debug)]
pub struct TxnWrite<'a> {
    store: &'a mut KvStore,
    /// The store revision when the transaction began; changes go to the next.
    begin_rev: i64,
    /// The changes so far, in order: a put's new key-value, or for a delete a
    /// key-value holding only the key (etcd's `changes`).
    changes: Vec<KeyValue>,
    ended: bool,
}

impl KvStore {
    /// Starts a write transaction. Its reads see its own earlier writes; the
    /// rest of the world sees them once it ends.
    pub fn write(&mut self) -> TxnWrite<'_> {
        let begin_rev = self.current_rev;
        TxnWrite {
            store: self,
            begin_rev,
            changes: Vec::new(),
            ended: false,
        }
    }

    /// Deletes each of `keys` (single keys, not ranges) in one transaction,
    /// as the lessor does when a lease is revoked; keys already gone are
    /// skipped. Returns the events (empty, and no new revision, if nothing
    /// was deleted).
    pub fn delete_keys(&mut self, keys: &[Vec<u8>]) -> Vec<Event> {
        let mut txn = self.write();
        for key in keys {
            txn.delete_range(key, b"");
        }
        txn.end()
    }
}

impl TxnWrite<'_> {
    /// The revision the transaction began at (etcd `TxnWrite.Rev`).
    pub fn rev(&self) -> i64 {
        self.begin_rev
    }

    /// The revision this transaction's changes get, and the one a response
    /// header shows once it has changed something.
    fn write_rev(&self) -> i64 {
        self.begin_rev + 1
    }

    /// The revision reads inside the transaction see: its own writes once it
    /// has any (etcd reads at `beginRev + 1` then).
    pub fn read_rev(&self) -> i64 {
        if self.changes.is_empty() {
            self.begin_rev
        } else {
            self.write_rev()
        }
    }

    /// etcd's `FirstRev()` of the store under this transaction.
    pub fn first_rev(&self) -> i64 {
        self.store.first_rev()
    }

    /// Reads as [`KvStore::range`], seeing this transaction's own writes;
    /// `rev` in the result is the transaction's read revision.
    pub fn range(
        &self,
        key: &[u8],
        end: &[u8],
        opts: RangeOptions,
    ) -> Result<RangeResult, EtcdError> {
        self.store.range_keys(key, end, self.read_rev(), opts)
    }

    /// Puts `key`; returns the new key-value. A key that does not exist at
    /// this point (never written, or deleted) is created: `create_revision`
    /// is this revision and `version` 1; otherwise `version` goes up by one.
    /// The lease is stored as given (the lessor keeps its own attachments).
    pub fn put(&mut self, key: &[u8], value: &[u8], lease: i64) -> KeyValue {
        let rev = self.write_rev();
        let (create_revision, version) = match self.store.index.get(key, rev) {
            Ok((_, created, ver)) => (created.main, ver + 1),
            Err(_) => (rev, 1),
        };
        let idx_rev = Revision::new(rev, self.changes.len() as i64);
        let kv = KeyValue {
            key: key.to_vec(),
            create_revision,
            mod_revision: rev,
            version,
            value: value.to_vec(),
            lease,
        };
        self.store.insert_record(
            idx_rev,
            Record {
                kv: kv.clone(),
                tombstone: false,
            },
        );
        self.store.index.put(key, idx_rev);
        self.changes.push(kv.clone());
        kv
    }

    /// Deletes the keys alive in `[key, end)` (etcd's range conventions);
    /// returns their key-values as they were just before, in key order (their
    /// number is etcd's `deleted`, and they are the `prev_kvs`). Deleting
    /// nothing is no change.
    pub fn delete_range(&mut self, key: &[u8], end: &[u8]) -> Vec<KeyValue> {
        let alive = self.store.index.range(key, end, self.read_rev());
        let mut deleted = Vec::with_capacity(alive.len());
        for (k, rev) in alive {
            if let Some(rec) = self.store.backend.get(&rev) {
                deleted.push(rec.kv.clone());
            }
            self.delete(&k);
        }
        deleted
    }

    fn delete(&mut self, key: &[u8]) {
        let rev = self.write_rev();
        let idx_rev = Revision::new(rev, self.changes.len() as i64);
        // The index knows the key is alive (delete_range found it), so the
        // tombstone cannot fail; if it ever did, record nothing.
        if self.store.index.tombstone(key, idx_rev).is_err() {
            debug_assert!(false, "tombstone of a missing key");
            return;
        }
        let kv = KeyValue {
            key: key.to_vec(),
            mod_revision: rev,
            ..KeyValue::default()
        };
        self.store.insert_record(
            idx_rev,
            Record {
                kv,
                tombstone: true,
            },
        );
        self.changes.push(KeyValue {
            key: key.to_vec(),
            ..KeyValue::default()
        });
    }

    /// The changes so far (etcd `Changes`): put key-values, and key-only
    /// key-values (create_revision 0) for deletes.
    pub fn changes(&self) -> &[KeyValue] {
        &self.changes
    }

    /// Ends the transaction: the store revision moves to `rev() + 1` if
    /// anything changed. Returns the events of that revision in order, as
    /// watchers get them: PUT with the new key-value, DELETE with a key-value
    /// holding only the key and the deletion revision.
    pub fn end(mut self) -> Vec<Event> {
        self.finish();
        let rev = self.write_rev();
        std::mem::take(&mut self.changes)
            .into_iter()
            .map(|mut kv| {
                if kv.create_revision == 0 {
                    kv.mod_revision = rev;
                    Event {
                        r#type: event_type::DELETE,
                        kv: Some(kv),
                        prev_kv: None,
                    }
                } else {
                    Event {
                        r#type: event_type::PUT,
                        kv: Some(kv),
                        prev_kv: None,
                    }
                }
            })
            .collect()
    }

    fn finish(&mut self) {
        if !self.ended {
            self.ended = true;
            if !self.changes.is_empty() {
                self.store.current_rev = self.write_rev();
            }
        }
    }
}

impl Drop for TxnWrite<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvcc::kvstore::tests::{get, put};

    #[test]
    fn txn_writes_share_one_revision() {
        let mut store = KvStore::new();
        let mut txn = store.write();
        let a = txn.put(b"a", b"1", 0);
        let b = txn.put(b"b", b"1", 0);
        let events = txn.end();
        assert_eq!((a.mod_revision, b.mod_revision), (2, 2));
        assert_eq!(store.current_revision(), 2);
        assert_eq!(events.len(), 2);
        // Two changes, two backend entries with sub revisions 0 and 1.
        let subs: Vec<Revision> = store.backend.keys().copied().collect();
        assert_eq!(subs, vec![Revision::new(2, 0), Revision::new(2, 1)]);
    }

    #[test]
    fn txn_without_changes_does_not_bump_the_revision() {
        let mut store = KvStore::new();
        let mut txn = store.write();
        assert!(txn.delete_range(b"missing", b"").is_empty());
        assert!(txn
            .range(b"a", b"", RangeOptions::default())
            .unwrap()
            .kvs
            .is_empty());
        assert!(txn.end().is_empty());
        assert_eq!(store.current_revision(), 1);
    }

    #[test]
    fn reading_inside_write_txn_sees_own_writes() {
        let mut store = KvStore::new();
        put(&mut store, "a", "old"); // 2
        let mut txn = store.write();
        assert_eq!(
            txn.range(b"a", b"", RangeOptions::default()).unwrap().rev,
            2
        );
        txn.put(b"a", b"new", 0);
        txn.put(b"b", b"new", 0);
        let r = txn.range(b"a", b"c", RangeOptions::default()).unwrap();
        assert_eq!(r.rev, 3);
        assert_eq!(
            r.kvs
                .iter()
                .map(|kv| kv.value.as_slice())
                .collect::<Vec<_>>(),
            vec![b"new", b"new"]
        );
        // The write revision is not in the future for the txn's own reads.
        let at3 = RangeOptions {
            rev: 3,
            ..RangeOptions::default()
        };
        assert_eq!(txn.range(b"b", b"", at3).unwrap().count, 1);
        txn.end();
    }

    #[test]
    fn puts_of_one_key_in_one_txn_get_increasing_sub_revisions() {
        let mut store = KvStore::new();
        let mut txn = store.write();
        let first = txn.put(b"k", b"1", 0);
        let second = txn.put(b"k", b"2", 0);
        let events = txn.end();
        assert_eq!((first.version, second.version), (1, 2));
        assert_eq!((first.create_revision, second.create_revision), (2, 2));
        assert_eq!(events.len(), 2);
        assert_eq!(get(&store, "k", 0).unwrap().value, b"2");
        let ki = store.index().key_index(b"k").unwrap();
        assert_eq!(ki.modified(), Revision::new(2, 1));
    }

    #[test]
    fn delete_and_put_of_one_key_in_one_txn_recreates_it() {
        let mut store = KvStore::new();
        put(&mut store, "k", "old"); // 2
        let mut txn = store.write();
        assert_eq!(txn.delete_range(b"k", b"").len(), 1);
        assert!(txn
            .range(b"k", b"", RangeOptions::default())
            .unwrap()
            .kvs
            .is_empty());
        let kv = txn.put(b"k", b"new", 0);
        let events = txn.end();
        assert_eq!((kv.create_revision, kv.version), (3, 1));
        let types: Vec<i32> = events.iter().map(|e| e.r#type).collect();
        assert_eq!(types, vec![event_type::DELETE, event_type::PUT]);
    }

    #[test]
    fn delete_range_returns_the_deleted_key_values() {
        let mut store = KvStore::new();
        put(&mut store, "a", "1"); // 2
        put(&mut store, "b", "2"); // 3
        put(&mut store, "c", "3"); // 4
        let mut txn = store.write();
        let deleted = txn.delete_range(b"a", b"c");
        let events = txn.end();
        assert_eq!(
            deleted
                .iter()
                .map(|kv| kv.value.as_slice())
                .collect::<Vec<_>>(),
            vec![b"1", b"2"]
        );
        assert_eq!(deleted[1].mod_revision, 3);
        assert_eq!(store.current_revision(), 5);
        let want = Event {
            r#type: event_type::DELETE,
            kv: Some(KeyValue {
                key: b"a".to_vec(),
                mod_revision: 5,
                ..KeyValue::default()
            }),
            prev_kv: None,
        };
        assert_eq!(events[0], want);
    }

    #[test]
    fn delete_of_nothing_is_no_change() {
        let mut store = KvStore::new();
        put(&mut store, "a", "1");
        let mut txn = store.write();
        assert!(txn.delete_range(b"b", b"z").is_empty());
        assert!(txn.changes().is_empty());
        txn.end();
        assert_eq!(store.current_revision(), 2);
    }

    #[test]
    fn dropping_a_txn_still_commits_its_revision() {
        let mut store = KvStore::new();
        {
            let mut txn = store.write();
            txn.put(b"a", b"1", 0);
        }
        assert_eq!(store.current_revision(), 2);
        put(&mut store, "a", "2");
        assert_eq!(get(&store, "a", 0).unwrap().version, 2);
    }

    #[test]
    fn delete_keys_removes_a_key_list_in_one_revision() {
        let mut store = KvStore::new();
        put(&mut store, "a", "1");
        put(&mut store, "b", "1");
        let events = store.delete_keys(&[b"a".to_vec(), b"missing".to_vec(), b"b".to_vec()]);
        assert_eq!(events.len(), 2);
        assert_eq!(store.current_revision(), 4);
        assert!(store.delete_keys(&[b"a".to_vec()]).is_empty());
        assert_eq!(store.current_revision(), 4);
    }
}
