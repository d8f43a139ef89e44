//! How jsonpb 1.5.2 reads (`unmarshalSingularValue`) and writes
//! (`marshalSingularValue`) a value of each proto type: one copy for every
//! field of every message (see `pb::reflect`).

use super::unmarshal::{self, IntType, ENUM_NUMBER, INT32, INT64, UINT32, UINT64};
use super::{base64, decode_into, encode_into, marshal};
use crate::pb::{EnumType, FieldInfo, Value, ValueMut};

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

/// Decodes a raw JSON value into `slot`, a field of enum `enum_type` if
/// it is an enum field (each element in turn for a repeated field). `null` gives the default (a
/// `null` field is skipped before this is called, but a `null` list
/// element is not). `depth` is the nesting depth of a message value.
pub(super) fn decode(
    enum_type: Option<&EnumType>,
    slot: ValueMut,
    raw: &[u8],
    depth: usize,
) -> Result<(), String> {
    match slot {
        ValueMut::Unset => {}
        ValueMut::I64(v) => *v = int(raw, INT64)? as i64,
        ValueMut::U64(v) => *v = int(raw, UINT64)? as u64,
        ValueMut::I32(v) => {
            *v = match enum_type {
                Some(e) => decode_enum(raw, e)?,
                None => int(raw, INT32)? as i32,
            }
        }
        ValueMut::U32(v) => *v = int(raw, UINT32)? as u32,
        ValueMut::Bool(v) => *v = unmarshal::boolean(raw)?,
        ValueMut::Str(v) => *v = unmarshal::string(raw)?,
        ValueMut::Bytes(v) => *v = unmarshal::bytes(raw)?,
        ValueMut::Message(m) => decode_into(m, raw, depth)?,
        // `[]json.RawMessage`
        ValueMut::List(list) => {
            for e in unmarshal::array(raw)? {
                decode(enum_type, list.push(), e, depth)?;
            }
        }
    }
    Ok(())
}

/// An enum: a value name, compared raw (escapes not decoded), or a number.
fn decode_enum(raw: &[u8], e: &EnumType) -> Result<i32, String> {
    if let [b'"', name @ .., b'"'] = raw {
        return e
            .values
            .iter()
            .find(|(n, _)| n.as_bytes() == name)
            .map(|&(_, number)| number)
            .ok_or_else(|| {
                format!(
                    "unknown value {} for enum {}",
                    marshal::go_quote(raw),
                    e.name
                )
            });
    }
    unmarshal::int(raw, ENUM_NUMBER).map(|n| n as i32)
}

/// Whether jsonpb writes the field (`EmitDefaults: false`): proto3 leaves
/// out zero values and absent messages, but writes a oneof member whenever
/// it is the member set, and a present message even when empty.
pub(super) fn is_set(f: &FieldInfo, v: &Value) -> bool {
    let zero = match v {
        Value::Unset | Value::Message(None) => return false,
        Value::Message(Some(_)) => return true,
        Value::List(list) => return !list.is_empty(),
        Value::I64(n) => *n == 0,
        Value::U64(n) => *n == 0,
        Value::I32(n) => *n == 0,
        Value::U32(n) => *n == 0,
        Value::Bool(b) => !b,
        Value::Str(s) => s.is_empty(),
        Value::Bytes(b) => b.is_empty(),
    };
    f.oneof || !zero
}

/// Writes `n` (negative if `minus`) in decimal, as Go's `strconv` does.
/// Every answer carries four 64-bit numbers in its header: this spares
/// them the formatting machinery.
fn decimal(minus: bool, mut n: u64, out: &mut String) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if minus {
        out.push('-');
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// Writes a value (of enum `enum_type`, if an enum): 64-bit integers as
/// strings, bytes as padded base64, enums by name (by number if the value
/// has none).
pub(super) fn encode(enum_type: Option<&EnumType>, v: Value, out: &mut String) {
    match v {
        Value::Unset | Value::Message(None) => {}
        Value::I64(n) => {
            out.push('"');
            decimal(n.is_negative(), n.unsigned_abs(), out);
            out.push('"');
        }
        Value::U64(n) => {
            out.push('"');
            decimal(false, n, out);
            out.push('"');
        }
        Value::I32(n) => match enum_type {
            Some(e) => encode_enum(n, e, out),
            None => decimal(n < 0, u64::from(n.unsigned_abs()), out),
        },
        Value::U32(n) => decimal(false, u64::from(n), out),
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Value::Str(s) => marshal::quote(s, out),
        Value::Bytes(b) => {
            out.push('"');
            out.push_str(&base64::encode(b));
            out.push('"');
        }
        Value::Message(Some(m)) => encode_into(m, out),
        Value::List(list) => {
            out.push('[');
            for i in 0..list.len() {
                if i > 0 {
                    out.push(',');
                }
                encode(enum_type, list.get(i), out);
            }
            out.push(']');
        }
    }
}

fn encode_enum(v: i32, e: &EnumType, out: &mut String) {
    match e.values.iter().find(|&&(_, number)| number == v) {
        Some((name, _)) => {
            out.push('"');
            out.push_str(name);
            out.push('"');
        }
        None => out.push_str(&v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_what_formatting_writes() {
        let signed = [
            0,
            1,
            -1,
            9,
            10,
            -10,
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ];
        for n in signed {
            let mut out = String::new();
            decimal(n.is_negative(), n.unsigned_abs(), &mut out);
            assert_eq!(out, n.to_string());
        }
        for n in [0, 7, 1_000_000, u64::from(u32::MAX), u64::MAX] {
            let mut out = String::new();
            decimal(false, n, &mut out);
            assert_eq!(out, n.to_string());
        }
    }
}
