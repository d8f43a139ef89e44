//! The HTTP/JSON gateway: etcd's grpc-gateway paths, JSON mapping, gRPC code
//! to HTTP status, stream framing, and etcd's plain HTTP endpoints
//! (`/health`, `/version`, `/metrics`, `/debug/vars`). It maps each HTTP
//! request to a typed request of the cluster it fronts, and the cluster's
//! answers back to HTTP. The world above it (`crate::world`) owns tickets,
//! the journal, time control and `/_sim/`.

mod debug_vars;
mod http;
pub(crate) mod json;
pub mod jsonpb;
mod metadata;
mod metrics;
pub(crate) mod respond;
mod route;
mod services;
mod stream;

pub use http::{HttpRequest, HttpResponse, Output, Ticket};

use crate::auth::AuthResponse;
use crate::boxed_map::BoxedMap;
use crate::cluster::{Cluster, ClusterConfig, Outcome};
use crate::errors::{Code, EtcdError};
use crate::server::interceptor::Call;
use crate::server::{Reply, Request, Response, MAX_RECV_BYTES};
use route::{Route, Rpc};
use std::collections::BTreeMap;

/// How to build the simulated cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Number of members (1 to 7).
    pub members: usize,
    /// Seed of every random choice the world makes.
    pub seed: u64,
    /// etcd's `--experimental-watch-progress-notify-interval`, in ms.
    pub watch_progress_notify_interval_ms: u64,
    /// etcd's `--initial-cluster-token` (member and cluster ids derive
    /// from it, as in etcd).
    pub initial_cluster_token: String,
    /// etcd's `--snapshot-count` (0 = never snapshot).
    pub snapshot_count: u64,
}

/// The fields of a config given as JSON (`new Sim(json)`, `/_sim/reset`);
/// each is optional.
#[derive(Default)]
struct ConfigJson {
    members: Option<usize>,
    seed: Option<u64>,
    watch_progress_notify_interval_ms: Option<u64>,
    initial_cluster_token: Option<String>,
    snapshot_count: Option<u64>,
}

impl ConfigJson {
    /// Read as serde's derived `Deserialize` read it (`#[serde(default,
    /// deny_unknown_fields)]`), messages included: an object, or an array
    /// of the fields in this order; `null` is a field not given.
    fn read(text: &[u8]) -> Result<ConfigJson, String> {
        const FIELDS: [&str; 5] = [
            "members",
            "seed",
            "watch_progress_notify_interval_ms",
            "initial_cluster_token",
            "snapshot_count",
        ];
        let mut j = ConfigJson::default();
        json::read_struct(text, "ConfigJson", &FIELDS, |field, r| {
            let number = |r: &mut json::Reader| r.opt_uint("u64", u64::MAX);
            match field {
                0 => {
                    let n = r.opt_uint("usize", usize::MAX as u64)?;
                    j.members = n.map(|n| n as usize);
                }
                1 => j.seed = number(r)?,
                2 => j.watch_progress_notify_interval_ms = number(r)?,
                3 => j.initial_cluster_token = r.opt_string()?,
                _ => j.snapshot_count = number(r)?,
            }
            Ok(())
        })?;
        Ok(j)
    }
}

impl Config {
    /// `base` with the fields `json` gives (an empty body gives none).
    pub fn overlay(base: &Config, json: &[u8]) -> Result<Config, String> {
        let j: ConfigJson = if json.iter().all(u8::is_ascii_whitespace) {
            ConfigJson::default()
        } else {
            ConfigJson::read(json)?
        };
        let c = Config {
            members: j.members.unwrap_or(base.members),
            seed: j.seed.unwrap_or(base.seed),
            watch_progress_notify_interval_ms: j
                .watch_progress_notify_interval_ms
                .unwrap_or(base.watch_progress_notify_interval_ms),
            snapshot_count: j.snapshot_count.unwrap_or(base.snapshot_count),
            initial_cluster_token: j
                .initial_cluster_token
                .unwrap_or_else(|| base.initial_cluster_token.clone()),
        };
        if !(1..=7).contains(&c.members) {
            return Err("members must be between 1 and 7".into());
        }
        Ok(c)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            members: 1,
            seed: 1,
            watch_progress_notify_interval_ms: 600_000,
            initial_cluster_token: "etcd-cluster".into(),
            snapshot_count: 100_000,
        }
    }
}

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
            cluster: Cluster::new(&cluster_config(config)),
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
            Route::Rpc(Rpc::Watch) => Some(stream::Decoder::Watch(Default::default())),
            Route::Rpc(Rpc::LeaseKeepAlive) => Some(stream::Decoder::KeepAlive(Default::default())),
            _ => None,
        };
        match decoder {
            Some(d) => {
                // the gateway opens the gRPC stream as the request arrives:
                // etcd's interceptor judges it now
                let call = Call::Stream { snapshot: false };
                let verdict = self.intercept(member, call, &request.headers);
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
        if let Some(call) = services::decode(rpc, body) {
            return match call {
                Ok(call) => self.service_call(ticket, member, call, headers),
                Err(msg) => self.respond(ticket, respond::etcd_error(&EtcdError::Decode(msg))),
            };
        }
        let request = match decode_rpc(rpc, body) {
            Ok(r) => r,
            Err(msg) => return self.respond(ticket, respond::etcd_error(&EtcdError::Decode(msg))),
        };
        if let Err(e) = receive_limit(request.as_ref().map_or(0, Request::encoded_len)) {
            return self.respond(ticket, respond::etcd_error(&e));
        }
        let call = Call::Unary(request.as_ref());
        if let Err(e) = self.intercept(member, call, headers) {
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
        call: Call,
        headers: &[(String, String)],
    ) -> Result<bool, EtcdError> {
        let require_leader = metadata::requires_leader(headers);
        self.cluster
            .intercept(member, call, require_leader)
            .map(|()| require_leader)
    }

    /// The snapshot stream, past etcd's stream interceptor (learners may
    /// take a snapshot).
    fn snapshot(&mut self, ticket: Ticket, member: usize, headers: &[(String, String)]) {
        let call = Call::Stream { snapshot: true };
        let verdict = self.intercept(member, call, headers);
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
                Outcome::Reply(ticket, reply) => {
                    let response = encode_reply(&reply);
                    self.respond(ticket, response);
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
                Outcome::Service(ticket, reply) => {
                    if self.services.remove(ticket).is_some() {
                        self.respond(ticket, services::encode_reply(&reply));
                    }
                }
                Outcome::Observe(ticket, resp) => {
                    if let Some(st) = self.streams.get_mut(&ticket) {
                        let json = jsonpb::encode_stream_result(&resp);
                        st.message(ticket, json, &mut self.outputs);
                    }
                }
                Outcome::Refused(ticket) => {
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
                Outcome::StreamEnd(ticket) => {
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

/// Decodes a unary call's body into its request. Calls the simulator does
/// not serve yet still decode first, so bad input gets etcd's answer.
fn decode_rpc(rpc: Rpc, body: &[u8]) -> Result<Option<Request>, String> {
    use crate::auth::AuthRequest;
    use crate::pb::*;
    fn only<T: jsonpb::Message>(body: &[u8]) -> Result<Option<Request>, String> {
        jsonpb::decode::<T>(body).map(|_| None)
    }
    let d = body;
    Ok(Some(match rpc {
        Rpc::Range => Request::Range(jsonpb::decode(d)?),
        Rpc::Put => Request::Put(jsonpb::decode(d)?),
        Rpc::DeleteRange => Request::DeleteRange(jsonpb::decode(d)?),
        Rpc::Txn => Request::Txn(jsonpb::decode(d)?),
        Rpc::Compaction => Request::Compaction(jsonpb::decode(d)?),
        Rpc::LeaseGrant => Request::LeaseGrant(jsonpb::decode(d)?),
        Rpc::LeaseRevoke => Request::LeaseRevoke(jsonpb::decode(d)?),
        Rpc::LeaseTimeToLive => Request::LeaseTimeToLive(jsonpb::decode(d)?),
        Rpc::LeaseLeases => Request::LeaseLeases(jsonpb::decode(d)?),
        Rpc::MemberAdd => Request::MemberAdd(jsonpb::decode(d)?),
        Rpc::MemberRemove => Request::MemberRemove(jsonpb::decode(d)?),
        Rpc::MemberUpdate => Request::MemberUpdate(jsonpb::decode(d)?),
        Rpc::MemberList => Request::MemberList(jsonpb::decode(d)?),
        Rpc::MemberPromote => Request::MemberPromote(jsonpb::decode(d)?),
        Rpc::Alarm => Request::Alarm(jsonpb::decode(d)?),
        Rpc::Status => Request::Status(jsonpb::decode(d)?),
        Rpc::Defragment => Request::Defragment(jsonpb::decode(d)?),
        Rpc::Hash => Request::Hash(jsonpb::decode(d)?),
        Rpc::Snapshot => return only::<SnapshotRequest>(d),
        Rpc::MoveLeader => Request::MoveLeader(jsonpb::decode(d)?),
        Rpc::Downgrade => Request::Downgrade(jsonpb::decode(d)?),
        Rpc::AuthEnable => Request::Auth(AuthRequest::Enable(jsonpb::decode(d)?)),
        Rpc::AuthDisable => Request::Auth(AuthRequest::Disable(jsonpb::decode(d)?)),
        Rpc::AuthStatus => Request::Auth(AuthRequest::Status(jsonpb::decode(d)?)),
        Rpc::Authenticate => Request::Auth(AuthRequest::Authenticate(jsonpb::decode(d)?)),
        Rpc::UserAdd => Request::Auth(AuthRequest::UserAdd(jsonpb::decode(d)?)),
        Rpc::UserGet => Request::Auth(AuthRequest::UserGet(jsonpb::decode(d)?)),
        Rpc::UserList => Request::Auth(AuthRequest::UserList(jsonpb::decode(d)?)),
        Rpc::UserDelete => Request::Auth(AuthRequest::UserDelete(jsonpb::decode(d)?)),
        Rpc::UserChangePassword => {
            Request::Auth(AuthRequest::UserChangePassword(jsonpb::decode(d)?))
        }
        Rpc::UserGrantRole => Request::Auth(AuthRequest::UserGrantRole(jsonpb::decode(d)?)),
        Rpc::UserRevokeRole => Request::Auth(AuthRequest::UserRevokeRole(jsonpb::decode(d)?)),
        Rpc::RoleAdd => Request::Auth(AuthRequest::RoleAdd(jsonpb::decode(d)?)),
        Rpc::RoleGet => Request::Auth(AuthRequest::RoleGet(jsonpb::decode(d)?)),
        Rpc::RoleList => Request::Auth(AuthRequest::RoleList(jsonpb::decode(d)?)),
        Rpc::RoleDelete => Request::Auth(AuthRequest::RoleDelete(jsonpb::decode(d)?)),
        Rpc::RoleGrantPermission => {
            Request::Auth(AuthRequest::RoleGrantPermission(jsonpb::decode(d)?))
        }
        Rpc::RoleRevokePermission => {
            Request::Auth(AuthRequest::RoleRevokePermission(jsonpb::decode(d)?))
        }
        // streams are served by `stream`, lock and election by `services`
        Rpc::Watch
        | Rpc::LeaseKeepAlive
        | Rpc::Lock
        | Rpc::Unlock
        | Rpc::Campaign
        | Rpc::Proclaim
        | Rpc::Leader
        | Rpc::Observe
        | Rpc::Resign => return Ok(None),
    }))
}

fn cluster_config(c: &Config) -> ClusterConfig {
    ClusterConfig {
        members: c.members,
        seed: c.seed,
        watch_progress_notify_interval_ms: c.watch_progress_notify_interval_ms,
        snapshot_count: c.snapshot_count,
        initial_cluster_token: c.initial_cluster_token.clone(),
    }
}

fn encode_auth(r: &AuthResponse) -> String {
    use AuthResponse as A;
    match r {
        A::Enable(r) => jsonpb::encode(r),
        A::Disable(r) => jsonpb::encode(r),
        A::Status(r) => jsonpb::encode(r),
        A::Authenticate(r) => jsonpb::encode(r),
        A::UserAdd(r) => jsonpb::encode(r),
        A::UserGet(r) => jsonpb::encode(r),
        A::UserList(r) => jsonpb::encode(r),
        A::UserDelete(r) => jsonpb::encode(r),
        A::UserChangePassword(r) => jsonpb::encode(r),
        A::UserGrantRole(r) => jsonpb::encode(r),
        A::UserRevokeRole(r) => jsonpb::encode(r),
        A::RoleAdd(r) => jsonpb::encode(r),
        A::RoleGet(r) => jsonpb::encode(r),
        A::RoleList(r) => jsonpb::encode(r),
        A::RoleDelete(r) => jsonpb::encode(r),
        A::RoleGrantPermission(r) => jsonpb::encode(r),
        A::RoleRevokePermission(r) => jsonpb::encode(r),
    }
}

fn encode_reply(reply: &Reply) -> HttpResponse {
    match reply {
        Ok(Response::Range(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::Put(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::DeleteRange(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::Txn(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::Compaction(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::LeaseGrant(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::LeaseRevoke(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::LeaseTimeToLive(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::LeaseLeases(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::Alarm(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::Status(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::Defragment(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::Hash(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::MoveLeader(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::Downgrade(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::MemberAdd(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::MemberRemove(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::MemberUpdate(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::MemberList(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::MemberPromote(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::Auth(r)) => respond::json_ok(encode_auth(r)),
        Err(e) => respond::etcd_error(e),
    }
}
