//! Field kinds: how jsonpb 1.5.2 reads (`unmarshalSingularValue`) and writes
//! (`marshalSingularValue`) each proto type.

use std::marker::PhantomData;

use super::unmarshal::{self, IntType, ENUM_NUMBER, INT32, INT64, UINT32, UINT64};
use super::{base64, decode_message, encode_into, marshal, Message};

/// A proto field type and its Rust representation.
pub trait Codec {
    type Value: Default;
    /// Decodes a raw JSON value; `null` gives the default (a `null` field is
    /// skipped before this is called, but a `null` list element is not).
    fn decode(raw: &[u8], depth: usize) -> Result<Self::Value, String>;
    /// Whether proto3 considers the value unset (omitted on output).
    fn is_default(v: &Self::Value) -> bool;
    fn encode(v: &Self::Value, out: &mut String);
}

/// jsonpb's `trimQuote`: strips one pair of surrounding quotes, escapes
/// untouched, so `"5"` is 5 but `"\u0035"` is a syntax error.
fn trim_quote(raw: &[u8]) -> &[u8] {
    match raw {
        [b'"', inner @ .., b'"'] => inner,
        _ => raw,
    }
}

fn int(raw: &[u8], ty: IntType) -> Result<i128, String> {
    unmarshal::int(trim_quote(raw), ty)
}

pub struct Int64;
impl Codec for Int64 {
    type Value = i64;
    fn decode(raw: &[u8], _: usize) -> Result<i64, String> {
        int(raw, INT64).map(|n| n as i64)
    }
    fn is_default(v: &i64) -> bool {
        *v == 0
    }
    fn encode(v: &i64, out: &mut String) {
        out.push_str(&format!("\"{v}\""));
    }
}

pub struct Uint64;
impl Codec for Uint64 {
    type Value = u64;
    fn decode(raw: &[u8], _: usize) -> Result<u64, String> {
        int(raw, UINT64).map(|n| n as u64)
    }
    fn is_default(v: &u64) -> bool {
        *v == 0
    }
    fn encode(v: &u64, out: &mut String) {
        out.push_str(&format!("\"{v}\""));
    }
}

pub struct Int32;
impl Codec for Int32 {
    type Value = i32;
    fn decode(raw: &[u8], _: usize) -> Result<i32, String> {
        int(raw, INT32).map(|n| n as i32)
    }
    fn is_default(v: &i32) -> bool {
        *v == 0
    }
    fn encode(v: &i32, out: &mut String) {
        out.push_str(&v.to_string());
    }
}

pub struct Uint32;
impl Codec for Uint32 {
    type Value = u32;
    fn decode(raw: &[u8], _: usize) -> Result<u32, String> {
        int(raw, UINT32).map(|n| n as u32)
    }
    fn is_default(v: &u32) -> bool {
        *v == 0
    }
    fn encode(v: &u32, out: &mut String) {
        out.push_str(&v.to_string());
    }
}

pub struct Bool;
impl Codec for Bool {
    type Value = bool;
    fn decode(raw: &[u8], _: usize) -> Result<bool, String> {
        unmarshal::boolean(raw)
    }
    fn is_default(v: &bool) -> bool {
        !*v
    }
    fn encode(v: &bool, out: &mut String) {
        out.push_str(if *v { "true" } else { "false" });
    }
}

pub struct Str;
impl Codec for Str {
    type Value = String;
    fn decode(raw: &[u8], _: usize) -> Result<String, String> {
        unmarshal::string(raw)
    }
    fn is_default(v: &String) -> bool {
        v.is_empty()
    }
    fn encode(v: &String, out: &mut String) {
        marshal::quote(v, out);
    }
}

pub struct Bytes;
impl Codec for Bytes {
    type Value = Vec<u8>;
    fn decode(raw: &[u8], _: usize) -> Result<Vec<u8>, String> {
        unmarshal::bytes(raw)
    }
    fn is_default(v: &Vec<u8>) -> bool {
        v.is_empty()
    }
    fn encode(v: &Vec<u8>, out: &mut String) {
        out.push('"');
        out.push_str(&base64::encode(v));
        out.push('"');
    }
}

/// A proto enum: its full name and its values.
pub trait ProtoEnum {
    /// Full proto name, as in the "unknown value" error
    /// (`etcdserverpb.RangeRequest.SortOrder`).
    const NAME: &'static str;
    const VALUES: &'static [(&'static str, i32)];
}

/// An enum field, held as its number so unknown numbers survive.
pub struct Enum<E>(PhantomData<E>);
impl<E: ProtoEnum> Codec for Enum<E> {
    type Value = i32;
    fn decode(raw: &[u8], _: usize) -> Result<i32, String> {
        decode_enum(raw, E::NAME, E::VALUES)
    }
    fn is_default(v: &i32) -> bool {
        *v == 0
    }
    fn encode(v: &i32, out: &mut String) {
        encode_enum(*v, E::VALUES, out);
    }
}

/// [`Enum`]'s decoding, one copy for every enum (inlined, it was copied
/// into each enum field).
#[inline(never)]
fn decode_enum(raw: &[u8], enum_name: &str, values: &[(&str, i32)]) -> Result<i32, String> {
    // A string is a value name, compared raw (escapes not decoded).
    if let [b'"', name @ .., b'"'] = raw {
        return values
            .iter()
            .find(|(n, _)| n.as_bytes() == name)
            .map(|&(_, number)| number)
            .ok_or_else(|| {
                format!(
                    "unknown value {} for enum {}",
                    marshal::go_quote(raw),
                    enum_name
                )
            });
    }
    unmarshal::int(raw, ENUM_NUMBER).map(|n| n as i32)
}

/// [`Enum`]'s encoding: the value's name, or its number if it has none.
#[inline(never)]
fn encode_enum(v: i32, values: &[(&str, i32)], out: &mut String) {
    match values.iter().find(|&&(_, number)| number == v) {
        Some((name, _)) => {
            out.push('"');
            out.push_str(name);
            out.push('"');
        }
        None => out.push_str(&v.to_string()),
    }
}

/// A message as a list element or oneof member (always present).
pub struct Msg<M>(PhantomData<M>);
impl<M: Message> Codec for Msg<M> {
    type Value = M;
    fn decode(raw: &[u8], depth: usize) -> Result<M, String> {
        decode_message(raw, depth)
    }
    fn is_default(_: &M) -> bool {
        false
    }
    fn encode(v: &M, out: &mut String) {
        encode_into(v, out);
    }
}

/// A singular message field: present (even if empty, `"header":{}`) or not.
pub struct Opt<M>(PhantomData<M>);
impl<M: Message> Codec for Opt<M> {
    type Value = Option<M>;
    fn decode(raw: &[u8], depth: usize) -> Result<Option<M>, String> {
        decode_message(raw, depth).map(Some)
    }
    fn is_default(v: &Option<M>) -> bool {
        v.is_none()
    }
    fn encode(v: &Option<M>, out: &mut String) {
        if let Some(m) = v {
            encode_into(m, out);
        }
    }
}

/// A repeated field: a JSON array (`[]json.RawMessage`), omitted when empty.
pub struct Rep<C>(PhantomData<C>);
impl<C: Codec> Codec for Rep<C> {
    type Value = Vec<C::Value>;
    // Not inlined: one copy per element kind, not one per repeated field.
    #[inline(never)]
    fn decode(raw: &[u8], depth: usize) -> Result<Self::Value, String> {
        // A plain loop: `collect` into a `Result` costs an adapter per type.
        let elems = unmarshal::array(raw)?;
        let mut out = Vec::with_capacity(elems.len());
        for e in elems {
            out.push(C::decode(e, depth)?);
        }
        Ok(out)
    }
    fn is_default(v: &Self::Value) -> bool {
        v.is_empty()
    }
    #[inline(never)]
    fn encode(v: &Self::Value, out: &mut String) {
        out.push('[');
        for (i, e) in v.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            C::encode(e, out);
        }
        out.push(']');
    }
}
