//! `waitDeletes` (`client/v3/concurrency/key.go`): wait until every key
//! under a prefix created at or before a revision is gone, watching for the
//! delete of the newest such key, then looking again.

use super::{prefix_end, range, Effect};
use crate::errors::EtcdError;
use crate::pb::*;
use crate::server::{Reply, Request};

pub struct WaitDeletes {
    prefix: Vec<u8>,
    max_create_revision: i64,
}

/// Where a wait stands after an answer.
pub enum Waited {
    /// Still waiting: do this.
    Pending(Effect),
    /// No key is left.
    Done,
    Failed(EtcdError),
}

impl WaitDeletes {
    pub fn new(prefix: &[u8], max_create_revision: i64) -> Self {
        WaitDeletes {
            prefix: prefix.to_vec(),
            max_create_revision,
        }
    }

    /// `Get(pfx, WithLastCreate(), WithMaxCreateRev(max))`.
    pub fn look(&self) -> Effect {
        Effect::Submit(Request::Range(RangeRequest {
            key: self.prefix.clone(),
            range_end: prefix_end(&self.prefix),
            limit: 1,
            sort_order: sort_order::DESCEND,
            sort_target: sort_target::CREATE,
            max_create_revision: self.max_create_revision,
            ..Default::default()
        }))
    }

    /// The answer to the look: done, or watch the newest key from the
    /// revision looked at until it is deleted (`waitDelete`).
    pub fn looked(&self, reply: Reply) -> Waited {
        let r = match range(reply) {
            Ok(r) => r,
            Err(e) => return Waited::Failed(e),
        };
        match r.kvs.into_iter().next() {
            None => Waited::Done,
            Some(kv) => Waited::Pending(Effect::Watch(WatchCreateRequest {
                key: kv.key,
                start_revision: r.header.map_or(0, |h| h.revision),
                ..Default::default()
            })),
        }
    }

    /// A watch response: look again once the key is deleted.
    pub fn watched(&self, resp: &WatchResponse) -> Option<Waited> {
        if resp.canceled {
            let e = if resp.compact_revision != 0 {
                EtcdError::Compacted
            } else {
                EtcdError::Stopped
            };
            return Some(Waited::Failed(e));
        }
        let deleted = resp.events.iter().any(|e| e.r#type == event_type::DELETE);
        deleted.then(|| Waited::Pending(self.look()))
    }
}

/// As part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::WaitDeletes;
    use crate::checkpoint::record;

    record!(WaitDeletes {
        prefix: bytes,
        max_create_revision
    });
}
