//! `v3election`'s Campaign, Proclaim and Resign: `concurrency.Election` on
//! the request's session. A candidate's key is `name/<lease in hex>`; the
//! oldest key under `name/` is the leader, its value the proclaimed value.

use super::wait_deletes::{WaitDeletes, Waited};
use super::Effect;
use super::{
    answer, created_at, delete_range, header, op, put, put_if_absent, session_key, txn, txn_range,
};
use crate::errors::EtcdError;
use crate::pb::request_op::Request as Op;
use crate::pb::*;
use crate::server::v3client::ServiceResponse;
use crate::server::{Reply, Request};

/// `NewElection(s, name)`'s key prefix.
pub fn prefix(name: &[u8]) -> Vec<u8> {
    let mut prefix = name.to_vec();
    prefix.push(b'/');
    prefix
}

/// `Txn().If(CreateRevision(key) = rev).Then(then)`: only the leader's
/// own key, of the generation it won with, is touched.
fn if_leader(key: &[u8], rev: i64, then: Op) -> Request {
    Request::Txn(TxnRequest {
        compare: vec![created_at(key, rev)],
        success: vec![op(then)],
        failure: Vec::new(),
    })
}

fn resign(key: &[u8], rev: i64) -> Request {
    if_leader(key, rev, Op::RequestDeleteRange(delete_range(key)))
}

pub struct Campaign {
    name: Vec<u8>,
    key: Vec<u8>,
    lease: i64,
    value: Vec<u8>,
    /// The create revision of our key: the leader's `rev`.
    rev: i64,
    /// The header of the campaign's txn: the answer's header.
    header: Option<ResponseHeader>,
    state: CampaignState,
}

enum CampaignState {
    /// The put-if-absent txn is out.
    Put,
    /// Our key existed with another value: proclaiming the new one.
    Proclaim,
    /// The proclaim failed: resigning before the error goes back.
    Resign(EtcdError),
    Wait(WaitDeletes),
    Done,
}

impl Campaign {
    pub fn new(name: &[u8], lease: i64, value: Vec<u8>) -> Self {
        Campaign {
            name: name.to_vec(),
            key: session_key(&prefix(name), lease),
            lease,
            value,
            rev: 0,
            header: None,
            state: CampaignState::Put,
        }
    }

    pub fn set_lease(&mut self, lease: i64) {
        self.lease = lease;
        self.key = session_key(&prefix(&self.name), lease);
    }

    pub fn begin(&mut self) -> Vec<Effect> {
        vec![Effect::Submit(put_if_absent(
            &self.key,
            &self.value,
            self.lease,
            None,
        ))]
    }

    pub fn reply(&mut self, reply: Reply) -> Vec<Effect> {
        match std::mem::replace(&mut self.state, CampaignState::Done) {
            CampaignState::Put => self.put(reply),
            CampaignState::Proclaim => match txn(reply) {
                Ok(t) if t.succeeded => self.wait(),
                Ok(_) => answer(Err(EtcdError::ElectionNotLeader)),
                Err(e) => {
                    self.state = CampaignState::Resign(e);
                    vec![Effect::Submit(resign(&self.key, self.rev))]
                }
            },
            CampaignState::Resign(e) => answer(Err(e)),
            CampaignState::Wait(w) => {
                let waited = w.looked(reply);
                self.state = CampaignState::Wait(w);
                self.waited(waited)
            }
            CampaignState::Done => Vec::new(),
        }
    }

    pub fn watch(&mut self, resp: WatchResponse) -> Vec<Effect> {
        let waited = match &self.state {
            CampaignState::Wait(w) => w.watched(&resp),
            _ => None,
        };
        waited.map_or_else(Vec::new, |w| self.waited(w))
    }

    /// `Election.Campaign` resigns when its context ends while it waits.
    pub fn cancel(&mut self) -> Vec<Request> {
        match std::mem::replace(&mut self.state, CampaignState::Done) {
            CampaignState::Wait(_) => vec![resign(&self.key, self.rev)],
            _ => Vec::new(),
        }
    }

    fn put(&mut self, reply: Reply) -> Vec<Effect> {
        let t = match txn(reply) {
            Ok(t) => t,
            Err(e) => return answer(Err(e)),
        };
        self.rev = t.header.as_ref().map_or(0, |h| h.revision);
        self.header = t.header.clone();
        if t.succeeded {
            return self.wait();
        }
        let Some(kv) = txn_range(&t, 0).and_then(|r| r.kvs.first()) else {
            return self.wait();
        };
        self.rev = kv.create_revision;
        if kv.value == self.value {
            return self.wait();
        }
        self.state = CampaignState::Proclaim;
        let put = put(&self.key, &self.value, self.lease);
        vec![Effect::Submit(if_leader(&self.key, self.rev, put))]
    }

    /// Wait for the deletes of the older candidates' keys.
    fn wait(&mut self) -> Vec<Effect> {
        let w = WaitDeletes::new(&prefix(&self.name), self.rev - 1);
        let look = w.look();
        self.state = CampaignState::Wait(w);
        vec![look]
    }

    fn waited(&mut self, waited: Waited) -> Vec<Effect> {
        match waited {
            Waited::Pending(effect) => vec![effect],
            Waited::Done => {
                self.state = CampaignState::Done;
                answer(Ok(ServiceResponse::Campaign(CampaignResponse {
                    header: self.header.clone(),
                    leader: Some(LeaderKey {
                        name: self.name.clone(),
                        key: self.key.clone(),
                        rev: self.rev,
                        lease: self.lease,
                    }),
                })))
            }
            // `Election.Campaign` gives up its leadership but keeps its key
            Waited::Failed(e) => {
                self.state = CampaignState::Done;
                answer(Err(e))
            }
        }
    }
}

/// `ResumeElection(leader)` then `Proclaim(value)`: a new value, only by
/// the leader.
pub struct Proclaim {
    leader: LeaderKey,
    value: Vec<u8>,
}

impl Proclaim {
    pub fn new(leader: LeaderKey, lease: i64, value: Vec<u8>) -> Self {
        let mut p = Proclaim { leader, value };
        p.set_lease(lease);
        p
    }

    /// The session's lease: the put carries it.
    pub fn set_lease(&mut self, lease: i64) {
        self.leader.lease = lease;
    }

    pub fn begin(&mut self) -> Vec<Effect> {
        let l = &self.leader;
        let put = put(&l.key, &self.value, l.lease);
        vec![Effect::Submit(if_leader(&l.key, l.rev, put))]
    }

    pub fn reply(&mut self, reply: Reply) -> Vec<Effect> {
        answer(txn(reply).and_then(|t| {
            if !t.succeeded {
                return Err(EtcdError::ElectionNotLeader);
            }
            Ok(ServiceResponse::Proclaim(ProclaimResponse {
                header: t.header,
            }))
        }))
    }
}

/// `ResumeElection(leader)` then `Resign`: the leader's key goes, if it is
/// still the one it won with.
pub struct Resign {
    leader: LeaderKey,
}

impl Resign {
    pub fn new(leader: LeaderKey) -> Self {
        Resign { leader }
    }

    pub fn begin(&mut self) -> Vec<Effect> {
        vec![Effect::Submit(resign(&self.leader.key, self.leader.rev))]
    }

    pub fn reply(&mut self, reply: Reply) -> Vec<Effect> {
        answer(header(reply).map(|header| ServiceResponse::Resign(ResignResponse { header })))
    }
}

/// As part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{Campaign, CampaignState, Proclaim, Resign};
    use crate::checkpoint::{record, variants};

    record!(Campaign {
        name: bytes,
        key: bytes,
        lease,
        value: bytes,
        rev,
        header,
        state,
    });
    variants!(CampaignState {
        Put,
        Proclaim,
        Resign(error),
        Wait(wait),
        Done,
    });
    record!(Proclaim {
        leader,
        value: bytes
    });
    record!(Resign { leader });
}
