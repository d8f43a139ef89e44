//! Serializable reads: a weaker check than linearizability.
//!
//! A serializable read is served from one member's local state, so it may
//! be stale. What it must still be is *a state that existed*: its answer
//! equals the model's range at the header revision it reports, and that
//! revision cannot be newer than what the cluster could have committed by
//! the time the read returned, i.e. the revision after the last write of
//! the linearization that was called before the read returned. (A write
//! called earlier may have been linearized later, so this bound is
//! generous; it never rejects a correct history.)
//!
//! The states come from a linearization found by [`super::check_linearizable`];
//! when several linearizations exist the check uses that one.

use std::fmt;

use super::history::{History, OpId, Request, Response, Revision};
use super::linearizable::Linearization;
use super::model::range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SerializableViolation {
    /// The read reports a revision no write had reached when it returned.
    FutureRevision {
        op: OpId,
        revision: Revision,
        latest: Revision,
    },
    /// The read does not match the state at the revision it reports.
    WrongState {
        op: OpId,
        expected: Response,
        observed: Response,
    },
}

impl fmt::Display for SerializableViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SerializableViolation::FutureRevision { op, revision, latest } => write!(
                f,
                "serializable read {op} reports revision {revision}, but at its return the latest was {latest}"
            ),
            SerializableViolation::WrongState {
                op,
                expected,
                observed,
            } => write!(f, "serializable read {op}: state was {expected:?}, read {observed:?}"),
        }
    }
}

pub fn check_serializable(
    history: &History,
    lin: &Linearization,
) -> Result<(), SerializableViolation> {
    for (id, op) in history.ops.iter().enumerate() {
        let Request::Range(req) = &op.request else {
            continue;
        };
        let Some(ret) = &op.ret else { continue };
        let Some(revision) = ret.response.revision() else {
            continue;
        };
        if !req.serializable {
            continue;
        }
        let latest = lin
            .steps
            .iter()
            .filter(|s| history.ops[s.op].call <= ret.time)
            .map(|s| s.revision)
            .max()
            .unwrap_or(1);
        if revision > latest {
            return Err(SerializableViolation::FutureRevision {
                op: id,
                revision,
                latest,
            });
        }
        let at = if req.revision > 0 {
            req.revision
        } else {
            revision
        };
        let snapshot = lin.final_state.at(at);
        let (kvs, count) = snapshot.map(|s| range(&s.kvs, req)).unwrap_or_default();
        let expected = Response::Range {
            revision,
            kvs,
            count,
        };
        if at > revision || expected != ret.response {
            return Err(SerializableViolation::WrongState {
                op: id,
                expected,
                observed: ret.response.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::generate::{random_history, Rng};
    use super::super::history::*;
    use super::super::linearizable::check_linearizable;
    use super::*;

    fn serializable_get(key: &str) -> Request {
        Request::Range(RangeRequest {
            key: key.into(),
            end: None,
            revision: 0,
            limit: 0,
            serializable: true,
        })
    }

    fn history_with(read: Response) -> History {
        let mut h = History::new();
        h.push(
            1,
            0,
            Request::put("a", "1"),
            1,
            Response::Put { revision: 2 },
        );
        h.push(2, 5, serializable_get("a"), 6, read);
        h.push(
            1,
            10,
            Request::put("a", "2"),
            11,
            Response::Put { revision: 3 },
        );
        h
    }

    fn check(h: &History) -> Result<(), SerializableViolation> {
        check_serializable(h, &check_linearizable(h).expect("linearizable"))
    }

    #[test]
    fn a_stale_serializable_read_of_a_real_state_is_accepted() {
        let empty = Response::Range {
            revision: 1,
            kvs: vec![],
            count: 0,
        };
        assert_eq!(check(&history_with(empty)), Ok(()));
    }

    #[test]
    fn a_serializable_read_of_a_state_that_never_was_is_rejected() {
        // Revision 1 had no key "a".
        let kv = KeyValue {
            key: "a".into(),
            value: "1".into(),
            create_revision: 2,
            mod_revision: 2,
            version: 1,
            lease: 0,
        };
        let wrong = Response::Range {
            revision: 1,
            kvs: vec![kv],
            count: 1,
        };
        assert!(matches!(
            check(&history_with(wrong)),
            Err(SerializableViolation::WrongState { op: 1, .. })
        ));
    }

    #[test]
    fn a_serializable_read_from_the_future_is_rejected() {
        let future = Response::Range {
            revision: 3,
            kvs: vec![],
            count: 0,
        };
        let v = check(&history_with(future));
        assert!(matches!(
            v,
            Err(SerializableViolation::FutureRevision {
                revision: 3,
                latest: 2,
                ..
            })
        ));
    }

    #[test]
    fn random_stale_serializable_reads_of_a_correct_run_are_accepted() {
        for seed in 0..100 {
            let h = random_history(&mut Rng::new(seed), 60, 4, true);
            let lin = check_linearizable(&h).expect("linearizable");
            if let Err(v) = check_serializable(&h, &lin) {
                panic!("seed {seed}: {v}");
            }
        }
    }
}
