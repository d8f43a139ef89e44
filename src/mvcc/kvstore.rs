//! The store: the index plus the backend, the current and compacted
//! revisions, and reads (etcd `kvstore.go`, `kvstore_txn.go` for reads).

use std::collections::BTreeMap;

use super::index::TreeIndex;
use super::Revision;
use crate::boxed_map::BoxedMap;
use crate::errors::EtcdError;
use crate::pb::KeyValue;

/// Options of a read (etcd `mvcc.RangeOptions`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RangeOptions {
    /// At most this many key-values; 0 or negative means no limit.
    pub limit: i64,
    /// Read at this revision; 0 or negative means the current one.
    pub rev: i64,
    /// Only count the keys, return no key-values.
    pub count_only: bool,
}

/// The answer to a read (etcd `mvcc.RangeResult`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeResult {
    /// The key-values alive at the requested revision, in key order, cut at
    /// the limit.
    pub kvs: Vec<KeyValue>,
    /// The store's current revision (not the requested one: etcd answers the
    /// current revision in the header, docs/etcd-behaviour.md #28).
    pub rev: i64,
    /// The number of keys in range at the requested revision, before the limit.
    pub count: i64,
}

/// One entry of the backend (etcd's `key` bucket): a put stores the full
/// key-value; a tombstone stores the key and the deletion revision, which is
/// exactly what a DELETE watch event shows (docs/etcd-behaviour.md #36).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub kv: KeyValue,
    /// etcd marks a tombstone's revision key with a trailing `t`.
    pub tombstone: bool,
}

/// The multi-version key-value store of one member.
///
/// Every change is kept under its [`Revision`] until a compaction drops the
/// history below the compaction revision. Writes go through [`KvStore::write`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvStore {
    pub(super) index: TreeIndex,
    pub(super) backend: BoxedMap<Revision, Record>,
    /// The revision of the last write transaction that changed something.
    pub(super) current_rev: i64,
    /// The last compaction revision; -1 before the first compaction, as etcd's
    /// `compactMainRev` (so that `compact(0)` on a fresh store succeeds once,
    /// as it does in etcd).
    pub(super) compact_main_rev: i64,
    /// Estimated bytes of the backend entries (see `entry_size`).
    pub(super) backend_bytes: i64,
    /// Largest estimated backend size reached: bolt does not shrink without a
    /// defragmentation.
    pub(super) db_size_high_water: i64,
}

impl Default for KvStore {
    fn default() -> Self {
        KvStore {
            index: TreeIndex::new(),
            backend: BTreeMap::new(),
            current_rev: 1,
            compact_main_rev: -1,
            backend_bytes: 0,
            db_size_high_water: FRESH_DB_SIZE,
        }
    }
}

/// The size of a fresh etcd 3.5 bolt database, and the part in use
/// (docs/etcd-behaviour.md #51).
const FRESH_DB_SIZE: i64 = 20480;
const FRESH_DB_SIZE_IN_USE: i64 = 16384;
const PAGE_SIZE: i64 = 4096;
/// A rough per-entry cost in bolt: the 17-byte revision key, the protobuf
/// framing of the key-value and the page element header.
const ENTRY_OVERHEAD: i64 = 48;

impl KvStore {
    /// An empty store at revision 1 (etcd's first revision), never compacted.
    pub fn new() -> Self {
        Self::default()
    }

    /// The revision of the last change (1 for a fresh store).
    pub fn current_revision(&self) -> i64 {
        self.current_rev
    }

    /// The last compaction revision, 0 if the store was never compacted.
    pub fn compact_revision(&self) -> i64 {
        self.compact_main_rev.max(0)
    }

    /// etcd's `FirstRev()`: the compaction revision, -1 if never compacted
    /// (a txn's range at a negative revision is compared against it).
    pub fn first_rev(&self) -> i64 {
        self.compact_main_rev
    }

    /// The index, for inspection (keys, generations, revisions).
    pub fn index(&self) -> &TreeIndex {
        &self.index
    }

    /// The backend in revision order, for inspection: what a compaction
    /// removes from and what watchers replay.
    pub fn backend(&self) -> impl Iterator<Item = (Revision, &Record)> {
        self.backend.iter().map(|(r, rec)| (*r, &**rec))
    }

    /// The backend entry of one revision, for inspection.
    pub fn record(&self, rev: Revision) -> Option<&Record> {
        self.backend.get(&rev).map(|rec| &**rec)
    }

    /// Reads `[key, end)` (etcd's range conventions, see [`TreeIndex`]).
    /// `opts.rev > current` fails with `FutureRev`; a revision below the
    /// compaction revision fails with `Compacted` (the compaction revision
    /// itself is still readable, docs/etcd-behaviour.md #28).
    pub fn range(
        &self,
        key: &[u8],
        end: &[u8],
        opts: RangeOptions,
    ) -> Result<RangeResult, EtcdError> {
        self.range_keys(key, end, self.current_rev, opts)
    }

    /// The value of `key` at revision `rev` (`rev <= 0`: now), if it existed.
    /// Watchers use it for `prev_kv` at `mod_revision - 1`.
    pub fn kv_at(&self, key: &[u8], rev: i64) -> Result<Option<KeyValue>, EtcdError> {
        let opts = RangeOptions {
            rev,
            ..RangeOptions::default()
        };
        Ok(self.range(key, b"", opts)?.kvs.into_iter().next())
    }

    /// etcd `rangeKeys`: reads as of `cur_rev`, the revision the reader sees
    /// (the store's, or a write transaction's own).
    pub(super) fn range_keys(
        &self,
        key: &[u8],
        end: &[u8],
        cur_rev: i64,
        opts: RangeOptions,
    ) -> Result<RangeResult, EtcdError> {
        if opts.rev > cur_rev {
            return Err(EtcdError::FutureRev);
        }
        let rev = if opts.rev <= 0 { cur_rev } else { opts.rev };
        if rev < self.compact_main_rev {
            return Err(EtcdError::Compacted);
        }
        if opts.count_only {
            let count = self.index.count_revisions(key, end, rev);
            return Ok(RangeResult {
                kvs: Vec::new(),
                rev: cur_rev,
                count,
            });
        }
        let (revs, count) = self.index.revisions(key, end, rev, opts.limit);
        // The index only names revisions the backend holds (compaction keeps
        // both in step), so nothing is skipped here.
        let kvs = revs
            .iter()
            .filter_map(|r| self.backend.get(r))
            .map(|rec| rec.kv.clone())
            .collect();
        Ok(RangeResult {
            kvs,
            rev: cur_rev,
            count,
        })
    }

    /// Estimated size of the backend file in bytes (etcd `dbSize`): a fresh
    /// database is 20480 bytes and the file never shrinks.
    pub fn db_size(&self) -> i64 {
        self.db_size_high_water.max(self.estimated_file_size())
    }

    /// Estimated bytes in use in the backend (etcd `dbSizeInUse`), which drops
    /// after a compaction.
    pub fn db_size_in_use(&self) -> i64 {
        let pages = (self.backend_bytes + PAGE_SIZE - 1) / PAGE_SIZE;
        FRESH_DB_SIZE_IN_USE + pages * PAGE_SIZE
    }

    fn estimated_file_size(&self) -> i64 {
        self.db_size_in_use() + (FRESH_DB_SIZE - FRESH_DB_SIZE_IN_USE)
    }

    /// Stores one backend entry (a put or a tombstone).
    pub(super) fn insert_record(&mut self, rev: Revision, record: Record) {
        self.backend_bytes += entry_size(&record);
        if let Some(old) = self.backend.insert(rev, Box::new(record)) {
            self.backend_bytes -= entry_size(&old);
        }
        // The file grows to hold what is in use and never shrinks.
        self.db_size_high_water = self.db_size_high_water.max(self.estimated_file_size());
    }
}

/// A rough size of one backend entry.
pub(super) fn entry_size(record: &Record) -> i64 {
    (record.kv.key.len() + record.kv.value.len()) as i64 + ENTRY_OVERHEAD
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::mvcc) fn put(store: &mut KvStore, key: &str, value: &str) -> KeyValue {
        let mut txn = store.write();
        let kv = txn.put(key.as_bytes(), value.as_bytes(), 0);
        txn.end();
        kv
    }

    pub(in crate::mvcc) fn delete(store: &mut KvStore, key: &str, end: &str) -> Vec<KeyValue> {
        let mut txn = store.write();
        let deleted = txn.delete_range(key.as_bytes(), end.as_bytes());
        txn.end();
        deleted
    }

    pub(in crate::mvcc) fn get(store: &KvStore, key: &str, rev: i64) -> Option<KeyValue> {
        store.kv_at(key.as_bytes(), rev).unwrap()
    }

    fn at(rev: i64) -> RangeOptions {
        RangeOptions {
            rev,
            ..RangeOptions::default()
        }
    }

    #[test]
    fn fresh_store_is_at_revision_one_and_never_compacted() {
        let store = KvStore::new();
        assert_eq!(store.current_revision(), 1);
        assert_eq!(store.compact_revision(), 0);
        let r = store.range(b"foo", b"", RangeOptions::default()).unwrap();
        assert_eq!(
            r,
            RangeResult {
                kvs: vec![],
                rev: 1,
                count: 0
            }
        );
    }

    #[test]
    fn range_at_future_revision_fails() {
        let mut store = KvStore::new();
        put(&mut store, "foo", "bar");
        assert_eq!(store.range(b"foo", b"", at(3)), Err(EtcdError::FutureRev));
        assert!(store.range(b"foo", b"", at(2)).is_ok());
    }

    #[test]
    fn range_below_compaction_fails_but_compaction_revision_is_readable() {
        let mut store = KvStore::new();
        put(&mut store, "foo", "a"); // 2
        put(&mut store, "foo", "b"); // 3
        put(&mut store, "foo", "c"); // 4
        store.compact(3).unwrap();
        assert_eq!(store.range(b"foo", b"", at(2)), Err(EtcdError::Compacted));
        assert_eq!(get(&store, "foo", 3).unwrap().value, b"b");
        assert_eq!(get(&store, "foo", 4).unwrap().value, b"c");
    }

    #[test]
    fn range_count_is_total_before_limit() {
        let mut store = KvStore::new();
        for k in ["a", "b", "c"] {
            put(&mut store, k, "v");
        }
        let r = store
            .range(
                b"a",
                &[0],
                RangeOptions {
                    limit: 1,
                    ..RangeOptions::default()
                },
            )
            .unwrap();
        assert_eq!(r.kvs.len(), 1);
        assert_eq!(r.kvs[0].key, b"a");
        assert_eq!(r.count, 3);
        let r = store
            .range(
                b"a",
                &[0],
                RangeOptions {
                    limit: -1,
                    ..RangeOptions::default()
                },
            )
            .unwrap();
        assert_eq!(r.kvs.len(), 3);
    }

    #[test]
    fn count_only_returns_no_key_values() {
        let mut store = KvStore::new();
        put(&mut store, "a", "v");
        put(&mut store, "b", "v");
        let opts = RangeOptions {
            count_only: true,
            ..RangeOptions::default()
        };
        let r = store.range(b"a", b"c", opts).unwrap();
        assert_eq!(
            r,
            RangeResult {
                kvs: vec![],
                rev: 3,
                count: 2
            }
        );
    }

    #[test]
    fn range_result_carries_the_current_revision_not_the_requested_one() {
        let mut store = KvStore::new();
        put(&mut store, "a", "1");
        put(&mut store, "a", "2");
        let r = store.range(b"a", b"", at(2)).unwrap();
        assert_eq!(r.rev, 3);
        assert_eq!(r.kvs[0].value, b"1");
    }

    #[test]
    fn range_returns_key_values_in_key_order_at_the_revision() {
        let mut store = KvStore::new();
        put(&mut store, "b", "1"); // 2
        put(&mut store, "a", "1"); // 3
        put(&mut store, "c", "1"); // 4
        delete(&mut store, "b", ""); // 5
        let keys = |rev| -> Vec<Vec<u8>> {
            store
                .range(b"a", b"z", at(rev))
                .unwrap()
                .kvs
                .into_iter()
                .map(|kv| kv.key)
                .collect()
        };
        assert_eq!(keys(4), vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(keys(5), vec![b"a".to_vec(), b"c".to_vec()]);
        assert_eq!(keys(2), vec![b"b".to_vec()]);
    }

    #[test]
    fn put_sets_create_mod_revision_version_and_lease() {
        let mut store = KvStore::new();
        let kv = put(&mut store, "foo", "bar");
        let want = KeyValue {
            key: b"foo".to_vec(),
            create_revision: 2,
            mod_revision: 2,
            version: 1,
            value: b"bar".to_vec(),
            lease: 0,
        };
        assert_eq!(kv, want);
        let mut txn = store.write();
        let kv = txn.put(b"foo", b"baz", 7);
        txn.end();
        assert_eq!(
            (kv.create_revision, kv.mod_revision, kv.version, kv.lease),
            (2, 3, 2, 7)
        );
        assert_eq!(get(&store, "foo", 0), Some(kv));
    }

    #[test]
    fn delete_then_put_resets_create_revision_and_version() {
        let mut store = KvStore::new();
        put(&mut store, "foo", "a"); // 2
        put(&mut store, "foo", "b"); // 3
        delete(&mut store, "foo", ""); // 4
        let kv = put(&mut store, "foo", "c"); // 5
        assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (5, 5, 1));
        assert_eq!(get(&store, "foo", 4), None);
        assert_eq!(get(&store, "foo", 3).unwrap().version, 2);
    }

    #[test]
    fn db_size_starts_at_etcd_fresh_size_and_never_shrinks() {
        let mut store = KvStore::new();
        assert_eq!((store.db_size(), store.db_size_in_use()), (20480, 16384));
        for i in 0..200 {
            put(&mut store, "k", &format!("value-{i:0>64}"));
        }
        let grown = store.db_size();
        assert!(grown > 20480);
        store.compact(store.current_revision()).unwrap();
        assert_eq!(store.db_size(), grown);
        assert!(store.db_size_in_use() < grown);
    }
}
