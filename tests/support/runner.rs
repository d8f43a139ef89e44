//! Runs one scenario's steps against an in-process `World`, in virtual
//! time, and builds the observations replay.py would have built over HTTP.

use super::compare::{compare_obs, metrics_of, Vars};
use super::pyjson::py_str;
use super::sha256::sha256_hex;
use base64::Engine;
use etcd_sim::world::{Config, HttpRequest, Output, Ticket, World};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// replay.py's timeout of a unary request, in seconds.
const REQUEST_TIMEOUT_S: f64 = 15.0;
/// replay.py's default wait for a stream's response head, in seconds.
const HEAD_TIMEOUT_S: f64 = 5.0;

/// What has arrived for one ticket so far (unary or streaming).
#[derive(Default)]
struct TicketState {
    head: Option<(u16, Vec<(String, String)>)>,
    /// The answer came as a stream (chunked), not as one response.
    chunked: bool,
    /// Raw pieces of the body in arrival order.
    chunks: Vec<Vec<u8>>,
    /// Bytes not yet terminated by a newline.
    line_buf: Vec<u8>,
    msgs: Vec<Value>,
    consumed: usize,
    chunks_consumed: usize,
    ended: bool,
    refused: bool,
}

impl TicketState {
    fn done(&self) -> bool {
        self.ended || self.refused
    }

    /// As replay.py's `StreamConn._run`: split newline-terminated messages.
    fn push_data(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.chunks.push(data.to_vec());
        self.line_buf.extend_from_slice(data);
        while let Some(pos) = self.line_buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.line_buf.drain(..=pos).collect();
            self.push_line(&line[..pos]);
        }
    }

    fn push_line(&mut self, line: &[u8]) {
        if line.trim_ascii().is_empty() {
            return;
        }
        let parsed = std::str::from_utf8(line)
            .ok()
            .and_then(|s| serde_json::from_str(s).ok());
        let msg =
            parsed.unwrap_or_else(|| json!({"__unparsable__": String::from_utf8_lossy(line)}));
        self.msgs.push(msg);
    }

    fn end(&mut self) {
        let rest = std::mem::take(&mut self.line_buf);
        self.push_line(&rest);
        self.ended = true;
    }

    fn body(&self) -> Vec<u8> {
        self.chunks.concat()
    }
}

/// Replays the steps of one scenario against a fresh gateway.
pub struct Runner {
    gw: World,
    pub vars: Vars,
    /// Stream name -> ticket of the open stream.
    streams: BTreeMap<String, Ticket>,
    tickets: BTreeMap<Ticket, TicketState>,
}

/// A step that could not run (replay.py's exception path).
pub type StepError = String;

impl Runner {
    pub fn new(cluster: &str) -> Result<Self, StepError> {
        let (members, interval) = match cluster {
            "single" => (1, Config::default().watch_progress_notify_interval_ms),
            "single-progress1s" => (1, 1000),
            "three" => (3, Config::default().watch_progress_notify_interval_ms),
            other => return Err(format!("unknown cluster kind {other:?}")),
        };
        // the corpus was recorded with --initial-cluster-token conformance
        let config = Config {
            members,
            seed: 1,
            watch_progress_notify_interval_ms: interval,
            initial_cluster_token: "conformance".into(),
            ..Config::default()
        };
        Ok(Runner {
            gw: World::new(config),
            vars: Vars::new(),
            streams: BTreeMap::new(),
            tickets: BTreeMap::new(),
        })
    }

    /// Runs every step; returns the diffs (empty = pass), as `run_scenario`.
    pub fn run(&mut self, scenario: &Value) -> Vec<String> {
        let steps = scenario
            .get("steps")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut diffs = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let kind = str_of(step, "type").unwrap_or("request");
            let obs = match self.run_step(step) {
                Ok(obs) => obs,
                Err(e) => {
                    let what = str_of(step, "path")
                        .or(str_of(step, "stream"))
                        .unwrap_or("");
                    diffs.push(format!("step {i} ({kind} {what}): {e}"));
                    break;
                }
            };
            let Some(exp) = step.get("expect").filter(|e| !e.is_null()) else {
                continue;
            };
            let d = compare_obs(step, exp, &obs, &mut self.vars);
            let label_kind = str_of(step, "method").unwrap_or(str_of(step, "type").unwrap_or(""));
            let label_what = str_of(step, "path")
                .or(str_of(step, "stream"))
                .unwrap_or("");
            diffs.extend(
                d.into_iter()
                    .map(|x| format!("step {i} ({label_kind} {label_what}): {x}")),
            );
        }
        self.close_all();
        diffs
    }

    fn run_step(&mut self, step: &Value) -> Result<Value, StepError> {
        match str_of(step, "type").unwrap_or("request") {
            "sleep" => {
                let ms = secs_to_ms(step.get("seconds").and_then(Value::as_f64).unwrap_or(0.0));
                self.advance_by(ms);
                Ok(json!({}))
            }
            "request" => self.request(step),
            "stream_open" => self.stream_open(step),
            "stream_send" => self.stream_send(step),
            "stream_expect" => self.stream_expect(step),
            "stream_close" => {
                if let Some(t) = str_of(step, "stream").and_then(|s| self.streams.remove(s)) {
                    self.gw.cancel(t);
                    self.settle();
                }
                Ok(json!({}))
            }
            other => Err(format!("ValueError: unknown step type {other:?}")),
        }
    }

    fn request(&mut self, step: &Value) -> Result<Value, StepError> {
        let (req, body) = self.build_request(step, false)?;
        let method = req.method.clone();
        let t = self
            .gw
            .request(member_of(step), req, body.as_deref().unwrap_or_default());
        self.tickets.insert(t, TicketState::default());
        let timeout = step
            .get("timeout")
            .and_then(Value::as_f64)
            .unwrap_or(REQUEST_TIMEOUT_S);
        self.wait_for(t, secs_to_ms(timeout), TicketState::done);
        let st = self.tickets.remove(&t).unwrap_or_default();
        let mut obs = if st.refused {
            json!({"status": 0, "error": "connect: ConnectionRefusedError"})
        } else if !st.ended {
            self.gw.cancel(t); // replay.py closes the socket on a timeout
            json!({"status": 0, "error": "io: timeout"})
        } else {
            unary_observation(&st, &method)
        };
        match str_of(step, "compare") {
            Some("metrics") => {
                let text = obs
                    .get("body_raw")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                obs = json!({"status": obs.get("status"), "headers": obs.get("headers"), "metrics": metrics_of(&text)});
            }
            Some("stream_summary") => obs = summarize_stream(&obs),
            _ => {}
        }
        hash_long_raw_body(&mut obs);
        self.capture(step, &obs)?;
        Ok(obs)
    }

    fn stream_open(&mut self, step: &Value) -> Result<Value, StepError> {
        let keep_open = step
            .get("keep_open")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (req, body) = self.build_request(step, keep_open)?;
        let t = self.gw.submit(member_of(step), req);
        self.tickets.insert(t, TicketState::default());
        if let Some(b) = body.filter(|b| !(keep_open && b.is_empty())) {
            self.gw.body(t, &b);
        }
        if !keep_open {
            self.gw.finish(t);
        }
        let head_timeout = step
            .get("head_timeout")
            .and_then(Value::as_f64)
            .unwrap_or(HEAD_TIMEOUT_S);
        self.wait_for(t, secs_to_ms(head_timeout), |s| {
            s.head.is_some() || s.done()
        });
        let st = &self.tickets[&t];
        if st.refused {
            self.tickets.remove(&t);
            return Ok(json!({"status": 0, "error": "connect: ConnectionRefusedError"}));
        }
        let name = str_of(step, "stream")
            .ok_or("KeyError: 'stream'")?
            .to_string();
        // stream heads keep the last value of a repeated header (a dict in replay.py)
        let (status, headers) = match &st.head {
            Some((s, h)) => (*s, Value::Object(header_map(h, false))),
            None => (0, json!({})),
        };
        self.streams.insert(name, t);
        Ok(json!({"status": status, "headers": headers}))
    }

    fn stream_send(&mut self, step: &Value) -> Result<Value, StepError> {
        let t = self.stream_ticket(step)?;
        let data = expand(str_of(step, "body").unwrap_or(""), &self.vars)?;
        if !data.is_empty() {
            self.gw.body(t, data.as_bytes());
        }
        if step.get("eof").and_then(Value::as_bool).unwrap_or(false) {
            self.gw.finish(t);
        }
        self.settle();
        Ok(json!({}))
    }

    fn stream_expect(&mut self, step: &Value) -> Result<Value, StepError> {
        let t = self.stream_ticket(step)?;
        // the recorder waited `wait` seconds and took what had arrived
        let wait = step.get("wait").and_then(Value::as_f64).unwrap_or(1.0);
        self.advance_by(secs_to_ms(wait));
        let st = self.tickets.get_mut(&t).ok_or("stream ticket vanished")?;
        let msgs = st.msgs[st.consumed..].to_vec();
        let chunks: Vec<Value> = st.chunks[st.chunks_consumed..]
            .iter()
            .map(|c| json!(String::from_utf8_lossy(c)))
            .collect();
        st.consumed = st.msgs.len();
        st.chunks_consumed = st.chunks.len();
        let obs = json!({"stream": msgs, "chunks": chunks, "ended": st.ended});
        self.capture(step, &obs)?;
        Ok(obs)
    }

    fn stream_ticket(&self, step: &Value) -> Result<Ticket, StepError> {
        let name = str_of(step, "stream").unwrap_or("");
        self.streams
            .get(name)
            .copied()
            .ok_or_else(|| format!("KeyError: stream {name:?} is not open"))
    }

    /// The request replay.py would send: its headers (Host, the step's,
    /// Content-Length or chunked, Connection: close) and the expanded body.
    fn build_request(
        &self,
        step: &Value,
        chunked: bool,
    ) -> Result<(HttpRequest, Option<Vec<u8>>), StepError> {
        let member = member_of(step);
        let port = [2379, 22379, 32379]
            .get(member)
            .copied()
            .unwrap_or(2379 + 10000 * member);
        let mut headers = vec![("Host".to_string(), format!("127.0.0.1:{port}"))];
        if let Some(h) = step.get("headers").and_then(Value::as_object) {
            for (k, v) in h {
                headers.push((k.clone(), expand(&py_str(v), &self.vars)?));
            }
        }
        let body = match step.get("body") {
            Some(Value::String(b)) => Some(expand(b, &self.vars)?.into_bytes()),
            _ => None,
        };
        if chunked {
            headers.push(("Transfer-Encoding".into(), "chunked".into()));
        } else if let Some(b) = &body {
            headers.push(("Content-Length".into(), b.len().to_string()));
        }
        headers.push(("Connection".into(), "close".into()));
        let method = str_of(step, "method").unwrap_or("POST").to_string();
        let path = expand(str_of(step, "path").ok_or("KeyError: 'path'")?, &self.vars)?;
        Ok((
            HttpRequest {
                method,
                path,
                headers,
            },
            body,
        ))
    }

    /// replay.py's `capture`: bind names to values found in the answer.
    fn capture(&mut self, step: &Value, obs: &Value) -> Result<(), StepError> {
        let Some(cap) = step.get("capture").and_then(Value::as_object) else {
            return Ok(());
        };
        let src = obs
            .get("stream")
            .or(obs.get("body"))
            .cloned()
            .unwrap_or(Value::Null);
        for (name, path) in cap {
            let path = py_str(path);
            let v = get_path(&src, &path).ok_or_else(|| {
                format!("RuntimeError: capture {name}: path {path} not found in response")
            })?;
            self.vars.insert(name.clone(), v);
        }
        Ok(())
    }

    /// Runs the world until `done(ticket)` holds or `timeout_ms` of virtual
    /// time passed, stepping from event to event so no more time passes than
    /// a real client would have waited.
    fn wait_for(&mut self, t: Ticket, timeout_ms: u64, done: impl Fn(&TicketState) -> bool) {
        let deadline = self.gw.now() + timeout_ms;
        loop {
            self.settle();
            if self.tickets.get(&t).is_none_or(&done) {
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

    fn advance_by(&mut self, ms: u64) {
        let to = self.gw.now() + ms;
        self.gw.advance_to(to);
        self.settle();
    }

    /// Runs until idle and files every output under its ticket.
    fn settle(&mut self) {
        self.gw.run_until_idle();
        for out in self.gw.drain() {
            let Some(st) = self.tickets.get_mut(&out.ticket()) else {
                continue;
            };
            match out {
                Output::Response { response, .. } => {
                    st.head = Some((response.status, response.headers));
                    st.push_data(&response.body);
                    st.end();
                }
                Output::StreamHead {
                    status, headers, ..
                } => {
                    st.head = Some((status, headers));
                    st.chunked = true;
                }
                Output::StreamChunk { data, .. } => st.push_data(&data),
                Output::StreamEnd { .. } => st.end(),
                Output::Refused { .. } => st.refused = true,
            }
        }
    }

    fn close_all(&mut self) {
        for (_, t) in std::mem::take(&mut self.streams) {
            self.gw.cancel(t);
        }
        self.settle();
    }
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn member_of(step: &Value) -> usize {
    step.get("member").and_then(Value::as_u64).unwrap_or(0) as usize
}

fn secs_to_ms(s: f64) -> u64 {
    (s * 1000.0).round().max(0.0) as u64
}

/// Response headers as replay.py keeps them: lower-case names, no `Date`;
/// a repeated header is joined with ", " (unary) or the last one wins (streams).
fn header_map(headers: &[(String, String)], join: bool) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in headers {
        let lk = k.to_ascii_lowercase();
        if lk == "date" {
            continue;
        }
        let value = match out.get(&lk).and_then(Value::as_str) {
            Some(prev) if join => format!("{prev}, {v}"),
            _ => v.clone(),
        };
        out.insert(lk, json!(value));
    }
    out
}

/// replay.py's `observation` for a finished unary request.
fn unary_observation(st: &TicketState, method: &str) -> Value {
    let (status, headers) = st.head.clone().unwrap_or((0, Vec::new()));
    let data = if method == "HEAD" {
        Vec::new()
    } else {
        st.body()
    };
    let mut obs = Map::new();
    obs.insert("status".into(), json!(status));
    obs.insert("headers".into(), Value::Object(header_map(&headers, true)));
    let text = String::from_utf8(data.clone()).ok();
    match &text {
        Some(t) => obs.insert("body_raw".into(), json!(t)),
        None => obs.insert(
            "body_raw_b64".into(),
            json!(base64::engine::general_purpose::STANDARD.encode(&data)),
        ),
    };
    match parse_body(text.as_deref()) {
        Parsed::Stream(msgs) => obs.insert("stream".into(), Value::Array(msgs)),
        Parsed::Json(v) => obs.insert("body".into(), v),
        Parsed::Text => obs.insert("body".into(), Value::Null),
    };
    if st.chunked && method != "HEAD" {
        let chunks = st.chunks.iter().map(|c| match std::str::from_utf8(c) {
            Ok(s) => json!(s),
            Err(_) => json!(format!(
                "b64:{}",
                base64::engine::general_purpose::STANDARD.encode(c)
            )),
        });
        obs.insert("chunks".into(), Value::Array(chunks.collect()));
    }
    Value::Object(obs)
}

enum Parsed {
    Json(Value),
    Stream(Vec<Value>),
    Text,
}

/// replay.py's `parse_body`: newline-terminated JSON lines are a stream.
fn parse_body(text: Option<&str>) -> Parsed {
    let Some(text) = text else {
        return Parsed::Text;
    };
    if text.ends_with('\n') && !text.trim().is_empty() {
        let lines = text.split('\n').filter(|l| !l.trim().is_empty());
        let msgs: Result<Vec<Value>, _> = lines.map(serde_json::from_str).collect();
        if let Ok(msgs) = msgs {
            return Parsed::Stream(msgs);
        }
    }
    match serde_json::from_str(text) {
        Ok(v) => Parsed::Json(v),
        Err(_) => Parsed::Text,
    }
}

/// replay.py replaces a raw body over 64 KiB by its hash placeholder.
fn hash_long_raw_body(obs: &mut Value) {
    let Some(raw) = obs.get("body_raw").and_then(Value::as_str) else {
        return;
    };
    let len = raw.chars().count();
    if len > 65536 {
        let placeholder = format!("{{{{sha256:{}:{len}}}}}", sha256_hex(raw.as_bytes()));
        obs["body_raw"] = json!(placeholder);
    }
}

/// replay.py's `summarize_stream` (snapshot): first/last message, blob cut.
fn summarize_stream(obs: &Value) -> Value {
    let msgs = obs
        .get("stream")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let engine = base64::engine::general_purpose::STANDARD;
    let total: usize = msgs
        .iter()
        .filter_map(|m| m.get("result")?.get("blob")?.as_str())
        .map(|b| engine.decode(b).map(|d| d.len()).unwrap_or(0))
        .sum();
    let trim = |m: &Value| {
        let mut m = m.clone();
        if let Some(Value::String(blob)) = m.get_mut("result").and_then(|r| r.get_mut("blob")) {
            *blob = blob.chars().take(64).collect();
        }
        m
    };
    let first = msgs.first().map(trim).unwrap_or(Value::Null);
    let last = msgs.last().map(trim).unwrap_or(Value::Null);
    let mut out = json!({
        "status": obs.get("status"),
        "headers": obs.get("headers"),
        "summary": {"messages": msgs.len(), "first": first, "last": last, "total_blob_bytes": total},
    });
    if msgs.is_empty() {
        if let Some(b) = obs.get("body") {
            out["body"] = b.clone();
        }
    }
    out
}

/// replay.py's `expand`: `{{NAME}}` and `{{repeat:TEXT:N}}` in requests.
pub fn expand(s: &str, vars: &Vars) -> Result<String, StepError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        // the regex `\{\{([^{}]+)\}\}`: no braces inside, at least one char
        let after = &rest[start + 2..];
        let inner_len = after.find(['{', '}']).unwrap_or(after.len());
        if inner_len == 0 || !after[inner_len..].starts_with("}}") {
            out.push_str(&rest[..start + 1]);
            rest = &rest[start + 1..];
            continue;
        }
        out.push_str(&rest[..start]);
        out.push_str(&template_value(&after[..inner_len], vars)?);
        rest = &after[inner_len + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn template_value(name: &str, vars: &Vars) -> Result<String, StepError> {
    if let Some(spec) = name.strip_prefix("repeat:") {
        let (text, n) = spec
            .split_once(':')
            .ok_or_else(|| format!("ValueError: bad template {name}"))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("ValueError: bad repeat count in {name}"))?;
        return Ok(text.repeat(n));
    }
    vars.get(name)
        .map(py_str)
        .ok_or_else(|| format!("KeyError: template variable {name} is not bound"))
}

/// replay.py's `get_path`: dotted path, list indices, `[k=v]` selection.
pub fn get_path(obj: &Value, path: &str) -> Option<Value> {
    let mut cur = obj;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        cur = match select(part) {
            Some((k, v)) => cur
                .as_array()?
                .iter()
                .find(|el| el.is_object() && py_str(el.get(k).unwrap_or(&Value::Null)) == v)?,
            None => match cur {
                Value::Array(a) => {
                    let i: i64 = part.trim().parse().ok()?;
                    let idx = if i < 0 {
                        a.len().checked_sub(i.unsigned_abs() as usize)?
                    } else {
                        i as usize
                    };
                    a.get(idx)?
                }
                Value::Object(m) => m.get(part)?,
                _ => return None,
            },
        };
    }
    Some(cur.clone())
}

/// `[k=v]` as matched by `^\[([^=\]]+)=([^\]]*)\]$`.
fn select(part: &str) -> Option<(&str, &str)> {
    let inner = part.strip_prefix('[')?.strip_suffix(']')?;
    let (k, v) = inner.split_once('=')?;
    let ok = !k.is_empty() && !k.contains(']') && !v.contains(']');
    ok.then_some((k, v))
}

/// Replays one scenario; a panic inside the simulator becomes a diff.
pub fn run_scenario(scenario: &Value) -> Vec<String> {
    let cluster = str_of(scenario, "cluster").unwrap_or("single").to_string();
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        match Runner::new(&cluster) {
            Ok(mut r) => r.run(scenario),
            Err(e) => vec![e],
        }
    }));
    run.unwrap_or_else(|p| vec![format!("PANIC: {}", panic_message(&p))])
}

pub fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "<non-string panic>".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        let mut vars = Vars::new();
        vars.insert("ID".into(), json!(7));
        assert_eq!(
            expand("{\"ID\":\"{{ID}}\"}", &vars).unwrap(),
            "{\"ID\":\"7\"}"
        );
        assert_eq!(expand("{{repeat:ab:3}}", &vars).unwrap(), "ababab");
        assert_eq!(expand("{{}} {x}", &vars).unwrap(), "{{}} {x}");
        assert!(expand("{{NOPE}}", &vars).is_err());
    }

    #[test]
    fn paths() {
        let v = json!({"members": [{"name": "a", "ID": "1"}, {"name": "b", "ID": "2"}]});
        assert_eq!(get_path(&v, "members.[name=b].ID"), Some(json!("2")));
        assert_eq!(get_path(&v, "members.-1.name"), Some(json!("b")));
        assert_eq!(get_path(&v, "members.5"), None);
    }
}
