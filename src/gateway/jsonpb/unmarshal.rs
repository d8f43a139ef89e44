//! `json.Unmarshal(in, &x)` for the few Go types jsonpb decodes into, with
//! Go's exact error texts: `checkValid` first (syntax errors), then
//! `UnmarshalTypeError` ("json: cannot unmarshal number 5.5 into Go value of
//! type int64"). Go keeps decoding after a type error and reports the first
//! one; for the shapes used here returning at the first is the same.
//!
//! Inputs are values cut out of text the scanner already accepted, so only
//! [`int`] (fed jsonpb's `trimQuote` output) runs `checkValid` again.

use super::base64;
use super::scanner::check_valid;
use super::value::{array_elements, kind, object_members, trim_space, unquote, Kind, Members};

/// Go's `UnmarshalTypeError.Error()` (no struct context: jsonpb decodes
/// into plain values).
pub fn type_error(what: &str, go_type: &str) -> String {
    format!("json: cannot unmarshal {what} into Go value of type {go_type}")
}

/// Text that passed the scanner but that the walker cannot follow; cannot
/// happen for scanner-approved input.
fn malformed() -> String {
    "unexpected end of JSON input".to_string()
}

/// An integer Go type: its name and range.
#[derive(Clone, Copy, Debug)]
pub struct IntType {
    pub go_name: &'static str,
    pub min: i128,
    pub max: i128,
}

pub const INT64: IntType = IntType {
    go_name: "int64",
    min: i64::MIN as i128,
    max: i64::MAX as i128,
};
pub const INT32: IntType = IntType {
    go_name: "int32",
    min: i32::MIN as i128,
    max: i32::MAX as i128,
};
pub const UINT64: IntType = IntType {
    go_name: "uint64",
    min: 0,
    max: u64::MAX as i128,
};
pub const UINT32: IntType = IntType {
    go_name: "uint32",
    min: 0,
    max: u32::MAX as i128,
};
pub const UINT8: IntType = IntType {
    go_name: "uint8",
    min: 0,
    max: u8::MAX as i128,
};
/// `protoreflect.EnumNumber` is an int32.
pub const ENUM_NUMBER: IntType = IntType {
    go_name: "protoreflect.EnumNumber",
    min: i32::MIN as i128,
    max: i32::MAX as i128,
};

/// Checks syntax and returns the value without surrounding whitespace.
fn valid(input: &[u8]) -> Result<&[u8], String> {
    check_valid(input)?;
    Ok(trim_space(input))
}

/// A number literal into an integer type (`strconv.ParseInt`/`ParseUint`
/// with base 10, then the overflow check). The literal is JSON the scanner
/// accepted, so only a sign and digits make an integer; digits are summed
/// in a `u64` (beyond it every type overflows) rather than parsed as an
/// `i128`, whose parser and multiplication cost the wasm a kilobyte.
fn parse_int(lit: &[u8], ty: IntType) -> Result<i128, String> {
    let err = || {
        type_error(
            &format!("number {}", String::from_utf8_lossy(lit)),
            ty.go_name,
        )
    };
    // ParseUint takes no sign at all, not even "-0".
    let (negative, digits) = match lit {
        [b'-', digits @ ..] if ty.min < 0 => (true, digits),
        _ => (false, lit),
    };
    if digits.is_empty() {
        return Err(err());
    }
    let mut n: u64 = 0;
    for &c in digits {
        let digit = c.wrapping_sub(b'0');
        if digit > 9 {
            return Err(err());
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(digit)))
            .ok_or_else(err)?;
    }
    let n = if negative {
        -i128::from(n)
    } else {
        i128::from(n)
    };
    if n < ty.min || n > ty.max {
        return Err(err());
    }
    Ok(n)
}

/// `json.Unmarshal(input, new(<int type>))`; `null` leaves 0.
pub fn int(input: &[u8], ty: IntType) -> Result<i128, String> {
    let v = valid(input)?;
    match kind(v) {
        Kind::Null => Ok(0),
        Kind::Number => parse_int(v, ty),
        k => Err(type_error(k.go_name(), ty.go_name)),
    }
}

/// `json.Unmarshal(input, new(bool))`.
pub fn boolean(input: &[u8]) -> Result<bool, String> {
    let v = trim_space(input);
    match kind(v) {
        Kind::Null => Ok(false),
        Kind::Bool => Ok(v.first() == Some(&b't')),
        k => Err(type_error(k.go_name(), "bool")),
    }
}

/// `json.Unmarshal(input, new(string))`: always valid UTF-8 afterwards.
pub fn string(input: &[u8]) -> Result<String, String> {
    let v = trim_space(input);
    match kind(v) {
        Kind::Null => Ok(String::new()),
        Kind::String => {
            let bytes = unquote(v).ok_or_else(malformed)?;
            Ok(String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()))
        }
        k => Err(type_error(k.go_name(), "string")),
    }
}

/// `json.Unmarshal(input, new([]byte))`: a base64 string, or an array of
/// numbers decoded element-wise into `uint8`.
pub fn bytes(input: &[u8]) -> Result<Vec<u8>, String> {
    let v = trim_space(input);
    match kind(v) {
        Kind::Null => Ok(Vec::new()),
        Kind::String => base64::decode(&unquote(v).ok_or_else(malformed)?),
        Kind::Array => {
            let elems = array_elements(v).ok_or_else(malformed)?;
            let mut out = Vec::with_capacity(elems.len());
            for e in elems {
                match kind(e) {
                    Kind::Null => out.push(0),
                    Kind::Number => out.push(parse_int(e, UINT8)? as u8),
                    k => return Err(type_error(k.go_name(), UINT8.go_name)),
                }
            }
            Ok(out)
        }
        k => Err(type_error(k.go_name(), "[]uint8")),
    }
}

/// `json.Unmarshal(input, &map[string]json.RawMessage{})`, members in
/// document order (the caller applies "last one wins").
pub fn object(input: &[u8]) -> Result<Members<'_>, String> {
    let v = trim_space(input);
    match kind(v) {
        Kind::Null => Ok(Vec::new()),
        Kind::Object => object_members(v).ok_or_else(malformed),
        k => Err(type_error(k.go_name(), "map[string]json.RawMessage")),
    }
}

/// `json.Unmarshal(input, &[]json.RawMessage{})`.
pub fn array(input: &[u8]) -> Result<Vec<&[u8]>, String> {
    let v = trim_space(input);
    match kind(v) {
        Kind::Null => Ok(Vec::new()),
        Kind::Array => array_elements(v).ok_or_else(malformed),
        k => Err(type_error(k.go_name(), "[]json.RawMessage")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int_err(s: &str, ty: IntType) -> String {
        int(s.as_bytes(), ty).err().unwrap_or_default()
    }

    #[test]
    fn integers_accept_only_plain_decimal_numbers_in_range() {
        assert_eq!(int(b"5", INT64), Ok(5));
        assert_eq!(int(b" 2", INT64), Ok(2));
        assert_eq!(int(b"-0", INT64), Ok(0));
        assert_eq!(int(b"null", INT64), Ok(0));
        assert_eq!(
            int_err("5.5", INT64),
            "json: cannot unmarshal number 5.5 into Go value of type int64"
        );
        assert_eq!(
            int_err("1e2", INT64),
            "json: cannot unmarshal number 1e2 into Go value of type int64"
        );
        assert_eq!(
            int_err("9223372036854775808", INT64),
            "json: cannot unmarshal number 9223372036854775808 into Go value of type int64"
        );
        assert_eq!(int(b"18446744073709551615", UINT64), Ok(u64::MAX as i128));
        assert_eq!(
            int_err("-1", UINT64),
            "json: cannot unmarshal number -1 into Go value of type uint64"
        );
        assert_eq!(
            int_err("-0", UINT64),
            "json: cannot unmarshal number -0 into Go value of type uint64"
        );
        assert_eq!(
            int_err("4294967296", UINT32),
            "json: cannot unmarshal number 4294967296 into Go value of type uint32"
        );
        assert_eq!(
            int_err("99999999999999999999999999999999999999999", INT64),
            "json: cannot unmarshal number 99999999999999999999999999999999999999999 into Go value of type int64"
        );
    }

    #[test]
    fn integers_reject_other_json_types_by_name() {
        assert_eq!(
            int_err("true", INT64),
            "json: cannot unmarshal bool into Go value of type int64"
        );
        assert_eq!(
            int_err("\"5\"", INT64),
            "json: cannot unmarshal string into Go value of type int64"
        );
        assert_eq!(
            int_err("[1]", INT64),
            "json: cannot unmarshal array into Go value of type int64"
        );
        assert_eq!(
            int_err("{}", UINT64),
            "json: cannot unmarshal object into Go value of type uint64"
        );
        assert_eq!(
            int_err("1.5", ENUM_NUMBER),
            "json: cannot unmarshal number 1.5 into Go value of type protoreflect.EnumNumber"
        );
    }

    #[test]
    fn integers_report_syntax_errors_of_the_unquoted_text() {
        assert_eq!(
            int_err("abc", INT64),
            "invalid character 'a' looking for beginning of value"
        );
        assert_eq!(
            int_err("0x10", INT64),
            "invalid character 'x' after top-level value"
        );
        assert_eq!(int_err("", INT64), "unexpected end of JSON input");
        assert_eq!(
            int_err("-", INT64),
            "invalid character ' ' in numeric literal"
        );
    }

    #[test]
    fn bools_take_only_true_and_false() {
        assert_eq!(boolean(b"true"), Ok(true));
        assert_eq!(boolean(b"false"), Ok(false));
        assert_eq!(
            boolean(b"\"true\"").err().unwrap_or_default(),
            "json: cannot unmarshal string into Go value of type bool"
        );
        assert_eq!(
            boolean(b"1").err().unwrap_or_default(),
            "json: cannot unmarshal number into Go value of type bool"
        );
    }

    #[test]
    fn bytes_take_base64_or_an_array_of_uint8() {
        assert_eq!(bytes(br#""Zm9v""#), Ok(b"foo".to_vec()));
        assert_eq!(bytes(br#""Zm9v\n""#), Ok(b"foo".to_vec()));
        assert_eq!(bytes(br#""\u005a\u006d\u0039\u0076""#), Ok(b"foo".to_vec()));
        assert_eq!(bytes(b"[102, 111, null]"), Ok(vec![102, 111, 0]));
        let e = |s: &[u8]| bytes(s).err().unwrap_or_default();
        assert_eq!(
            e(br#"["Zm9v"]"#),
            "json: cannot unmarshal string into Go value of type uint8"
        );
        assert_eq!(
            e(b"[256]"),
            "json: cannot unmarshal number 256 into Go value of type uint8"
        );
        assert_eq!(
            e(b"[[1]]"),
            "json: cannot unmarshal array into Go value of type uint8"
        );
        assert_eq!(
            e(b"123"),
            "json: cannot unmarshal number into Go value of type []uint8"
        );
        assert_eq!(
            e(br#"{"a":1}"#),
            "json: cannot unmarshal object into Go value of type []uint8"
        );
        assert_eq!(
            e(b"true"),
            "json: cannot unmarshal bool into Go value of type []uint8"
        );
        assert_eq!(e(br#""Zm9vYg""#), "illegal base64 data at input byte 4");
    }

    #[test]
    fn strings_take_only_json_strings() {
        assert_eq!(string(br#""a\u00e9""#), Ok("a\u{e9}".to_string()));
        assert_eq!(
            string(b"5").err().unwrap_or_default(),
            "json: cannot unmarshal number into Go value of type string"
        );
    }

    #[test]
    fn objects_and_arrays_name_their_go_types() {
        let e = object(b"[]").err().unwrap_or_default();
        assert_eq!(
            e,
            "json: cannot unmarshal array into Go value of type map[string]json.RawMessage"
        );
        let e = array(b"{}").err().unwrap_or_default();
        assert_eq!(
            e,
            "json: cannot unmarshal object into Go value of type []json.RawMessage"
        );
        let e = array(b"\"x\"").err().unwrap_or_default();
        assert_eq!(
            e,
            "json: cannot unmarshal string into Go value of type []json.RawMessage"
        );
    }
}
