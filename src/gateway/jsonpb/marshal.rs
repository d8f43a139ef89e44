//! Go's text output: `json.Marshal(string)` (HTML-safe escaping) and
//! `fmt`'s `%q` (`strconv.Quote`), used in jsonpb's enum error; and the
//! plainer string escaping of the simulator's own JSON.

use super::scanner::quote_rune;
use super::value::decode_rune;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `json.Marshal(s)` as Go 1.16 writes it: `"`, `\\`, `\n`, `\r`, `\t`
/// escaped short, other control bytes and `<`, `>`, `&` as `\u00XX`,
/// U+2028 and U+2029 as `\u2028`/`\u2029`.
pub fn quote(s: &str, out: &mut String) {
    quote_as(s, out, true);
}

/// A JSON string as serde_json writes it (the simulator's own answers):
/// only `"`, `\\` and control bytes escaped, `\b` and `\f` short too.
pub fn quote_plain(s: &str, out: &mut String) {
    quote_as(s, out, false);
}

fn quote_as(s: &str, out: &mut String, go: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' if !go => out.push_str("\\b"),
            '\u{c}' if !go => out.push_str("\\f"),
            '\u{2028}' if go => out.push_str("\\u2028"),
            '\u{2029}' if go => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 || go && matches!(c, '<' | '>' | '&') => {
                let b = c as u32 as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `fmt.Sprintf("%q", b)` for a byte slice: `strconv.Quote`, invalid UTF-8
/// bytes as `\xNN`.
pub fn go_quote(b: &[u8]) -> String {
    let mut out = String::from("\"");
    let mut i = 0;
    while i < b.len() {
        let (c, size) = decode_rune(&b[i..]);
        if c == '\u{fffd}' && size == 1 {
            out.push_str(&format!("\\x{:02x}", b[i]));
        } else {
            out.push_str(&quote_rune(c));
        }
        i += size;
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> String {
        let mut out = String::new();
        quote(s, &mut out);
        out
    }

    #[test]
    fn json_strings_are_escaped_html_safe_like_go() {
        assert_eq!(q("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            q("<a href='x'>&</a>"),
            r#""\u003ca href='x'\u003e\u0026\u003c/a\u003e""#
        );
        assert_eq!(
            q("\n\r\t\u{8}\u{c}\u{1}\u{1f}"),
            r#""\n\r\t\u0008\u000c\u0001\u001f""#
        );
        assert_eq!(q("\u{2028}\u{2029}\u{7f}é/"), "\"\\u2028\\u2029\u{7f}é/\"");
    }

    #[test]
    fn plain_json_strings_escape_only_quotes_backslashes_and_controls() {
        let mut out = String::new();
        quote_plain(
            "a\"b\\c<&>\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}\u{2028}é",
            &mut out,
        );
        assert_eq!(
            out,
            "\"a\\\"b\\\\c<&>\\n\\r\\t\\b\\f\\u0001\\u001f\u{7f}\u{2028}é\""
        );
    }

    #[test]
    fn percent_q_escapes_quotes_and_invalid_bytes() {
        assert_eq!(go_quote(br#""SIDEWAYS""#), r#""\"SIDEWAYS\"""#);
        assert_eq!(go_quote(b"\"a\\u0041\xff\n\""), r#""\"a\\u0041\xff\n\"""#);
        assert_eq!(go_quote("\"é\u{a0}\"".as_bytes()), r#""\"é\u00a0\"""#);
    }
}
