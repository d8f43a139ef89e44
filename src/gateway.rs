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

use crate::boxed_map::BoxedMap;
use crate::cluster::{Answer, Cluster, Outcome};
use crate::errors::{Code, EtcdError};
use crate::pb::Rpc;
use crate::server::{Reply, Request, ServiceCall, MAX_RECV_BYTES};
use route::Route;
use std::collections::BTreeMap;

pub use crate::config::Config;

/// A unary call whose body is still arriving: it is read whole, then handled.
struct Pending {
    member: usize,
    request: HttpRequest,
    body: Vec<u8>,
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
    /// takes no connection: the client is refused at once (false), and its
    /// ticket stays dead, whatever it sends later and even once the member
    /// is back.
    pub fn submit(&mut self, ticket: Ticket, member: usize, request: HttpRequest) -> bool {
        if !self.cluster.is_serving(member) {
            self.outputs.push(Output::Refused { ticket });
            return false;
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
            Some((rpc, d)) => {
                // the gateway opens the gRPC stream as the request arrives:
                // etcd's interceptor judges it now
                let verdict = self.intercept(member, rpc, None, &request.headers);
                let st = stream::Stream::new(member, d).intercepted(verdict);
                if st.is_open_watch() {
                    let token = metadata::token(&request.headers);
                    self.cluster.watch_open(member, ticket, token);
                }
                self.streams.insert(ticket, Box::new(st));
            }
            None => {
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
        true
    }

    /// Whether `ticket` is a request still being sent: its body pieces
    /// and finish are inputs (to any other ticket they change nothing).
    pub fn is_sending(&self, ticket: Ticket) -> bool {
        self.pending.contains_key(&ticket) || self.streams.contains_key(&ticket)
    }

    /// More request body for `ticket`.
    pub fn body(&mut self, ticket: Ticket, data: &[u8]) {
        if let Some(p) = self.pending.get_mut(&ticket) {
            p.body.extend_from_slice(data);
        } else if let Some(st) = self.streams.get_mut(&ticket) {
            st.push(data);
            self.pump(ticket);
        }
    }

    /// The request body of `ticket` is complete.
    pub fn finish(&mut self, ticket: Ticket) {
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
        self.pending.remove(&ticket);
        self.outputs.retain(|o| o.ticket() != ticket);
        self.close_stream(ticket);
        self.service_cancel(ticket);
    }

    /// Whether `ticket` is a request under way here.
    pub fn is_open(&self, ticket: Ticket) -> bool {
        self.pending.contains_key(&ticket)
            || self.streams.contains_key(&ticket)
            || self.services.contains(ticket)
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
                // (docs/etcd-behaviour.md #34); a keep-alive stream ends with its requests
                stream::Incoming::EndOfRequests if !watch => {
                    self.cluster.keep_alive_end(member, ticket)
                }
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
            Ok(Decoded::Service(call)) => return self.service_call(ticket, member, call, headers),
            Ok(Decoded::Other) => None,
            Err(msg) => return self.respond(ticket, respond::etcd_error(&EtcdError::Decode(msg))),
        };
        if let Err(e) = receive_limit(request.as_ref().map_or(0, Request::encoded_len)) {
            return self.respond(ticket, respond::etcd_error(&e));
        }
        if let Err(e) = self.intercept(member, rpc, request.as_ref(), headers) {
            return self.respond(ticket, respond::etcd_error(&e));
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
    /// A lock or election call, which its member's v3lock or v3election
    /// service runs.
    Service(ServiceCall),
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
                    Decoded::Service(ServiceCall::$concurrency(jsonpb::decode(body)?))
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
