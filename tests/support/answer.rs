//! What a client has received of one answer so far, whatever carried it (the
//! in-process gateway or a socket), and the observation built from it that
//! the comparer reads (docs/conformance.md, "Observations").

use base64::Engine;
use serde_json::{json, Map, Value};

/// A response's status line and headers, in arrival order.
pub type Head = (u16, Vec<(String, String)>);

/// What has arrived of one answer (unary or streaming).
#[derive(Default)]
pub struct Answer {
    pub head: Option<Head>,
    /// The answer came as a stream (chunked), not as one response.
    pub chunked: bool,
    /// Raw pieces of the body in arrival order.
    pub chunks: Vec<Vec<u8>>,
    /// Bytes not yet terminated by a newline.
    line_buf: Vec<u8>,
    /// The newline-terminated JSON messages of a stream.
    pub msgs: Vec<Value>,
    consumed: usize,
    chunks_consumed: usize,
    pub ended: bool,
    /// The member refused the request (it is down).
    pub refused: bool,
}

/// The messages and raw chunks that arrived since the last `take`.
pub struct Taken {
    pub msgs: Vec<Value>,
    pub chunks: Vec<Vec<u8>>,
    pub ended: bool,
}

impl Answer {
    pub fn done(&self) -> bool {
        self.ended || self.refused
    }

    /// Messages that arrived and were not taken yet.
    pub fn unread(&self) -> usize {
        self.msgs.len() - self.consumed
    }

    /// Keeps a piece of the body and splits off the newline-terminated
    /// messages it completes (one JSON object per line, docs/etcd-behaviour.md #33).
    pub fn push_data(&mut self, data: &[u8]) {
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

    /// The answer is complete: a last line without newline is a message too.
    pub fn end(&mut self) {
        let rest = std::mem::take(&mut self.line_buf);
        self.push_line(&rest);
        self.ended = true;
    }

    pub fn body(&self) -> Vec<u8> {
        self.chunks.concat()
    }

    /// Hands out what arrived since the previous call.
    pub fn take(&mut self) -> Taken {
        let taken = Taken {
            msgs: self.msgs[self.consumed..].to_vec(),
            chunks: self.chunks[self.chunks_consumed..].to_vec(),
            ended: self.ended,
        };
        self.consumed = self.msgs.len();
        self.chunks_consumed = self.chunks.len();
        taken
    }
}

/// Response headers as observed: lower-case names, no `Date`; a repeated
/// header is joined with ", " (unary) or the last one wins (stream heads).
pub fn header_map(headers: &[(String, String)], join: bool) -> Map<String, Value> {
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

/// The observation of a finished unary request: status, headers, the raw
/// body (text, or base64 when not UTF-8), its parsed form, and the chunks
/// when it came chunked.
pub fn unary_observation(answer: &Answer, method: &str) -> Value {
    let (status, headers) = answer.head.clone().unwrap_or((0, Vec::new()));
    let data = if method == "HEAD" {
        Vec::new()
    } else {
        answer.body()
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
    if answer.chunked && method != "HEAD" {
        let chunks = answer.chunks.iter().map(|c| json!(chunk_text(c)));
        obs.insert("chunks".into(), Value::Array(chunks.collect()));
    }
    Value::Object(obs)
}

/// A raw chunk as text, or `b64:<base64>` when it is not UTF-8.
fn chunk_text(c: &[u8]) -> String {
    match std::str::from_utf8(c) {
        Ok(s) => s.to_string(),
        Err(_) => format!(
            "b64:{}",
            base64::engine::general_purpose::STANDARD.encode(c)
        ),
    }
}

enum Parsed {
    Json(Value),
    Stream(Vec<Value>),
    Text,
}

/// A body of newline-terminated JSON lines is a stream, else one JSON
/// document, else text.
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
