//! The HTTP/JSON gateway: etcd's grpc-gateway paths, JSON mapping, gRPC code
//! to HTTP status, stream framing; and the `/_sim/` control paths. It owns
//! the simulated cluster and is the one object the front doors talk to.

mod control;
mod http;
mod interceptor;
mod json;
pub mod jsonpb;
mod metrics;
mod recipe;
mod respond;
mod route;
mod stream;
mod world;

pub use http::{HttpRequest, HttpResponse, Output, Ticket};

use crate::boxed_map::BoxedMap;
use crate::cluster::{Cluster, Outcome, MAX_RECV_BYTES};
use crate::errors::{Code, EtcdError};
use crate::pb::Rpc;
use crate::server::{Reply, Request};
use route::Route;
use std::collections::BTreeMap;
use world::{Input, Journal};

pub use crate::config::Config;

/// A unary call whose body is still arriving: it is read whole, then handled.
struct Pending {
    member: usize,
    request: HttpRequest,
    body: Vec<u8>,
}

/// The front of the simulated world. Every front door (Node server, fetch
/// shim, tests) talks to this and nothing else.
pub struct Gateway {
    /// The configuration the world started with; a reset starts from it.
    initial: Config,
    cluster: Cluster,
    next_ticket: Ticket,
    pending: BoxedMap<Ticket, Pending>,
    /// Bidirectional streams (watch, keep-alive): request messages are
    /// handled as they arrive, answers go out as they come.
    streams: BoxedMap<Ticket, stream::Stream>,
    /// Lock and election calls under way (see `recipe`).
    recipes: BoxedMap<Ticket, recipe::Running>,
    outputs: Vec<Output>,
    /// Every input since the world started: what a save holds.
    journal: Journal,
    /// Stopped for the real-time driver (`/_sim/pause`): virtual time moves
    /// only by `/_sim/step` (or a controlled driver) until resumed.
    paused: bool,
    /// Virtual ms per wall ms for the real-time driver (`/_sim/speed`).
    speed: f64,
    /// Changes when the clock jumps or stops outside the driver's control
    /// (reset, load, pause, resume, step): a real-time driver re-anchors.
    epoch: u64,
}

impl Gateway {
    pub fn new(config: Config) -> Self {
        Gateway::fresh(config.clone(), config, 1)
    }

    /// A world of `config` whose resets start from `base`.
    fn fresh(base: Config, config: Config, first_ticket: Ticket) -> Self {
        Gateway {
            cluster: Cluster::new(&config),
            journal: Journal::new(base.clone(), config, first_ticket),
            initial: base,
            next_ticket: first_ticket,
            pending: BTreeMap::new(),
            streams: BTreeMap::new(),
            recipes: BTreeMap::new(),
            outputs: Vec::new(),
            paused: false,
            speed: 1.0,
            epoch: 0,
        }
    }

    /// The whole world, saved (see `world`): `load` gives it back exactly.
    pub fn save(&self) -> String {
        self.journal.save(self.now(), self.members())
    }

    /// Replaces the world with a saved one. Clients connected now lose
    /// their connection (they were talking to the old world); clients of
    /// the saved world are not part of it and are gone too (their watchers
    /// are freed, requests they left in flight still take effect).
    pub fn load(&mut self, saved: &[u8]) -> Result<(), String> {
        let journal = Journal::load(saved)?;
        let mut world = Gateway::fresh(
            journal.base.clone(),
            journal.config.clone(),
            journal.first_ticket,
        );
        for (n, input) in journal.inputs.into_iter().enumerate() {
            world.replay(input);
            if n % 1024 == 1023 {
                world.outputs.clear();
            }
        }
        let gone: Vec<Ticket> = world
            .pending
            .keys()
            .chain(world.streams.keys())
            .chain(world.recipes.keys())
            .copied()
            .collect();
        for ticket in gone {
            world.cancel(ticket);
        }
        self.close_connections();
        // tickets go on above those either side has used
        let next = world.next_ticket.max(self.next_ticket);
        world.replay(Input::NextTicket(next));
        world.outputs = std::mem::take(&mut self.outputs);
        world.epoch = self.epoch + 1;
        *self = world;
        Ok(())
    }

    /// Gives the world one input of a saved journal.
    fn replay(&mut self, input: Input) {
        match input {
            Input::Submit {
                ticket,
                member,
                request,
            } => {
                let next = self.next_ticket;
                self.next_ticket = ticket;
                self.submit(member, request);
                self.next_ticket = next.max(ticket + 1);
            }
            Input::Body(ticket, data) => self.body(ticket, &data),
            Input::Finish(ticket) => self.finish(ticket),
            Input::Cancel(ticket) => self.cancel(ticket),
            Input::Time(ms) => self.advance_to(ms),
            Input::NextTicket(ticket) => {
                self.next_ticket = ticket;
                self.journal.record(Input::NextTicket(ticket));
            }
        }
    }

    /// Whether the real-time driver should leave the clock alone.
    pub fn paused(&self) -> bool {
        self.paused
    }

    fn set_paused(&mut self, paused: bool) {
        if self.paused != paused {
            self.paused = paused;
            self.epoch += 1;
            let what = if paused { "pause" } else { "resume" };
            self.cluster.control_event(what.into());
        }
    }

    /// Virtual ms per wall ms the real-time driver lets pass.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// See the field: a new value means the driver re-anchors its clock.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Every client connection ends: unfinished requests and requests the
    /// cluster holds are refused, streams end.
    fn close_connections(&mut self) {
        for ticket in std::mem::take(&mut self.pending).into_keys() {
            self.outputs.push(Output::Refused { ticket });
        }
        let streams = std::mem::take(&mut self.streams);
        let recipes = std::mem::take(&mut self.recipes);
        let mut waiting = self.cluster.waiting_tickets();
        waiting.extend(recipes.keys());
        for ticket in waiting {
            let gone = recipes.get(&ticket).is_some_and(|r| r.is_gone());
            if !streams.contains_key(&ticket) && !gone {
                self.outputs.push(Output::Refused { ticket });
            }
        }
        for (ticket, mut st) in streams {
            st.end(ticket, &mut self.outputs);
        }
    }

    /// Number of members of the current cluster.
    pub fn members(&self) -> usize {
        self.cluster.member_count()
    }

    /// Starts a request to `member`; its body follows with [`Gateway::body`]
    /// and [`Gateway::finish`].
    pub fn submit(&mut self, member: usize, request: HttpRequest) -> Ticket {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        if is_inspection(&request) {
            self.journal.quiet(ticket);
        } else {
            self.journal.record(Input::Submit {
                ticket,
                member,
                request: request.clone(),
            });
        }
        let decoder = match route::route(&request.method, &request.path) {
            Route::Rpc(Rpc::Watch) => {
                Some((Rpc::Watch, stream::Decoder::Watch(Default::default())))
            }
            Route::Rpc(Rpc::LeaseKeepAlive) => Some((
                Rpc::LeaseKeepAlive,
                stream::Decoder::KeepAlive(Default::default()),
            )),
            _ => None,
        };
        match decoder {
            Some((rpc, d)) if self.cluster.is_serving(member) => {
                // the gateway opens the gRPC stream as the request arrives:
                // etcd's interceptor judges it now
                let verdict =
                    interceptor::check(&self.cluster, member, rpc, None, &request.headers);
                let st = stream::Stream::new(member, d).intercepted(verdict);
                if st.is_open_watch() {
                    let token = interceptor::token(&request.headers);
                    self.cluster.watch_open(member, ticket, token);
                }
                self.streams.insert(ticket, Box::new(st));
            }
            _ => {
                self.pending.insert(
                    ticket,
                    Box::new(Pending {
                        member,
                        request,
                        body: Vec::new(),
                    }),
                );
            }
        }
        ticket
    }

    /// More request body for `ticket`.
    pub fn body(&mut self, ticket: Ticket, data: &[u8]) {
        self.journal.record(Input::Body(ticket, data.to_vec()));
        if let Some(p) = self.pending.get_mut(&ticket) {
            p.body.extend_from_slice(data);
        } else if let Some(st) = self.streams.get_mut(&ticket) {
            st.push(data);
            self.pump(ticket);
        }
    }

    /// The request body of `ticket` is complete.
    pub fn finish(&mut self, ticket: Ticket) {
        // recorded first: a reset or load in it starts a new journal
        self.journal.record(Input::Finish(ticket));
        if let Some(p) = self.pending.remove(&ticket) {
            self.dispatch(ticket, p.member, &p.request, &p.body);
        } else if let Some(st) = self.streams.get_mut(&ticket) {
            st.finish();
            self.pump(ticket);
        }
    }

    /// The client of `ticket` went away: drop what belongs to it (a watch
    /// stream's watchers are freed); no output for it follows, not even one
    /// produced before and not yet drained.
    pub fn cancel(&mut self, ticket: Ticket) {
        if self.pending.contains_key(&ticket)
            || self.streams.contains_key(&ticket)
            || self.is_recipe(ticket)
        {
            self.journal.record(Input::Cancel(ticket));
        }
        self.pending.remove(&ticket);
        self.outputs.retain(|o| o.ticket() != ticket);
        self.close_stream(ticket);
        self.recipe_cancel(ticket);
    }

    /// Forgets a stream; the watchers of a watch stream go with it.
    fn close_stream(&mut self, ticket: Ticket) -> Option<Box<stream::Stream>> {
        let st = self.streams.remove(&ticket)?;
        if st.is_open_watch() {
            self.cluster.watch_close(st.member, ticket);
        }
        Some(st)
    }

    /// Tickets of the streams `member` serves that `pick` selects.
    fn streams_of(&self, member: usize, pick: impl Fn(&stream::Stream) -> bool) -> Vec<Ticket> {
        self.streams
            .iter()
            .filter(|(_, s)| s.member == member && pick(s))
            .map(|(t, _)| *t)
            .collect()
    }

    /// `submit` + `body` + `finish` in one call.
    pub fn request(&mut self, member: usize, request: HttpRequest, body: &[u8]) -> Ticket {
        let t = self.submit(member, request);
        self.body(t, body);
        self.finish(t);
        t
    }

    /// Virtual time in milliseconds.
    pub fn now(&self) -> u64 {
        self.cluster.now()
    }

    /// Runs the world up to virtual time `ms` (never backwards).
    pub fn advance_to(&mut self, ms: u64) {
        self.cluster.advance_to(ms);
        self.clock_moved();
    }

    /// When the next thing is due, if anything is.
    pub fn next_due(&self) -> Option<u64> {
        self.cluster.next_due()
    }

    /// Runs until every request that can be answered now has been answered.
    pub fn run_until_idle(&mut self) {
        self.run_until_idle_or(u64::MAX);
    }

    /// As [`Gateway::run_until_idle`], but virtual time stops at `limit`
    /// (a real-time driver lets the world run only a little ahead of the
    /// wall clock, so a request that takes long in etcd takes long here).
    pub fn run_until_idle_or(&mut self, limit: u64) {
        loop {
            self.cluster.run_until_idle_or(limit);
            self.clock_moved();
            // a lock or election call answered goes on with new requests
            if !self.cluster.has_input() {
                break;
            }
        }
    }

    fn clock_moved(&mut self) {
        self.journal.record(Input::Time(self.cluster.now()));
        self.collect();
        // a lock or election call went on with requests of its own: they
        // are handled at the next clock move, which a replay must repeat
        if self.cluster.has_input() {
            self.journal.seal();
        }
    }

    /// Takes the outputs produced so far, in order.
    pub fn drain(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.outputs)
    }

    fn respond(&mut self, ticket: Ticket, response: HttpResponse) {
        self.outputs.push(Output::Response { ticket, response });
    }

    /// Hands the request messages a stream has so far to the cluster.
    fn pump(&mut self, ticket: Ticket) {
        let Some(st) = self.streams.get_mut(&ticket) else {
            return;
        };
        let member = st.member;
        let watch = st.is_watch();
        let refusal = st.refusal().cloned();
        let incoming = st.incoming();
        if let Some(e) = refusal {
            return self.refuse_stream(ticket, &e, incoming);
        }
        for incoming in incoming {
            match incoming {
                stream::Incoming::Watch(m) => self.cluster.watch(member, ticket, m),
                stream::Incoming::KeepAlive(m) => self.cluster.keep_alive(member, ticket, m),
                // closing a watch's request body does not end the watch
                // (FINDINGS #34); a keep-alive stream ends with its requests
                stream::Incoming::EndOfRequests if !watch => self.cluster.keep_alive_end(ticket),
                stream::Incoming::EndOfRequests => {}
                stream::Incoming::FirstMessageError(response) => {
                    self.close_stream(ticket);
                    return self.respond(ticket, response);
                }
            }
        }
    }

    /// A stream etcd's interceptor refused. grpc-gateway learns it only
    /// after sending the first request message, or finding the body empty
    /// (`request_Watch_Watch_0`): a first message that does not decode is
    /// still answered as such; otherwise the answer is the refusal.
    fn refuse_stream(&mut self, ticket: Ticket, e: &EtcdError, incoming: Vec<stream::Incoming>) {
        let Some(first) = incoming.into_iter().next() else {
            return;
        };
        let Some(mut st) = self.close_stream(ticket) else {
            return;
        };
        match first {
            stream::Incoming::FirstMessageError(response) => self.respond(ticket, response),
            _ => st.error(ticket, e, &mut self.outputs),
        }
    }

    fn dispatch(&mut self, ticket: Ticket, member: usize, request: &HttpRequest, body: &[u8]) {
        let route = route::route(&request.method, &request.path);
        if let Route::Sim(cmd) = &route {
            let response = control::handle(self, &request.method, cmd, body);
            return self.respond(ticket, response);
        }
        if !self.cluster.is_serving(member) {
            return self.outputs.push(Output::Refused { ticket });
        }
        let method = request.method.as_str();
        let response = match route {
            Route::Rpc(rpc) => return self.rpc(ticket, member, rpc, &request.headers, body),
            Route::Preflight => respond::preflight(),
            Route::Redirect(to) => respond::redirect(method, &to),
            Route::MethodNotAllowed => respond::text_error(405, "Method Not Allowed", &[]),
            Route::PlainMethodNotAllowed(allow) => {
                respond::text_error(405, "Method Not Allowed", &[("Allow", allow)])
            }
            Route::GatewayNotFound => respond::text_error(404, "Not Found", &[]),
            Route::NotFound | Route::Sim(_) => respond::text_error(404, "404 page not found", &[]),
            Route::Version => respond::plain(
                200,
                "application/json",
                br#"{"etcdserver":"3.5.1","etcdcluster":"3.5.0"}"#.to_vec(),
            ),
            // the body is JSON but etcd lets Go sniff the type: text/plain
            Route::Health => self.health(member, &request.path),
            Route::DebugVars => respond::plain(
                200,
                "application/json; charset=utf-8",
                control::debug_vars(self, member).into_bytes(),
            ),
            Route::Metrics => respond::plain(
                200,
                metrics::CONTENT_TYPE,
                metrics::page(self, member).into_bytes(),
            ),
        };
        self.respond(ticket, response);
    }

    /// etcd 3.5.1's `/health`: false with the reason when an alarm is
    /// active (unless excluded with `?exclude=NAME`) or, unless
    /// `?serializable=true`, when the member knows no leader.
    fn health(&self, member: usize, path: &str) -> HttpResponse {
        let query = path.split_once('?').map_or("", |(_, q)| q);
        let params: Vec<(&str, &str)> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        let serializable = params.contains(&("serializable", "true"));
        let excluded: Vec<&str> = params
            .iter()
            .filter(|(k, _)| *k == "exclude")
            .map(|(_, v)| *v)
            .collect();
        let alarms = self
            .cluster
            .member(member)
            .map(|m| m.alarms().get(0))
            .unwrap_or_default();
        let reason = alarms
            .iter()
            .map(|a| match a.alarm {
                crate::pb::alarm_type::NOSPACE => "NOSPACE",
                crate::pb::alarm_type::CORRUPT => "CORRUPT",
                _ => "UNKNOWN",
            })
            .find(|name| !excluded.contains(name))
            .map(|name| format!("ALARM {name}"))
            .or_else(|| {
                (!serializable && !self.cluster.has_leader(member))
                    .then(|| "RAFT NO LEADER".to_string())
            });
        match reason {
            // the body is JSON but etcd lets Go sniff the type: text/plain
            None => respond::plain(
                200,
                "text/plain; charset=utf-8",
                br#"{"health":"true","reason":""}"#.to_vec(),
            ),
            Some(r) => {
                let body = format!(r#"{{"health":"false","reason":"{r}"}}"#);
                respond::text_error(503, &body, &[])
            }
        }
    }

    /// A unary call (or the snapshot stream, whose one request is read
    /// whole) in etcd's order: the gateway decodes the body, gRPC checks
    /// its size, the interceptors judge the call, then the handler runs.
    fn rpc(
        &mut self,
        ticket: Ticket,
        member: usize,
        rpc: Rpc,
        headers: &[(String, String)],
        body: &[u8],
    ) {
        if rpc == Rpc::Snapshot {
            return match jsonpb::decode::<crate::pb::SnapshotRequest>(body) {
                Ok(_) => self.snapshot(ticket, member, headers),
                Err(msg) => self.respond(ticket, respond::etcd_error(&EtcdError::Decode(msg))),
            };
        }
        let request = match decode_call(rpc, body) {
            Ok(Decoded::Server(r)) => Some(r),
            Ok(Decoded::Concurrency(call)) => {
                return self.recipe_call(ticket, member, call, headers)
            }
            Ok(Decoded::Other) => None,
            Err(msg) => return self.respond(ticket, respond::etcd_error(&EtcdError::Decode(msg))),
        };
        if let Err(e) = receive_limit(request.as_ref().map_or(0, Request::encoded_len)) {
            return self.respond(ticket, respond::etcd_error(&e));
        }
        if let Err(e) = interceptor::check(&self.cluster, member, rpc, request.as_ref(), headers) {
            return self.respond(ticket, respond::etcd_error(&e));
        }
        match request {
            Some(r) => {
                let token = interceptor::token(headers);
                self.cluster.submit(member, ticket, r, token)
            }
            None => {
                let (_, method) = rpc.service_and_method();
                let msg = format!("etcd-sim: {method} is not implemented yet");
                self.respond(
                    ticket,
                    respond::grpc_error(Code::Unimplemented as i32, &msg, 501),
                );
            }
        }
    }

    /// The snapshot stream, past etcd's stream interceptor (learners may
    /// take a snapshot).
    fn snapshot(&mut self, ticket: Ticket, member: usize, headers: &[(String, String)]) {
        let verdict = interceptor::check(&self.cluster, member, Rpc::Snapshot, None, headers);
        let mut st = stream::Stream::new(member, stream::Decoder::None).intercepted(verdict);
        match st.refusal().cloned() {
            Some(e) => st.error(ticket, &e, &mut self.outputs),
            None => {
                self.streams.insert(ticket, Box::new(st));
                self.cluster
                    .snapshot(member, ticket, interceptor::token(headers));
            }
        }
    }

    /// Turns the cluster's answers into HTTP answers.
    fn collect(&mut self) {
        for outcome in self.cluster.drain() {
            match outcome {
                Outcome::Reply(ticket, reply) if self.recipes.contains_key(&ticket) => {
                    self.recipe_reply(ticket, reply)
                }
                Outcome::Reply(ticket, reply) => {
                    let response = encode_reply(&reply);
                    self.respond(ticket, response);
                }
                Outcome::Watch(ticket, resp) if self.recipes.contains_key(&ticket) => {
                    self.recipe_watch(ticket, resp)
                }
                Outcome::Watch(ticket, resp) => {
                    if let Some(st) = self.streams.get_mut(&ticket) {
                        st.message(
                            ticket,
                            jsonpb::encode_stream_result(&resp),
                            &mut self.outputs,
                        );
                    }
                }
                Outcome::KeepAlive(ticket, answer) => self.stream_answer(ticket, answer),
                Outcome::Snapshot(ticket, answer) => self.stream_answer(ticket, answer),
                Outcome::Refused(ticket) if self.recipes.contains_key(&ticket) => {
                    self.recipe_refused(ticket)
                }
                Outcome::Refused(ticket) => {
                    self.streams.remove(&ticket);
                    self.outputs.push(Output::Refused { ticket });
                }
                Outcome::MemberDown(member) => {
                    // its streams' connections are gone
                    let cut = self.streams_of(member, |_| true);
                    for &ticket in &cut {
                        self.streams.remove(&ticket);
                        self.outputs.push(Output::Refused { ticket });
                    }
                    // and the lock and election calls it serves
                    for ticket in self.recipes_of(member) {
                        if !cut.contains(&ticket) {
                            self.outputs.push(Output::Refused { ticket });
                        }
                        self.recipe_end(ticket);
                    }
                }
                Outcome::NoLeader(member) => {
                    // etcd's leader monitor cancels the streams opened
                    // with hasleader: they end with ErrGRPCNoLeader
                    for ticket in self.streams_of(member, |s| s.require_leader) {
                        let Some(st) = self.close_stream(ticket) else {
                            continue;
                        };
                        if let Some(st) =
                            st.end_with(ticket, EtcdError::NoLeader, &mut self.outputs)
                        {
                            self.streams.insert(ticket, Box::new(st));
                        } else {
                            self.recipe_end(ticket);
                        }
                    }
                }
                Outcome::StreamEnd(ticket) => {
                    if let Some(mut st) = self.streams.remove(&ticket) {
                        st.end(ticket, &mut self.outputs);
                    }
                }
            }
        }
    }

    /// One message of a server stream, or the error that ends it.
    fn stream_answer<M: jsonpb::Message>(&mut self, ticket: Ticket, answer: Result<M, EtcdError>) {
        let Some(st) = self.streams.get_mut(&ticket) else {
            return;
        };
        match answer {
            Ok(resp) => st.message(
                ticket,
                jsonpb::encode_stream_result(&resp),
                &mut self.outputs,
            ),
            Err(e) => {
                st.error(ticket, &e, &mut self.outputs);
                self.streams.remove(&ticket);
            }
        }
    }

    /// Lets a control action take effect before its answer.
    fn run_until_idle_now(&mut self) {
        let now = self.cluster.now();
        self.cluster.run_until_idle_or(now);
        self.collect();
    }

    fn reset(&mut self, config: Config) {
        // every connection belonged to the old cluster
        self.close_connections();
        self.cluster = Cluster::new(&config);
        self.journal = Journal::new(self.initial.clone(), config, self.next_ticket);
        self.paused = false;
        self.speed = 1.0;
        self.epoch += 1;
    }
}

/// Requests that only look at the world (`GET /_sim/...`), and `load`,
/// which replaces the journal whole when it succeeds and changes nothing
/// when it fails: none is recorded.
fn is_inspection(request: &HttpRequest) -> bool {
    match route::route(&request.method, &request.path) {
        Route::Sim(cmd) => {
            let cmd = cmd.split_once('?').map_or(cmd.as_str(), |(c, _)| c);
            request.method == "GET" || (request.method == "POST" && cmd == "load")
        }
        _ => false,
    }
}

/// gRPC's receive limit on a request of `size` encoded bytes.
fn receive_limit(size: usize) -> Result<(), EtcdError> {
    if size > MAX_RECV_BYTES {
        return Err(EtcdError::MessageTooLarge {
            size,
            limit: MAX_RECV_BYTES,
        });
    }
    Ok(())
}

/// What a call's body decodes to, as its section of the RPC table says.
enum Decoded {
    /// A unary call its member serves.
    Server(Request),
    /// A lock or election call, run by the concurrency recipes.
    Concurrency(recipe::Call),
    /// A watch or keep-alive stream whose body came whole (its member was
    /// down when it arrived), or an RPC the gateway never reaches: its body
    /// is not read.
    Other,
}

/// The gateway's side of the RPC table (`pb::rpcs!`): each call's body
/// decoded into the request its section names.
macro_rules! gateway_calls {
    (
        server { $([$server:ident $($server_row:tt)*])* }
        auth { $([$auth:ident $($auth_row:tt)*])* }
        concurrency { $([$concurrency:ident $($concurrency_row:tt)*])* }
        other $other:tt
    ) => {
        /// Decodes a call's body. Calls the simulator does not serve yet
        /// decode first, so bad input gets etcd's answer.
        fn decode_call(rpc: Rpc, body: &[u8]) -> Result<Decoded, String> {
            use crate::auth::AuthRequest;
            Ok(match rpc {
                $(Rpc::$server => Decoded::Server(Request::$server(jsonpb::decode(body)?)),)*
                $(Rpc::$auth => {
                    Decoded::Server(Request::Auth(AuthRequest::$auth(jsonpb::decode(body)?)))
                })*
                $(Rpc::$concurrency => {
                    Decoded::Concurrency(recipe::Call::$concurrency(jsonpb::decode(body)?))
                })*
                _ => Decoded::Other,
            })
        }
    };
}

crate::pb::rpcs!(gateway_calls);

fn encode_reply(reply: &Reply) -> HttpResponse {
    match reply {
        Ok(r) => respond::json_ok(jsonpb::encode(r.message())),
        Err(e) => respond::etcd_error(e),
    }
}
