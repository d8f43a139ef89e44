//! The simulated world as a whole, above the gateway: what the front doors
//! (the wasm bindings, the Node server, tests) talk to.
//!
//! It owns what belongs to no etcd member and to no HTTP mapping:
//! - the tickets naming requests, and the journal of every input, which is
//!   what a saved world holds (`journal`);
//! - pause, resume, step and speed for the real-time driver, and the epoch
//!   that tells the driver to re-anchor its clock;
//! - the `/_sim/` control and inspection paths (`control`), answered on
//!   every member URL, even a down one.
//!
//! Everything else goes to the [`Gateway`], which maps HTTP/JSON to typed
//! requests of the cluster and back.

mod checkpoint;
mod control;
mod journal;
pub(crate) mod json;
#[cfg(test)]
mod memory_tests;

use crate::cluster::trace;
pub use crate::gateway::{Config, HttpRequest, HttpResponse, Output, Ticket};
use crate::gateway::{Gateway, Stop, Submitted, Taken};
use journal::{Input, Journal};

/// A `/_sim/` request whose body is still arriving: it is read whole (up to
/// its cap, `control::body_cap`), then handled.
struct ControlCall {
    ticket: Ticket,
    member: usize,
    method: String,
    path: String,
    /// The body as it came, piece by piece: grown by doubling, one buffer
    /// would leave up to twice the cap of wasm memory behind (which never
    /// shrinks) for a body refused past it.
    body: Vec<Vec<u8>>,
    len: usize,
    /// The body passed the cap: it is not read, the answer is 413.
    too_large: bool,
}

/// Inputs since the last checkpoint before the world takes another (and
/// at least half its size in bytes, see `checkpoint_if_due`).
const CHECKPOINT_INPUTS: usize = 10_000;

/// A control's body is held in buffers of at least this many bytes.
const CONTROL_PIECE: usize = 64 << 10;

/// The world: a gateway in front of a simulated cluster, with its journal
/// and the controls of time.
pub struct World {
    /// The configuration the world started with; a reset starts from it.
    initial: Config,
    gateway: Gateway,
    next_ticket: Ticket,
    /// `/_sim/` requests whose body is still arriving (few, and short-lived).
    controls: Vec<ControlCall>,
    /// Answers in order: the gateway's, taken as they come, and the
    /// controls'.
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

impl World {
    pub fn new(config: Config) -> Self {
        World::fresh(config.clone(), config, 1)
    }

    /// A world of `config` whose resets start from `base`.
    fn fresh(base: Config, config: Config, first_ticket: Ticket) -> Self {
        World {
            gateway: Gateway::new(&config),
            journal: Journal::new(base.clone(), config, first_ticket),
            initial: base,
            next_ticket: first_ticket,
            controls: Vec::new(),
            outputs: Vec::new(),
            paused: false,
            speed: 1.0,
            epoch: 0,
        }
    }

    /// The gateway, for inspection.
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// The whole world, saved (see `journal`): `load` gives it back exactly.
    pub fn save(&self) -> String {
        self.journal
            .save(self.now(), self.members(), self.next_ticket)
    }

    /// Replaces the world with a saved one. Clients connected now lose
    /// their connection (they were talking to the old world); clients of
    /// the saved world are not part of it and are gone too (their watchers
    /// are freed, requests they left in flight still take effect).
    pub fn load(&mut self, saved: &[u8]) -> Result<(), String> {
        let mut journal = Journal::load(saved)?;
        let inputs = std::mem::take(&mut journal.inputs);
        let state = journal.checkpoint.as_deref().map(<[Vec<u8>]>::concat);
        let mut world = match state {
            None => World::fresh(
                journal.base.clone(),
                journal.config.clone(),
                journal.first_ticket,
            ),
            Some(state) => World::decode_state(&state, journal).map_err(|e| e.to_string())?,
        };
        for (n, input) in inputs.into_iter().enumerate() {
            world.replay(input);
            if n % 1024 == 1023 {
                world.drain();
            }
        }
        let mut gone = world.gateway.open_tickets();
        gone.extend(world.controls.iter().map(|c| c.ticket));
        for ticket in gone {
            world.cancel(ticket);
        }
        self.close_connections();
        // tickets go on above those either side has used
        let next = world.next_ticket.max(self.next_ticket);
        world.replay(Input::NextTicket(next));
        // what the replay answered went to clients long gone
        world.drain();
        world.outputs = self.drain();
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
                // a call whose body was arriving at the checkpoint is
                // recorded whole once complete: it starts over from it
                self.take_control(ticket);
                self.gateway.forget_call(ticket);
                let next = self.next_ticket;
                self.next_ticket = ticket;
                self.submit_now(member, *request);
                self.next_ticket = next.max(ticket + 1);
            }
            Input::Body(ticket, data) => {
                self.body_now(ticket, &data);
            }
            Input::Finish(ticket) => self.finish_now(ticket),
            Input::Cancel(ticket) => self.cancel_now(ticket),
            Input::Time(ms) => self.advance_to_now(ms),
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
            let what = if paused {
                trace::Control::Pause
            } else {
                trace::Control::Resume
            };
            self.gateway.cluster_mut().control_event(what);
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
        for c in std::mem::take(&mut self.controls) {
            self.outputs.push(Output::Refused { ticket: c.ticket });
        }
        self.gateway.close_connections();
        self.take_gateway_outputs();
    }

    /// Number of members of the current cluster.
    pub fn members(&self) -> usize {
        self.gateway.members()
    }

    /// Starts a request to `member`; its body follows with [`World::body`]
    /// and [`World::finish`].
    pub fn submit(&mut self, member: usize, request: HttpRequest) -> Ticket {
        let ticket = self.submit_now(member, request);
        self.checkpoint_if_due();
        ticket
    }

    fn submit_now(&mut self, member: usize, request: HttpRequest) -> Ticket {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        if is_control(&request) {
            // recorded whole once it ran, if it took effect (see `finish`)
            let too_large = control::declared_len(&request.headers)
                .is_some_and(|len| len > control::body_cap(&request.path) as u64);
            self.controls.push(ControlCall {
                ticket,
                member,
                method: request.method,
                path: request.path,
                body: Vec::new(),
                len: 0,
                too_large,
            });
            return ticket;
        }
        // a refused connection changes nothing; a unary call is recorded
        // whole once its body is complete (see `finish`)
        if let Submitted::Stream(request) = self.gateway.submit(ticket, member, request) {
            self.journal.record(Input::Submit {
                ticket,
                member,
                request: Box::new(request),
            });
        }
        ticket
    }

    /// More request body for `ticket` (to a ticket no longer sending, it
    /// changes nothing). Whether the body is still read: once not, the rest
    /// of it changes nothing, only its end still counts (a front door need
    /// not hand it over). No body is held whole: a `/_sim/` control's up to
    /// its cap, a gateway call's as `jsonpb::ValueReader` keeps it.
    pub fn body(&mut self, ticket: Ticket, data: &[u8]) -> bool {
        let reads = self.body_now(ticket, data);
        self.checkpoint_if_due();
        reads
    }

    fn body_now(&mut self, ticket: Ticket, data: &[u8]) -> bool {
        if let Some(c) = self.controls.iter_mut().find(|c| c.ticket == ticket) {
            if c.too_large || c.len + data.len() > control::body_cap(&c.path) {
                c.too_large = true;
                c.body = Vec::new();
                return false;
            }
            c.len += data.len();
            match c.body.last_mut() {
                // small pieces fill one buffer of `CONTROL_PIECE`
                Some(last) if last.len() < CONTROL_PIECE => last.extend_from_slice(data),
                _ => {
                    let mut piece = Vec::with_capacity(data.len().max(CONTROL_PIECE));
                    piece.extend_from_slice(data);
                    c.body.push(piece);
                }
            }
            return true;
        }
        let taken = self.gateway.body(ticket, data);
        self.record(ticket, taken);
        self.gateway.reads_body(ticket)
    }

    /// Records what the gateway took of an input (see [`Taken`]).
    fn record(&mut self, ticket: Ticket, taken: Taken) {
        match taken {
            Taken::Nothing => {}
            Taken::Stream(kept, stop) => {
                if !kept.is_empty() {
                    self.journal.record(Input::Body(ticket, kept));
                }
                match stop {
                    Some(Stop::Finish) => self.journal.record(Input::Finish(ticket)),
                    Some(Stop::Cancel) => self.journal.record(Input::Cancel(ticket)),
                    None => {}
                }
            }
            Taken::Call(member, request, body) => {
                self.journal.record_call(ticket, member, request, body)
            }
        }
    }

    /// The request body of `ticket` is complete.
    pub fn finish(&mut self, ticket: Ticket) {
        self.finish_now(ticket);
        self.checkpoint_if_due();
    }

    fn finish_now(&mut self, ticket: Ticket) {
        if let Some(c) = self.take_control(ticket) {
            let cmd = c.path.strip_prefix("/_sim/").unwrap_or_default();
            let body = c.body.concat();
            let answer = match c.too_large {
                true => Err(control::too_large(&c.path)),
                false => control::handle(self, &c.method, cmd, &body),
            };
            // a control that took effect is an input of the world; a refused
            // one changed nothing
            if answer.is_ok() && is_recorded(&c.method, cmd) {
                let request = HttpRequest {
                    method: c.method,
                    path: c.path,
                    headers: Vec::new(),
                };
                self.journal.record_call(ticket, c.member, request, body);
            }
            self.take_gateway_outputs();
            let response = answer.unwrap_or_else(|refused| refused);
            self.outputs.push(Output::Response { ticket, response });
        } else {
            let taken = self.gateway.finish(ticket);
            match taken {
                // the body's end is an input of a stream, unless it ended
                // the stream as a cancel (see `Stop`)
                Taken::Stream(kept, None) => {
                    self.record(ticket, Taken::Stream(kept, Some(Stop::Finish)))
                }
                taken => self.record(ticket, taken),
            }
        }
    }

    /// The client of `ticket` went away: drop what belongs to it (a watch
    /// stream's watchers are freed); no output for it follows, not even one
    /// produced before and not yet drained.
    pub fn cancel(&mut self, ticket: Ticket) {
        self.cancel_now(ticket);
        self.checkpoint_if_due();
    }

    fn cancel_now(&mut self, ticket: Ticket) {
        // a control cancelled before it ran changed nothing
        let control = self.take_control(ticket).is_some();
        if !control && self.gateway.is_open(ticket) {
            self.journal.record(Input::Cancel(ticket));
        }
        self.outputs.retain(|o| o.ticket() != ticket);
        self.gateway.cancel(ticket);
    }

    fn take_control(&mut self, ticket: Ticket) -> Option<ControlCall> {
        let at = self.controls.iter().position(|c| c.ticket == ticket)?;
        Some(self.controls.remove(at))
    }

    /// Bytes held for the bodies of requests under way (what `/_sim/`
    /// controls and gateway calls keep of them), and for those the journal
    /// keeps: a body is never held beyond what its answer needs.
    pub fn held_body_bytes(&self) -> usize {
        let controls = self.controls.iter().flat_map(|c| &c.body);
        let controls: usize = controls.map(Vec::capacity).sum();
        controls + self.gateway.held_body_bytes() + self.journal.body_bytes()
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
        self.gateway.now()
    }

    /// Runs the world up to virtual time `ms` (never backwards).
    pub fn advance_to(&mut self, ms: u64) {
        self.advance_to_now(ms);
        self.checkpoint_if_due();
    }

    fn advance_to_now(&mut self, ms: u64) {
        self.gateway.advance_to(ms);
        self.clock_moved();
    }

    /// When the next thing is due, if anything is.
    pub fn next_due(&self) -> Option<u64> {
        self.gateway.next_due()
    }

    /// Runs until every request that can be answered now has been answered.
    pub fn run_until_idle(&mut self) {
        self.run_until_idle_or(u64::MAX);
    }

    /// As [`World::run_until_idle`], but virtual time stops at `limit` (a
    /// real-time driver lets the world run only a little ahead of the wall
    /// clock, so a request that takes long in etcd takes long here).
    pub fn run_until_idle_or(&mut self, limit: u64) {
        loop {
            self.gateway.run_until_idle_or(limit);
            self.clock_moved();
            // a lock or election call answered goes on with new requests
            if !self.gateway.has_input() {
                break;
            }
        }
        self.checkpoint_if_due();
    }

    /// Takes a checkpoint now: a save from here on holds the world's state
    /// at this moment and the inputs since (see `checkpoint`). The world
    /// takes one itself as its journal grows (`checkpoint_if_due`).
    pub fn checkpoint(&mut self) {
        // the last one goes first (writing cannot fail): wasm memory never
        // shrinks, so its peak is what stays
        self.journal.take_checkpoint();
        let state = self.encode_state();
        self.journal.restart_from(state);
    }

    /// A checkpoint once the inputs since the last one are both many
    /// (`CHECKPOINT_INPUTS`) and at least half its size in bytes: writing
    /// the state then costs O(1) per input recorded, amortised (about a
    /// quarter of a put's own work on 3 members; a quarter of the size
    /// made it half), and the journal in memory stays within half the
    /// state's size (or `CHECKPOINT_INPUTS` inputs). Only at the end of a
    /// public call, between two inputs: never inside a control or a replay.
    fn checkpoint_if_due(&mut self) {
        let j = &self.journal;
        if j.inputs.len() >= CHECKPOINT_INPUTS && j.bytes() >= j.checkpoint_len() / 2 {
            self.checkpoint();
        }
    }

    /// Records where the clock is. If the gateway handed the cluster input
    /// of its own meanwhile (a lock or election call going on), the next
    /// clock move handles it at this time, which a replay must repeat: the
    /// journal keeps this move.
    fn clock_moved(&mut self) {
        self.journal.record(Input::Time(self.gateway.now()));
        if self.gateway.has_input() {
            self.journal.seal();
        }
    }

    /// Takes the outputs produced so far, in order.
    pub fn drain(&mut self) -> Vec<Output> {
        self.take_gateway_outputs();
        std::mem::take(&mut self.outputs)
    }

    /// Keeps the order of answers: the gateway's so far come before
    /// whatever the world answers next.
    fn take_gateway_outputs(&mut self) {
        self.outputs.extend(self.gateway.drain());
    }

    /// Lets a control action take effect before its answer.
    fn run_until_idle_now(&mut self) {
        let now = self.gateway.now();
        self.gateway.run_until_idle_or(now);
    }

    fn reset(&mut self, config: Config) {
        // every connection belonged to the old cluster
        self.close_connections();
        self.gateway = Gateway::new(&config);
        self.journal = Journal::new(self.initial.clone(), config, self.next_ticket);
        self.paused = false;
        self.speed = 1.0;
        self.epoch += 1;
    }
}

/// The world's own paths: `/_sim/...` (an OPTIONS preflight there is the
/// gateway's, as on any path).
fn is_control(request: &HttpRequest) -> bool {
    request.method != "OPTIONS" && request.path.starts_with("/_sim/")
}

/// Whether control `cmd` (with its query), having taken effect, is an
/// input of the journal. Never: inspection (`GET /_sim/...`) only looks;
/// `reset` and `load` start a journal of their own.
fn is_recorded(method: &str, cmd: &str) -> bool {
    let cmd = cmd.split_once('?').map_or(cmd, |(c, _)| c);
    !matches!((method, cmd), ("GET", _) | ("POST", "load" | "reset"))
}
