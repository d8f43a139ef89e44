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
        TxnWrite { store: self, begin_rev, changes: Vec::new(), ended: false }
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
    fn read_rev(&self) -> i64 {
        if self.changes.is_empty() {
            self.begin_rev
        } else {
            self.write_rev()
        }
    }

    /// Reads as [`KvStore::range`], seeing this transaction's own writes;
    /// `rev` in the result is the transaction's read revision.
    pub fn range(&self, key: &[u8], end: &[u8], opts: RangeOptions) -> Result<RangeResult, EtcdError> {
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
        self.store.insert_record(idx_rev, Record { kv: kv.clone(), tombstone: false });
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
        let kv = KeyValue { key: key.to_vec(), mod_revision: rev, ..KeyValue::default() };
        self.store.insert_record(idx_rev, Record { kv, tombstone: true });
        self.changes.push(KeyValue { key: key.to_vec(), ..KeyValue::default() });
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
                    Event { r#type: event_type::DELETE, kv: Some(kv), prev_kv: None }
                } else {
                    Event { r#type: event_type::PUT, kv: Some(kv), prev_kv: None }
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
