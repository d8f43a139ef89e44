//! A deterministic model of etcd's KV: `step(state, request) -> (state,
//! response)`, after etcd's tests/robustness/model/deterministic.go.
//!
//! Unlike etcd's model, the state keeps every revision (a chain of
//! snapshots shared between states), so a read at a past revision is
//! checked exactly and the watch checker can replay the events.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use super::history::{
    in_range, Compare, CompareResult, CompareTarget, DeleteRequest, Event, EventKind, Key,
    KeyValue, LeaseId, PutRequest, RangeRequest, Request, Response, Revision, TxnOp, TxnOpResult,
};

const ERR_LEASE_NOT_FOUND: &str = "etcdserver: requested lease not found";
const ERR_LEASE_EXIST: &str = "etcdserver: lease already exists";
const ERR_COMPACTED: &str = "etcdserver: mvcc: required revision has been compacted";
const ERR_FUTURE_REV: &str = "etcdserver: mvcc: required revision is a future revision";

/// The store as of one revision, and the events that made it.
#[derive(Debug)]
pub struct Snapshot {
    pub revision: Revision,
    pub kvs: BTreeMap<Key, KeyValue>,
    /// The events of this revision, in the order the txn applied them.
    pub events: Vec<Event>,
    prev: Option<Rc<Snapshot>>,
    /// A hash of this snapshot and all before it, so that states compare
    /// and hash in O(1) for the search's memo.
    digest: u64,
}

impl Drop for Snapshot {
    // Unlink the chain iteratively: a recursive drop of a long history
    // would overflow the stack.
    fn drop(&mut self) {
        let mut prev = self.prev.take();
        while let Some(rc) = prev {
            match Rc::try_unwrap(rc) {
                Ok(mut s) => prev = s.prev.take(),
                Err(_) => break,
            }
        }
    }
}

/// The model state. Cheap to clone: snapshots are shared.
#[derive(Clone, Debug)]
pub struct State {
    head: Rc<Snapshot>,
    compact_revision: Revision,
    leases: BTreeSet<LeaseId>,
}

impl Default for State {
    fn default() -> State {
        State::new()
    }
}

impl PartialEq for State {
    fn eq(&self, other: &State) -> bool {
        if self.compact_revision != other.compact_revision || self.leases != other.leases {
            return false;
        }
        let (mut a, mut b) = (Some(&self.head), Some(&other.head));
        loop {
            match (a, b) {
                (None, None) => return true,
                (Some(x), Some(y)) => {
                    if Rc::ptr_eq(x, y) {
                        return true;
                    }
                    if x.digest != y.digest
                        || x.revision != y.revision
                        || x.kvs != y.kvs
                        || x.events != y.events
                    {
                        return false;
                    }
                    a = x.prev.as_ref();
                    b = y.prev.as_ref();
                }
                _ => return false,
            }
        }
    }
}

impl Eq for State {}

impl Hash for State {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.head.digest.hash(h);
        self.compact_revision.hash(h);
        self.leases.hash(h);
    }
}

impl State {
    /// A fresh cluster: etcd starts at revision 1 with no keys.
    pub fn new() -> State {
        State {
            head: Rc::new(Snapshot {
                revision: 1,
                kvs: BTreeMap::new(),
                events: Vec::new(),
                prev: None,
                digest: 0,
            }),
            compact_revision: 0,
            leases: BTreeSet::new(),
        }
    }

    pub fn revision(&self) -> Revision {
        self.head.revision
    }

    pub fn compact_revision(&self) -> Revision {
        self.compact_revision
    }

    pub fn kvs(&self) -> &BTreeMap<Key, KeyValue> {
        &self.head.kvs
    }

    pub fn leases(&self) -> &BTreeSet<LeaseId> {
        &self.leases
    }

    /// The snapshot of revision `rev`, if the state has reached it.
    pub fn at(&self, rev: Revision) -> Option<&Snapshot> {
        let mut s = Some(&self.head);
        while let Some(snap) = s {
            if snap.revision == rev {
                return Some(snap);
            }
            if snap.revision < rev {
                return None;
            }
            s = snap.prev.as_ref();
        }
        None
    }

    /// Every revision from the first, oldest first.
    pub fn snapshots(&self) -> Vec<&Snapshot> {
        let mut out = Vec::new();
        let mut s = Some(&self.head);
        while let Some(snap) = s {
            out.push(&**snap);
            s = snap.prev.as_ref();
        }
        out.reverse();
        out
    }
}

/// The range `r` over `kvs`: the keys in range (at most `limit`) and how
/// many there are in all.
pub fn range(kvs: &BTreeMap<Key, KeyValue>, r: &RangeRequest) -> (Vec<KeyValue>, i64) {
    let all: Vec<&KeyValue> = match &r.end {
        None => kvs.get(&r.key).into_iter().collect(),
        Some(end) => kvs
            .range(r.key.clone()..)
            .take_while(|(k, _)| in_range(k, &r.key, Some(end)))
            .map(|(_, v)| v)
            .collect(),
    };
    let count = all.len() as i64;
    let shown = if r.limit > 0 {
        r.limit as usize
    } else {
        all.len()
    };
    (all.into_iter().take(shown).cloned().collect(), count)
}

/// Apply `request` to `state`: the next state and the answer etcd gives.
pub fn step(state: &State, request: &Request) -> (State, Response) {
    let rev = state.revision();
    match request {
        Request::Range(r) => (state.clone(), step_range(state, r)),
        Request::Put(p) => {
            if p.lease != 0 && !state.leases.contains(&p.lease) {
                return (state.clone(), Response::Failure(ERR_LEASE_NOT_FOUND.into()));
            }
            let mut w = Write::new(state);
            w.put(p);
            (w.commit(), Response::Put { revision: rev + 1 })
        }
        Request::Delete(d) => {
            let mut w = Write::new(state);
            let deleted = w.delete(d);
            let next = w.commit();
            let revision = next.revision();
            (next, Response::Delete { revision, deleted })
        }
        Request::Txn(t) => {
            let succeeded = t.compares.iter().all(|c| compare(&state.head.kvs, c));
            let ops = if succeeded { &t.success } else { &t.failure };
            // etcd checks the leases of the chosen branch before applying
            // anything: a txn fails as a whole.
            let missing = ops.iter().any(|op| {
                matches!(op, TxnOp::Put(p) if p.lease != 0 && !state.leases.contains(&p.lease))
            });
            if missing {
                return (state.clone(), Response::Failure(ERR_LEASE_NOT_FOUND.into()));
            }
            let mut w = Write::new(state);
            let results = ops
                .iter()
                .map(|op| match op {
                    // Reads inside a txn see the txn's own earlier writes.
                    TxnOp::Range(r) => {
                        let (kvs, count) = range(&w.kvs, r);
                        TxnOpResult::Range { kvs, count }
                    }
                    TxnOp::Put(p) => {
                        w.put(p);
                        TxnOpResult::Put
                    }
                    TxnOp::Delete(d) => TxnOpResult::Delete {
                        deleted: w.delete(d),
                    },
                })
                .collect();
            let next = w.commit();
            let revision = next.revision();
            (
                next,
                Response::Txn {
                    revision,
                    succeeded,
                    results,
                },
            )
        }
        Request::LeaseGrant { id } => {
            if state.leases.contains(id) {
                return (state.clone(), Response::Failure(ERR_LEASE_EXIST.into()));
            }
            let mut next = state.clone();
            next.leases.insert(*id);
            (next, Response::LeaseGrant { revision: rev })
        }
        Request::LeaseRevoke { id } => {
            if !state.leases.contains(id) {
                return (state.clone(), Response::Failure(ERR_LEASE_NOT_FOUND.into()));
            }
            // Revoking deletes the attached keys in one revision.
            let mut w = Write::new(state);
            let attached: Vec<Key> = w
                .kvs
                .values()
                .filter(|kv| kv.lease == *id)
                .map(|kv| kv.key.clone())
                .collect();
            for key in attached {
                w.delete(&DeleteRequest { key, end: None });
            }
            let mut next = w.commit();
            next.leases.remove(id);
            let revision = next.revision();
            (next, Response::LeaseRevoke { revision })
        }
        Request::Compact { revision } => {
            if *revision <= state.compact_revision {
                return (state.clone(), Response::Failure(ERR_COMPACTED.into()));
            }
            if *revision > rev {
                return (state.clone(), Response::Failure(ERR_FUTURE_REV.into()));
            }
            let mut next = state.clone();
            next.compact_revision = *revision;
            (next, Response::Compact { revision: rev })
        }
    }
}

fn step_range(state: &State, r: &RangeRequest) -> Response {
    let rev = state.revision();
    let at = if r.revision == 0 { rev } else { r.revision };
    if at > rev {
        return Response::Failure(ERR_FUTURE_REV.into());
    }
    // etcd keeps the compacted revision itself readable (mvcc: rev < compactMainRev).
    if at < state.compact_revision {
        return Response::Failure(ERR_COMPACTED.into());
    }
    let kvs = state.at(at).map(|s| &s.kvs);
    let (kvs, count) = kvs.map(|kvs| range(kvs, r)).unwrap_or_default();
    Response::Range {
        revision: rev,
        kvs,
        count,
    }
}

/// etcd's applyCompare: a value compare on a missing key is false whatever
/// the result; the other targets compare against zero.
pub fn compare(kvs: &BTreeMap<Key, KeyValue>, c: &Compare) -> bool {
    let kv = kvs.get(&c.key);
    let ord = match (&c.target, kv) {
        (CompareTarget::Value(_), None) => return false,
        (CompareTarget::Value(v), Some(kv)) => kv.value.as_slice().cmp(v.as_slice()),
        (CompareTarget::Version(v), kv) => kv.map_or(0, |kv| kv.version).cmp(v),
        (CompareTarget::Create(v), kv) => kv.map_or(0, |kv| kv.create_revision).cmp(v),
        (CompareTarget::Mod(v), kv) => kv.map_or(0, |kv| kv.mod_revision).cmp(v),
        (CompareTarget::Lease(v), kv) => kv.map_or(0, |kv| kv.lease).cmp(v),
    };
    match c.result {
        CompareResult::Equal => ord.is_eq(),
        CompareResult::NotEqual => ord.is_ne(),
        CompareResult::Greater => ord.is_gt(),
        CompareResult::Less => ord.is_lt(),
    }
}

/// The writes of one request: all share the next revision, which exists
/// only if something changed (a delete of nothing does not bump).
struct Write<'a> {
    base: &'a State,
    kvs: BTreeMap<Key, KeyValue>,
    events: Vec<Event>,
}

impl<'a> Write<'a> {
    fn new(base: &'a State) -> Write<'a> {
        Write {
            base,
            kvs: base.head.kvs.clone(),
            events: Vec::new(),
        }
    }

    fn put(&mut self, p: &PutRequest) {
        let rev = self.base.revision() + 1;
        let prev = self.kvs.get(&p.key);
        let kv = KeyValue {
            key: p.key.clone(),
            value: p.value.clone(),
            create_revision: prev.map_or(rev, |kv| kv.create_revision),
            mod_revision: rev,
            version: prev.map_or(0, |kv| kv.version) + 1,
            lease: p.lease,
        };
        self.kvs.insert(p.key.clone(), kv.clone());
        self.events.push(Event {
            kind: EventKind::Put,
            kv,
        });
    }

    fn delete(&mut self, d: &DeleteRequest) -> i64 {
        let rev = self.base.revision() + 1;
        let keys: Vec<Key> = self
            .kvs
            .keys()
            .filter(|k| in_range(k, &d.key, d.end.as_deref()))
            .cloned()
            .collect();
        for key in &keys {
            self.kvs.remove(key);
            self.events.push(Event {
                kind: EventKind::Delete,
                kv: KeyValue {
                    key: key.clone(),
                    mod_revision: rev,
                    ..KeyValue::default()
                },
            });
        }
        keys.len() as i64
    }

    fn commit(self) -> State {
        let mut next = self.base.clone();
        if self.events.is_empty() {
            return next;
        }
        let revision = self.base.revision() + 1;
        let mut h = DefaultHasher::new();
        (self.base.head.digest, revision, &self.kvs, &self.events).hash(&mut h);
        next.head = Rc::new(Snapshot {
            revision,
            kvs: self.kvs,
            events: self.events,
            prev: Some(self.base.head.clone()),
            digest: h.finish(),
        });
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put_op(key: &str, value: &str) -> TxnOp {
        TxnOp::Put(PutRequest {
            key: key.into(),
            value: value.into(),
            lease: 0,
        })
    }

    fn txn(compares: Vec<Compare>, success: Vec<TxnOp>, failure: Vec<TxnOp>) -> Request {
        Request::Txn(super::super::history::TxnRequest {
            compares,
            success,
            failure,
        })
    }

    fn cmp(key: &str, target: CompareTarget, result: CompareResult) -> Compare {
        Compare {
            key: key.into(),
            target,
            result,
        }
    }

    #[test]
    fn a_txn_with_several_writes_bumps_the_revision_once() {
        let s = State::new();
        let (s, r) = step(
            &s,
            &txn(vec![], vec![put_op("a", "1"), put_op("b", "1")], vec![]),
        );
        assert_eq!(
            r,
            Response::Txn {
                revision: 2,
                succeeded: true,
                results: vec![TxnOpResult::Put, TxnOpResult::Put]
            }
        );
        assert_eq!(s.kvs()[b"b".as_slice()].mod_revision, 2);
        assert_eq!(s.at(2).map(|s| s.events.len()), Some(2));
    }

    #[test]
    fn a_read_only_txn_and_a_delete_of_nothing_do_not_bump() {
        let s = State::new();
        let read = TxnOp::Range(RangeRequest {
            key: "a".into(),
            end: None,
            revision: 0,
            limit: 0,
            serializable: false,
        });
        let (s, _) = step(&s, &txn(vec![], vec![read], vec![]));
        let (s, r) = step(&s, &Request::delete("a"));
        assert_eq!(
            r,
            Response::Delete {
                revision: 1,
                deleted: 0
            }
        );
        assert_eq!(s.revision(), 1);
    }

    #[test]
    fn a_value_compare_on_a_missing_key_is_false_and_a_version_compare_sees_zero() {
        let s = State::new();
        let ne = cmp(
            "a",
            CompareTarget::Value(b"x".to_vec()),
            CompareResult::NotEqual,
        );
        let (_, r) = step(&s, &txn(vec![ne], vec![], vec![]));
        assert!(matches!(
            r,
            Response::Txn {
                succeeded: false,
                ..
            }
        ));
        let v0 = cmp("a", CompareTarget::Version(0), CompareResult::Equal);
        let (_, r) = step(&s, &txn(vec![v0], vec![], vec![]));
        assert!(matches!(
            r,
            Response::Txn {
                succeeded: true,
                ..
            }
        ));
    }

    #[test]
    fn a_failed_txn_runs_its_failure_branch_and_reads_its_own_writes() {
        let (s, _) = step(&State::new(), &Request::put("a", "1"));
        let gt = cmp("a", CompareTarget::Mod(5), CompareResult::Greater);
        let read_b = TxnOp::Range(RangeRequest {
            key: "b".into(),
            end: None,
            revision: 0,
            limit: 0,
            serializable: false,
        });
        let (s, r) = step(&s, &txn(vec![gt], vec![], vec![put_op("b", "2"), read_b]));
        let Response::Txn {
            revision,
            succeeded,
            results,
        } = r
        else {
            panic!("{r:?}");
        };
        assert_eq!((revision, succeeded), (3, false));
        assert_eq!(
            results[1],
            TxnOpResult::Range {
                kvs: vec![s.kvs()[b"b".as_slice()].clone()],
                count: 1
            }
        );
    }

    #[test]
    fn a_put_keeps_create_revision_and_counts_versions() {
        let (s, _) = step(&State::new(), &Request::put("a", "1"));
        let (s, _) = step(&s, &Request::put("a", "2"));
        let kv = &s.kvs()[b"a".as_slice()];
        assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (2, 3, 2));
    }

    #[test]
    fn revoking_a_lease_deletes_its_keys_in_one_revision() {
        let (s, _) = step(&State::new(), &Request::LeaseGrant { id: 7 });
        let with_lease = |k: &str| {
            Request::Put(PutRequest {
                key: k.into(),
                value: "v".into(),
                lease: 7,
            })
        };
        let (s, _) = step(&s, &with_lease("a"));
        let (s, _) = step(&s, &with_lease("b"));
        let (s, r) = step(&s, &Request::LeaseRevoke { id: 7 });
        assert_eq!(r, Response::LeaseRevoke { revision: 4 });
        assert!(s.kvs().is_empty());
        let (_, r) = step(&s, &with_lease("c"));
        assert_eq!(r, Response::Failure(ERR_LEASE_NOT_FOUND.into()));
    }

    #[test]
    fn reads_below_the_compact_revision_or_in_the_future_fail() {
        let (s, _) = step(&State::new(), &Request::put("a", "1"));
        let (s, _) = step(&s, &Request::put("a", "2"));
        let (s, _) = step(&s, &Request::Compact { revision: 3 });
        let at = |revision| {
            Request::Range(RangeRequest {
                key: "a".into(),
                end: None,
                revision,
                limit: 0,
                serializable: false,
            })
        };
        assert_eq!(step(&s, &at(2)).1, Response::Failure(ERR_COMPACTED.into()));
        assert_eq!(step(&s, &at(4)).1, Response::Failure(ERR_FUTURE_REV.into()));
        assert!(matches!(
            step(&s, &at(3)).1,
            Response::Range { count: 1, .. }
        ));
    }

    #[test]
    fn states_reached_by_the_same_writes_are_equal() {
        let a = step(&State::new(), &Request::put("a", "1")).0;
        let b = step(&State::new(), &Request::put("a", "1")).0;
        let c = step(&State::new(), &Request::put("a", "2")).0;
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
