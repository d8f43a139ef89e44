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
    Search::new(&ops, &times)
        .run()
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
}

impl<'a> Search<'a> {
    fn new(ops: &'a [Candidate<'a>], times: &[(Time, bool, usize)]) -> Search<'a> {
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
        let fits = self
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

    fn run(mut self) -> Result<(Vec<Step>, State), Violation> {
        let mut state = State::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut entry = self.next[0];
        // Set when backtracking from an unknown op placed with effect: try
        // it at the same point without effect before moving on.
        let mut retry_without_effect = false;
        while self.next[0] != NIL {
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
                return Err(self.stuck.take().expect("noted").1);
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
