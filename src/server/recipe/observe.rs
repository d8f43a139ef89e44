//! `v3election.Observe`: `Election.observe` streams the leader's key as it
//! is now, then each new value it proclaims; when it goes, the next leader.

use super::{election, first_created, prefix_end, range, Effect};
use crate::pb::*;
use crate::server::{Reply, Request};

pub struct Observe {
    prefix: Vec<u8>,
    state: State,
}

enum State {
    /// Looking for the leader (`Get(pfx, WithFirstCreate()...)`).
    Look,
    /// No leader: watching the prefix for the first put.
    AwaitLeader,
    /// Following the leader's key until it is deleted.
    Follow,
}

impl Observe {
    pub fn new(name: &[u8]) -> (Self, Vec<Effect>) {
        let o = Observe {
            prefix: election::prefix(name),
            state: State::Look,
        };
        let look = o.look();
        (o, vec![look])
    }

    fn look(&self) -> Effect {
        Effect::Submit(Request::Range(first_created(&self.prefix)))
    }

    pub fn reply(&mut self, reply: Reply) -> Vec<Effect> {
        // a failed look ends the observation, and with it the stream
        let Ok(r) = range(reply) else {
            return vec![Effect::End];
        };
        match r.kvs.into_iter().next() {
            Some(kv) => self.leader(r.header, kv),
            None => {
                self.state = State::AwaitLeader;
                vec![Effect::Watch(WatchCreateRequest {
                    key: self.prefix.clone(),
                    range_end: prefix_end(&self.prefix),
                    start_revision: r.header.map_or(0, |h| h.revision),
                    ..Default::default()
                })]
            }
        }
    }

    pub fn watch(&mut self, resp: WatchResponse) -> Vec<Effect> {
        if resp.canceled {
            return vec![Effect::End];
        }
        match self.state {
            State::Look => Vec::new(),
            State::AwaitLeader => {
                // only puts: a delete would make etcd's observe spin
                let put = resp
                    .events
                    .into_iter()
                    .find(|e| e.r#type == event_type::PUT);
                match put.and_then(|e| e.kv) {
                    Some(kv) => {
                        let header = resp.header.map(|h| ResponseHeader {
                            revision: kv.mod_revision,
                            ..h
                        });
                        self.leader(header, kv)
                    }
                    None => Vec::new(),
                }
            }
            State::Follow => {
                let mut effects = Vec::new();
                for e in resp.events {
                    if e.r#type == event_type::DELETE {
                        self.state = State::Look;
                        effects.push(self.look());
                        break;
                    }
                    effects.push(message(resp.header.clone(), e.kv));
                }
                effects
            }
        }
    }

    /// Sends the leader, then follows its key.
    fn leader(&mut self, header: Option<ResponseHeader>, kv: KeyValue) -> Vec<Effect> {
        self.state = State::Follow;
        let from = header.as_ref().map_or(0, |h| h.revision) + 1;
        let follow = Effect::Watch(WatchCreateRequest {
            key: kv.key.clone(),
            start_revision: from,
            ..Default::default()
        });
        vec![message(header, Some(kv)), follow]
    }
}

fn message(header: Option<ResponseHeader>, kv: Option<KeyValue>) -> Effect {
    Effect::Message(LeaderResponse { header, kv })
}

/// As part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{Observe, State};
    use crate::checkpoint::{record, variants};

    record!(Observe {
        prefix: bytes,
        state
    });
    variants!(State {
        Look,
        AwaitLeader,
        Follow
    });
}
