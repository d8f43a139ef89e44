//! The JSON mapping of etcd's gateway: grpc-gateway v1.16's `JSONPb`
//! marshaler, i.e. golang/protobuf 1.5.2 `jsonpb` on top of Go's
//! `encoding/json`, reproduced byte for byte.
//!
//! * [`ValueReader`] and [`decode_kept`]: a unary request body
//!   (`json.NewDecoder` + `Unmarshaler{AllowUnknownFields: true}
//!   .UnmarshalNext`; an empty body is the empty message, only the first
//!   JSON value is read), kept as it arrives in bounded memory; [`decode`]
//!   for a whole body.
//!   A streaming request body (watch, lease keepalive) is read by the same
//!   reader, one message per JSON value, as they complete.
//! * [`encode`]: a response (`OrigName: true, EmitDefaults: false`).
//! * [`encode_error`]: the unary error body; [`encode_stream_result`] and
//!   [`encode_stream_error`]: the messages of a streaming answer.
//!
//! Every message is read and written by one loop over its fields, as
//! `pb` declares them (`pb::reflect`): proto name, type, value.

mod base64;
mod codec;
mod marshal;
mod reader;
mod scanner;
mod unmarshal;
mod value;

pub use base64::{
    decode as base64_decode, encode as base64_encode, encode_into as base64_encode_into,
};
pub use marshal::quote_plain;
pub use reader::{decode_kept, Kept, ValueReader};

pub use crate::pb::Message;
use crate::pb::{message, reflect, FieldInfo, Int32, Reflect, ReflectMut, Str};

/// How deep messages may nest in a request. Go has no such limit below the
/// scanner's 10000 JSON levels; this one keeps the recursive decoder (and
/// whoever walks the result) within a small stack.
pub const MAX_MESSAGE_DEPTH: usize = 256;

/// Writes the members of one JSON object, commas included.
pub struct ObjectWriter<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    /// Writes members into `out`, after its `{`.
    pub fn new(out: &'a mut String) -> Self {
        ObjectWriter { out, first: true }
    }

    /// Starts member `name`; its value follows in [`ObjectWriter::out`].
    pub fn key(&mut self, name: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(name);
        self.out.push_str("\":");
    }

    pub fn out(&mut self) -> &mut String {
        self.out
    }
}

/// The lowerCamelCase JSON name protoc derives from a proto field name
/// (`strs.JSONCamelCase`): `prev_kv` -> `prevKv`, `peerURLs` unchanged.
pub fn json_name(proto_name: &str) -> String {
    let mut out = String::with_capacity(proto_name.len());
    let mut was_underscore = false;
    for c in proto_name.chars() {
        if c != '_' {
            out.push(if was_underscore {
                c.to_ascii_uppercase()
            } else {
                c
            });
        }
        was_underscore = c == '_';
    }
    out
}

/// Decodes a whole unary request body as the gateway does: the decode
/// error, or the error of a message only gRPC's receive limit can answer
/// (see [`ValueReader`]).
pub fn decode<M: Message>(body: &[u8]) -> Result<M, String> {
    match ValueReader::default().first(body) {
        Some(Ok(value)) => decode_kept(&value).map_err(|e| e.to_string()),
        Some(Err(e)) => Err(e),
        None => Ok(M::default()),
    }
}

/// jsonpb's `unmarshalMessage` into `m` (a message at its default): the
/// one loop over fields for every message type.
fn decode_into(m: &mut dyn ReflectMut, raw: &[u8], depth: usize) -> Result<(), String> {
    let fields: Vec<&'static FieldInfo> = (0..).map_while(|i| m.info(i)).collect();
    let values = field_values(raw, depth, &fields)?;
    for (i, value) in values.into_iter().enumerate() {
        // only a field given a value is touched: resetting a oneof member
        // sets it
        let Some(v) = value else { continue };
        if let Some(slot) = m.field_mut(i) {
            codec::decode(fields[i].enum_type, slot, v, depth + 1)?;
        }
    }
    Ok(())
}

/// For each field in order, the raw value it takes, if any (`null` counts
/// as absent). A `null` message gives no values at all.
fn field_values<'a>(
    raw: &'a [u8],
    depth: usize,
    fields: &[&FieldInfo],
) -> Result<Vec<Option<&'a [u8]>>, String> {
    if raw == b"null" {
        return Ok(Vec::new());
    }
    if depth > MAX_MESSAGE_DEPTH {
        return Err(format!(
            "jsonpb: messages nested deeper than {MAX_MESSAGE_DEPTH} levels"
        ));
    }
    // map[string]json.RawMessage: a repeated key keeps its last value, and
    // a key once looked up is consumed.
    let members = unmarshal::object(raw)?;
    let mut consumed = vec![false; members.len()];
    let mut take = |key: &[u8]| {
        let mut found = None;
        for (i, (k, v)) in members.iter().enumerate() {
            if !consumed[i] && k.as_slice() == key {
                consumed[i] = true;
                found = Some(*v);
            }
        }
        found
    };
    Ok(fields
        .iter()
        .map(|f| {
            let name = f.name;
            // The proto name first, then the JSON name, which wins if both
            // are present; both are consumed.
            let mut value = take(name.as_bytes());
            // without an underscore the JSON name is the proto name, taken
            // already
            if name.contains('_') {
                if let Some(v) = take(json_name(name).as_bytes()) {
                    value = Some(v);
                }
            }
            value.filter(|v| *v != b"null")
        })
        .collect())
    // Unknown members are ignored (AllowUnknownFields).
}

/// Encodes a message as the gateway does.
pub fn encode(msg: &dyn Reflect) -> String {
    let mut out = String::new();
    encode_into(msg, &mut out);
    out
}

/// Appends the encoding of `msg` to `out`: the one loop over fields for
/// every message type.
pub fn encode_into(msg: &dyn Reflect, out: &mut String) {
    out.push('{');
    let mut w = ObjectWriter::new(out);
    for (f, v) in reflect::fields(msg) {
        if codec::is_set(f, &v) {
            w.key(f.name);
            codec::encode(f.enum_type, v, w.out());
        }
    }
    w.out().push('}');
}

/// The unary error body: grpc-gateway's `runtime.Error` message
/// `{"error":..,"code":N,"message":..}` (`details` empty, so omitted).
pub fn encode_error(code: i32, message: &str) -> String {
    encode(&GatewayError {
        error: message.to_string(),
        code,
        message: message.to_string(),
    })
}

#[cfg(test)]
mod decode_tests;
#[cfg(test)]
mod encode_tests;
#[cfg(test)]
mod reader_tests;
/// One message of a streaming answer (watch, keepalive, snapshot):
/// grpc-gateway's `{"result":<message>}`; the caller writes the `\n`
/// delimiter after it (a separate write in grpc-gateway, docs/etcd-behaviour.md #33).
pub fn encode_stream_result(msg: &dyn Reflect) -> String {
    let mut out = String::from("{\"result\":");
    encode_into(msg, &mut out);
    out.push('}');
    out
}

/// An error in the middle of a streaming answer: grpc-gateway v1.16's
/// `{"error":<runtime.StreamError>}` as built by
/// `DefaultHTTPStreamErrorHandler`. From the grpc-gateway source; no such
/// chunk occurs in the recorded corpus.
pub fn encode_stream_error(
    grpc_code: i32,
    http_code: i32,
    http_status: &str,
    message: &str,
) -> String {
    let e = GatewayStreamError {
        grpc_code,
        http_code,
        message: message.to_string(),
        http_status: http_status.to_string(),
    };
    let mut out = String::from("{\"error\":");
    encode_into(&e, &mut out);
    out.push('}');
    out
}

#[cfg(test)]
mod scenario_tests;

message! {
    /// grpc-gateway v1.16 `runtime/internal.Error`, the unary error body
    /// (`details` never set).
    GatewayError {
        error: Str = 1,
        code: Int32 = 2,
        message: Str = 3,
    }
}

message! {
    /// grpc-gateway v1.16 `runtime/internal.StreamError` (`details` never
    /// set).
    GatewayStreamError {
        grpc_code: Int32 = 1,
        http_code: Int32 = 2,
        message: Str = 3,
        http_status: Str = 4,
    }
}
