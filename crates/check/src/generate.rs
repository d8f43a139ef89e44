//! Random histories for the checker's own tests: a correct sequential run
//! of the model, then random overlapping call/return intervals around the
//! true linearization points. One seed, one history.

use super::history::{
    Compare, CompareResult, CompareTarget, DeleteRequest, History, PutRequest, RangeRequest,
    Request, Response, TxnOp, TxnRequest,
};
use super::model::{range, step, State};

/// SplitMix64: small, seeded, good enough for tests.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const KEYS: [&str; 4] = ["a", "b", "c", "d"];

fn key(rng: &mut Rng) -> Vec<u8> {
    KEYS[rng.below(KEYS.len() as u64) as usize]
        .as_bytes()
        .to_vec()
}

fn random_request(rng: &mut Rng, state: &State) -> Request {
    let value = format!("v{}", rng.below(1000)).into_bytes();
    match rng.below(10) {
        0..=1 => Request::Range(RangeRequest {
            key: key(rng),
            end: None,
            revision: 0,
            limit: 0,
            serializable: false,
        }),
        2 => Request::Range(RangeRequest {
            key: b"a".to_vec(),
            end: Some(vec![0]),
            revision: 0,
            limit: rng.below(3) as i64,
            serializable: false,
        }),
        3..=5 => Request::Put(PutRequest {
            key: key(rng),
            value,
            lease: 0,
        }),
        6 => Request::Delete(DeleteRequest {
            key: key(rng),
            end: rng.chance(30).then(|| b"c".to_vec()),
        }),
        _ => {
            // A compare-and-swap on the key's mod revision, right or stale.
            let k = key(rng);
            let current = state.kvs().get(&k).map_or(0, |kv| kv.mod_revision);
            let expected = if rng.chance(60) {
                current
            } else {
                current.saturating_sub(1)
            };
            Request::Txn(TxnRequest {
                compares: vec![Compare {
                    key: k.clone(),
                    target: CompareTarget::Mod(expected),
                    result: CompareResult::Equal,
                }],
                success: vec![TxnOp::Put(PutRequest {
                    key: k.clone(),
                    value,
                    lease: 0,
                })],
                failure: vec![TxnOp::Range(RangeRequest {
                    key: k,
                    end: None,
                    revision: 0,
                    limit: 0,
                    serializable: false,
                })],
            })
        }
    }
}

/// A valid history of `n` operations by `clients` clients. About 5% of
/// the writes never return (they took effect), and about 3% of the
/// operations are writes that never returned and never took effect. With
/// `serializable`, some reads are stale serializable reads.
pub fn random_history(rng: &mut Rng, n: usize, clients: u32, serializable: bool) -> History {
    let mut state = State::new();
    let mut h = History::new();
    // The time each client is free again; an op's true point is 10*i and
    // it returns within 10*(clients-1) - 1 after, so some client is free.
    let mut free = vec![0u64; clients as usize];
    let spread = 10 * (clients as u64 - 1);
    for i in 0..n {
        let point = 10 * (i as u64 + 1);
        let idle: Vec<usize> = (0..free.len()).filter(|&c| free[c] < point).collect();
        let client = idle[rng.below(idle.len() as u64) as usize];
        let call = point - rng.below(point - free[client]);
        let ret = point + rng.below(spread.max(1));
        free[client] = ret;
        let mut request = random_request(rng, &state);
        if rng.chance(3) {
            // A write that timed out before it was applied.
            let phantom = Request::put(key(rng), b"phantom");
            h.call(client as u32, call, phantom);
            continue;
        }
        let (next, mut response) = step(&state, &request);
        if serializable && rng.chance(10) {
            if let Request::Range(r) = &mut request {
                r.serializable = true;
                let revision = 1 + rng.below(state.revision() as u64) as i64;
                let (kvs, count) = range(&state.at(revision).expect("past").kvs, r);
                response = Response::Range {
                    revision,
                    kvs,
                    count,
                };
            }
        }
        let id = h.call(client as u32, call, request.clone());
        if request.is_read_only() || !rng.chance(5) {
            h.ret(id, ret, response);
        }
        state = next;
    }
    h
}
