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
