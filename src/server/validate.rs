//! Checks etcd's gRPC layer makes before a request reaches the server
//! (etcd `server/etcdserver/api/v3rpc/key.go`). A request failing them
//! changes nothing and never reaches Raft.

use crate::errors::EtcdError;
use crate::pb::request_op::Request as Op;
use crate::pb::{DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest};
use std::collections::BTreeSet;

/// etcd's default `--max-txn-ops`.
pub const MAX_TXN_OPS: usize = 128;

pub fn check_range(r: &RangeRequest) -> Result<(), EtcdError> {
    if r.key.is_empty() {
        return Err(EtcdError::EmptyKey);
    }
    Ok(())
}

pub fn check_put(r: &PutRequest) -> Result<(), EtcdError> {
    if r.key.is_empty() {
        return Err(EtcdError::EmptyKey);
    }
    if r.ignore_value && !r.value.is_empty() {
        return Err(EtcdError::ValueProvided);
    }
    if r.ignore_lease && r.lease != 0 {
        return Err(EtcdError::LeaseProvided);
    }
    Ok(())
}

pub fn check_delete(r: &DeleteRangeRequest) -> Result<(), EtcdError> {
    if r.key.is_empty() {
        return Err(EtcdError::EmptyKey);
    }
    Ok(())
}

/// `checkTxnRequest` then `checkIntervals` on both branches, in etcd's order.
pub fn check_txn(r: &TxnRequest) -> Result<(), EtcdError> {
    check_txn_ops(r, MAX_TXN_OPS as i64)?;
    check_intervals(&r.success)?;
    check_intervals(&r.failure)?;
    Ok(())
}

fn check_txn_ops(r: &TxnRequest, max_ops: i64) -> Result<(), EtcdError> {
    let opc = r.compare.len().max(r.success.len()).max(r.failure.len()) as i64;
    if opc > max_ops {
        return Err(EtcdError::TooManyOps);
    }
    if r.compare.iter().any(|c| c.key.is_empty()) {
        return Err(EtcdError::EmptyKey);
    }
    for op in r.success.iter().chain(r.failure.iter()) {
        check_op(op, max_ops - opc)?;
    }
    Ok(())
}

fn check_op(op: &RequestOp, max_ops: i64) -> Result<(), EtcdError> {
    match &op.request {
        Some(Op::RequestRange(r)) => check_range(r),
        Some(Op::RequestPut(r)) => check_put(r),
        Some(Op::RequestDeleteRange(r)) => check_delete(r),
        Some(Op::RequestTxn(r)) => check_txn_ops(r, max_ops),
        // etcd: "empty op / nil entry"
        None => Err(EtcdError::KeyNotFound),
    }
}

/// A deleted interval as etcd's `adt.StringAffineInterval`: `[begin, end)`
/// compared as strings, where an empty `end` is +infinity. A delete with
/// `range_end` `"\0"` becomes `[key, "\0")`, which contains nothing: etcd
/// 3.5.1 does not see it overlap a put, and neither do we.
#[derive(Clone, Debug)]
struct Interval {
    begin: Vec<u8>,
    end: Option<Vec<u8>>, // None = +infinity
}

impl Interval {
    fn contains(&self, k: &[u8]) -> bool {
        self.begin.as_slice() <= k && self.end.as_deref().is_none_or(|e| k < e)
    }
}

#[derive(Default)]
struct Dels(Vec<Interval>);

impl Dels {
    fn intersects_point(&self, k: &[u8]) -> bool {
        self.0.iter().any(|iv| iv.contains(k))
    }
}

/// etcd's `checkIntervals`: no key may be put twice, or both put and deleted,
/// within one txn branch (nested txns included). Returns the puts and deletes
/// for the level above.
fn check_intervals(reqs: &[RequestOp]) -> Result<(BTreeSet<Vec<u8>>, Dels), EtcdError> {
    let mut dels = Dels::default();
    for req in reqs {
        if let Some(Op::RequestDeleteRange(d)) = &req.request {
            let iv = if d.range_end.is_empty() {
                // a point: [key, key+"\0")
                let mut end = d.key.clone();
                end.push(0);
                Interval {
                    begin: d.key.clone(),
                    end: Some(end),
                }
            } else {
                Interval {
                    begin: d.key.clone(),
                    end: Some(d.range_end.clone()),
                }
            };
            dels.0.push(iv);
        }
    }
    let mut puts = BTreeSet::new();
    for req in reqs {
        let Some(Op::RequestTxn(t)) = &req.request else {
            continue;
        };
        let (puts_then, dels_then) = check_intervals(&t.success)?;
        let (puts_else, dels_else) = check_intervals(&t.failure)?;
        for k in &puts_then {
            if puts.contains(k) || dels.intersects_point(k) {
                return Err(EtcdError::DuplicateKey);
            }
            puts.insert(k.clone());
        }
        for k in &puts_else {
            // the same key in then and else is fine: only one branch runs
            if puts.contains(k) && !puts_then.contains(k) {
                return Err(EtcdError::DuplicateKey);
            }
            if dels.intersects_point(k) {
                return Err(EtcdError::DuplicateKey);
            }
            puts.insert(k.clone());
        }
        dels.0.extend(dels_then.0);
        dels.0.extend(dels_else.0);
    }
    for req in reqs {
        let Some(Op::RequestPut(p)) = &req.request else {
            continue;
        };
        if puts.contains(&p.key) || dels.intersects_point(&p.key) {
            return Err(EtcdError::DuplicateKey);
        }
        puts.insert(p.key.clone());
    }
    Ok((puts, dels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(k: &str) -> RequestOp {
        RequestOp {
            request: Some(Op::RequestPut(PutRequest {
                key: k.into(),
                ..Default::default()
            })),
        }
    }
    fn del(k: &str, end: &[u8]) -> RequestOp {
        RequestOp {
            request: Some(Op::RequestDeleteRange(DeleteRangeRequest {
                key: k.into(),
                range_end: end.to_vec(),
                prev_kv: false,
            })),
        }
    }
    fn txn(success: Vec<RequestOp>, failure: Vec<RequestOp>) -> RequestOp {
        RequestOp {
            request: Some(Op::RequestTxn(TxnRequest {
                compare: vec![],
                success,
                failure,
            })),
        }
    }
    fn branch(ops: Vec<RequestOp>) -> TxnRequest {
        TxnRequest {
            compare: vec![],
            success: ops,
            failure: vec![],
        }
    }

    #[test]
    fn two_puts_of_one_key_are_a_duplicate() {
        assert_eq!(
            check_txn(&branch(vec![put("a"), put("a")])),
            Err(EtcdError::DuplicateKey)
        );
    }

    #[test]
    fn a_delete_range_covering_a_put_is_a_duplicate() {
        assert_eq!(
            check_txn(&branch(vec![del("a", b"c"), put("b")])),
            Err(EtcdError::DuplicateKey)
        );
        assert_eq!(
            check_txn(&branch(vec![put("a"), del("a", b"")])),
            Err(EtcdError::DuplicateKey)
        );
    }

    #[test]
    fn a_delete_to_nul_end_does_not_count_as_overlap_as_in_etcd_3_5_1() {
        assert_eq!(check_txn(&branch(vec![del("a", b"\0"), put("b")])), Ok(()));
    }

    #[test]
    fn same_key_in_outer_and_nested_txn_is_a_duplicate() {
        let t = branch(vec![put("a"), txn(vec![put("a")], vec![])]);
        assert_eq!(check_txn(&t), Err(EtcdError::DuplicateKey));
    }

    #[test]
    fn same_key_in_then_and_else_of_a_nested_txn_is_fine() {
        let t = branch(vec![txn(vec![put("a")], vec![put("a")])]);
        assert_eq!(check_txn(&t), Ok(()));
    }

    #[test]
    fn same_key_in_success_and_failure_is_fine() {
        let t = TxnRequest {
            compare: vec![],
            success: vec![put("a")],
            failure: vec![put("a")],
        };
        assert_eq!(check_txn(&t), Ok(()));
    }

    #[test]
    fn more_than_128_ops_is_too_many() {
        let ok = branch((0..128).map(|i| put(&format!("k{i}"))).collect());
        assert_eq!(check_txn(&ok), Ok(()));
        let bad = branch((0..129).map(|i| put(&format!("k{i}"))).collect());
        assert_eq!(check_txn(&bad), Err(EtcdError::TooManyOps));
    }

    #[test]
    fn an_empty_op_is_key_not_found() {
        assert_eq!(
            check_txn(&branch(vec![RequestOp::default()])),
            Err(EtcdError::KeyNotFound)
        );
    }
}
