//! The multi-version key-value store (etcd `server/mvcc`).
//! TEMPORARY naive stand-in (full snapshots per revision) until the real
//! store lands; same API.

use crate::errors::EtcdError;
use crate::pb::{event_type, Event, KeyValue};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RangeOptions {
    pub limit: i64,
    pub rev: i64,
    pub count_only: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeResult {
    pub kvs: Vec<KeyValue>,
    pub rev: i64,
    pub count: i64,
}

type Snapshot = BTreeMap<Vec<u8>, KeyValue>;

#[derive(Clone, Debug)]
pub struct KvStore {
    revs: Vec<(i64, Snapshot)>,
    compact_rev: i64,
}

impl Default for KvStore {
    fn default() -> Self {
        Self::new()
    }
}

fn in_range(k: &[u8], key: &[u8], end: &[u8]) -> bool {
    if end.is_empty() {
        k == key
    } else if end == [0] {
        k >= key
    } else {
        k >= key && k < end
    }
}

fn range_snapshot(s: &Snapshot, key: &[u8], end: &[u8], ro: RangeOptions, cur: i64) -> RangeResult {
    let all: Vec<&KeyValue> = s.iter().filter(|(k, _)| in_range(k, key, end)).map(|(_, v)| v).collect();
    let count = all.len() as i64;
    if ro.count_only {
        return RangeResult { kvs: vec![], rev: cur, count };
    }
    let n = if ro.limit > 0 { (ro.limit as usize).min(all.len()) } else { all.len() };
    RangeResult { kvs: all[..n].iter().map(|kv| (*kv).clone()).collect(), rev: cur, count }
}

impl KvStore {
    pub fn new() -> Self {
        KvStore { revs: vec![(1, Snapshot::new())], compact_rev: -1 }
    }
    pub fn current_revision(&self) -> i64 {
        self.revs.last().map(|r| r.0).unwrap_or(1)
    }
    pub fn compact_revision(&self) -> i64 {
        self.compact_rev
    }
    fn at(&self, rev: i64) -> &Snapshot {
        let i = self.revs.partition_point(|(r, _)| *r <= rev);
        &self.revs[i.saturating_sub(1)].1
    }
    pub fn range(&self, key: &[u8], end: &[u8], ro: RangeOptions) -> Result<RangeResult, EtcdError> {
        let cur = self.current_revision();
        let mut rev = ro.rev;
        if rev > cur {
            return Err(EtcdError::FutureRev);
        }
        if rev <= 0 {
            rev = cur;
        }
        if rev < self.compact_rev {
            return Err(EtcdError::Compacted);
        }
        Ok(range_snapshot(self.at(rev), key, end, ro, cur))
    }
    pub fn write(&mut self) -> TxnWrite<'_> {
        let snap = self.revs.last().map(|r| r.1.clone()).unwrap_or_default();
        TxnWrite { store: self, snap, events: vec![] }
    }
    pub fn compact(&mut self, rev: i64) -> Result<(), EtcdError> {
        if rev <= self.compact_rev {
            return Err(EtcdError::Compacted);
        }
        if rev > self.current_revision() {
            return Err(EtcdError::FutureRev);
        }
        self.compact_rev = rev;
        Ok(())
    }
}

pub struct TxnWrite<'a> {
    store: &'a mut KvStore,
    snap: Snapshot,
    events: Vec<Event>,
}

impl TxnWrite<'_> {
    pub fn rev(&self) -> i64 {
        self.store.current_revision() + if self.events.is_empty() { 0 } else { 1 }
    }
    pub fn first_rev(&self) -> i64 {
        self.store.compact_rev
    }
    pub fn range(&self, key: &[u8], end: &[u8], ro: RangeOptions) -> Result<RangeResult, EtcdError> {
        Ok(range_snapshot(&self.snap, key, end, ro, self.rev()))
    }
    pub fn put(&mut self, key: &[u8], value: &[u8], lease: i64) -> i64 {
        let rev = self.store.current_revision() + 1;
        let prev = self.snap.get(key).cloned();
        let kv = KeyValue {
            key: key.to_vec(),
            create_revision: prev.as_ref().map(|p| p.create_revision).unwrap_or(rev),
            mod_revision: rev,
            version: prev.as_ref().map(|p| p.version).unwrap_or(0) + 1,
            value: value.to_vec(),
            lease,
        };
        self.snap.insert(key.to_vec(), kv.clone());
        self.events.push(Event { r#type: event_type::PUT, kv: Some(kv), prev_kv: prev });
        rev
    }
    pub fn delete_range(&mut self, key: &[u8], end: &[u8]) -> (i64, i64) {
        let rev = self.store.current_revision() + 1;
        let keys: Vec<Vec<u8>> = self.snap.keys().filter(|k| in_range(k, key, end)).cloned().collect();
        for k in &keys {
            let prev = self.snap.remove(k);
            let kv = KeyValue { key: k.clone(), mod_revision: rev, ..Default::default() };
            self.events.push(Event { r#type: event_type::DELETE, kv: Some(kv), prev_kv: prev });
        }
        (keys.len() as i64, self.rev())
    }
    pub fn end(self) -> Vec<Event> {
        if !self.events.is_empty() {
            let rev = self.store.current_revision() + 1;
            self.store.revs.push((rev, self.snap));
        }
        self.events
    }
}
