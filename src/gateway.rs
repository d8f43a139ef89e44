//! The HTTP/JSON gateway: etcd's grpc-gateway paths, JSON mapping, gRPC code
//! to HTTP status, stream framing; and the `/_sim/` control paths.

mod http;
pub mod jsonpb;

pub use http::{HttpRequest, HttpResponse, Output, Ticket};

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
    now: u64,
    next_ticket: Ticket,
    pending: BTreeMap<Ticket, Pending>,
    outputs: Vec<Output>,
}

impl Gateway {
    pub fn new(config: Config) -> Self {
        Gateway { config, now: 0, next_ticket: 1, pending: BTreeMap::new(), outputs: Vec::new() }
    }

    pub fn members(&self) -> usize {
        self.config.members
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
            let response = self.handle(p.member, &p.request, &p.body);
            self.outputs.push(Output::Response { ticket, response });
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
        self.now
    }

    /// Runs the world up to virtual time `ms` (never backwards).
    pub fn advance_to(&mut self, ms: u64) {
        self.now = self.now.max(ms);
    }

    /// When the next thing is due, if anything is.
    pub fn next_due(&self) -> Option<u64> {
        None
    }

    /// Runs until every request that can be answered has been answered.
    pub fn run_until_idle(&mut self) {}

    /// Takes the outputs produced so far, in order.
    pub fn drain(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.outputs)
    }

    fn handle(&mut self, _member: usize, req: &HttpRequest, _body: &[u8]) -> HttpResponse {
        let path = req.path.split('?').next().unwrap_or("");
        match (req.method.as_str(), path) {
            ("GET", "/version") => HttpResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: br#"{"etcdserver":"3.5.1","etcdcluster":"3.5.0"}"#.to_vec(),
            },
            _ => HttpResponse {
                status: 404,
                headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
                body: b"404 page not found\n".to_vec(),
            },
        }
    }
}
