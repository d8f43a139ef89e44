//! etcd's concurrency recipes as its v3lock and v3election servers run
//! them (`server/etcdserver/api/v3lock`, `v3election`, 3.5.1): those
//! servers are clients of their own member, running `client/v3/concurrency`
//! (mutex, election, `waitDeletes`) with the request's lease as session. A
//! recipe here is the same client as a state machine: it asks for ordinary
//! KV requests and watches on the member and goes on when their answers
//! come, so waiting costs nothing and happens in virtual time.

mod election;
mod lock;
mod observe;
mod wait_deletes;

use super::v3client::{ServiceReply, ServiceResponse};
use crate::errors::EtcdError;
use crate::pb::request_op::Request as Op;
use crate::pb::*;
use crate::server::{Reply, Request, Response};

pub use election::{Campaign, Proclaim, Resign};
pub use lock::Lock;
pub use observe::Observe;

/// `concurrency.defaultSessionTTL`: the TTL of the lease a session grants
/// when the request names none (lease 0).
const SESSION_TTL: i64 = 60;

/// What a recipe asks of its member.
#[derive(Debug)]
pub enum Effect {
    /// A request to the member; its reply comes back through `reply`.
    Submit(Request),
    /// Watch from now on with this request instead of any earlier one;
    /// its responses come back through `watch`.
    Watch(WatchCreateRequest),
    /// The unary answer: the recipe is over.
    Answer(ServiceReply),
    /// One message of a server stream.
    Message(LeaderResponse),
    /// The server stream ends without error.
    End,
}

/// One lock or election call, from its request to its answer.
pub enum Recipe {
    /// `concurrency.NewSession` with lease 0 grants a lease first.
    Session(Box<Recipe>),
    Lock(Lock),
    Unlock,
    Campaign(Campaign),
    Proclaim(Proclaim),
    Resign(Resign),
    Leader,
    Observe(Observe),
}

impl Recipe {
    pub fn lock(r: LockRequest) -> (Recipe, Vec<Effect>) {
        with_session(r.lease, |lease| Recipe::Lock(Lock::new(&r.name, lease)))
    }

    pub fn unlock(r: UnlockRequest) -> (Recipe, Vec<Effect>) {
        (Recipe::Unlock, vec![Effect::Submit(delete(&r.key))])
    }

    pub fn campaign(r: CampaignRequest) -> (Recipe, Vec<Effect>) {
        with_session(r.lease, |lease| {
            Recipe::Campaign(Campaign::new(&r.name, lease, r.value))
        })
    }

    pub fn proclaim(r: ProclaimRequest) -> (Recipe, Vec<Effect>) {
        let Some(leader) = r.leader else {
            return missing_leader_key();
        };
        let value = r.value;
        with_session(leader.lease, |lease| {
            Recipe::Proclaim(Proclaim::new(leader, lease, value))
        })
    }

    pub fn resign(r: ResignRequest) -> (Recipe, Vec<Effect>) {
        let Some(leader) = r.leader else {
            return missing_leader_key();
        };
        with_session(leader.lease, |_| Recipe::Resign(Resign::new(leader)))
    }

    pub fn leader(r: LeaderRequest) -> (Recipe, Vec<Effect>) {
        let get = Request::Range(first_created(&election::prefix(&r.name)));
        (Recipe::Leader, vec![Effect::Submit(get)])
    }

    pub fn observe(r: LeaderRequest) -> (Recipe, Vec<Effect>) {
        let (o, effects) = Observe::new(&r.name);
        (Recipe::Observe(o), effects)
    }

    /// The reply to the request asked for last.
    pub fn reply(&mut self, reply: Reply) -> Vec<Effect> {
        match self {
            Recipe::Session(next) => match reply {
                Ok(Response::LeaseGrant(g)) => {
                    let mut next = std::mem::replace(next, Box::new(Recipe::Unlock));
                    next.set_lease(g.id);
                    let effects = next.begin();
                    *self = *next;
                    effects
                }
                Err(e) => answer(Err(e)),
                // a grant is answered with a grant
                Ok(_) => Vec::new(),
            },
            Recipe::Lock(l) => l.reply(reply),
            Recipe::Unlock => answer(
                header(reply).map(|header| ServiceResponse::Unlock(UnlockResponse { header })),
            ),
            Recipe::Campaign(c) => c.reply(reply),
            Recipe::Proclaim(p) => p.reply(reply),
            Recipe::Resign(r) => r.reply(reply),
            Recipe::Leader => answer(range(reply).and_then(|r| {
                let kv = r
                    .kvs
                    .into_iter()
                    .next()
                    .ok_or(EtcdError::ElectionNoLeader)?;
                Ok(ServiceResponse::Leader(LeaderResponse {
                    header: r.header,
                    kv: Some(kv),
                }))
            })),
            Recipe::Observe(o) => o.reply(reply),
        }
    }

    /// A response of the watch asked for last.
    pub fn watch(&mut self, resp: WatchResponse) -> Vec<Effect> {
        match self {
            Recipe::Lock(l) => l.watch(resp),
            Recipe::Campaign(c) => c.watch(resp),
            Recipe::Observe(o) => o.watch(resp),
            _ => Vec::new(),
        }
    }

    /// The client went away. A mutex or election still waiting gives up
    /// its key as etcd's do when their context ends (`Mutex.Lock` unlocks,
    /// `Election.Campaign` resigns): the requests that does.
    pub fn cancel(&mut self) -> Vec<Request> {
        match self {
            Recipe::Lock(l) => l.cancel(),
            Recipe::Campaign(c) => c.cancel(),
            _ => Vec::new(),
        }
    }

    fn set_lease(&mut self, lease: i64) {
        match self {
            Recipe::Lock(l) => l.set_lease(lease),
            Recipe::Campaign(c) => c.set_lease(lease),
            Recipe::Proclaim(p) => p.set_lease(lease),
            _ => {}
        }
    }

    fn begin(&mut self) -> Vec<Effect> {
        match self {
            Recipe::Lock(l) => l.begin(),
            Recipe::Campaign(c) => c.begin(),
            Recipe::Proclaim(p) => p.begin(),
            Recipe::Resign(r) => r.begin(),
            _ => Vec::new(),
        }
    }
}

/// A recipe run with a session on `lease`, granted first when it is 0.
fn with_session(lease: i64, make: impl FnOnce(i64) -> Recipe) -> (Recipe, Vec<Effect>) {
    let mut recipe = make(lease);
    if lease == 0 {
        let grant = Request::LeaseGrant(LeaseGrantRequest {
            ttl: SESSION_TTL,
            id: 0,
        });
        return (
            Recipe::Session(Box::new(recipe)),
            vec![Effect::Submit(grant)],
        );
    }
    let effects = recipe.begin();
    (recipe, effects)
}

fn missing_leader_key() -> (Recipe, Vec<Effect>) {
    (Recipe::Leader, answer(Err(EtcdError::MissingLeaderKey)))
}

/// The answer or the error, as the one effect.
fn answer(body: ServiceReply) -> Vec<Effect> {
    vec![Effect::Answer(body)]
}

/// The header of any reply.
fn header(reply: Reply) -> Result<Option<ResponseHeader>, EtcdError> {
    Ok(match reply? {
        Response::DeleteRange(r) => r.header,
        Response::Txn(r) => r.header,
        Response::Range(r) => r.header,
        Response::Put(r) => r.header,
        _ => None,
    })
}

fn range(reply: Reply) -> Result<RangeResponse, EtcdError> {
    match reply? {
        Response::Range(r) => Ok(r),
        _ => Ok(RangeResponse::default()),
    }
}

fn txn(reply: Reply) -> Result<TxnResponse, EtcdError> {
    match reply? {
        Response::Txn(r) => Ok(r),
        _ => Ok(TxnResponse::default()),
    }
}

/// The range of the `n`th response of a txn.
fn txn_range(t: &TxnResponse, n: usize) -> Option<&RangeResponse> {
    match t.responses.get(n)?.response.as_ref()? {
        response_op::Response::ResponseRange(r) => Some(r),
        _ => None,
    }
}

/// `fmt.Sprintf("%s%x", pfx, lease)`: the key of a session under a prefix.
fn session_key(prefix: &[u8], lease: i64) -> Vec<u8> {
    let mut key = prefix.to_vec();
    key.extend_from_slice(format!("{lease:x}").as_bytes());
    key
}

/// `clientv3.GetPrefixRangeEnd`.
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// `Get(pfx, WithFirstCreate()...)`: the oldest key under `prefix`.
fn first_created(prefix: &[u8]) -> RangeRequest {
    RangeRequest {
        key: prefix.to_vec(),
        range_end: prefix_end(prefix),
        limit: 1,
        sort_order: sort_order::ASCEND,
        sort_target: sort_target::CREATE,
        ..Default::default()
    }
}

/// `Compare(CreateRevision(key), "=", rev)`.
fn created_at(key: &[u8], rev: i64) -> Compare {
    Compare {
        result: compare_result::EQUAL,
        target: compare_target::CREATE,
        key: key.to_vec(),
        target_union: Some(compare::TargetUnion::CreateRevision(rev)),
        range_end: Vec::new(),
    }
}

fn op(request: Op) -> RequestOp {
    RequestOp {
        request: Some(request),
    }
}

fn put(key: &[u8], value: &[u8], lease: i64) -> Op {
    Op::RequestPut(PutRequest {
        key: key.to_vec(),
        value: value.to_vec(),
        lease,
        ..Default::default()
    })
}

fn get(key: &[u8]) -> Op {
    Op::RequestRange(RangeRequest {
        key: key.to_vec(),
        ..Default::default()
    })
}

fn delete_range(key: &[u8]) -> DeleteRangeRequest {
    DeleteRangeRequest {
        key: key.to_vec(),
        ..Default::default()
    }
}

fn delete(key: &[u8]) -> Request {
    Request::DeleteRange(delete_range(key))
}

/// `Txn().If(cmp).Then(put(key, value, lease), then...).Else(get(key), then...)`:
/// a session puts its key unless it exists (the mutex and the campaign).
fn put_if_absent(key: &[u8], value: &[u8], lease: i64, also: Option<Op>) -> Request {
    let mut success = vec![op(put(key, value, lease))];
    let mut failure = vec![op(get(key))];
    if let Some(also) = also {
        success.push(op(also.clone()));
        failure.push(op(also));
    }
    Request::Txn(TxnRequest {
        compare: vec![created_at(key, 0)],
        success,
        failure,
    })
}

/// Recipes under way as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{Effect, Recipe};
    use crate::checkpoint::variants;

    variants!(Effect {
        Submit(request),
        Watch(request),
        Answer(reply),
        Message(response),
        End,
    });
    // (Unlock first: a failed read gives the first variant, and one that
    // nests would never end)
    variants!(Recipe {
        Unlock,
        Session(recipe),
        Lock(lock),
        Campaign(campaign),
        Proclaim(proclaim),
        Resign(resign),
        Leader,
        Observe(observe),
    });
}
