//! `v3lock.Lock`: `concurrency.Mutex.Lock` on the request's session. The
//! key is `name/<lease in hex>`; the oldest key under `name/` holds the
//! lock, the others wait for the deletes of the keys older than theirs.

use super::wait_deletes::{WaitDeletes, Waited};
use super::Effect;
use super::{answer, delete, first_created, put_if_absent, range, session_key, txn, txn_range};
use crate::errors::EtcdError;
use crate::pb::*;
use crate::server::v3client::ServiceResponse;
use crate::server::{Reply, Request};

pub struct Lock {
    prefix: Vec<u8>,
    key: Vec<u8>,
    lease: i64,
    state: State,
}

enum State {
    /// `tryAcquire`'s txn is out.
    Acquire,
    Wait(WaitDeletes),
    /// Every older key is gone: is ours still there (`ErrSessionExpired`)?
    Confirm,
    /// The wait or the confirming get failed: our key is being deleted
    /// before the error goes back.
    Release(EtcdError),
    Done,
}

impl Lock {
    pub fn new(name: &[u8], lease: i64) -> Self {
        let mut prefix = name.to_vec();
        prefix.push(b'/');
        Lock {
            key: session_key(&prefix, lease),
            prefix,
            lease,
            state: State::Acquire,
        }
    }

    pub fn set_lease(&mut self, lease: i64) {
        self.lease = lease;
        self.key = session_key(&self.prefix, lease);
    }

    /// `tryAcquire`: put our key unless it exists, and get the owner.
    pub fn begin(&mut self) -> Vec<Effect> {
        let owner = request_op::Request::RequestRange(first_created(&self.prefix));
        let acquire = put_if_absent(&self.key, b"", self.lease, Some(owner));
        vec![Effect::Submit(acquire)]
    }

    pub fn reply(&mut self, reply: Reply) -> Vec<Effect> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Acquire => self.acquired(reply),
            State::Wait(w) => {
                let waited = w.looked(reply);
                self.state = State::Wait(w);
                self.waited(waited)
            }
            State::Confirm => match range(reply) {
                Ok(r) if r.kvs.is_empty() => self.answer(Err(EtcdError::MutexSessionExpired)),
                Ok(r) => self.answer(Ok(r.header)),
                // `Mutex.Lock` unlocks when that get fails
                Err(e) => self.release(e),
            },
            State::Release(e) => answer(Err(e)),
            State::Done => Vec::new(),
        }
    }

    pub fn watch(&mut self, resp: WatchResponse) -> Vec<Effect> {
        let waited = match &self.state {
            State::Wait(w) => w.watched(&resp),
            _ => None,
        };
        waited.map_or_else(Vec::new, |w| self.waited(w))
    }

    /// `Mutex.Lock` unlocks when its context ends while it waits.
    pub fn cancel(&mut self) -> Vec<Request> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Wait(_) | State::Confirm => vec![delete(&self.key)],
            _ => Vec::new(),
        }
    }

    fn acquired(&mut self, reply: Reply) -> Vec<Effect> {
        let t = match txn(reply) {
            Ok(t) => t,
            Err(e) => return answer(Err(e)),
        };
        let rev = if t.succeeded {
            t.header.as_ref().map_or(0, |h| h.revision)
        } else {
            let mine = txn_range(&t, 0).and_then(|r| r.kvs.first());
            mine.map_or(0, |kv| kv.create_revision)
        };
        let owner = txn_range(&t, 1).and_then(|r| r.kvs.first());
        if owner.is_none_or(|kv| kv.create_revision == rev) {
            return self.answer(Ok(t.header));
        }
        let w = WaitDeletes::new(&self.prefix, rev - 1);
        let look = w.look();
        self.state = State::Wait(w);
        vec![look]
    }

    fn waited(&mut self, waited: Waited) -> Vec<Effect> {
        match waited {
            Waited::Pending(effect) => vec![effect],
            Waited::Done => {
                self.state = State::Confirm;
                vec![Effect::Submit(Request::Range(RangeRequest {
                    key: self.key.clone(),
                    ..Default::default()
                }))]
            }
            Waited::Failed(e) => self.release(e),
        }
    }

    /// `m.Unlock` before the error `e` goes back.
    fn release(&mut self, e: EtcdError) -> Vec<Effect> {
        self.state = State::Release(e);
        vec![Effect::Submit(delete(&self.key))]
    }

    fn answer(&mut self, header: Result<Option<ResponseHeader>, EtcdError>) -> Vec<Effect> {
        self.state = State::Done;
        answer(header.map(|header| {
            ServiceResponse::Lock(LockResponse {
                header,
                key: self.key.clone(),
            })
        }))
    }
}

/// As part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{Lock, State};
    use crate::checkpoint::{record, variants};

    record!(Lock {
        prefix: bytes,
        key: bytes,
        lease,
        state
    });
    variants!(State {
        Acquire,
        Wait(wait),
        Confirm,
        Release(error),
        Done,
    });
}
