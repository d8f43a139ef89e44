//! Runs one scenario's steps (docs/conformance.md, "Scenario files") through a
//! [`Transport`] and compares each answer with the recorded one. The same
//! runner replays the corpus in-process (`in_process`, virtual time) and
//! against a server over real sockets (`http`, wall time).

use super::answer::{header_map, unary_observation, Answer, Head, Taken};
use super::compare::{compare_obs, metrics_of, Vars};
use super::pyjson::py_str;
use super::sha256::sha256_hex;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// How long a unary request may take unless the step says otherwise, in seconds.
const REQUEST_TIMEOUT_S: f64 = 15.0;
/// How long a stream's response head may take unless the step says otherwise.
const HEAD_TIMEOUT_S: f64 = 5.0;
/// How long to wait after the expected stream messages for unexpected extra
/// ones, unless the step says otherwise (docs/conformance.md, "Streams").
const GRACE_S: f64 = 0.3;

/// A step that could not run.
pub type StepError = String;

/// One request as a client writes it: method, path, headers in order.
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The body goes chunked and may grow later (`keep_open`).
    pub fn is_chunked(&self) -> bool {
        self.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
        })
    }
}

/// Why a request got no answer.
pub enum Failure {
    /// Nobody accepted the connection (the member is down).
    Refused,
    /// The connection broke or the answer did not come in time.
    Io(String),
}

impl Failure {
    fn observation(&self) -> Value {
        match self {
            Failure::Refused => json!({"status": 0, "error": "connect: ConnectionRefusedError"}),
            Failure::Io(what) => json!({"status": 0, "error": format!("io: {what}")}),
        }
    }
}

/// What a `stream_expect` step knows about the messages it waits for.
pub struct Take {
    /// How long the recorder waited before it took what had arrived.
    pub wait_ms: u64,
    /// How many messages it got; `None` when that count depends on timing
    /// (`mode: repeat_first`).
    pub count: Option<usize>,
    /// How long to wait after `count` messages for unexpected extra ones.
    pub grace_ms: u64,
}

/// The cluster kinds a scenario can ask for (docs/conformance.md, "Clusters").
pub struct ClusterKind {
    pub members: usize,
    /// `--experimental-watch-progress-notify-interval`, when not etcd's default.
    pub progress_notify_interval_ms: Option<u64>,
}

/// The corpus was recorded with `--initial-cluster-token conformance`.
pub const INITIAL_CLUSTER_TOKEN: &str = "conformance";

impl ClusterKind {
    pub fn of(name: &str) -> Result<ClusterKind, StepError> {
        let (members, progress_notify_interval_ms) = match name {
            "single" => (1, None),
            "single-progress1s" => (1, Some(1000)),
            "three" => (3, None),
            other => return Err(format!("unknown cluster kind {other:?}")),
        };
        Ok(ClusterKind {
            members,
            progress_notify_interval_ms,
        })
    }
}

/// How the runner reaches the members: it sends requests and reads what
/// came back; time passes through it too (virtual or wall time).
pub trait Transport {
    /// An open long request (watch, keep-alive, ...).
    type Stream;

    /// The `Host` header of a request to `member`.
    fn host(&self, member: usize) -> String;

    /// Sends a whole request and waits at most `timeout_ms` for its answer.
    fn unary(
        &mut self,
        member: usize,
        request: Request,
        body: Option<Vec<u8>>,
        timeout_ms: u64,
    ) -> Result<Answer, Failure>;

    /// Starts a long request and sends `body`; a chunked request's body
    /// stays open. Waits at most `head_timeout_ms` for the response head.
    fn open(
        &mut self,
        member: usize,
        request: Request,
        body: Option<Vec<u8>>,
        head_timeout_ms: u64,
    ) -> Result<(Self::Stream, Option<Head>), Failure>;

    /// One more piece of a chunked request body; `eof` ends the body.
    fn send(&mut self, stream: &mut Self::Stream, data: &[u8], eof: bool);

    /// What arrived on the stream since the last take.
    fn take(&mut self, stream: &mut Self::Stream, how: Take) -> Taken;

    /// Closes the connection.
    fn close(&mut self, stream: Self::Stream);

    fn sleep(&mut self, ms: u64);
}

/// Replays the steps of one scenario through a transport.
pub struct Runner<T: Transport> {
    pub transport: T,
    pub vars: Vars,
    /// Stream name -> the open stream.
    streams: BTreeMap<String, T::Stream>,
}

impl<T: Transport> Runner<T> {
    pub fn new(transport: T) -> Self {
        Runner {
            transport,
            vars: Vars::new(),
            streams: BTreeMap::new(),
        }
    }

    /// Runs every step; returns the diffs (empty = pass). A step that cannot
    /// run ends the scenario.
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
                let s = step.get("seconds").and_then(Value::as_f64).unwrap_or(0.0);
                self.transport.sleep(secs_to_ms(s));
                Ok(json!({}))
            }
            "request" => self.request(step),
            "stream_open" => self.stream_open(step),
            "stream_send" => self.stream_send(step),
            "stream_expect" => self.stream_expect(step),
            "stream_close" => {
                if let Some(s) = str_of(step, "stream").and_then(|s| self.streams.remove(s)) {
                    self.transport.close(s);
                }
                Ok(json!({}))
            }
            other => Err(format!("ValueError: unknown step type {other:?}")),
        }
    }

    fn request(&mut self, step: &Value) -> Result<Value, StepError> {
        let (req, body) = self.build_request(step, false)?;
        let method = req.method.clone();
        let timeout = seconds(step, "timeout", REQUEST_TIMEOUT_S);
        let mut obs = match self
            .transport
            .unary(member_of(step), req, body, secs_to_ms(timeout))
        {
            Ok(answer) => unary_observation(&answer, &method),
            Err(f) => f.observation(),
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
        let head_timeout = seconds(step, "head_timeout", HEAD_TIMEOUT_S);
        let opened = self
            .transport
            .open(member_of(step), req, body, secs_to_ms(head_timeout));
        let (stream, head) = match opened {
            Ok(opened) => opened,
            Err(f) => return Ok(f.observation()),
        };
        let name = str_of(step, "stream")
            .ok_or("KeyError: 'stream'")?
            .to_string();
        // a stream head keeps the last value of a repeated header
        let (status, headers) = match head {
            Some((s, h)) => (s, json!(header_map(&h, false))),
            None => (0, json!({})),
        };
        self.streams.insert(name, stream);
        Ok(json!({"status": status, "headers": headers}))
    }

    fn stream_send(&mut self, step: &Value) -> Result<Value, StepError> {
        let data = expand(str_of(step, "body").unwrap_or(""), &self.vars)?;
        let eof = step.get("eof").and_then(Value::as_bool).unwrap_or(false);
        let stream = open_stream(&mut self.streams, step)?;
        self.transport.send(stream, data.as_bytes(), eof);
        Ok(json!({}))
    }

    fn stream_expect(&mut self, step: &Value) -> Result<Value, StepError> {
        let how = Take {
            wait_ms: secs_to_ms(seconds(step, "wait", 1.0)),
            count: step
                .get("expect")
                .and_then(|e| e.get("stream"))
                .and_then(Value::as_array)
                .map(Vec::len)
                .filter(|_| str_of(step, "mode") != Some("repeat_first")),
            grace_ms: secs_to_ms(seconds(step, "grace", GRACE_S)),
        };
        let stream = open_stream(&mut self.streams, step)?;
        let taken = self.transport.take(stream, how);
        let chunks: Vec<Value> = taken
            .chunks
            .iter()
            .map(|c| json!(String::from_utf8_lossy(c)))
            .collect();
        let obs = json!({"stream": taken.msgs, "chunks": chunks, "ended": taken.ended});
        self.capture(step, &obs)?;
        Ok(obs)
    }

    /// The request as recorded: `Host`, the step's headers, `Content-Length`
    /// or chunked, `Connection: close`, and the expanded body.
    fn build_request(
        &self,
        step: &Value,
        chunked: bool,
    ) -> Result<(Request, Option<Vec<u8>>), StepError> {
        let mut headers = vec![("Host".to_string(), self.transport.host(member_of(step)))];
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
            Request {
                method,
                path,
                headers,
            },
            body,
        ))
    }

    /// Binds the step's `capture` names to values found in the answer.
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

    fn close_all(&mut self) {
        for (_, s) in std::mem::take(&mut self.streams) {
            self.transport.close(s);
        }
    }
}

/// The open stream a step names.
fn open_stream<'a, S>(
    streams: &'a mut BTreeMap<String, S>,
    step: &Value,
) -> Result<&'a mut S, StepError> {
    let name = str_of(step, "stream").unwrap_or("");
    streams
        .get_mut(name)
        .ok_or_else(|| format!("KeyError: stream {name:?} is not open"))
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn seconds(step: &Value, k: &str, default: f64) -> f64 {
    step.get(k).and_then(Value::as_f64).unwrap_or(default)
}

fn member_of(step: &Value) -> usize {
    step.get("member").and_then(Value::as_u64).unwrap_or(0) as usize
}

fn secs_to_ms(s: f64) -> u64 {
    (s * 1000.0).round().max(0.0) as u64
}

/// A raw body over 64 KiB is compared by its hash placeholder
/// (docs/conformance.md, "Long values").
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

/// The snapshot stream's summary: message count, first and last message
/// with the blob cut to 64 characters, total blob size.
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

/// Request templates: `{{NAME}}` and `{{repeat:TEXT:N}}`.
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

/// A capture path: dotted, list indices (negative from the end), `[k=v]`
/// selects the first list element whose field k reads v.
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
