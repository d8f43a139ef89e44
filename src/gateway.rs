//! The HTTP/JSON gateway: etcd's grpc-gateway paths, JSON mapping, gRPC code
//! to HTTP status, stream framing, and etcd's plain HTTP endpoints
//! (`/health`, `/version`, `/metrics`, `/debug/vars`). It maps each HTTP
//! request to a typed request of the cluster it fronts, and the cluster's
//! answers back to HTTP. The world above it (`crate::world`) owns tickets,
//! the journal, time control and `/_sim/`.

mod debug_vars;
mod http;
pub mod jsonpb;
mod metadata;
mod metrics;
pub(crate) mod respond;
mod route;
mod services;
mod stream;

pub use http::{HttpRequest, HttpResponse, Output, Ticket};
pub use stream::Stop;

use crate::boxed_map::BoxedMap;
use crate::cluster::{Answer, Cluster, Outcome};
use crate::errors::{Code, EtcdError};
use crate::pb::Rpc;
use crate::server::{Reply, Request, ServiceCall, MAX_RECV_BYTES};
use route::Route;
use std::collections::BTreeMap;

pub use crate::config::Config;

/// A unary call whose body is still arriving: it is handled once the body
/// is complete, with what its first JSON value decodes to (the rest of the
/// body is read and ignored, as Go's `json.Decoder` leaves it).
struct Pending {
    member: usize,
    request: HttpRequest,
    body: Body,
}

/// What a unary call keeps of its body.
enum Body {
    /// Not an RPC: the body is not read.
    Unread,
    /// The first JSON value, as it arrives.
    Reading(jsonpb::ValueReader),
    /// The first JSON value (or the syntax error before its end); the rest
    /// of the body changes nothing.
    Read(Result<jsonpb::Kept, String>),
}

impl Body {
    /// Whether more of the body is still read.
    fn reading(&self) -> bool {
        matches!(self, Body::Reading(_))
    }
}

/// What a request the gateway took is to the world's journal.
pub enum Submitted {
    /// Refused: the member is down.
    Refused,
    /// A unary call: an input of the world only once its body is complete
    /// (see [`Taken::Call`]).
    Call,
    /// A stream, opened at once: an input of the world now, as sent.
    Stream(HttpRequest),
}

/// What the gateway took of a body piece or of the end of a body, for the
/// world's journal: inputs that, replayed, do what these did.
pub enum Taken {
    /// Nothing that changes the world: a piece of a unary call still being
    /// sent, or of no request; a unary call the gateway answered from its
    /// body alone (a decode error, a message too large) or refused.
    Nothing,
    /// A stream's piece or end: what the stream kept of the piece, then,
    /// if it stopped reading for a message it did not keep, how.
    Stream(Vec<u8>, Option<Stop>),
    /// A unary call handled, as sent: its member, request and what it kept
    /// of its body (its first JSON value).
    Call(usize, HttpRequest, Vec<u8>),
}

/// The HTTP/JSON front of the simulated cluster.
pub struct Gateway {
    cluster: Cluster,
    pending: BoxedMap<Ticket, Pending>,
    /// Bidirectional streams (watch, keep-alive): request messages are
    /// handled as they arrive, answers go out as they come.
    streams: BoxedMap<Ticket, stream::Stream>,
    /// Lock and election calls still owing their client an answer, and
    /// the member serving each (see `services`).
    services: services::Calls,
    outputs: Vec<Output>,
}

impl Gateway {
    pub fn new(config: &Config) -> Self {
        Gateway {
            cluster: Cluster::new(config),
            pending: BTreeMap::new(),
            streams: BTreeMap::new(),
            services: Default::default(),
            outputs: Vec::new(),
        }
    }

    /// The cluster, for inspection.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// The cluster, for the world's faults and controls.
    pub fn cluster_mut(&mut self) -> &mut Cluster {
        &mut self.cluster
    }

    /// Every client connection ends: unfinished requests and requests the
    /// cluster holds are refused, streams end.
    pub fn close_connections(&mut self) {
        for ticket in std::mem::take(&mut self.pending).into_keys() {
            self.outputs.push(Output::Refused { ticket });
        }
        let streams = std::mem::take(&mut self.streams);
        let services = std::mem::take(&mut self.services);
        let mut waiting = self.cluster.waiting_tickets();
        waiting.extend(services.tickets());
        for ticket in waiting {
            if !streams.contains_key(&ticket) {
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

    /// Starts request `ticket` to `member`; its body follows with
    /// [`Gateway::body`] and [`Gateway::finish`]. A down member's port
    /// takes no connection: the client is refused at once, and its ticket
    /// stays dead, whatever it sends later and even once the member is
    /// back.
    pub fn submit(&mut self, ticket: Ticket, member: usize, request: HttpRequest) -> Submitted {
        if !self.cluster.is_serving(member) {
            self.outputs.push(Output::Refused { ticket });
            return Submitted::Refused;
        }
        let route = route::route(&request.method, &request.path);
        let decoder = match route {
            Route::Rpc(Rpc::Watch) => Some((Rpc::Watch, stream::Decoder::Watch)),
            Route::Rpc(Rpc::LeaseKeepAlive) => {
                Some((Rpc::LeaseKeepAlive, stream::Decoder::KeepAlive))
            }
            _ => None,
        };
        let Some((rpc, d)) = decoder else {
            let body = match route {
                Route::Rpc(_) => Body::Reading(Default::default()),
                _ => Body::Unread,
            };
            let pending = Pending {
                member,
                request,
                body,
            };
            self.pending.insert(ticket, Box::new(pending));
            return Submitted::Call;
        };
        // the gateway opens the gRPC stream as the request arrives: etcd's
        // interceptor judges it now
        let verdict = self.intercept(member, rpc, None, &request.headers);
        let st = stream::Stream::new(member, d).intercepted(verdict);
        if st.is_open_watch() {
            let token = metadata::token(&request.headers);
            self.cluster.watch_open(member, ticket, token);
        }
        self.streams.insert(ticket, Box::new(st));
        Submitted::Stream(request)
    }

    /// Whether the body of `ticket` is still read: once not, more of it
    /// changes nothing (only its end still counts).
    pub fn reads_body(&self, ticket: Ticket) -> bool {
        match self.pending.get(&ticket) {
            Some(p) => p.body.reading(),
            None => self.streams.get(&ticket).is_some_and(|st| st.reading()),
        }
    }

    /// More request body for `ticket`. A unary call keeps of it only its
    /// first JSON value, in bounded memory (`jsonpb::ValueReader`).
    pub fn body(&mut self, ticket: Ticket, data: &[u8]) -> Taken {
        if let Some(p) = self.pending.get_mut(&ticket) {
            if let Body::Reading(r) = &mut p.body {
                if let (_, Some(first)) = r.read(data) {
                    p.body = Body::Read(first);
                }
            }
            return Taken::Nothing;
        }
        let Some(st) = self.streams.get_mut(&ticket) else {
            return Taken::Nothing;
        };
        let mut kept = Vec::new();
        let (incoming, stop) = st.push(data, &mut kept);
        self.pump(ticket, incoming);
        Taken::Stream(kept, stop)
    }

    /// The request body of `ticket` is complete.
    pub fn finish(&mut self, ticket: Ticket) -> Taken {
        if let Some(p) = self.pending.remove(&ticket) {
            let Pending {
                member,
                request,
                body,
            } = *p;
            let first = match body {
                Body::Unread => None,
                Body::Reading(mut r) => r.finish(),
                Body::Read(first) => Some(first),
            };
            return match self.dispatch(ticket, member, &request, first) {
                Some(kept) => Taken::Call(member, request, kept),
                None => Taken::Nothing,
            };
        }
        let Some(st) = self.streams.get_mut(&ticket) else {
            return Taken::Nothing;
        };
        let mut kept = Vec::new();
        let (incoming, stop) = st.finish(&mut kept);
        self.pump(ticket, incoming);
        Taken::Stream(kept, stop)
    }

    /// The client of `ticket` went away: drop what belongs to it (a watch
    /// stream's watchers are freed); no output for it follows, not even one
    /// produced before and not yet drained.
    pub fn cancel(&mut self, ticket: Ticket) {
        self.pending.remove(&ticket);
        self.outputs.retain(|o| o.ticket() != ticket);
        self.close_stream(ticket);
        self.service_cancel(ticket);
    }

    /// Forgets unary call `ticket` whose body is arriving, without an
    /// answer: a loaded world replays it whole from its start.
    pub fn forget_call(&mut self, ticket: Ticket) {
        self.pending.remove(&ticket);
    }

    /// Whether `ticket` is a request under way here that is already an
    /// input of the world: a stream or a lock or election call (a unary
    /// call becomes one only once its body is complete).
    pub fn is_open(&self, ticket: Ticket) -> bool {
        self.streams.contains_key(&ticket) || self.services.contains(ticket)
    }

    /// Bytes held for the bodies of requests under way: what unary calls
    /// and streams keep of the values they are reading.
    pub fn held_body_bytes(&self) -> usize {
        let pending = self.pending.values().map(|p| match &p.body {
            Body::Reading(r) => r.held(),
            Body::Read(Ok(kept)) => kept.value.capacity(),
            _ => 0,
        });
        let streams = self.streams.values().map(|st| st.held());
        pending.chain(streams).sum()
    }

    /// Every request under way here, in ticket order by kind: unfinished
    /// bodies, streams, lock and election calls.
    pub fn open_tickets(&self) -> Vec<Ticket> {
        let mut open: Vec<Ticket> = self.pending.keys().copied().collect();
        open.extend(self.streams.keys());
        open.extend(self.services.tickets());
        open
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

    /// Virtual time in milliseconds.
    pub fn now(&self) -> u64 {
        self.cluster.now()
    }

    /// Runs the cluster up to virtual time `ms` (never backwards).
    pub fn advance_to(&mut self, ms: u64) {
        self.cluster.advance_to(ms);
        self.collect();
    }

    /// When the next thing is due, if anything is.
    pub fn next_due(&self) -> Option<u64> {
        self.cluster.next_due()
    }

    /// Runs the cluster until every request that can be answered by
    /// virtual time `limit` has been answered, and collects the answers.
    /// A lock or election call answered may go on with new requests: then
    /// [`Gateway::has_input`] is true and another run handles them.
    pub fn run_until_idle_or(&mut self, limit: u64) {
        self.cluster.run_until_idle_or(limit);
        self.collect();
    }

    /// Whether the cluster holds input it has not looked at.
    pub fn has_input(&self) -> bool {
        self.cluster.has_input()
    }

    /// Takes the outputs produced so far, in order.
    pub fn drain(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.outputs)
    }

    fn respond(&mut self, ticket: Ticket, response: HttpResponse) {
        self.outputs.push(Output::Response { ticket, response });
    }

    /// Hands the request messages a stream has read to the cluster.
    fn pump(&mut self, ticket: Ticket, incoming: Vec<stream::Incoming>) {
        let Some(st) = self.streams.get_mut(&ticket) else {
            return;
        };
        let member = st.member;
        let watch = st.is_watch();
        let refusal = st.refusal().cloned();
        if let Some(e) = refusal {
            return self.refuse_stream(ticket, &e, incoming);
        }
        for incoming in incoming {
            match incoming {
                stream::Incoming::Watch(m) => self.cluster.watch(member, ticket, m),
                stream::Incoming::KeepAlive(m) => self.cluster.keep_alive(member, ticket, m),
                // closing a watch's request body does not end the watch
                // (docs/etcd-behaviour.md #34); a keep-alive stream ends with its requests
                stream::Incoming::EndOfRequests if !watch => {
                    self.cluster.keep_alive_end(member, ticket)
                }
                stream::Incoming::EndOfRequests => {}
                stream::Incoming::FirstMessageError(response) => {
                    self.close_stream(ticket);
                    return self.respond(ticket, response);
                }
                stream::Incoming::TooLarge(e) => {
                    if let Some(mut st) = self.close_stream(ticket) {
                        st.error(ticket, &e, &mut self.outputs);
                    }
                    return;
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

    /// Handles a unary call whose body is complete (`first`: its first
    /// JSON value, if any); what it kept of its body if it is an input of
    /// the world (see [`Taken::Call`]).
    fn dispatch(
        &mut self,
        ticket: Ticket,
        member: usize,
        request: &HttpRequest,
        first: Option<Result<jsonpb::Kept, String>>,
    ) -> Option<Vec<u8>> {
        let route = route::route(&request.method, &request.path);
        if !self.cluster.is_serving(member) {
            self.outputs.push(Output::Refused { ticket });
            return None;
        }
        let method = request.method.as_str();
        let response = match route {
            Route::Rpc(rpc) => return self.rpc(ticket, member, rpc, &request.headers, first),
            Route::Preflight => respond::preflight(),
            Route::Redirect(to) => respond::redirect(method, &to),
            Route::MethodNotAllowed => respond::text_error(405, "Method Not Allowed", &[]),
            Route::PlainMethodNotAllowed(allow) => {
                respond::text_error(405, "Method Not Allowed", &[("Allow", allow)])
            }
            Route::GatewayNotFound => respond::text_error(404, "Not Found", &[]),
            Route::NotFound => respond::text_error(404, "404 page not found", &[]),
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
                debug_vars::page(&self.cluster, member).into_bytes(),
            ),
            Route::Metrics => respond::plain(
                200,
                metrics::CONTENT_TYPE,
                metrics::page(self, member).into_bytes(),
            ),
        };
        // the other paths only look
        self.respond(ticket, response);
        None
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
    /// whole) in etcd's order: the gateway decodes the body (`first`: its
    /// first JSON value), gRPC checks its size, the interceptors judge the
    /// call, then the handler runs. What it kept of the body, unless the
    /// body alone decided the answer (then the call changed nothing).
    fn rpc(
        &mut self,
        ticket: Ticket,
        member: usize,
        rpc: Rpc,
        headers: &[(String, String)],
        first: Option<Result<jsonpb::Kept, String>>,
    ) -> Option<Vec<u8>> {
        let decoded = match first {
            Some(Ok(kept)) => decode_call(rpc, &kept).map(|d| (d, kept.value)),
            Some(Err(msg)) => Err(EtcdError::Decode(msg)),
            // a blank body is the empty message
            None => decode_call(rpc, &jsonpb::Kept::default()).map(|d| (d, Vec::new())),
        };
        let (request, kept) = match decoded {
            Ok((Decoded::Server(r), kept)) => (Some(r), kept),
            Ok((Decoded::Snapshot, kept)) => {
                self.snapshot(ticket, member, headers);
                return Some(kept);
            }
            Ok((Decoded::Service(call), kept)) => {
                self.service_call(ticket, member, call, headers);
                return Some(kept);
            }
            Ok((Decoded::Other, kept)) => (None, kept),
            Err(e) => {
                self.respond(ticket, respond::etcd_error(&e));
                return None;
            }
        };
        if let Err(e) = receive_limit(request.as_ref().map_or(0, Request::encoded_len)) {
            self.respond(ticket, respond::etcd_error(&e));
            return None;
        }
        if let Err(e) = self.intercept(member, rpc, request.as_ref(), headers) {
            self.respond(ticket, respond::etcd_error(&e));
            return Some(kept);
        }
        match request {
            Some(r) => {
                let token = metadata::token(headers);
                self.cluster.submit(member, ticket, r, token)
            }
            // only the streams decode to no unary request, and they open
            // at submit (watch, keep-alive) or above (snapshot, services)
            None => {
                let msg = "etcd-sim: not a unary call";
                self.respond(
                    ticket,
                    respond::grpc_error(Code::Unimplemented as i32, msg, 501),
                );
            }
        }
        Some(kept)
    }

    /// What etcd's interceptors on `member` say of a call with these
    /// headers: `Ok(true)` when it asked for a leader (etcd's leader
    /// monitor then watches such a stream).
    fn intercept(
        &self,
        member: usize,
        rpc: Rpc,
        request: Option<&Request>,
        headers: &[(String, String)],
    ) -> Result<bool, EtcdError> {
        let require_leader = metadata::requires_leader(headers);
        self.cluster
            .intercept(member, rpc, request, require_leader)
            .map(|()| require_leader)
    }

    /// The snapshot stream, past etcd's stream interceptor (learners may
    /// take a snapshot).
    fn snapshot(&mut self, ticket: Ticket, member: usize, headers: &[(String, String)]) {
        let verdict = self.intercept(member, Rpc::Snapshot, None, headers);
        let mut st = stream::Stream::new(member, stream::Decoder::None).intercepted(verdict);
        match st.refusal().cloned() {
            Some(e) => st.error(ticket, &e, &mut self.outputs),
            None => {
                self.streams.insert(ticket, Box::new(st));
                self.cluster
                    .snapshot(member, ticket, metadata::token(headers));
            }
        }
    }

    /// Turns the cluster's answers into HTTP answers.
    fn collect(&mut self) {
        for outcome in self.cluster.drain() {
            match outcome {
                Outcome::Answer(Answer::Reply(ticket, reply)) => {
                    let response = encode_reply(&reply);
                    self.respond(ticket, response);
                }
                Outcome::Answer(Answer::Watch(ticket, resp)) => {
                    if let Some(st) = self.streams.get_mut(&ticket) {
                        st.message(
                            ticket,
                            jsonpb::encode_stream_result(&resp),
                            &mut self.outputs,
                        );
                    }
                }
                Outcome::Answer(Answer::KeepAlive(ticket, answer)) => {
                    self.stream_answer(ticket, answer)
                }
                Outcome::Answer(Answer::Snapshot(ticket, answer)) => {
                    self.stream_answer(ticket, answer)
                }
                Outcome::Answer(Answer::Service(ticket, reply)) => {
                    if self.services.remove(ticket).is_some() {
                        self.respond(ticket, services::encode_reply(&reply));
                    }
                }
                Outcome::Answer(Answer::Observe(ticket, resp)) => {
                    if let Some(st) = self.streams.get_mut(&ticket) {
                        let json = jsonpb::encode_stream_result(&resp);
                        st.message(ticket, json, &mut self.outputs);
                    }
                }
                Outcome::Answer(Answer::Refused(ticket)) => {
                    self.services.remove(ticket);
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
                    for ticket in self.services.of(member) {
                        if !cut.contains(&ticket) {
                            self.outputs.push(Output::Refused { ticket });
                        }
                        self.services.remove(ticket);
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
                            self.service_cancel(ticket);
                        }
                    }
                }
                Outcome::Answer(Answer::StreamEnd(ticket)) => {
                    self.services.remove(ticket);
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
}

/// gRPC's receive limit on a request of `size` encoded bytes.
pub(crate) fn receive_limit(size: usize) -> Result<(), EtcdError> {
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
    /// A lock or election call, which its member's v3lock or v3election
    /// service runs.
    Service(ServiceCall),
    /// The snapshot stream's one request (an empty message).
    Snapshot,
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
        /// Decodes what a call kept of its body (see `jsonpb::ValueReader`).
        /// Calls the simulator does not serve yet decode first, so bad input
        /// gets etcd's answer.
        fn decode_call(rpc: Rpc, kept: &jsonpb::Kept) -> Result<Decoded, EtcdError> {
            use crate::auth::AuthRequest;
            use jsonpb::decode_kept as decode;
            Ok(match rpc {
                $(Rpc::$server => Decoded::Server(Request::$server(decode(kept)?)),)*
                $(Rpc::$auth => {
                    Decoded::Server(Request::Auth(AuthRequest::$auth(decode(kept)?)))
                })*
                $(Rpc::$concurrency => {
                    Decoded::Service(ServiceCall::$concurrency(decode(kept)?))
                })*
                Rpc::Snapshot => {
                    decode::<crate::pb::SnapshotRequest>(kept)?;
                    Decoded::Snapshot
                }
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

/// The gateway as part of a checkpoint (see `crate::checkpoint`): the
/// cluster, requests whose body is arriving (as far as their bounded
/// readers hold it), open streams and lock/election calls.
mod checkpoint {
    use super::{Body, Gateway, Pending};
    use crate::checkpoint::{record, variants};

    record!(Pending {
        member,
        request,
        body
    });
    variants!(Body {
        Unread,
        Reading(reader),
        Read(kept)
    });
    record!(Gateway {
        cluster,
        pending,
        streams,
        services,
        outputs,
    });
}
