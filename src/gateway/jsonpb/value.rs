//! Walking JSON text that the scanner has already accepted: the extent of a
//! value, the members of an object, the elements of an array, and Go's
//! string unquoting (`unquoteBytes`). Every function stays total on any
//! input: inconsistent text yields `None`, never a panic.

use super::scanner::is_space;

/// The JSON type of a value, by its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl Kind {
    /// The word Go's `UnmarshalTypeError` uses for it.
    pub fn go_name(self) -> &'static str {
        match self {
            Kind::Object => "object",
            Kind::Array => "array",
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Bool => "bool",
            Kind::Null => "null",
        }
    }
}

pub fn kind(v: &[u8]) -> Kind {
    match v.first() {
        Some(b'{') => Kind::Object,
        Some(b'[') => Kind::Array,
        Some(b'"') => Kind::String,
        Some(b't') | Some(b'f') => Kind::Bool,
        Some(b'n') => Kind::Null,
        _ => Kind::Number,
    }
}

pub fn trim_space(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|&c| !is_space(c)).unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|&c| !is_space(c))
        .map_or(start, |e| e + 1);
    v.get(start..end).unwrap_or_default()
}

fn skip_space(data: &[u8], mut i: usize) -> usize {
    while data.get(i).is_some_and(|&c| is_space(c)) {
        i += 1;
    }
    i
}

/// The index just past the string literal starting at `i` (a `"`).
fn string_end(data: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match *data.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// The index just past the value starting at `i`. Iterative, so that deep
/// nesting (up to Go's 10000 levels) costs no stack.
pub fn value_end(data: &[u8], i: usize) -> Option<usize> {
    match *data.get(i)? {
        b'"' => string_end(data, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *data.get(j)? {
                    b'"' => {
                        j = string_end(data, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while data
                .get(j)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.'))
            {
                j += 1;
            }
            Some(j)
        }
    }
}

/// Object members: unquoted key and raw value, in document order.
pub type Members<'a> = Vec<(Vec<u8>, &'a [u8])>;

/// The members of an object value, in order, keys unquoted.
pub fn object_members(v: &[u8]) -> Option<Members<'_>> {
    let mut out = Vec::new();
    let mut i = skip_space(v, 1);
    if v.get(i) == Some(&b'}') {
        return Some(out);
    }
    loop {
        let key_end = string_end(v, i)?;
        let key = unquote(v.get(i..key_end)?)?;
        i = skip_space(v, key_end);
        if v.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_space(v, i + 1);
        let end = value_end(v, start)?;
        out.push((key, v.get(start..end)?));
        i = skip_space(v, end);
        match v.get(i)? {
            b',' => i = skip_space(v, i + 1),
            b'}' => return Some(out),
            _ => return None,
        }
    }
}

/// The elements of an array value, in order.
pub fn array_elements(v: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut i = skip_space(v, 1);
    if v.get(i) == Some(&b']') {
        return Some(out);
    }
    loop {
        let end = value_end(v, i)?;
        out.push(v.get(i..end)?);
        i = skip_space(v, end);
        match v.get(i)? {
            b',' => i = skip_space(v, i + 1),
            b']' => return Some(out),
            _ => return None,
        }
    }
}

/// Go's `unquoteBytes`: escapes decoded, a lone or broken surrogate becomes
/// U+FFFD, every invalid UTF-8 byte becomes U+FFFD.
pub fn unquote(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() < 2 || s.first() != Some(&b'"') || s.last() != Some(&b'"') {
        return None;
    }
    let s = &s[1..s.len() - 1];
    let mut out = Vec::with_capacity(s.len());
    let mut r = 0;
    while r < s.len() {
        let c = s[r];
        if c == b'\\' {
            let e = *s.get(r + 1)?;
            r += 2;
            match e {
                b'"' | b'\\' | b'/' | b'\'' => out.push(e),
                b'b' => out.push(0x08),
                b'f' => out.push(0x0c),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'u' => {
                    let mut rr = hex4(s.get(r..r + 4)?)?;
                    r += 4;
                    if (0xd800..0xe000).contains(&rr) {
                        let low = match s.get(r..r + 6) {
                            Some([b'\\', b'u', h @ ..]) => hex4(h),
                            _ => None,
                        };
                        match low {
                            Some(lo) if rr < 0xdc00 && (0xdc00..0xe000).contains(&lo) => {
                                rr = 0x10000 + ((rr - 0xd800) << 10) + (lo - 0xdc00);
                                r += 6;
                            }
                            _ => rr = 0xfffd,
                        }
                    }
                    push_char(&mut out, char::from_u32(rr).unwrap_or('\u{fffd}'));
                }
                _ => return None,
            }
        } else if c == b'"' || c < b' ' {
            return None;
        } else if c < 0x80 {
            out.push(c);
            r += 1;
        } else {
            let (ch, size) = decode_rune(&s[r..]);
            push_char(&mut out, ch);
            r += size;
        }
    }
    Some(out)
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut b = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
}

fn hex4(h: &[u8]) -> Option<u32> {
    if h.len() != 4 {
        return None;
    }
    h.iter()
        .try_fold(0u32, |acc, &c| Some(acc * 16 + (c as char).to_digit(16)?))
}

/// Go's `utf8.DecodeRune`: an invalid sequence is (U+FFFD, 1) — always one
/// byte, unlike Rust's lossy conversion which replaces a maximal prefix.
pub fn decode_rune(s: &[u8]) -> (char, usize) {
    const BAD: (char, usize) = ('\u{fffd}', 1);
    let Some(&b0) = s.first() else { return BAD };
    let (size, lo, hi) = match b0 {
        0x00..=0x7f => return (char::from(b0), 1),
        0xc2..=0xdf => (2, 0x80, 0xbf),
        0xe0 => (3, 0xa0, 0xbf),
        0xe1..=0xec | 0xee..=0xef => (3, 0x80, 0xbf),
        0xed => (3, 0x80, 0x9f),
        0xf0 => (4, 0x90, 0xbf),
        0xf1..=0xf3 => (4, 0x80, 0xbf),
        0xf4 => (4, 0x80, 0x8f),
        _ => return BAD,
    };
    let Some(seq) = s.get(..size) else { return BAD };
    if !(lo..=hi).contains(&seq[1]) || seq[2..].iter().any(|&b| !(0x80..=0xbf).contains(&b)) {
        return BAD;
    }
    match std::str::from_utf8(seq).ok().and_then(|t| t.chars().next()) {
        Some(c) => (c, size),
        None => BAD,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uq(s: &[u8]) -> Vec<u8> {
        unquote(s).unwrap_or_else(|| b"<none>".to_vec())
    }

    #[test]
    fn unquote_decodes_escapes_and_surrogate_pairs() {
        assert_eq!(uq(br#""\u005a\u006d\u0039\u0076""#), b"Zm9v");
        assert_eq!(uq(br#""a\/b\"c\\d\n\t\b\f\r""#), b"a/b\"c\\d\n\t\x08\x0c\r");
        assert_eq!(uq(br#""\ud83d\ude00""#), "\u{1f600}".as_bytes());
    }

    #[test]
    fn unquote_replaces_broken_surrogates_with_fffd() {
        assert_eq!(uq(br#""\ud83dx""#), "\u{fffd}x".as_bytes());
        assert_eq!(uq(br#""\ude00""#), "\u{fffd}".as_bytes());
        // A high surrogate followed by a non-low escape: both decoded apart.
        assert_eq!(uq(br#""\ud83d\u0041""#), "\u{fffd}A".as_bytes());
    }

    #[test]
    fn unquote_replaces_each_invalid_utf8_byte_like_go() {
        // Truncated 3-byte sequence: Go replaces byte by byte (2 x U+FFFD).
        assert_eq!(uq(b"\"\xe2\x82a\""), "\u{fffd}\u{fffd}a".as_bytes());
        assert_eq!(
            uq(b"\"\xed\xa0\x80\""),
            "\u{fffd}\u{fffd}\u{fffd}".as_bytes()
        );
        assert_eq!(uq(b"\"\xff\""), "\u{fffd}".as_bytes());
        assert_eq!(
            uq("\"\u{e9}\u{1f600}\"".as_bytes()),
            "\u{e9}\u{1f600}".as_bytes()
        );
    }

    #[test]
    fn members_and_elements_are_trimmed_raw_values() {
        let m = object_members(br#"{ "a" : [1, {"x":"]"}] , "b":"}" }"#).unwrap_or_default();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0], (b"a".to_vec(), &br#"[1, {"x":"]"}]"#[..]));
        assert_eq!(m[1], (b"b".to_vec(), &br#""}""#[..]));
        let a = array_elements(br#"[ 1 , null,"x" ]"#).unwrap_or_default();
        assert_eq!(a, vec![&b"1"[..], b"null", br#""x""#]);
        assert_eq!(array_elements(b"[ ]"), Some(vec![]));
        assert_eq!(object_members(b"{ }"), Some(vec![]));
    }

    #[test]
    fn walking_garbage_gives_none_not_a_panic() {
        for s in [
            &b"{"[..],
            b"[",
            b"{\"a\"",
            b"{\"a\":",
            b"[1",
            b"\"",
            b"{\"a\":1 x",
        ] {
            let _ = object_members(s);
            let _ = array_elements(s);
            let _ = value_end(s, 0);
            let _ = unquote(s);
        }
    }
}
