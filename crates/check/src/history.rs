//! What clients saw: requests, answers, and when.
//!
//! These types mirror etcd's KV API (`etcdserverpb`) but are our own, so the
//! checker does not depend on the code it checks. Keys and values are bytes,
//! as in etcd.

/// A main revision, as in etcd's response header.
pub type Revision = i64;
/// Virtual milliseconds.
pub type Time = u64;
pub type ClientId = u32;
pub type LeaseId = i64;
pub type Key = Vec<u8>;

/// mvccpb.KeyValue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyValue {
    pub key: Key,
    pub value: Vec<u8>,
    pub create_revision: Revision,
    pub mod_revision: Revision,
    pub version: i64,
    pub lease: LeaseId,
}

/// `end: None` is a single key; `Some(vec![0])` is every key >= `key`
/// (etcd's "\0" range end); otherwise the half-open range `[key, end)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeRequest {
    pub key: Key,
    pub end: Option<Key>,
    /// 0 reads the latest revision.
    pub revision: Revision,
    /// 0 is no limit. `count` still counts every key in range.
    pub limit: i64,
    /// Served from the member's local state: checked by
    /// [`super::check_serializable`], not by linearizability.
    pub serializable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutRequest {
    pub key: Key,
    pub value: Vec<u8>,
    /// 0 is no lease.
    pub lease: LeaseId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteRequest {
    pub key: Key,
    pub end: Option<Key>,
}

/// RequestOp. A range inside a txn reads the txn's own state: its
/// `revision` and `serializable` are ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnOp {
    Range(RangeRequest),
    Put(PutRequest),
    Delete(DeleteRequest),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompareTarget {
    Value(Vec<u8>),
    Version(i64),
    Create(Revision),
    Mod(Revision),
    Lease(LeaseId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareResult {
    Equal,
    NotEqual,
    Greater,
    Less,
}

/// A compare on one key (range compares are not modelled).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compare {
    pub key: Key,
    pub target: CompareTarget,
    pub result: CompareResult,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnRequest {
    pub compares: Vec<Compare>,
    pub success: Vec<TxnOp>,
    pub failure: Vec<TxnOp>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Range(RangeRequest),
    Put(PutRequest),
    Delete(DeleteRequest),
    Txn(TxnRequest),
    /// The lease ID is part of the request: a recorder that let the server
    /// choose writes the granted ID here once it knows it.
    LeaseGrant {
        id: LeaseId,
    },
    LeaseRevoke {
        id: LeaseId,
    },
    Compact {
        revision: Revision,
    },
}

impl Request {
    pub fn get(key: impl AsRef<[u8]>) -> Request {
        Request::range(key, None::<&[u8]>)
    }

    pub fn range(key: impl AsRef<[u8]>, end: Option<impl AsRef<[u8]>>) -> Request {
        Request::Range(RangeRequest {
            key: key.as_ref().to_vec(),
            end: end.map(|e| e.as_ref().to_vec()),
            revision: 0,
            limit: 0,
            serializable: false,
        })
    }

    pub fn put(key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Request {
        Request::Put(PutRequest {
            key: key.as_ref().to_vec(),
            value: value.as_ref().to_vec(),
            lease: 0,
        })
    }

    pub fn delete(key: impl AsRef<[u8]>) -> Request {
        Request::Delete(DeleteRequest {
            key: key.as_ref().to_vec(),
            end: None,
        })
    }

    /// True when the request cannot change the state, whatever happens to
    /// it. Such a request without an answer tells nothing and is dropped.
    pub fn is_read_only(&self) -> bool {
        let ro = |ops: &[TxnOp]| ops.iter().all(|op| matches!(op, TxnOp::Range(_)));
        match self {
            Request::Range(_) => true,
            Request::Txn(t) => ro(&t.success) && ro(&t.failure),
            _ => false,
        }
    }
}

/// ResponseOp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnOpResult {
    Range { kvs: Vec<KeyValue>, count: i64 },
    Put,
    Delete { deleted: i64 },
}

/// An answer. Every success carries the header revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    Range {
        revision: Revision,
        kvs: Vec<KeyValue>,
        count: i64,
    },
    Put {
        revision: Revision,
    },
    Delete {
        revision: Revision,
        deleted: i64,
    },
    Txn {
        revision: Revision,
        succeeded: bool,
        results: Vec<TxnOpResult>,
    },
    LeaseGrant {
        revision: Revision,
    },
    LeaseRevoke {
        revision: Revision,
    },
    Compact {
        revision: Revision,
    },
    /// An error answer, with etcd's message as the client saw it. What it
    /// means for the state is decided by an [`ErrorEffect`] classifier.
    Failure(String),
}

impl Response {
    /// The header revision, if this is a success.
    pub fn revision(&self) -> Option<Revision> {
        match self {
            Response::Range { revision, .. }
            | Response::Put { revision }
            | Response::Delete { revision, .. }
            | Response::Txn { revision, .. }
            | Response::LeaseGrant { revision }
            | Response::LeaseRevoke { revision }
            | Response::Compact { revision } => Some(*revision),
            Response::Failure(_) => None,
        }
    }
}

/// What an error answer says about the request's effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorEffect {
    /// Rejected before it was proposed: it never took effect.
    None,
    /// Maybe applied, maybe not, maybe later: treated like a timeout.
    Unknown,
    /// An answer the model itself gives (lease not found, future revision,
    /// compacted): compared exactly like a success.
    Modeled,
}

/// The default classifier, for etcd 3.5's messages (etcd-sim's `errors`).
/// Anything unknown is `Unknown`, the safe choice: it never rejects a
/// correct history, it only makes the search wider.
pub fn classify_etcd_error(message: &str) -> ErrorEffect {
    match message {
        "etcdserver: requested lease not found"
        | "etcdserver: lease already exists"
        | "etcdserver: mvcc: required revision has been compacted"
        | "etcdserver: mvcc: required revision is a future revision" => ErrorEffect::Modeled,
        // Validated by the gRPC layer before the request reaches Raft.
        "etcdserver: key is not provided"
        | "etcdserver: duplicate key given in txn request"
        | "etcdserver: too many operations in txn request"
        | "etcdserver: request is too large"
        | "etcdserver: mvcc: database space exceeded"
        | "etcdserver: permission denied" => ErrorEffect::None,
        _ => ErrorEffect::Unknown,
    }
}

/// The answer a client got and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Returned {
    pub time: Time,
    pub response: Response,
}

/// One client call. `ret: None` means the call never returned: it may or
/// may not have taken effect, at any point after `call`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub client: ClientId,
    pub call: Time,
    pub request: Request,
    pub ret: Option<Returned>,
}

/// The index of an operation in [`History::ops`].
pub type OpId = usize;

/// Every client call of one run, in the order they were recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    pub ops: Vec<Operation>,
}

impl History {
    pub fn new() -> History {
        History::default()
    }

    /// Record a call when the client sends it; answer it later with
    /// [`History::ret`] (or never).
    pub fn call(&mut self, client: ClientId, time: Time, request: Request) -> OpId {
        self.ops.push(Operation {
            client,
            call: time,
            request,
            ret: None,
        });
        self.ops.len() - 1
    }

    pub fn ret(&mut self, op: OpId, time: Time, response: Response) {
        self.ops[op].ret = Some(Returned { time, response });
    }

    /// Record a call and its answer at once.
    pub fn push(
        &mut self,
        client: ClientId,
        call: Time,
        request: Request,
        ret: Time,
        response: Response,
    ) -> OpId {
        let id = self.call(client, call, request);
        self.ret(id, ret, response);
        id
    }
}

/// mvccpb.Event. A delete event carries the key and, as `mod_revision`,
/// the revision of the delete; its other fields are zero.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    pub kind: EventKind,
    pub kv: KeyValue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    Put,
    Delete,
}

impl Event {
    pub fn revision(&self) -> Revision {
        self.kv.mod_revision
    }
}

/// Whether `k` is in the range `key..end` (see [`RangeRequest::end`]).
pub fn in_range(k: &[u8], key: &[u8], end: Option<&[u8]>) -> bool {
    match end {
        None => k == key,
        Some([0]) => k >= key,
        Some(end) => k >= key && k < end,
    }
}
