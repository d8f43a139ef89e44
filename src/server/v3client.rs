//! etcd's v3lock and v3election services on the member, and the internal
//! client they call it through (etcd's `v3client`). Each call runs one
//! concurrency recipe (see `recipe`): its requests take the same path as a
//! client's (trace, route, token waits, auth, ReadIndex, proposals, request
//! timeout) under the call's ticket with the caller's token, and its
//! watches share one watch stream of that ticket on this member's watch
//! hub (a new watch replaces the last). Their answers and watch messages
//! come back to the recipe instead of going out, and the recipe goes on at
//! once; its own answer, or an Observe message, is what goes out.

use super::env::Env;
use super::output::Answer;
use super::recipe::{Effect, Recipe};
use super::{EtcdServer, Reply, Ticket};
use crate::errors::EtcdError;
use crate::pb::watch_request::RequestUnion;
use crate::pb::*;

/// The services' side of the RPC table (`pb::rpcs!`): a call and an
/// answer per row of its `concurrency` section.
macro_rules! service_calls {
    (
        server $server:tt
        auth $auth:tt
        concurrency { $([$rpc:ident $method:literal $paths:tt $req:ident $resp:ident $($row:tt)*])* }
        other $other:tt
    ) => {
        /// A call to the v3lock or v3election service (`Observe`: a server
        /// stream of `LeaderResponse`s).
        #[derive(Clone, Debug)]
        pub enum ServiceCall {
            $($rpc($req),)*
        }

        /// The answer to a service call (an `Observe` stream's messages go
        /// out one by one instead).
        #[derive(Clone, Debug, PartialEq)]
        pub enum ServiceResponse {
            $($rpc($resp),)*
        }

        $crate::checkpoint::variants!(ServiceCall { $($rpc(message),)* });
        $crate::checkpoint::variants!(ServiceResponse { $($rpc(message),)* });

        impl ServiceCall {
            pub fn rpc(&self) -> Rpc {
                match self {
                    $(ServiceCall::$rpc(_) => Rpc::$rpc,)*
                }
            }

            /// The request message.
            pub fn message(&self) -> &dyn Reflect {
                match self {
                    $(ServiceCall::$rpc(r) => r,)*
                }
            }
        }

        impl ServiceResponse {
            /// The response message.
            pub fn message(&self) -> &dyn Reflect {
                match self {
                    $(ServiceResponse::$rpc(r) => r,)*
                }
            }
        }
    };
}

crate::pb::rpcs!(service_calls);

// The concurrency section's messages, once each (Leader and Observe share
// theirs): a recipe's answer waits in a checkpoint.
crate::checkpoint::messages!(
    LockRequest,
    UnlockRequest,
    CampaignRequest,
    ProclaimRequest,
    LeaderRequest,
    ResignRequest,
    LockResponse,
    UnlockResponse,
    CampaignResponse,
    ProclaimResponse,
    LeaderResponse,
    ResignResponse,
);

pub type ServiceReply = Result<ServiceResponse, EtcdError>;

impl ServiceCall {
    /// The size of the message gRPC receives, for its receive limit.
    pub fn encoded_len(&self) -> usize {
        crate::pb::size::encoded_len(self.message())
    }

    fn start(self) -> (Recipe, Vec<Effect>) {
        match self {
            ServiceCall::Lock(r) => Recipe::lock(r),
            ServiceCall::Unlock(r) => Recipe::unlock(r),
            ServiceCall::Campaign(r) => Recipe::campaign(r),
            ServiceCall::Proclaim(r) => Recipe::proclaim(r),
            ServiceCall::Resign(r) => Recipe::resign(r),
            ServiceCall::Leader(r) => Recipe::leader(r),
            ServiceCall::Observe(r) => Recipe::observe(r),
        }
    }
}

/// A service call under way.
pub struct Running {
    token: Option<String>,
    recipe: Recipe,
    /// Requests asked for and not yet answered.
    in_flight: usize,
    /// The recipe's watch stream is open.
    watching: bool,
    /// The id of the watch the recipe waits on; responses of earlier ones
    /// are dropped.
    watch_id: Option<i64>,
    /// The client has its answer or went away: only answers owed remain.
    gone: bool,
}

/// What came back to a recipe from its member.
pub enum ServiceEvent {
    Reply(Reply),
    Watch(WatchResponse),
}

impl EtcdServer {
    /// A lock or election call from a client (its auth token, if any).
    pub(super) fn call_service(
        &mut self,
        env: &mut Env,
        ticket: Ticket,
        call: ServiceCall,
        token: Option<String>,
    ) {
        let (recipe, effects) = call.start();
        let running = Running {
            token,
            recipe,
            in_flight: 0,
            watching: false,
            watch_id: None,
            gone: false,
        };
        self.services.insert(ticket, Box::new(running));
        self.service_effects(env, ticket, effects);
    }

    /// The client of a service call went away (or its stream was ended): a
    /// mutex or election still waiting gives up its key, as etcd's do when
    /// their context ends (`Mutex.Lock` unlocks, `Election.Campaign`
    /// resigns).
    pub(super) fn cancel_service(&mut self, env: &mut Env, ticket: Ticket) {
        let Some(run) = self.services.get_mut(&ticket) else {
            return;
        };
        if !run.gone {
            let token = run.token.clone();
            let give_back = run.recipe.cancel();
            run.in_flight += give_back.len();
            for request in give_back {
                self.submit(env, ticket, request, token.clone());
            }
        }
        self.service_end(ticket);
    }

    /// Whether an answer or watch message waits for a recipe.
    pub fn has_service_work(&self) -> bool {
        !self.service_events.is_empty()
    }

    /// Hands the answers and watch messages that came back to their
    /// recipes, which go on. Whether there were any.
    pub(super) fn run_services(&mut self, env: &mut Env) -> bool {
        let mut any = false;
        while !self.service_events.is_empty() {
            any = true;
            for (ticket, event) in std::mem::take(&mut self.service_events) {
                let Some(run) = self.services.get_mut(&ticket) else {
                    continue;
                };
                let effects = match event {
                    ServiceEvent::Reply(reply) => {
                        run.in_flight = run.in_flight.saturating_sub(1);
                        if run.gone {
                            self.service_end(ticket);
                            continue;
                        }
                        run.recipe.reply(reply)
                    }
                    ServiceEvent::Watch(resp) => {
                        if run.gone || run.watch_id != Some(resp.watch_id) {
                            continue;
                        }
                        run.recipe.watch(resp)
                    }
                };
                self.service_effects(env, ticket, effects);
            }
        }
        any
    }

    /// Whether `ticket` is a service call's: what comes back for it goes
    /// to its recipe.
    pub(super) fn is_service(&self, ticket: Ticket) -> bool {
        self.services.contains_key(&ticket)
    }

    /// Whether `ticket` is a service call whose client needs nothing more.
    pub(super) fn is_gone_service(&self, ticket: Ticket) -> bool {
        self.services.get(&ticket).is_some_and(|r| r.gone)
    }

    /// Service calls still answering a client.
    pub(super) fn live_services(&self) -> impl Iterator<Item = Ticket> + '_ {
        self.services
            .iter()
            .filter(|(_, r)| !r.gone)
            .map(|(t, _)| *t)
    }

    /// The client of `ticket` needs nothing more: its watches are freed; the
    /// call is forgotten once no answer is owed.
    fn service_end(&mut self, ticket: Ticket) {
        let Some(run) = self.services.get_mut(&ticket) else {
            return;
        };
        run.gone = true;
        let watching = std::mem::replace(&mut run.watching, false);
        run.watch_id = None;
        if run.in_flight == 0 {
            self.services.remove(&ticket);
        }
        if watching {
            self.close_watch_stream(ticket);
        }
    }

    fn service_effects(&mut self, env: &mut Env, ticket: Ticket, effects: Vec<Effect>) {
        for effect in effects {
            let Some(run) = self.services.get_mut(&ticket) else {
                return;
            };
            if run.gone {
                return;
            }
            match effect {
                Effect::Submit(request) => {
                    run.in_flight += 1;
                    let token = run.token.clone();
                    self.submit(env, ticket, request, token);
                }
                Effect::Watch(mut create) => {
                    let open = !std::mem::replace(&mut run.watching, true);
                    let old = run.watch_id;
                    // client-chosen ids: the next after the last
                    let id = old.map_or(1, |old| old + 1);
                    run.watch_id = Some(id);
                    let token = run.token.clone();
                    if open {
                        self.open_watch_stream(ticket, env.now, token);
                    }
                    let hdr = self.header();
                    if let Some(old) = old {
                        let cancel = WatchCancelRequest { watch_id: old };
                        let request = WatchRequest {
                            request_union: Some(RequestUnion::CancelRequest(cancel)),
                        };
                        self.watch(ticket, request, hdr, env.now);
                    }
                    create.watch_id = id;
                    let request = WatchRequest {
                        request_union: Some(RequestUnion::CreateRequest(create)),
                    };
                    self.watch(ticket, request, hdr, env.now);
                }
                Effect::Answer(reply) => {
                    self.answer(Answer::Service(ticket, reply));
                    self.service_end(ticket);
                }
                Effect::Message(resp) => self.answer(Answer::Observe(ticket, resp)),
                Effect::End => {
                    self.answer(Answer::StreamEnd(ticket));
                    self.service_end(ticket);
                }
            }
        }
    }

    /// Lets the watch messages of service calls come back to their
    /// recipes; the others go out.
    pub(super) fn route_watch_messages(
        &mut self,
        messages: Vec<(Ticket, WatchResponse)>,
    ) -> Vec<(Ticket, WatchResponse)> {
        if self.services.is_empty() {
            return messages;
        }
        let mut out = Vec::new();
        for (ticket, resp) in messages {
            if self.is_service(ticket) {
                self.service_events
                    .push((ticket, ServiceEvent::Watch(resp)));
            } else {
                out.push((ticket, resp));
            }
        }
        out
    }
}

/// Lock and election calls under way as part of a checkpoint (see
/// `crate::checkpoint`).
mod checkpoint {
    use super::{Running, ServiceEvent};
    use crate::checkpoint::{record, variants};

    record!(Running {
        token,
        recipe,
        in_flight,
        watching,
        watch_id,
        gone,
    });
    variants!(ServiceEvent {
        Reply(reply),
        Watch(response)
    });
}
