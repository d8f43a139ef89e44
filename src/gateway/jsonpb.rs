//! The JSON mapping of etcd's gateway: grpc-gateway v1.16's `JSONPb`
//! marshaler, i.e. golang/protobuf 1.5.2 `jsonpb` on top of Go's
//! `encoding/json`, reproduced byte for byte.
//!
//! * [`decode`]: a unary request body (`json.NewDecoder` +
//!   `Unmarshaler{AllowUnknownFields: true}.UnmarshalNext`; an empty body is
//!   the empty message, only the first JSON value is read).
//! * [`StreamDecoder`]: a streaming request body (watch, lease keepalive):
//!   one message per JSON value, as they complete.
//! * [`encode`]: a response (`OrigName: true, EmitDefaults: false`).
//! * [`encode_error`]: the unary error body; [`encode_stream_result`] and
//!   [`encode_stream_error`]: the messages of a streaming answer.
//!
//! Each message type describes its fields once, in proto declaration order,
//! as a list of [`Field`]s (see `jsonpb/schema/`).

mod base64;
mod codec;
mod marshal;
mod scanner;
mod schema;
mod stream;
mod unmarshal;
mod value;

pub use base64::{decode as base64_decode, encode as base64_encode};
pub use codec::{
    Bool, Bytes, Codec, Enum, Int32, Int64, Msg, Opt, ProtoEnum, Rep, Str, Uint32, Uint64,
};
pub use marshal::quote_plain;
pub use stream::{Decoded, StreamDecoder};

use crate::errors::EtcdError;
use stream::ValueReader;
use value::trim_space;

/// How deep messages may nest in a request. Go has no such limit below the
/// scanner's 10000 JSON levels; this one keeps the recursive decoder (and
/// whoever walks the result) within a small stack.
pub const MAX_MESSAGE_DEPTH: usize = 256;

/// A protobuf message with its JSON mapping: its fields in proto
/// declaration order, as two tables (see `schema::message!`).
///
/// Two tables, not one of [`Field`]s: a message that is only ever decoded
/// (a request) or only encoded (a response) then brings only half of its
/// per-field functions into the wasm.
pub trait Message: Default + 'static {
    const DECODERS: &'static [FieldDecoder<Self>];
    const ENCODERS: &'static [FieldEncoder<Self>];
}

/// One proto field of message `M`: its proto name and how to move its value
/// between JSON and the Rust struct.
pub struct Field<M: 'static> {
    /// The proto field name (`prev_kv`, `ID`, `peerURLs`).
    pub name: &'static str,
    /// Decodes a raw JSON value (never `null`) into the field.
    pub decode: fn(&mut M, &[u8], usize) -> Result<(), String>,
    /// Writes `"name":value` unless the field is unset.
    pub encode: fn(&M, &mut ObjectWriter),
}

impl<M> Field<M> {
    pub const fn decoder(&self) -> FieldDecoder<M> {
        FieldDecoder {
            name: self.name,
            decode: self.decode,
        }
    }

    pub const fn encoder(&self) -> FieldEncoder<M> {
        FieldEncoder {
            encode: self.encode,
        }
    }
}

/// The decoding half of a [`Field`].
pub struct FieldDecoder<M: 'static> {
    pub name: &'static str,
    pub decode: fn(&mut M, &[u8], usize) -> Result<(), String>,
}

/// The encoding half of a [`Field`] (the name is inside `encode`).
pub struct FieldEncoder<M: 'static> {
    pub encode: fn(&M, &mut ObjectWriter),
}

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

/// Decodes a unary request body as the gateway does.
///
/// Not inlined: the gateway calls it for some forty request types in one
/// `match`, and inlined copies made that function several times larger.
#[inline(never)]
pub fn decode<M: Message>(body: &[u8]) -> Result<M, String> {
    match ValueReader::first_value(body)? {
        Some(value) => decode_message(trim_space(&value), 0),
        None => Ok(M::default()),
    }
}

/// [`decode`] with the error as etcd's [`EtcdError::Decode`] (answered as
/// InvalidArgument by unary endpoints, Unknown by streaming ones).
pub fn decode_request<M: Message>(body: &[u8]) -> Result<M, EtcdError> {
    decode(body).map_err(EtcdError::Decode)
}

/// jsonpb's `unmarshalMessage` for one raw JSON value.
///
/// Not inlined: it is generic and called from every field table, and
/// inlined copies of it were most of the codec's size in the wasm.
#[inline(never)]
pub(crate) fn decode_message<M: Message>(raw: &[u8], depth: usize) -> Result<M, String> {
    let mut m = M::default();
    let fields = M::DECODERS;
    decode_fields(
        raw,
        depth,
        &mut fields.iter().map(|f| f.name),
        &mut |i, v| (fields[i].decode)(&mut m, v, depth + 1),
    )?;
    Ok(m)
}

/// Decodes a raw value into field `i` of the message being decoded.
type DecodeField<'a> = dyn FnMut(usize, &[u8]) -> Result<(), String> + 'a;

/// The part of [`decode_message`] that does not depend on the message
/// type: `decode(i, value)` for each field `i` given a value.
fn decode_fields(
    raw: &[u8],
    depth: usize,
    names: &mut dyn Iterator<Item = &'static str>,
    decode: &mut DecodeField,
) -> Result<(), String> {
    let values = field_values(raw, depth, names)?;
    for (i, value) in values.into_iter().enumerate() {
        if let Some(v) = value {
            decode(i, v)?;
        }
    }
    Ok(())
}

/// The part of [`decode_message`] that does not depend on the message
/// type: for each field name in order, the raw value it takes, if any
/// (`null` counts as absent). A `null` message gives no values at all.
fn field_values<'a>(
    raw: &'a [u8],
    depth: usize,
    names: &mut dyn Iterator<Item = &'static str>,
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
    Ok(names
        .map(|name| {
            // The proto name first, then the JSON name, which wins if both
            // are present; both are consumed.
            let mut value = take(name.as_bytes());
            if let Some(v) = take(json_name(name).as_bytes()) {
                value = Some(v);
            }
            value.filter(|v| *v != b"null")
        })
        .collect())
    // Unknown members are ignored (AllowUnknownFields).
}

/// Encodes a message as the gateway does.
pub fn encode<M: Message>(msg: &M) -> String {
    let mut out = String::new();
    encode_into(msg, &mut out);
    out
}

/// Appends the encoding of `msg` to `out`.
pub fn encode_into<M: Message>(msg: &M, out: &mut String) {
    out.push('{');
    let mut w = ObjectWriter { out, first: true };
    for field in M::ENCODERS {
        (field.encode)(msg, &mut w);
    }
    w.out.push('}');
}

/// The unary error body: grpc-gateway's `runtime.Error` message
/// `{"error":..,"code":N,"message":..}` (`details` empty, so omitted).
pub fn encode_error(code: i32, message: &str) -> String {
    encode(&schema::GatewayError {
        error: message.to_string(),
        code,
        message: message.to_string(),
    })
}

#[cfg(test)]
mod decode_tests;
#[cfg(test)]
mod encode_tests;
/// One message of a streaming answer (watch, keepalive, snapshot):
/// grpc-gateway's `{"result":<message>}`; the caller writes the `\n`
/// delimiter after it (a separate write in grpc-gateway, docs/etcd-behaviour.md #33).
pub fn encode_stream_result<M: Message>(msg: &M) -> String {
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
    let e = schema::GatewayStreamError {
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
