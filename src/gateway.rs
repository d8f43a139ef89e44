//! The HTTP/JSON gateway: etcd's grpc-gateway paths, JSON mapping, gRPC code
//! to HTTP status, stream framing; and the `/_sim/` control paths. It owns
//! the simulated cluster and is the one object the front doors talk to.

mod control;
mod http;
pub mod jsonpb;
mod respond;
mod route;

pub use http::{HttpRequest, HttpResponse, Output, Ticket};

use crate::cluster::{Cluster, ClusterConfig, MAX_RECV_BYTES};
use crate::errors::{Code, EtcdError};
use crate::server::{Reply, Request, Response};
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
}

impl Default for Config {
    fn default() -> Self {
        Config { members: 1, seed: 1, watch_progress_notify_interval_ms: 600_000 }
    }
}

struct Pending {
    member: usize,
    request: HttpRequest,
    body: Vec<u8>,
}

/// The front of the simulated world. Every front door (Node server, fetch
/// shim, tests) talks to this and nothing else.
pub struct Gateway {
    config: Config,
    cluster: Cluster,
    next_ticket: Ticket,
    /// Requests whose body is still arriving.
    pending: BTreeMap<Ticket, Pending>,
    outputs: Vec<Output>,
}

impl Gateway {
    pub fn new(config: Config) -> Self {
        let cluster = Cluster::new(&cluster_config(&config));
        Gateway { config, cluster, next_ticket: 1, pending: BTreeMap::new(), outputs: Vec::new() }
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
        self.pending.insert(ticket, Pending { member, request, body: Vec::new() });
        ticket
    }

    /// More request body for `ticket`.
    pub fn body(&mut self, ticket: Ticket, data: &[u8]) {
        if let Some(p) = self.pending.get_mut(&ticket) {
            p.body.extend_from_slice(data);
        }
    }

    /// The request body of `ticket` is complete.
    pub fn finish(&mut self, ticket: Ticket) {
        if let Some(p) = self.pending.remove(&ticket) {
            self.dispatch(ticket, p);
        }
    }

    /// The client of `ticket` went away: drop what belongs to it.
    pub fn cancel(&mut self, ticket: Ticket) {
        self.pending.remove(&ticket);
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
        self.collect();
    }

    /// When the next thing is due, if anything is.
    pub fn next_due(&self) -> Option<u64> {
        self.cluster.next_due()
    }

    /// Runs until every request that can be answered has been answered.
    pub fn run_until_idle(&mut self) {
        self.cluster.run_until_idle();
        self.collect();
    }

    /// Takes the outputs produced so far, in order.
    pub fn drain(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.outputs)
    }

    fn respond(&mut self, ticket: Ticket, response: HttpResponse) {
        self.outputs.push(Output::Response { ticket, response });
    }

    fn dispatch(&mut self, ticket: Ticket, p: Pending) {
        let route = route::route(&p.request.method, &p.request.path);
        if let Route::Sim(cmd) = &route {
            let response = control::handle(self, &p.request.method, cmd, &p.body);
            return self.respond(ticket, response);
        }
        if p.member >= self.cluster.member_count() {
            return self.outputs.push(Output::Refused { ticket });
        }
        let method = p.request.method.as_str();
        let response = match route {
            Route::Rpc(rpc) => return self.rpc(ticket, p.member, rpc, &p.body),
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
            Route::Health => respond::plain(
                200,
                "text/plain; charset=utf-8",
                br#"{"health":"true","reason":""}"#.to_vec(),
            ),
            Route::DebugVars => respond::plain(
                200,
                "application/json; charset=utf-8",
                control::debug_vars(self, p.member).into_bytes(),
            ),
            Route::Metrics => respond::text_error(404, "404 page not found", &[]),
        };
        self.respond(ticket, response);
    }

    fn rpc(&mut self, ticket: Ticket, member: usize, rpc: Rpc, body: &[u8]) {
        let decoded: Result<Request, String> = match rpc {
            Rpc::Range => jsonpb::decode(body).map(Request::Range),
            Rpc::Put => jsonpb::decode(body).map(Request::Put),
            Rpc::DeleteRange => jsonpb::decode(body).map(Request::DeleteRange),
            Rpc::Txn => jsonpb::decode(body).map(Request::Txn),
            Rpc::Compaction => jsonpb::decode(body).map(Request::Compaction),
            other => {
                let msg = format!("etcd-sim: {other:?} is not implemented yet");
                return self.respond(ticket, respond::grpc_error(Code::Unimplemented as i32, &msg, 501));
            }
        };
        let request = match decoded {
            Ok(r) => r,
            Err(msg) => return self.respond(ticket, respond::etcd_error(&EtcdError::Decode(msg))),
        };
        let size = request.encoded_len();
        if size > MAX_RECV_BYTES {
            let e = EtcdError::MessageTooLarge { size, limit: MAX_RECV_BYTES };
            return self.respond(ticket, respond::etcd_error(&e));
        }
        self.cluster.submit(member, ticket, request);
    }

    /// Turns the cluster's answers into HTTP answers.
    fn collect(&mut self) {
        for (ticket, reply) in self.cluster.drain() {
            let response = encode_reply(&reply);
            self.respond(ticket, response);
        }
    }

    fn reset(&mut self, config: Config) {
        self.cluster = Cluster::new(&cluster_config(&config));
        self.config = config;
    }
}

fn cluster_config(c: &Config) -> ClusterConfig {
    ClusterConfig { members: c.members, seed: c.seed }
}

fn encode_reply(reply: &Reply) -> HttpResponse {
    match reply {
        Ok(Response::Range(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::Put(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::DeleteRange(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::Txn(r)) => respond::json_ok(jsonpb::encode(r)),
        Ok(Response::Compaction(r)) => respond::json_ok(jsonpb::encode(r)),
        Err(e) => respond::etcd_error(e),
    }
}
