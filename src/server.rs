//! One etcd member: its Raft node, applier and state machine (etcd
//! `server/etcdserver`). A member never knows HTTP or JSON.

mod apply;
mod gosort;
mod validate;
pub mod watch;

use crate::errors::EtcdError;
use crate::mvcc::KvStore;
use crate::pb;
use crate::pb::size::{embedded, EncodedLen};

/// etcd's default `--max-request-bytes`: the largest Raft proposal.
pub const MAX_REQUEST_BYTES: usize = 1_572_864;

/// A request to a member, as its gRPC services receive it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Range(pb::RangeRequest),
    Put(pb::PutRequest),
    DeleteRange(pb::DeleteRangeRequest),
    Txn(pb::TxnRequest),
    Compaction(pb::CompactionRequest),
}

/// A member's answer; its header's cluster and member ids and term are
/// filled by the member that answers the client ([`EtcdServer::fill_header`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    Range(pb::RangeResponse),
    Put(pb::PutResponse),
    DeleteRange(pb::DeleteRangeResponse),
    Txn(pb::TxnResponse),
    Compaction(pb::CompactionResponse),
}

pub type Reply = Result<Response, EtcdError>;

impl Request {
    /// The size of the message the gateway would send over gRPC.
    pub fn encoded_len(&self) -> usize {
        match self {
            Request::Range(r) => r.encoded_len(),
            Request::Put(r) => r.encoded_len(),
            Request::DeleteRange(r) => r.encoded_len(),
            Request::Txn(r) => r.encoded_len(),
            Request::Compaction(r) => r.encoded_len(),
        }
    }
}

/// How a request is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Read from the member's own state at once (`serializable`).
    LocalRead,
    /// Read after a ReadIndex round confirms the member is up to date.
    LinearizableRead,
    /// Proposed to Raft and answered once applied.
    Propose,
}

/// A proposal as it travels through the Raft log (etcd `InternalRaftRequest`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InternalRaftRequest {
    pub id: u64,
    pub request: Request,
}

impl InternalRaftRequest {
    /// Encoded size: the request under its field number plus the
    /// `RequestHeader{ID}` under field 100, as etcd marshals it.
    pub fn encoded_len(&self) -> usize {
        let field = match self.request {
            Request::Range(_) => 3,
            Request::Put(_) => 4,
            Request::DeleteRange(_) => 5,
            Request::Txn(_) => 6,
            Request::Compaction(_) => 7,
        };
        // RequestHeader { ID = 1 }: one tag byte and the varint
        let id_len = 1 + varint_len(self.id);
        embedded(100, id_len) + embedded(field, self.request.encoded_len())
    }
}

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// The etcd member state a client request touches.
#[derive(Clone, Debug)]
pub struct EtcdServer {
    pub id: u64,
    kv: KvStore,
    applied_index: u64,
    next_request: u64,
}

impl EtcdServer {
    /// A member that has applied the bootstrap entries up to `applied_index`.
    pub fn new(id: u64, applied_index: u64) -> Self {
        EtcdServer { id, kv: KvStore::new(), applied_index, next_request: 1 }
    }

    pub fn kv(&self) -> &KvStore {
        &self.kv
    }

    pub fn applied_index(&self) -> u64 {
        self.applied_index
    }

    /// The checks of etcd's gRPC layer, then how the request will be served.
    pub fn route(&self, req: &Request) -> Result<Path, EtcdError> {
        use validate::*;
        match req {
            Request::Range(r) => {
                check_range(r)?;
                Ok(if r.serializable { Path::LocalRead } else { Path::LinearizableRead })
            }
            Request::Put(r) => check_put(r).map(|_| Path::Propose),
            Request::DeleteRange(r) => check_delete(r).map(|_| Path::Propose),
            Request::Txn(t) => {
                check_txn(t)?;
                Ok(match (apply::txn_is_read_only(t), apply::txn_is_serializable(t)) {
                    (true, true) => Path::LocalRead,
                    (true, false) => Path::LinearizableRead,
                    _ => Path::Propose,
                })
            }
            Request::Compaction(_) => Ok(Path::Propose),
        }
    }

    /// Serves a read from this member's applied state.
    pub fn read(&self, req: &Request) -> Reply {
        match req {
            Request::Range(r) => apply::range(&self.kv, r).map(Response::Range),
            Request::Txn(t) => apply::txn_read(&self.kv, t).map(Response::Txn),
            // route() never sends writes here
            _ => Err(EtcdError::Stopped),
        }
    }

    /// Wraps a write for Raft, refusing one larger than etcd's
    /// `--max-request-bytes` (`etcdserver: request is too large`).
    pub fn new_proposal(&mut self, request: Request) -> Result<InternalRaftRequest, EtcdError> {
        // etcd's request ids: member id in the top bits, then a counter
        let id = (self.id << 48) | self.next_request;
        self.next_request += 1;
        let p = InternalRaftRequest { id, request };
        if p.encoded_len() > MAX_REQUEST_BYTES {
            return Err(EtcdError::RequestTooLarge);
        }
        Ok(p)
    }

    /// Applies one committed entry; every member applies the same entries in
    /// the same order and gets the same answer.
    pub fn apply(&mut self, index: u64, entry: &InternalRaftRequest) -> Reply {
        self.applied_index = index;
        let leases = apply::NoLeases;
        match &entry.request {
            Request::Put(p) => apply::put(&mut self.kv, &leases, p).map(|(r, _)| Response::Put(r)),
            Request::DeleteRange(d) => {
                apply::delete_range(&mut self.kv, d).map(|(r, _)| Response::DeleteRange(r))
            }
            Request::Txn(t) => apply::txn_write(&mut self.kv, &leases, t).map(|(r, _)| Response::Txn(r)),
            Request::Compaction(c) => apply::compaction(&mut self.kv, c).map(Response::Compaction),
            Request::Range(r) => apply::range(&self.kv, r).map(Response::Range),
        }
    }

    /// Fills the response header as etcd's gRPC layer does on the member
    /// that answers: cluster id, this member's id, its term, and the current
    /// revision when the applier left none.
    pub fn fill_header(&self, resp: &mut Response, cluster_id: u64, term: u64) {
        let h = match resp {
            Response::Range(r) => &mut r.header,
            Response::Put(r) => &mut r.header,
            Response::DeleteRange(r) => &mut r.header,
            Response::Txn(r) => &mut r.header,
            Response::Compaction(r) => &mut r.header,
        };
        let h = h.get_or_insert_with(Default::default);
        h.cluster_id = cluster_id;
        h.member_id = self.id;
        h.raft_term = term;
        if h.revision == 0 {
            h.revision = self.kv.current_revision();
        }
    }
}
