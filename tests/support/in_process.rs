//! The runner's transport to a `World` in the same process, in virtual
//! time: waiting for an answer runs the world from one due event to the
//! next, so no more virtual time passes than a real client would have waited.

use super::answer::{Answer, Head, Taken};
use super::runner::{
    ClusterKind, Failure, Request, Runner, StepError, Take, Transport, INITIAL_CLUSTER_TOKEN,
};
use etcd_sim::world::{Config, HttpRequest, Output, Ticket, World};
use serde_json::Value;
use std::collections::BTreeMap;

/// Etcd's default client URLs of the corpus' members (docs/conformance.md,
/// "Clusters"): the `Host` a recorded client sent.
const CLIENT_PORTS: [usize; 3] = [2379, 22379, 32379];

pub struct InProcess {
    gw: World,
    answers: BTreeMap<Ticket, Answer>,
}

impl InProcess {
    pub fn new(kind: &ClusterKind) -> Self {
        let defaults = Config::default();
        let config = Config {
            members: kind.members,
            seed: 1,
            watch_progress_notify_interval_ms: kind
                .progress_notify_interval_ms
                .unwrap_or(defaults.watch_progress_notify_interval_ms),
            initial_cluster_token: INITIAL_CLUSTER_TOKEN.into(),
            ..defaults
        };
        InProcess {
            gw: World::new(config),
            answers: BTreeMap::new(),
        }
    }

    fn submit(&mut self, member: usize, request: Request) -> Ticket {
        let t = self.gw.submit(
            member,
            HttpRequest {
                method: request.method,
                path: request.path,
                headers: request.headers,
            },
        );
        self.answers.insert(t, Answer::default());
        t
    }

    /// Runs the world until `done(answer)` holds or `timeout_ms` of virtual
    /// time passed, stepping from event to event.
    fn wait_for(&mut self, t: Ticket, timeout_ms: u64, done: impl Fn(&Answer) -> bool) {
        let deadline = self.gw.now() + timeout_ms;
        loop {
            self.settle();
            if self.answers.get(&t).is_none_or(&done) {
                return;
            }
            let now = self.gw.now();
            match self.gw.next_due() {
                Some(due) if due <= deadline => self.gw.advance_to(due.max(now + 1)),
                _ => {
                    self.gw.advance_to(deadline);
                    self.settle();
                    return;
                }
            }
        }
    }

    /// Runs until idle and files every output under its ticket.
    fn settle(&mut self) {
        self.gw.run_until_idle();
        for out in self.gw.drain() {
            let Some(a) = self.answers.get_mut(&out.ticket()) else {
                continue;
            };
            match out {
                Output::Response { response, .. } => {
                    a.head = Some((response.status, response.headers));
                    a.push_data(&response.body);
                    a.end();
                }
                Output::StreamHead {
                    status, headers, ..
                } => {
                    a.head = Some((status, headers));
                    a.chunked = true;
                }
                Output::StreamChunk { data, .. } => a.push_data(&data),
                Output::StreamEnd { .. } => a.end(),
                Output::Refused { .. } => a.refused = true,
            }
        }
    }
}

impl Transport for InProcess {
    type Stream = Ticket;

    fn host(&self, member: usize) -> String {
        let port = CLIENT_PORTS
            .get(member)
            .copied()
            .unwrap_or(2379 + 10000 * member);
        format!("127.0.0.1:{port}")
    }

    fn unary(
        &mut self,
        member: usize,
        request: Request,
        body: Option<Vec<u8>>,
        timeout_ms: u64,
    ) -> Result<Answer, Failure> {
        let t = self.submit(member, request);
        self.gw.body(t, body.as_deref().unwrap_or_default());
        self.gw.finish(t);
        self.wait_for(t, timeout_ms, Answer::done);
        let answer = self.answers.remove(&t).unwrap_or_default();
        if answer.refused {
            Err(Failure::Refused)
        } else if !answer.ended {
            self.gw.cancel(t); // the client gives up and closes its connection
            Err(Failure::Io("timeout".into()))
        } else {
            Ok(answer)
        }
    }

    fn open(
        &mut self,
        member: usize,
        request: Request,
        body: Option<Vec<u8>>,
        head_timeout_ms: u64,
    ) -> Result<(Ticket, Option<Head>), Failure> {
        let keep_open = request.is_chunked();
        let t = self.submit(member, request);
        if let Some(b) = body.filter(|b| !(keep_open && b.is_empty())) {
            self.gw.body(t, &b);
        }
        if !keep_open {
            self.gw.finish(t);
        }
        self.wait_for(t, head_timeout_ms, |a| a.head.is_some() || a.done());
        let a = &self.answers[&t];
        if a.refused {
            self.answers.remove(&t);
            return Err(Failure::Refused);
        }
        Ok((t, a.head.clone()))
    }

    fn send(&mut self, stream: &mut Ticket, data: &[u8], eof: bool) {
        if !data.is_empty() {
            self.gw.body(*stream, data);
        }
        if eof {
            self.gw.finish(*stream);
        }
        self.settle();
    }

    /// The recorder's wait, in virtual time.
    fn take(&mut self, stream: &mut Ticket, how: Take) -> Taken {
        self.sleep(how.wait_ms);
        match self.answers.get_mut(stream) {
            Some(a) => a.take(),
            None => Answer::default().take(),
        }
    }

    fn close(&mut self, stream: Ticket) {
        self.gw.cancel(stream);
        self.settle();
    }

    fn sleep(&mut self, ms: u64) {
        let to = self.gw.now() + ms;
        self.gw.advance_to(to);
        self.settle();
    }
}

/// Replays one scenario on a fresh in-process cluster of the kind it asks
/// for; a panic inside the simulator becomes a diff.
pub fn run_scenario(scenario: &Value) -> Vec<String> {
    let cluster = scenario
        .get("cluster")
        .and_then(Value::as_str)
        .unwrap_or("single");
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        match ClusterKind::of(cluster) {
            Ok(kind) => Runner::new(InProcess::new(&kind)).run(scenario),
            Err(e) => vec![e as StepError],
        }
    }));
    run.unwrap_or_else(|p| vec![format!("PANIC: {}", panic_message(&p))])
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "<non-string panic>".into())
}
