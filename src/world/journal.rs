//! Saving and loading the whole world. The world is deterministic: the
//! configuration it started from plus every input it was given since (each
//! request, body piece, finish, cancel, and how far virtual time was moved)
//! determine it completely. So a saved world is that journal, and loading
//! replays it into a fresh world: load(save(x)) is x, lossless by
//! construction, down to timers, in-flight messages and random draws.
//!
//! Inputs that change nothing are left out: `GET /_sim/...` inspection,
//! `/_sim/` controls that were refused, gateway calls answered from their
//! body alone (a decode error, a message too large for gRPC) or that only
//! look (`/health`, `/metrics`, ...), and consecutive clock moves collapse
//! into the last one (moving the clock to `a` then to `b` with no input
//! between runs the same events as moving it to `b`; a stop at "idle" is
//! recorded as the time it stopped at). A control or a unary call acts
//! only once its body is complete: it is recorded whole then, with what
//! was kept of its body (a unary call's first JSON value). A stream's body
//! is recorded as the stream kept it, piece by piece; a message it did not
//! keep is recorded by what it did to the stream (`gateway::Stop`). So the
//! journal holds no body beyond what its answer needed.

use super::{Config, HttpRequest, Ticket};
use crate::gateway::jsonpb::{base64_decode, base64_encode, base64_encode_into, quote_plain};
use crate::world::json::{self, list, Value};
use std::fmt::Write;

/// The format's name and version, first in every saved world.
const FORMAT: &str = "etcd-sim world";
/// Version 1: the inputs since the world started. Version 2: a checkpoint
/// (the world's state, base64) and the inputs since it; a world saves in
/// version 1 until it took its first checkpoint.
const FORMAT_VERSION: u64 = 1;
const FORMAT_VERSION_CHECKPOINT: u64 = 2;

/// One input the world was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Boxed: an `HttpRequest` is 72 bytes, and inline it made every
    /// input 88 bytes (32 now) though most are bodies, finishes and clock
    /// moves.
    Submit {
        ticket: Ticket,
        member: usize,
        request: Box<HttpRequest>,
    },
    Body(Ticket, Vec<u8>),
    Finish(Ticket),
    Cancel(Ticket),
    /// Virtual time moved to this instant (ms).
    Time(u64),
    /// The next ticket is this one (after a load, tickets go on above every
    /// ticket the loading front door used).
    NextTicket(Ticket),
}

impl Input {
    /// About the bytes it holds: itself and what it points to.
    fn size(&self) -> usize {
        let held = match self {
            Input::Submit { request, .. } => {
                let headers = request.headers.iter();
                let headers: usize = headers.map(|(k, v)| 48 + k.len() + v.len()).sum();
                std::mem::size_of::<HttpRequest>()
                    + request.method.len()
                    + request.path.len()
                    + headers
            }
            Input::Body(_, data) => data.len(),
            _ => 0,
        };
        std::mem::size_of::<Input>() + held
    }
}

/// Where the world started and what it was given since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journal {
    /// The configuration a reset starts from.
    pub base: Config,
    /// The configuration of the current cluster.
    pub config: Config,
    pub first_ticket: Ticket,
    /// The world's state at the last checkpoint (see `world::checkpoint`),
    /// in pieces; `inputs` are those since it. None: since the world
    /// started.
    pub checkpoint: Option<Vec<Vec<u8>>>,
    pub inputs: Vec<Input>,
    /// The last clock move must stay as it is: the gateway handed the
    /// cluster input of its own after it (see `seal`).
    sealed: bool,
    /// About the bytes `inputs` hold (see `Input::size`), for the
    /// checkpoint policy.
    bytes: usize,
}

impl Journal {
    pub fn new(base: Config, config: Config, first_ticket: Ticket) -> Self {
        Journal {
            base,
            config,
            first_ticket,
            checkpoint: None,
            inputs: Vec::new(),
            sealed: false,
            bytes: 0,
        }
    }

    /// The inputs start over after a checkpoint of the world's `state`.
    /// A clock move before it never collapses with one after it: there is
    /// none left to replace (and a sealed move is in the state).
    pub fn restart_from(&mut self, state: Vec<Vec<u8>>) {
        self.checkpoint = Some(state);
        self.inputs = Vec::new();
        self.sealed = false;
        self.bytes = 0;
    }

    /// The last checkpoint, taken out (a new one replaces it).
    pub fn take_checkpoint(&mut self) -> Option<Vec<Vec<u8>>> {
        self.checkpoint.take()
    }

    /// Size of the last checkpoint (0: none).
    pub fn checkpoint_len(&self) -> usize {
        let pieces = self.checkpoint.iter().flatten();
        pieces.map(Vec::len).sum()
    }

    /// About the bytes the inputs since the last checkpoint hold.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn push(&mut self, input: Input) {
        self.bytes += input.size();
        self.inputs.push(input);
    }

    /// The next clock move does not replace the last one: between them the
    /// gateway gave the cluster input of its own (a lock or election call
    /// going on), which the next move handles at the time of the last.
    pub fn seal(&mut self) {
        self.sealed = true;
    }

    /// A control that took effect, or a unary call handled, once its body
    /// is complete (the world records no input of either as it arrives,
    /// nor one refused): its inputs, its body (as kept) in one piece.
    /// Replayed, it acts at the same moment, when its body is complete.
    pub fn record_call(
        &mut self,
        ticket: Ticket,
        member: usize,
        request: HttpRequest,
        body: Vec<u8>,
    ) {
        self.sealed = false;
        self.push(Input::Submit {
            ticket,
            member,
            request: Box::new(request),
        });
        if !body.is_empty() {
            self.push(Input::Body(ticket, body));
        }
        self.push(Input::Finish(ticket));
    }

    /// Bytes of request bodies the journal holds.
    pub fn body_bytes(&self) -> usize {
        let body = |input: &Input| match input {
            Input::Body(_, data) => data.capacity(),
            _ => 0,
        };
        self.inputs.iter().map(body).sum()
    }

    pub fn record(&mut self, input: Input) {
        if matches!(input, Input::Time(_)) && !self.sealed {
            if let Some(Input::Time(_)) = self.inputs.last() {
                if let Some(last) = self.inputs.pop() {
                    self.bytes -= last.size();
                }
            }
        }
        self.sealed = false;
        self.push(input);
    }

    /// The saved form: JSON, readable, with bodies in base64. `now` and
    /// `members` are for people reading it; loading ignores them. It ends
    /// with the ticket the world gives next (`next_ticket`): every request
    /// takes one, also those not recorded (inspection, refused controls and
    /// connections), and a loaded world must number the next ones as the
    /// saved world would.
    pub fn save(&self, now: u64, members: usize, next_ticket: Ticket) -> String {
        let state = self.checkpoint.as_deref();
        let state_len = self.checkpoint_len().div_ceil(3) * 4 + 32;
        let mut s = String::with_capacity(256 + 48 * self.inputs.len() + state_len);
        let version = match state {
            None => FORMAT_VERSION,
            Some(_) => FORMAT_VERSION_CHECKPOINT,
        };
        let _ = write!(
            s,
            r#"{{"format":"{FORMAT}","format_version":{version},"sim_version":"{}","now":{now},"members":{members},"base":{},"config":{},"first_ticket":{},"#,
            env!("CARGO_PKG_VERSION"),
            self.base.to_json(),
            self.config.to_json(),
            self.first_ticket,
        );
        if let Some(state) = state {
            s.push_str("\n\"checkpoint\":\"");
            // every piece but the last is a multiple of 3 bytes long: their
            // base64 joined is the whole's
            for piece in state {
                base64_encode_into(piece, &mut s);
            }
            s.push_str("\",");
        }
        s.push_str(r#""inputs":["#);
        for input in &self.inputs {
            s.push('\n');
            let _ = match input {
                Input::Submit {
                    ticket,
                    member,
                    request,
                } => {
                    let _ = write!(s, r#"["submit",{ticket},{member},"#);
                    quote_plain(&request.method, &mut s);
                    s.push(',');
                    quote_plain(&request.path, &mut s);
                    s.push(',');
                    list(&mut s, &request.headers, |out, (k, v)| {
                        out.push('[');
                        quote_plain(k, out);
                        out.push(',');
                        quote_plain(v, out);
                        out.push(']');
                    });
                    s.push(']');
                    Ok(())
                }
                Input::Body(t, data) => write!(s, r#"["body",{t},"{}"]"#, base64_encode(data)),
                Input::Finish(t) => write!(s, r#"["finish",{t}]"#),
                Input::Cancel(t) => write!(s, r#"["cancel",{t}]"#),
                Input::Time(ms) => write!(s, r#"["time",{ms}]"#),
                Input::NextTicket(t) => write!(s, r#"["next_ticket",{t}]"#),
            };
            s.push(',');
        }
        let _ = write!(s, "\n[\"next_ticket\",{next_ticket}]");
        s.push_str("\n]}");
        s
    }

    /// Reads a saved world; any flaw is an error naming it.
    pub fn load(saved: &[u8]) -> Result<Journal, String> {
        let v = json::parse(saved)?;
        if v["format"].as_str() != Some(FORMAT) {
            let mut e = String::from("not a saved world (\"format\" is not ");
            quote_plain(FORMAT, &mut e);
            e.push(')');
            return Err(e);
        }
        let format_version = v["format_version"].as_u64();
        if format_version != Some(FORMAT_VERSION)
            && format_version != Some(FORMAT_VERSION_CHECKPOINT)
        {
            return Err(format!(
                "saved in format version {}; this etcd-sim reads versions {FORMAT_VERSION} and {FORMAT_VERSION_CHECKPOINT}",
                v["format_version"].to_json()
            ));
        }
        // a journal replays the same only in the same simulator
        let version = env!("CARGO_PKG_VERSION");
        if v["sim_version"].as_str() != Some(version) {
            return Err(format!(
                "saved by etcd-sim {}; this is etcd-sim {version}",
                v["sim_version"].to_json()
            ));
        }
        let config = |name: &str| {
            let raw = v[name].to_json();
            Config::overlay(&Config::default(), raw.as_bytes())
                .map_err(|e| format!("\"{name}\": {e}"))
        };
        let mut journal = Journal::new(
            config("base")?,
            config("config")?,
            v["first_ticket"]
                .as_u64()
                .ok_or("\"first_ticket\" must be a number")?,
        );
        if format_version == Some(FORMAT_VERSION_CHECKPOINT) {
            let state = v["checkpoint"]
                .as_str()
                .ok_or("\"checkpoint\" must be a string")?;
            let state =
                base64_decode(state.as_bytes()).map_err(|e| format!("\"checkpoint\": {e}"))?;
            journal.checkpoint = Some(vec![state]);
        }
        let inputs = v["inputs"].as_array().ok_or("\"inputs\" must be a list")?;
        for (i, input) in inputs.iter().enumerate() {
            let input = parse_input(input).map_err(|e| format!("inputs[{i}]: {e}"))?;
            journal.push(input);
        }
        Ok(journal)
    }
}

fn parse_input(v: &Value) -> Result<Input, String> {
    let a = v.as_array().ok_or("not a list")?;
    let num = |i: usize| {
        a.get(i)
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("item {i} must be a number"))
    };
    let text = |i: usize| {
        a.get(i)
            .and_then(Value::as_str)
            .map(String::from)
            .ok_or_else(|| format!("item {i} must be a string"))
    };
    let kind = a.first().and_then(Value::as_str).unwrap_or("");
    Ok(match kind {
        "submit" => {
            let bad = "item 5 must be a list of [name, value]";
            let mut headers = Vec::new();
            for h in a.get(5).and_then(Value::as_array).ok_or(bad)? {
                match h.as_array().map(Vec::as_slice) {
                    Some([Value::String(name), Value::String(value)]) => {
                        headers.push((name.clone(), value.clone()))
                    }
                    _ => return Err(bad.into()),
                }
            }
            Input::Submit {
                ticket: num(1)?,
                member: usize::try_from(num(2)?).map_err(|e| e.to_string())?,
                request: Box::new(HttpRequest {
                    method: text(3)?,
                    path: text(4)?,
                    headers,
                }),
            }
        }
        "body" => Input::Body(num(1)?, base64_decode(text(2)?.as_bytes())?),
        "finish" => Input::Finish(num(1)?),
        "cancel" => Input::Cancel(num(1)?),
        "time" => Input::Time(num(1)?),
        "next_ticket" => Input::NextTicket(num(1)?),
        other => {
            let mut e = String::from("unknown input ");
            quote_plain(other, &mut e);
            return Err(e);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_is_small() {
        // the journal holds many: a request's head is boxed
        assert_eq!(std::mem::size_of::<Input>(), 32);
    }

    #[test]
    fn consecutive_clock_moves_collapse() {
        let mut j = Journal::new(Config::default(), Config::default(), 1);
        j.record(Input::Time(5));
        j.record(Input::Time(9));
        j.record(Input::Body(3, b"y".to_vec()));
        j.record(Input::Time(12));
        j.record(Input::Finish(3));
        assert_eq!(
            j.inputs,
            vec![
                Input::Time(9),
                Input::Body(3, b"y".to_vec()),
                Input::Time(12),
                Input::Finish(3)
            ]
        );
    }

    #[test]
    fn a_control_is_recorded_whole_once_it_ran() {
        let crash = HttpRequest {
            method: "POST".into(),
            path: "/_sim/crash".into(),
            headers: Vec::new(),
        };
        let mut j = Journal::new(Config::default(), Config::default(), 1);
        j.record(Input::Time(5));
        j.record_call(1, 2, crash.clone(), b"{\"member\":0}".to_vec());
        j.record(Input::Time(9));
        assert_eq!(
            j.inputs,
            vec![
                Input::Time(5),
                Input::Submit {
                    ticket: 1,
                    member: 2,
                    request: Box::new(crash)
                },
                Input::Body(1, b"{\"member\":0}".to_vec()),
                Input::Finish(1),
                Input::Time(9)
            ]
        );
    }

    #[test]
    fn a_sealed_clock_move_stays() {
        let mut j = Journal::new(Config::default(), Config::default(), 1);
        j.record(Input::Time(5));
        j.seal();
        j.record(Input::Time(9));
        j.record(Input::Time(12));
        assert_eq!(j.inputs, vec![Input::Time(5), Input::Time(12)]);
    }

    #[test]
    fn the_saved_form_reads_back_the_same() {
        let base = Config {
            members: 3,
            seed: 42,
            ..Config::default()
        };
        let mut j = Journal::new(base.clone(), Config { members: 5, ..base }, 7);
        j.record(Input::Submit {
            ticket: 7,
            member: 2,
            request: Box::new(HttpRequest {
                method: "POST".into(),
                path: "/v3/kv/put?x=\"1\"".into(),
                headers: vec![("Content-Type".into(), "application/json".into())],
            }),
        });
        j.record(Input::Body(7, vec![0, 255, b'{', b'"']));
        j.record(Input::Finish(7));
        j.record(Input::Time(1234));
        j.record(Input::Cancel(8));
        j.record(Input::NextTicket(99));
        let saved = j.save(1234, 5, 120);
        j.record(Input::NextTicket(120));
        assert_eq!(Journal::load(saved.as_bytes()), Ok(j));
    }

    #[test]
    fn flawed_saves_are_refused_with_the_reason() {
        let good = Journal::new(Config::default(), Config::default(), 1).save(0, 1, 1);
        let cases = [
            ("", "EOF"),
            ("[]", "not a saved world"),
            (
                &good.replace("\"format_version\":1", "\"format_version\":3"),
                "format version 3",
            ),
            (
                &good.replace(env!("CARGO_PKG_VERSION"), "0.0.0-x"),
                "saved by etcd-sim \"0.0.0-x\"",
            ),
            (
                &good.replace("\"members\":3,\"seed\"", "\"members\":9,\"seed\""),
                "members must be",
            ),
            (
                &good.replace("\"inputs\":[", "\"inputs\":[[\"fly\",1],"),
                "inputs[0]: unknown input",
            ),
            (
                &good.replace("\"inputs\":[", "\"inputs\":[[\"body\",1,\"@@\"],"),
                "inputs[0]: illegal base64",
            ),
            (
                &good.replace("\"inputs\":[", "\"inputs\":[[\"time\",-1],"),
                "inputs[0]: item 1 must be a number",
            ),
        ];
        for (text, want) in cases {
            let err = Journal::load(text.as_bytes()).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err:?} lacks {want:?}");
        }
    }
}
