//! The multi-version key-value store (etcd `server/mvcc`), in etcd's layers:
//!
//! - [`Revision`] (`revision.rs`): `main` is the store revision a write
//!   transaction produces, `sub` orders the changes inside it.
//! - [`KeyIndex`] (`key_index.rs`): the revisions of one key, grouped in
//!   generations (a generation lives from a create to a delete).
//! - [`TreeIndex`] (`index.rs`): key -> [`KeyIndex`], with etcd's range
//!   conventions.
//! - [`KvStore`] (`kvstore.rs`): the index plus the "backend" (revision ->
//!   key-value), reads, write transactions ([`TxnWrite`], `kvstore_txn.rs`),
//!   compaction (`kvstore_compaction.rs`) and the history watchers replay
//!   (`kvstore_history.rs`).
//!
//! Everything is pure and deterministic: ordered maps only, no clock, and the
//! whole store is `Clone` so a member's state can be copied.
//!
//! ```
//! use etcd_sim::mvcc::{KvStore, RangeOptions};
//!
//! let mut store = KvStore::new();
//! let mut txn = store.write();
//! txn.put(b"foo", b"bar", 0);
//! let events = txn.end();
//! assert_eq!(events.len(), 1);
//! assert_eq!(store.current_revision(), 2);
//! let r = store.range(b"foo", b"", RangeOptions::default()).unwrap();
//! assert_eq!(r.kvs[0].value, b"bar");
//! ```

mod checkpoint;
mod index;
mod key_index;
mod kvstore;
mod kvstore_compaction;
mod kvstore_history;
mod kvstore_txn;
mod revision;

#[cfg(test)]
mod model_test;

pub use index::{in_range, TreeIndex};
pub use key_index::{Generation, KeyIndex, RevisionNotFound};
pub use kvstore::{KvStore, RangeOptions, RangeResult, Record};
pub use kvstore_txn::TxnWrite;
pub use revision::Revision;
