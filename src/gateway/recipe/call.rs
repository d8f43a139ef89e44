//! How the gateway runs a recipe: its requests go to the member the call
//! came to, under the call's ticket, with the caller's token; its watches
//! share one watch stream of that ticket (a new watch replaces the last).

use super::{Effect, Recipe};
use crate::gateway::{interceptor, receive_limit, respond, stream, Gateway, Output, Ticket};
use crate::pb::watch_request::RequestUnion;
use crate::pb::*;
use crate::pb::{size, CallKind};
use crate::server::Reply;

/// The recipes' side of the RPC table (`pb::rpcs!`): a call per row of
/// its `concurrency` section.
macro_rules! concurrency_calls {
    (
        server $server:tt
        auth $auth:tt
        concurrency { $([$rpc:ident $method:literal $paths:tt $req:ident $($row:tt)*])* }
        other $other:tt
    ) => {
        /// A lock or election call, decoded.
        pub enum Call {
            $($rpc($req),)*
        }

        impl Call {
            pub fn rpc(&self) -> Rpc {
                match self {
                    $(Call::$rpc(_) => Rpc::$rpc,)*
                }
            }

            fn message(&self) -> &dyn Reflect {
                match self {
                    $(Call::$rpc(r) => r,)*
                }
            }
        }
    };
}

crate::pb::rpcs!(concurrency_calls);

impl Call {
    fn start(self) -> (Recipe, Vec<Effect>) {
        match self {
            Call::Lock(r) => Recipe::lock(r),
            Call::Unlock(r) => Recipe::unlock(r),
            Call::Campaign(r) => Recipe::campaign(r),
            Call::Proclaim(r) => Recipe::proclaim(r),
            Call::Resign(r) => Recipe::resign(r),
            Call::Leader(r) => Recipe::leader(r),
            Call::Observe(r) => Recipe::observe(r),
        }
    }
}

/// A recipe under way.
pub struct Running {
    member: usize,
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

impl Running {
    /// Its client needs nothing more.
    pub fn is_gone(&self) -> bool {
        self.gone
    }
}

impl Gateway {
    /// A lock or election call, past the gateway's decoding: gRPC's size
    /// check, the interceptors (Observe is a stream), then the recipe.
    pub(in crate::gateway) fn recipe_call(
        &mut self,
        ticket: Ticket,
        member: usize,
        call: Call,
        headers: &[(String, String)],
    ) {
        if let Err(e) = receive_limit(size::encoded_len(call.message())) {
            return self.respond(ticket, respond::etcd_error(&e));
        }
        let rpc = call.rpc();
        if rpc.kind() != CallKind::Unary {
            let verdict = interceptor::check(&self.cluster, member, rpc, None, headers);
            let mut st = stream::Stream::new(member, stream::Decoder::None).intercepted(verdict);
            if let Some(e) = st.refusal().cloned() {
                return st.error(ticket, &e, &mut self.outputs);
            }
            self.streams.insert(ticket, Box::new(st));
        } else if let Err(e) = interceptor::check(&self.cluster, member, rpc, None, headers) {
            return self.respond(ticket, respond::etcd_error(&e));
        }
        let (recipe, effects) = call.start();
        let running = Running {
            member,
            token: interceptor::token(headers),
            recipe,
            in_flight: 0,
            watching: false,
            watch_id: None,
            gone: false,
        };
        self.recipes.insert(ticket, Box::new(running));
        self.recipe_effects(ticket, effects);
    }

    /// The cluster's answer to a recipe's request.
    pub(in crate::gateway) fn recipe_reply(&mut self, ticket: Ticket, reply: Reply) {
        let Some(run) = self.recipes.get_mut(&ticket) else {
            return;
        };
        run.in_flight = run.in_flight.saturating_sub(1);
        if run.gone {
            return self.recipe_end(ticket);
        }
        let effects = run.recipe.reply(reply);
        self.recipe_effects(ticket, effects);
    }

    /// A response on a recipe's watch stream.
    pub(in crate::gateway) fn recipe_watch(&mut self, ticket: Ticket, resp: WatchResponse) {
        let Some(run) = self.recipes.get_mut(&ticket) else {
            return;
        };
        if run.gone || run.watch_id != Some(resp.watch_id) {
            return;
        }
        let effects = run.recipe.watch(resp);
        self.recipe_effects(ticket, effects);
    }

    /// The client of a recipe went away: what it holds is given back.
    pub(in crate::gateway) fn recipe_cancel(&mut self, ticket: Ticket) {
        let Some(run) = self.recipes.get_mut(&ticket) else {
            return;
        };
        if !run.gone {
            for request in run.recipe.cancel() {
                run.in_flight += 1;
                self.cluster
                    .submit(run.member, ticket, request, run.token.clone());
            }
        }
        self.recipe_end(ticket);
    }

    /// The member of a recipe's requests refused one (it went down): the
    /// client's connection is gone.
    pub(in crate::gateway) fn recipe_refused(&mut self, ticket: Ticket) {
        let Some(run) = self.recipes.get_mut(&ticket) else {
            return;
        };
        run.in_flight = run.in_flight.saturating_sub(1);
        if !run.gone {
            self.streams.remove(&ticket);
            self.outputs.push(Output::Refused { ticket });
        }
        self.recipe_end(ticket);
    }

    /// Recipes of `member` still answering a client.
    pub(in crate::gateway) fn recipes_of(&self, member: usize) -> Vec<Ticket> {
        self.recipes
            .iter()
            .filter(|(_, r)| r.member == member && !r.gone)
            .map(|(t, _)| *t)
            .collect()
    }

    /// Whether `ticket` is a recipe still answering its client.
    pub(in crate::gateway) fn is_recipe(&self, ticket: Ticket) -> bool {
        self.recipes.get(&ticket).is_some_and(|r| !r.gone)
    }

    /// The recipe's client needs nothing more: its watches are freed; it is
    /// forgotten once no answer is owed.
    pub(in crate::gateway) fn recipe_end(&mut self, ticket: Ticket) {
        let Some(run) = self.recipes.get_mut(&ticket) else {
            return;
        };
        run.gone = true;
        if run.watching {
            run.watching = false;
            run.watch_id = None;
            self.cluster.watch_close(run.member, ticket);
        }
        if run.in_flight == 0 {
            self.recipes.remove(&ticket);
        }
    }

    fn recipe_effects(&mut self, ticket: Ticket, effects: Vec<Effect>) {
        for effect in effects {
            let Some(run) = self.recipes.get_mut(&ticket) else {
                return;
            };
            if run.gone {
                return;
            }
            let member = run.member;
            match effect {
                Effect::Submit(request) => {
                    run.in_flight += 1;
                    self.cluster
                        .submit(member, ticket, request, run.token.clone());
                }
                Effect::Watch(mut create) => {
                    if !run.watching {
                        run.watching = true;
                        self.cluster.watch_open(member, ticket, run.token.clone());
                    }
                    // client-chosen ids: the next after the last
                    let id = run.watch_id.map_or(1, |old| old + 1);
                    if let Some(old) = run.watch_id {
                        let cancel = WatchCancelRequest { watch_id: old };
                        let request = WatchRequest {
                            request_union: Some(RequestUnion::CancelRequest(cancel)),
                        };
                        self.cluster.watch(member, ticket, request);
                    }
                    run.watch_id = Some(id);
                    create.watch_id = id;
                    let request = WatchRequest {
                        request_union: Some(RequestUnion::CreateRequest(create)),
                    };
                    self.cluster.watch(member, ticket, request);
                }
                Effect::Answer(response) => {
                    self.respond(ticket, response);
                    self.recipe_end(ticket);
                }
                Effect::Message(json) => {
                    if let Some(st) = self.streams.get_mut(&ticket) {
                        st.message(ticket, json, &mut self.outputs);
                    }
                }
                Effect::End => {
                    if let Some(mut st) = self.streams.remove(&ticket) {
                        st.end(ticket, &mut self.outputs);
                    }
                    self.recipe_end(ticket);
                }
            }
        }
    }
}
