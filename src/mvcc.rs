//! The multi-version key-value store (etcd `server/mvcc`). Being written.
