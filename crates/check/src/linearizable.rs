//! Linearizability of a KV history, after Wing & Gong and porcupine's
//! `checkSingle`: a depth-first search over the call/return entries in time
//! order, memoizing (linearized set, model state).
//!
//! Two things make it fast on etcd histories. Every answer carries the
//! header revision, so a wrong placement fails at once on the model's exact
//! comparison; and an operation whose answer pins the revision it must see
//! bounds every state before it: the search drops any step that would take
//! the revision past the lowest bound still waiting (`bounds`), instead of
//! discovering the dead end many steps later.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use super::history::{
    classify_etcd_error, ErrorEffect, History, OpId, Request, Response, Revision, Time, TxnOp,
    TxnOpResult,
};
use super::model::{step, State};

#[derive(Clone, Copy)]
pub struct Options {
    /// What an error answer means; see [`classify_etcd_error`].
    pub classify: fn(&str) -> ErrorEffect,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            classify: classify_etcd_error,
        }
    }
}

/// One operation in the linearization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub op: OpId,
    /// False for an operation without a known answer placed as "never
    /// applied".
    pub took_effect: bool,
    /// The model's revision after this step.
    pub revision: Revision,
}

#[derive(Clone, Debug)]
pub struct Linearization {
    pub steps: Vec<Step>,
    /// Not part of the search: serializable reads, reads without an answer,
    /// and errors that guarantee no effect.
    pub excluded: Vec<OpId>,
    /// The state after the last step; it holds every revision, for the
    /// serializable and watch checks.
    pub final_state: State,
}

/// What the model answered to one candidate at the stuck point.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub op: OpId,
    pub expected: Response,
    /// `None` when the operation's outcome is unknown.
    pub observed: Option<Response>,
}

#[derive(Clone, Debug)]
pub enum Violation {
    /// The operation returned before it was called.
    Malformed { op: OpId },
    /// No order works. Reported at the longest prefix the search reached.
    NotLinearizable {
        /// The operation that had to be placed next (it had returned) but
        /// fit nowhere.
        op: OpId,
        prefix: Vec<OpId>,
        state: State,
        /// Every operation that could have come next, with the model's
        /// answer at `state`.
        attempts: Vec<Attempt>,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Malformed { op } => write!(f, "op {op} returned before it was called"),
            Violation::NotLinearizable {
                op,
                prefix,
                state,
                attempts,
            } => {
                writeln!(
                    f,
                    "not linearizable: op {op} cannot be placed after {prefix:?} (revision {})",
                    state.revision()
                )?;
                for a in attempts {
                    writeln!(
                        f,
                        "  op {}: model {:?}, observed {:?}",
                        a.op, a.expected, a.observed
                    )?;
                }
                Ok(())
            }
        }
    }
}

pub fn check_linearizable(history: &History) -> Result<Linearization, Violation> {
    check_linearizable_with(history, Options::default())
}

/// An operation taking part in the search.
struct Candidate<'a> {
    id: OpId,
    request: &'a Request,
    /// `None`: outcome unknown, any effect or none, any time after the call.
    observed: Option<&'a Response>,
    /// The highest revision the state may have just before this operation.
    bound: Option<Revision>,
}

const NIL: usize = usize::MAX;

/// Search steps allowed for the explanation of a violation.
const EXPLAIN_BUDGET: usize = 20_000;

pub fn check_linearizable_with(
    history: &History,
    opts: Options,
) -> Result<Linearization, Violation> {
    let mut ops = Vec::new();
    let mut times: Vec<(Time, bool, usize)> = Vec::new();
    let mut excluded = Vec::new();
    for (id, op) in history.ops.iter().enumerate() {
        let serializable = matches!(&op.request, Request::Range(r) if r.serializable);
        let known = match &op.ret {
            _ if serializable => None,
            None => Some(None),
            Some(r) if r.time < op.call => return Err(Violation::Malformed { op: id }),
            Some(r) => match &r.response {
                Response::Failure(m) => match (opts.classify)(m) {
                    ErrorEffect::None => None,
                    ErrorEffect::Unknown => Some(None),
                    ErrorEffect::Modeled => Some(Some((r.time, &r.response))),
                },
                resp => Some(Some((r.time, resp))),
            },
        };
        // A read without an answer tells nothing.
        let known = known.filter(|k| k.is_some() || !op.request.is_read_only());
        let Some(known) = known else {
            excluded.push(id);
            continue;
        };
        let i = ops.len();
        times.push((op.call, false, i));
        times.push((known.map_or(Time::MAX, |k| k.0), true, i));
        ops.push(Candidate {
            id,
            request: &op.request,
            observed: known.map(|k| k.1),
            bound: known.and_then(|k| bound(&op.request, k.1)),
        });
    }
    // Calls before returns at the same instant: touching intervals overlap.
    times.sort_by_key(|&(t, is_ret, _)| (t, is_ret));
    let result = match Search::new(&ops, &times, true, usize::MAX).run() {
        // The revision bound can refuse a step because of an operation that
        // must come later anyway, which hides the real culprit. Failures are
        // rare: search again without it, on a budget, for a better story.
        Err(pruned) => match Search::new(&ops, &times, false, EXPLAIN_BUDGET).run() {
            Err(Some(v)) => Err(v),
            _ => Err(pruned.unwrap_or(Violation::Malformed { op: 0 })),
        },
        Ok(found) => Ok(found),
    };
    result
        .map(|(steps, final_state)| Linearization {
            steps: steps
                .into_iter()
                .map(|s| Step {
                    op: ops[s.op].id,
                    ..s
                })
                .collect(),
            excluded,
            final_state,
        })
        .map_err(|v| match v {
            Violation::NotLinearizable {
                op,
                prefix,
                state,
                attempts,
            } => Violation::NotLinearizable {
                op: ops[op].id,
                prefix: prefix.into_iter().map(|i| ops[i].id).collect(),
                state,
                attempts,
            },
            v => v,
        })
}

/// The highest revision the state may have before `req` answered `resp`:
/// the header revision, less one if the answer shows a write that bumped it.
fn bound(req: &Request, resp: &Response) -> Option<Revision> {
    let rev = resp.revision()?;
    let bumped = match (req, resp) {
        (Request::Put(_), _) => true,
        (Request::Delete(_), Response::Delete { deleted, .. }) => *deleted > 0,
        (
            Request::Txn(t),
            Response::Txn {
                succeeded, results, ..
            },
        ) => {
            let ops = if *succeeded { &t.success } else { &t.failure };
            ops.iter().any(|op| matches!(op, TxnOp::Put(_)))
                || results
                    .iter()
                    .any(|r| matches!(r, TxnOpResult::Delete { deleted } if *deleted > 0))
        }
        _ => false,
    };
    Some(if bumped { rev - 1 } else { rev })
}

struct Frame {
    op: usize,
    before: State,
    took_effect: bool,
    revision: Revision,
}

struct Search<'a> {
    ops: &'a [Candidate<'a>],
    /// Entry positions 1..=2n in time order; 0 is the head. A doubly linked
    /// list, so that placing an operation lifts its two entries out and
    /// backtracking puts them back (porcupine's lift/unlift).
    entry_op: Vec<usize>,
    entry_is_ret: Vec<bool>,
    next: Vec<usize>,
    prev: Vec<usize>,
    call_pos: Vec<usize>,
    ret_pos: Vec<usize>,
    /// The bounds of the operations not yet placed, as a multiset.
    bounds: BTreeMap<Revision, usize>,
    linearized: Vec<u64>,
    memo: HashSet<(Vec<u64>, State)>,
    stuck: Option<(usize, Violation)>,
    prune: bool,
    budget: usize,
}

impl<'a> Search<'a> {
    fn new(
        ops: &'a [Candidate<'a>],
        times: &[(Time, bool, usize)],
        prune: bool,
        budget: usize,
    ) -> Search<'a> {
        let len = times.len() + 1;
        let mut s = Search {
            ops,
            entry_op: vec![NIL; len],
            entry_is_ret: vec![false; len],
            next: (1..=len).map(|i| if i == len { NIL } else { i }).collect(),
            prev: (0..len).map(|i| i.wrapping_sub(1)).collect(),
            call_pos: vec![0; ops.len()],
            ret_pos: vec![0; ops.len()],
            bounds: BTreeMap::new(),
            linearized: vec![0; ops.len().div_ceil(64)],
            memo: HashSet::new(),
            stuck: None,
            prune,
            budget,
        };
        s.prev[0] = NIL;
        for (pos, &(_, is_ret, op)) in times.iter().enumerate() {
            let pos = pos + 1;
            s.entry_op[pos] = op;
            s.entry_is_ret[pos] = is_ret;
            if is_ret {
                s.ret_pos[op] = pos;
            } else {
                s.call_pos[op] = pos;
            }
        }
        for op in ops {
            if let Some(b) = op.bound {
                *s.bounds.entry(b).or_default() += 1;
            }
        }
        s
    }

    fn unlink(&mut self, pos: usize) {
        let (p, n) = (self.prev[pos], self.next[pos]);
        self.next[p] = n;
        if n != NIL {
            self.prev[n] = p;
        }
    }

    fn relink(&mut self, pos: usize) {
        let (p, n) = (self.prev[pos], self.next[pos]);
        self.next[p] = pos;
        if n != NIL {
            self.prev[n] = pos;
        }
    }

    fn take_bound(&mut self, op: usize) {
        if let Some(b) = self.ops[op].bound {
            let c = self.bounds.get_mut(&b).expect("bound counted");
            *c -= 1;
            if *c == 0 {
                self.bounds.remove(&b);
            }
        }
    }

    fn give_bound(&mut self, op: usize) {
        if let Some(b) = self.ops[op].bound {
            *self.bounds.entry(b).or_default() += 1;
        }
    }

    /// Try to place `op` now, with or without effect; on success it is
    /// lifted out and pushed on `stack`.
    fn try_place(
        &mut self,
        state: &mut State,
        op: usize,
        effect: bool,
        stack: &mut Vec<Frame>,
    ) -> bool {
        let c = &self.ops[op];
        let next = if effect {
            let (next, expected) = step(state, c.request);
            if c.observed.is_some_and(|o| *o != expected) {
                return false;
            }
            next
        } else {
            state.clone()
        };
        self.take_bound(op);
        let fits = !self.prune
            || self
                .bounds
                .keys()
                .next()
                .is_none_or(|&b| next.revision() <= b);
        let mut bits = self.linearized.clone();
        bits[op / 64] |= 1 << (op % 64);
        if !fits || !self.memo.insert((bits.clone(), next.clone())) {
            self.give_bound(op);
            return false;
        }
        self.linearized = bits;
        let before = std::mem::replace(state, next);
        stack.push(Frame {
            op,
            before,
            took_effect: effect,
            revision: state.revision(),
        });
        self.unlink(self.call_pos[op]);
        self.unlink(self.ret_pos[op]);
        true
    }

    /// `Err(None)`: out of budget.
    fn run(mut self) -> Result<(Vec<Step>, State), Option<Violation>> {
        let mut state = State::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut entry = self.next[0];
        // Set when backtracking from an unknown op placed with effect: try
        // it at the same point without effect before moving on.
        let mut retry_without_effect = false;
        while self.next[0] != NIL {
            self.budget = self.budget.checked_sub(1).ok_or(None)?;
            let op = self.entry_op[entry];
            if !self.entry_is_ret[entry] {
                let unknown = self.ops[op].observed.is_none();
                let placed = (!retry_without_effect
                    && self.try_place(&mut state, op, true, &mut stack))
                    || (unknown && self.try_place(&mut state, op, false, &mut stack));
                retry_without_effect = false;
                entry = if placed {
                    self.next[0]
                } else {
                    self.next[entry]
                };
                continue;
            }
            // `op` returned and every candidate before it failed.
            self.note_stuck(op, &state, &stack);
            let Some(top) = stack.pop() else {
                return Err(self.stuck.take().map(|s| s.1));
            };
            state = top.before;
            self.linearized[top.op / 64] &= !(1 << (top.op % 64));
            self.relink(self.ret_pos[top.op]);
            self.relink(self.call_pos[top.op]);
            self.give_bound(top.op);
            entry = self.call_pos[top.op];
            if top.took_effect && self.ops[top.op].observed.is_none() {
                retry_without_effect = true;
            } else {
                entry = self.next[entry];
            }
        }
        let steps = stack
            .into_iter()
            .map(|f| Step {
                op: f.op,
                took_effect: f.took_effect,
                revision: f.revision,
            })
            .collect();
        Ok((steps, state))
    }

    /// Keep the deepest dead end as the explanation.
    fn note_stuck(&mut self, op: usize, state: &State, stack: &[Frame]) {
        if self
            .stuck
            .as_ref()
            .is_some_and(|(depth, _)| *depth >= stack.len())
        {
            return;
        }
        let mut attempts = Vec::new();
        let mut pos = self.next[0];
        while pos != NIL {
            if !self.entry_is_ret[pos] {
                let c = &self.ops[self.entry_op[pos]];
                attempts.push(Attempt {
                    op: c.id,
                    expected: step(state, c.request).1,
                    observed: c.observed.cloned(),
                });
            }
            if pos == self.ret_pos[op] {
                break;
            }
            pos = self.next[pos];
        }
        let violation = Violation::NotLinearizable {
            op,
            prefix: stack.iter().map(|f| f.op).collect(),
            state: state.clone(),
            attempts,
        };
        self.stuck = Some((stack.len(), violation));
    }
}

#[cfg(test)]
mod tests {
    use super::super::generate::{random_history, Rng};
    use super::super::history::*;
    use super::*;

    fn kv(key: &str, value: &str, create: Revision, modr: Revision, version: i64) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: value.into(),
            create_revision: create,
            mod_revision: modr,
            version,
            lease: 0,
        }
    }

    fn got(revision: Revision, kvs: Vec<KeyValue>) -> Response {
        let count = kvs.len() as i64;
        Response::Range {
            revision,
            kvs,
            count,
        }
    }

    fn put(revision: Revision) -> Response {
        Response::Put { revision }
    }

    #[test]
    fn sequential_history_is_accepted() {
        let mut h = History::new();
        h.push(1, 0, Request::put("a", "1"), 1, put(2));
        h.push(
            1,
            2,
            Request::get("a"),
            3,
            got(2, vec![kv("a", "1", 2, 2, 1)]),
        );
        h.push(1, 4, Request::put("a", "2"), 5, put(3));
        let deleted = |revision, deleted| Response::Delete { revision, deleted };
        h.push(1, 6, Request::delete("a"), 7, deleted(4, 1));
        // A delete of nothing does not bump the revision.
        h.push(1, 8, Request::delete("a"), 9, deleted(4, 0));
        h.push(1, 10, Request::get("a"), 11, got(4, vec![]));
        let lin = check_linearizable(&h).expect("linearizable");
        let order: Vec<OpId> = lin.steps.iter().map(|s| s.op).collect();
        assert_eq!(order, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(lin.final_state.revision(), 4);
    }

    #[test]
    fn concurrent_writes_are_ordered_by_their_revisions() {
        // Client 1 called first but was applied second.
        let mut h = History::new();
        h.push(1, 0, Request::put("a", "1"), 10, put(3));
        h.push(2, 1, Request::put("a", "2"), 9, put(2));
        // A read overlapping both may see the middle state.
        h.push(
            3,
            2,
            Request::get("a"),
            8,
            got(2, vec![kv("a", "2", 2, 2, 1)]),
        );
        h.push(
            3,
            11,
            Request::get("a"),
            12,
            got(3, vec![kv("a", "1", 2, 3, 2)]),
        );
        let lin = check_linearizable(&h).expect("linearizable");
        let order: Vec<OpId> = lin.steps.iter().map(|s| s.op).collect();
        assert_eq!(order, vec![1, 2, 0, 3]);
    }

    #[test]
    fn stale_read_after_a_completed_write_is_rejected() {
        let mut h = History::new();
        h.push(1, 0, Request::put("a", "1"), 5, put(2));
        h.push(2, 6, Request::get("a"), 7, got(1, vec![]));
        match check_linearizable(&h) {
            Err(Violation::NotLinearizable { op, prefix, .. }) => {
                assert_eq!(op, 1);
                assert_eq!(prefix, vec![0]);
            }
            other => panic!("expected a violation, got {other:?}"),
        }
    }

    #[test]
    fn lost_acknowledged_write_is_rejected() {
        let mut h = History::new();
        h.push(1, 0, Request::put("a", "1"), 1, put(2));
        h.push(1, 2, Request::put("b", "1"), 3, put(3));
        let all = Request::range("a", Some([0]));
        h.push(2, 4, all, 5, got(3, vec![kv("b", "1", 3, 3, 1)]));
        assert!(check_linearizable(&h).is_err());
    }

    #[test]
    fn two_writes_claiming_the_same_revision_are_rejected() {
        let mut h = History::new();
        h.push(1, 0, Request::put("a", "1"), 5, put(2));
        h.push(2, 0, Request::put("b", "1"), 5, put(2));
        assert!(check_linearizable(&h).is_err());
    }

    #[test]
    fn timed_out_write_that_took_effect_is_accepted() {
        let mut h = History::new();
        h.call(1, 0, Request::put("a", "1"));
        h.push(
            2,
            10,
            Request::get("a"),
            11,
            got(2, vec![kv("a", "1", 2, 2, 1)]),
        );
        let lin = check_linearizable(&h).expect("linearizable");
        assert_eq!(
            lin.steps[0],
            Step {
                op: 0,
                took_effect: true,
                revision: 2
            }
        );
    }

    #[test]
    fn timed_out_write_that_did_not_take_effect_is_accepted() {
        let mut h = History::new();
        h.call(1, 0, Request::put("a", "1"));
        h.push(2, 10, Request::get("a"), 11, got(1, vec![]));
        h.push(2, 12, Request::put("b", "1"), 13, put(2));
        let lin = check_linearizable(&h).expect("linearizable");
        assert!(lin.steps.iter().any(|s| s.op == 0 && !s.took_effect));
    }

    #[test]
    fn write_answered_with_a_timeout_may_take_effect_after_the_answer() {
        let mut h = History::new();
        let timeout = Response::Failure("etcdserver: request timed out".into());
        h.push(1, 0, Request::put("a", "1"), 5, timeout);
        h.push(2, 10, Request::get("a"), 11, got(1, vec![]));
        h.push(
            2,
            20,
            Request::get("a"),
            21,
            got(2, vec![kv("a", "1", 2, 2, 1)]),
        );
        assert!(check_linearizable(&h).is_ok());
    }

    #[test]
    fn write_rejected_before_proposal_never_takes_effect() {
        let mut h = History::new();
        let too_large = Response::Failure("etcdserver: request is too large".into());
        h.push(1, 0, Request::put("a", "1"), 5, too_large);
        h.push(
            2,
            10,
            Request::get("a"),
            11,
            got(2, vec![kv("a", "1", 2, 2, 1)]),
        );
        assert!(check_linearizable(&h).is_err());
        // A classifier that knows better can say otherwise.
        let opts = Options {
            classify: |_| ErrorEffect::Unknown,
        };
        assert!(check_linearizable_with(&h, opts).is_ok());
    }

    #[test]
    fn only_one_of_two_concurrent_compare_and_swaps_succeeds() {
        let cas = |v: &str| {
            Request::Txn(TxnRequest {
                compares: vec![Compare {
                    key: "a".into(),
                    target: CompareTarget::Version(0),
                    result: CompareResult::Equal,
                }],
                success: vec![TxnOp::Put(PutRequest {
                    key: "a".into(),
                    value: v.into(),
                    lease: 0,
                })],
                failure: vec![],
            })
        };
        let won = |revision| Response::Txn {
            revision,
            succeeded: true,
            results: vec![TxnOpResult::Put],
        };
        let lost = |revision| Response::Txn {
            revision,
            succeeded: false,
            results: vec![],
        };
        let mut ok = History::new();
        ok.push(1, 0, cas("1"), 5, won(2));
        ok.push(2, 0, cas("2"), 5, lost(2));
        assert!(check_linearizable(&ok).is_ok());
        let mut both = History::new();
        both.push(1, 0, cas("1"), 5, won(2));
        both.push(2, 0, cas("2"), 5, won(3));
        assert!(check_linearizable(&both).is_err());
    }

    #[test]
    fn read_at_a_past_revision_sees_that_revision() {
        let mut h = History::new();
        h.push(1, 0, Request::put("a", "1"), 1, put(2));
        h.push(1, 2, Request::put("a", "2"), 3, put(3));
        let at = |revision| {
            Request::Range(RangeRequest {
                key: "a".into(),
                end: None,
                revision,
                limit: 0,
                serializable: false,
            })
        };
        h.push(1, 4, at(2), 5, got(3, vec![kv("a", "1", 2, 2, 1)]));
        assert!(check_linearizable(&h).is_ok());
        h.push(1, 6, at(2), 7, got(3, vec![kv("a", "2", 2, 3, 2)]));
        assert!(check_linearizable(&h).is_err());
    }

    #[test]
    fn return_before_call_is_malformed() {
        let mut h = History::new();
        h.push(1, 5, Request::get("a"), 4, got(1, vec![]));
        assert!(matches!(
            check_linearizable(&h),
            Err(Violation::Malformed { op: 0 })
        ));
    }

    #[test]
    fn violation_names_the_operation_and_what_the_model_expected() {
        let mut h = History::new();
        h.push(1, 0, Request::put("a", "1"), 5, put(2));
        h.push(
            2,
            6,
            Request::get("a"),
            7,
            got(2, vec![kv("a", "X", 2, 2, 1)]),
        );
        let v = check_linearizable(&h).expect_err("violation");
        let Violation::NotLinearizable { op, attempts, .. } = &v else {
            panic!("{v}");
        };
        assert_eq!(*op, 1);
        assert_eq!(attempts[0].expected, got(2, vec![kv("a", "1", 2, 2, 1)]));
        assert!(v.to_string().contains("op 1 cannot be placed"));
    }

    #[test]
    fn random_concurrent_histories_of_a_correct_run_are_accepted() {
        for seed in 0..200 {
            let mut rng = Rng::new(seed);
            let h = random_history(&mut rng, 60, 1 + (seed % 5) as u32, false);
            if let Err(v) = check_linearizable(&h) {
                panic!("seed {seed}: {v}");
            }
        }
    }

    /// Changes one answer in a way that is wrong at its true point.
    fn mutate(rng: &mut Rng, r: &mut Response) -> bool {
        match r {
            Response::Range { kvs, revision, .. } => match kvs.first_mut() {
                Some(kv) => kv.value = b"mutated".to_vec(),
                None => *revision += 1,
            },
            Response::Put { revision } => *revision += if rng.chance(50) { 1 } else { -1 },
            Response::Delete { deleted, .. } => *deleted = 1 - (*deleted).min(1),
            Response::Txn { succeeded, .. } => *succeeded = !*succeeded,
            _ => return false,
        }
        true
    }

    #[test]
    fn one_mutated_answer_is_found_in_most_random_histories() {
        let (mut tried, mut found) = (0, 0);
        for seed in 0..200 {
            let mut rng = Rng::new(seed);
            let mut h = random_history(&mut rng, 60, 4, false);
            let answered: Vec<OpId> = (0..h.ops.len())
                .filter(|&i| h.ops[i].ret.is_some())
                .collect();
            let victim = answered[rng.below(answered.len() as u64) as usize];
            let ret = h.ops[victim].ret.as_mut().expect("answered");
            if !mutate(&mut rng, &mut ret.response) {
                continue;
            }
            tried += 1;
            found += check_linearizable(&h).is_err() as u32;
        }
        eprintln!("mutations found: {found} of {tried}");
        assert!(found * 100 >= tried * 90, "found {found} of {tried}");
    }

    #[test]
    fn three_hundred_operations_of_five_clients_check_quickly() {
        let start = std::time::Instant::now();
        for seed in 0..10 {
            let mut rng = Rng::new(1000 + seed);
            let h = random_history(&mut rng, 300, 5, false);
            check_linearizable(&h).expect("linearizable");
        }
        let each = start.elapsed() / 10;
        eprintln!("300 ops, 5 clients: {each:?} per history");
        assert!(each.as_secs() < 5);
    }
}
