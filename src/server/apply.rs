//! Applying KV requests to the store, as etcd's `applierV3backend`
//! (`server/etcdserver/apply.go`): range with sorting and filters, put with
//! ignore_value / ignore_lease / prev_kv, delete range, txn (compares, the
//! chosen branch, one revision), compaction.

use super::gosort;
use crate::errors::EtcdError;
use crate::mvcc::{KvStore, RangeOptions, RangeResult, TxnWrite};
use crate::pb::compare::TargetUnion;
use crate::pb::request_op::Request as Op;
use crate::pb::response_op::Response as OpResp;
use crate::pb::{
    compare_result, compare_target, sort_order, sort_target, CompactionRequest, CompactionResponse,
    Compare, DeleteRangeRequest, DeleteRangeResponse, KeyValue, PutRequest, PutResponse,
    RangeRequest, RangeResponse, ResponseHeader, ResponseOp, TxnRequest, TxnResponse,
};

/// What the applier reads from: the store itself, or a write txn in progress
/// (which sees its own writes).
pub trait ReadView {
    fn range(&self, key: &[u8], end: &[u8], ro: RangeOptions) -> Result<RangeResult, EtcdError>;
    /// The revision reads see (etcd `Rev()`).
    fn rev(&self) -> i64;
    /// The compaction revision (etcd `FirstRev()`).
    fn first_rev(&self) -> i64;
}

impl ReadView for KvStore {
    fn range(&self, key: &[u8], end: &[u8], ro: RangeOptions) -> Result<RangeResult, EtcdError> {
        KvStore::range(self, key, end, ro)
    }
    fn rev(&self) -> i64 {
        self.current_revision()
    }
    fn first_rev(&self) -> i64 {
        KvStore::first_rev(self)
    }
}

impl ReadView for TxnWrite<'_> {
    fn range(&self, key: &[u8], end: &[u8], ro: RangeOptions) -> Result<RangeResult, EtcdError> {
        TxnWrite::range(self, key, end, ro)
    }
    fn rev(&self) -> i64 {
        self.read_rev()
    }
    fn first_rev(&self) -> i64 {
        TxnWrite::first_rev(self)
    }
}

/// Whether a lease exists (the lessor's `Lookup`), as the applier needs it.
pub trait LeaseLookup {
    fn lease_exists(&self, id: i64) -> bool;
}

impl LeaseLookup for crate::lease::Lessor {
    fn lease_exists(&self, id: i64) -> bool {
        self.lookup(id).is_some()
    }
}

fn header(revision: i64) -> Option<ResponseHeader> {
    Some(ResponseHeader {
        revision,
        ..Default::default()
    })
}

pub fn range(rv: &dyn ReadView, r: &RangeRequest) -> Result<RangeResponse, EtcdError> {
    let filtered = r.sort_order != sort_order::NONE
        || r.min_mod_revision != 0
        || r.max_mod_revision != 0
        || r.min_create_revision != 0
        || r.max_create_revision != 0;
    // fetch everything when sorting or filtering; else one extra for `more`
    let limit = if filtered || r.limit <= 0 {
        0
    } else {
        r.limit.saturating_add(1)
    };
    let ro = RangeOptions {
        limit,
        rev: r.revision,
        count_only: r.count_only,
    };
    let rr = rv.range(&r.key, &r.range_end, ro)?;
    let mut kvs = rr.kvs;
    // count is taken before these filters (docs/etcd-behaviour.md #26)
    if r.max_mod_revision != 0 {
        kvs.retain(|kv| kv.mod_revision <= r.max_mod_revision);
    }
    if r.min_mod_revision != 0 {
        kvs.retain(|kv| kv.mod_revision >= r.min_mod_revision);
    }
    if r.max_create_revision != 0 {
        kvs.retain(|kv| kv.create_revision <= r.max_create_revision);
    }
    if r.min_create_revision != 0 {
        kvs.retain(|kv| kv.create_revision >= r.min_create_revision);
    }
    let mut order = r.sort_order;
    if r.sort_target != sort_target::KEY && order == sort_order::NONE {
        order = sort_order::ASCEND;
    }
    if order == sort_order::ASCEND || order == sort_order::DESCEND {
        let less: fn(&KeyValue, &KeyValue) -> bool = match r.sort_target {
            sort_target::KEY => |a, b| a.key < b.key,
            sort_target::VERSION => |a, b| a.version < b.version,
            sort_target::CREATE => |a, b| a.create_revision < b.create_revision,
            sort_target::MOD => |a, b| a.mod_revision < b.mod_revision,
            sort_target::VALUE => |a, b| a.value < b.value,
            // etcd 3.5.1 crashes here (nil sorter); we leave the order as is.
            _ => |_, _| false,
        };
        // one closure for both orders: one copy of the sort in the wasm
        let descend = order == sort_order::DESCEND;
        gosort::sort_by(
            &mut kvs,
            |a, b| if descend { less(b, a) } else { less(a, b) },
        );
    }
    let mut more = false;
    if r.limit > 0 && kvs.len() as i64 > r.limit {
        kvs.truncate(r.limit as usize);
        more = true;
    }
    if r.keys_only {
        for kv in &mut kvs {
            kv.value.clear();
        }
    }
    Ok(RangeResponse {
        header: header(rr.rev),
        kvs,
        more,
        count: rr.count,
    })
}

/// A put inside a write txn; the lease and `ignore_*` checks have been made
/// (`check_put_op` for txns, `put` for a plain put).
fn put_in(txn: &mut TxnWrite<'_>, p: &PutRequest) -> Result<PutResponse, EtcdError> {
    let mut value = p.value.clone();
    let mut lease = p.lease;
    let mut prev = None;
    if p.ignore_value || p.ignore_lease || p.prev_kv {
        let rr = txn.range(&p.key, &[], RangeOptions::default())?;
        prev = rr.kvs.into_iter().next();
    }
    if p.ignore_value || p.ignore_lease {
        let Some(pkv) = &prev else {
            return Err(EtcdError::KeyNotFound);
        };
        if p.ignore_value {
            value = pkv.value.clone();
        }
        if p.ignore_lease {
            lease = pkv.lease;
        }
    }
    let rev = txn.put(&p.key, &value, lease).mod_revision;
    Ok(PutResponse {
        header: header(rev),
        prev_kv: if p.prev_kv { prev } else { None },
    })
}

pub fn put(
    store: &mut KvStore,
    leases: &dyn LeaseLookup,
    p: &PutRequest,
) -> Result<(PutResponse, Vec<crate::pb::Event>), EtcdError> {
    if p.lease != 0 && !leases.lease_exists(p.lease) {
        return Err(EtcdError::LeaseNotFound);
    }
    let mut txn = store.write();
    let resp = put_in(&mut txn, p);
    let events = txn.end();
    resp.map(|r| (r, events))
}

fn delete_in(
    txn: &mut TxnWrite<'_>,
    d: &DeleteRangeRequest,
) -> Result<DeleteRangeResponse, EtcdError> {
    let mut prev_kvs = Vec::new();
    if d.prev_kv {
        prev_kvs = txn
            .range(&d.key, &d.range_end, RangeOptions::default())?
            .kvs;
    }
    let deleted = txn.delete_range(&d.key, &d.range_end).len() as i64;
    Ok(DeleteRangeResponse {
        header: header(txn.read_rev()),
        deleted,
        prev_kvs,
    })
}

pub fn delete_range(
    store: &mut KvStore,
    d: &DeleteRangeRequest,
) -> Result<(DeleteRangeResponse, Vec<crate::pb::Event>), EtcdError> {
    let mut txn = store.write();
    let resp = delete_in(&mut txn, d);
    let events = txn.end();
    resp.map(|r| (r, events))
}

pub fn compaction(
    store: &mut KvStore,
    c: &CompactionRequest,
) -> Result<CompactionResponse, EtcdError> {
    store.compact(c.revision)?;
    Ok(CompactionResponse {
        header: header(store.current_revision()),
    })
}

/// Whether a txn only reads (etcd `isTxnReadonly`): then it is served
/// without going through Raft.
pub fn txn_is_read_only(t: &TxnRequest) -> bool {
    t.success
        .iter()
        .chain(t.failure.iter())
        .all(|op| matches!(op.request, Some(Op::RequestRange(_))))
}

/// Whether every op is a serializable range (etcd `isTxnSerializable`).
pub fn txn_is_serializable(t: &TxnRequest) -> bool {
    t.success
        .iter()
        .chain(t.failure.iter())
        .all(|op| matches!(&op.request, Some(Op::RequestRange(r)) if r.serializable))
}

/// A read-only txn, served from the store.
pub fn txn_read(store: &KvStore, t: &TxnRequest) -> Result<TxnResponse, EtcdError> {
    let path = compare_to_path(store, t);
    check_requests(store, t, &path, &mut |rv, op| check_range_op(rv, op))?;
    let mut resp = TxnResponse {
        header: header(0),
        ..Default::default()
    };
    let mut at = 0;
    apply_txn_ops(&mut TxnOps::Read(store), t, &path, &mut at, &mut resp)?;
    resp.header = header(store.current_revision());
    Ok(resp)
}

/// A txn that writes: compares and checks against the store, then the chosen
/// branch in one write txn (one revision).
pub fn txn_write(
    store: &mut KvStore,
    leases: &dyn LeaseLookup,
    t: &TxnRequest,
) -> Result<(TxnResponse, Vec<crate::pb::Event>), EtcdError> {
    let path = compare_to_path(store, t);
    check_requests(store, t, &path, &mut |rv, op| check_put_op(rv, leases, op))?;
    check_requests(store, t, &path, &mut |rv, op| check_range_op(rv, op))?;
    // A put with ignore_value/ignore_lease can still fail half way: an
    // earlier op of the same txn may delete its key (a from-key delete
    // escapes etcd's duplicate check). etcd 3.5.1 crashes there; we answer
    // `key not found` and change nothing, so such a txn runs on a copy first.
    if check_requests(store, t, &path, &mut |_, op| match op {
        Op::RequestPut(p) if p.ignore_value || p.ignore_lease => Err(EtcdError::KeyNotFound),
        _ => Ok(()),
    })
    .is_err()
    {
        let mut trial = store.clone();
        run_txn_write(&mut trial, t, &path)?;
    }
    run_txn_write(store, t, &path)
}

fn run_txn_write(
    store: &mut KvStore,
    t: &TxnRequest,
    path: &[bool],
) -> Result<(TxnResponse, Vec<crate::pb::Event>), EtcdError> {
    let mut resp = TxnResponse {
        header: header(0),
        ..Default::default()
    };
    let mut txn = store.write();
    let mut at = 0;
    let r = apply_txn_ops(&mut TxnOps::Write(&mut txn), t, path, &mut at, &mut resp);
    let rev = txn.read_rev();
    let events = txn.end();
    r?;
    resp.header = header(rev);
    Ok((resp, events))
}

/// The branch taken by a txn and by each nested txn in it, depth first
/// (etcd `compareToPath`).
fn compare_to_path(rv: &dyn ReadView, t: &TxnRequest) -> Vec<bool> {
    let ok = t.compare.iter().all(|c| apply_compare(rv, c));
    let mut path = vec![ok];
    let ops = if ok { &t.success } else { &t.failure };
    for op in ops {
        if let Some(Op::RequestTxn(nested)) = &op.request {
            path.extend(compare_to_path(rv, nested));
        }
    }
    path
}

fn apply_compare(rv: &dyn ReadView, c: &Compare) -> bool {
    let Ok(rr) = rv.range(&c.key, &c.range_end, RangeOptions::default()) else {
        return false;
    };
    if rr.kvs.is_empty() {
        // a missing key has no value to compare: always false (docs/etcd-behaviour.md #31)
        if c.target == compare_target::VALUE {
            return false;
        }
        return compare_kv(c, &KeyValue::default());
    }
    rr.kvs.iter().all(|kv| compare_kv(c, kv))
}

fn compare_kv(c: &Compare, kv: &KeyValue) -> bool {
    use std::cmp::Ordering;
    let int = |v: Option<i64>, actual: i64| actual.cmp(&v.unwrap_or(0));
    let ord = match c.target {
        compare_target::VALUE => {
            let want: &[u8] = match &c.target_union {
                Some(TargetUnion::Value(v)) => v,
                _ => &[],
            };
            kv.value.as_slice().cmp(want)
        }
        compare_target::CREATE => int(
            match c.target_union {
                Some(TargetUnion::CreateRevision(v)) => Some(v),
                _ => None,
            },
            kv.create_revision,
        ),
        compare_target::MOD => int(
            match c.target_union {
                Some(TargetUnion::ModRevision(v)) => Some(v),
                _ => None,
            },
            kv.mod_revision,
        ),
        compare_target::VERSION => int(
            match c.target_union {
                Some(TargetUnion::Version(v)) => Some(v),
                _ => None,
            },
            kv.version,
        ),
        compare_target::LEASE => int(
            match c.target_union {
                Some(TargetUnion::Lease(v)) => Some(v),
                _ => None,
            },
            kv.lease,
        ),
        _ => Ordering::Equal,
    };
    match c.result {
        compare_result::EQUAL => ord == Ordering::Equal,
        compare_result::NOT_EQUAL => ord != Ordering::Equal,
        compare_result::GREATER => ord == Ordering::Greater,
        compare_result::LESS => ord == Ordering::Less,
        _ => true,
    }
}

/// Runs `f` on every op of the branches `path` selects (etcd `checkRequests`).
fn check_requests(
    rv: &dyn ReadView,
    t: &TxnRequest,
    path: &[bool],
    f: &mut dyn FnMut(&dyn ReadView, &Op) -> Result<(), EtcdError>,
) -> Result<usize, EtcdError> {
    let Some(&ok) = path.first() else {
        return Ok(0);
    };
    let mut rest = &path[1..];
    let mut count = 0;
    for op in if ok { &t.success } else { &t.failure } {
        match &op.request {
            Some(Op::RequestTxn(nested)) => {
                let n = check_requests(rv, nested, rest, f)?;
                count += n + 1;
                rest = rest.get(n + 1..).unwrap_or(&[]);
            }
            Some(other) => f(rv, other)?,
            None => {}
        }
    }
    Ok(count)
}

fn check_put_op(rv: &dyn ReadView, leases: &dyn LeaseLookup, op: &Op) -> Result<(), EtcdError> {
    let Op::RequestPut(p) = op else { return Ok(()) };
    if p.ignore_value || p.ignore_lease {
        let rr = rv.range(&p.key, &[], RangeOptions::default())?;
        if rr.kvs.is_empty() {
            return Err(EtcdError::KeyNotFound);
        }
    }
    if p.lease != 0 && !leases.lease_exists(p.lease) {
        return Err(EtcdError::LeaseNotFound);
    }
    Ok(())
}

fn check_range_op(rv: &dyn ReadView, op: &Op) -> Result<(), EtcdError> {
    let Op::RequestRange(r) = op else {
        return Ok(());
    };
    if r.revision == 0 {
        Ok(())
    } else if r.revision > rv.rev() {
        Err(EtcdError::FutureRev)
    } else if r.revision < rv.first_rev() {
        Err(EtcdError::Compacted)
    } else {
        Ok(())
    }
}

enum TxnOps<'a, 'b> {
    Read(&'a KvStore),
    Write(&'a mut TxnWrite<'b>),
}

/// Applies the chosen branch of `t` (and of its nested txns), filling `resp`
/// (etcd `applyTxn`). `at` walks `path`.
fn apply_txn_ops(
    ops: &mut TxnOps<'_, '_>,
    t: &TxnRequest,
    path: &[bool],
    at: &mut usize,
    resp: &mut TxnResponse,
) -> Result<(), EtcdError> {
    let ok = path.get(*at).copied().unwrap_or(false);
    resp.succeeded = ok;
    for op in if ok { &t.success } else { &t.failure } {
        let r = match (&op.request, &mut *ops) {
            (Some(Op::RequestRange(r)), TxnOps::Read(s)) => OpResp::ResponseRange(range(*s, r)?),
            (Some(Op::RequestRange(r)), TxnOps::Write(w)) => OpResp::ResponseRange(range(&**w, r)?),
            (Some(Op::RequestPut(p)), TxnOps::Write(w)) => OpResp::ResponsePut(put_in(w, p)?),
            (Some(Op::RequestDeleteRange(d)), TxnOps::Write(w)) => {
                OpResp::ResponseDeleteRange(delete_in(w, d)?)
            }
            (Some(Op::RequestTxn(nested)), _) => {
                *at += 1;
                // nested answers carry an empty header (docs/etcd-behaviour.md #10)
                let mut sub = TxnResponse {
                    header: Some(ResponseHeader::default()),
                    ..Default::default()
                };
                apply_txn_ops(ops, nested, path, at, &mut sub)?;
                OpResp::ResponseTxn(sub)
            }
            // writes never reach a read-only txn; empty ops were rejected earlier
            _ => continue,
        };
        resp.responses.push(ResponseOp { response: Some(r) });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::{PutRequest, RequestOp};

    struct NoLeases;
    impl LeaseLookup for NoLeases {
        fn lease_exists(&self, _: i64) -> bool {
            false
        }
    }

    #[test]
    fn a_txn_that_fails_half_way_changes_nothing() {
        // differential test D2: etcd 3.5.1 crashes on this txn; we refuse it whole
        let mut store = KvStore::new();
        let mut w = store.write();
        w.put(b"a", b"v", 0);
        w.end();
        let t = TxnRequest {
            compare: vec![],
            success: vec![
                RequestOp {
                    request: Some(Op::RequestDeleteRange(DeleteRangeRequest {
                        key: b"a".to_vec(),
                        range_end: vec![0],
                        prev_kv: false,
                    })),
                },
                RequestOp {
                    request: Some(Op::RequestPut(PutRequest {
                        key: b"a".to_vec(),
                        ignore_value: true,
                        ..Default::default()
                    })),
                },
            ],
            failure: vec![],
        };
        assert_eq!(
            txn_write(&mut store, &NoLeases, &t).map(|_| ()),
            Err(EtcdError::KeyNotFound)
        );
        assert_eq!(store.current_revision(), 2);
        assert_eq!(
            store
                .range(b"a", b"", RangeOptions::default())
                .map(|r| r.count),
            Ok(1)
        );
    }
}
