//! Go's `encoding/json` scanner (Go 1.16, `scanner.go`): a byte-at-a-time
//! state machine whose error texts are what etcd's gateway answers for
//! malformed JSON ("invalid character '}' looking for beginning of value").

/// What a byte meant, as Go's `scan*` opcodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Continue,
    BeginLiteral,
    BeginObject,
    ObjectKey,
    ObjectValue,
    EndObject,
    BeginArray,
    ArrayValue,
    EndArray,
    SkipSpace,
    /// The top-level value ended *before* this byte.
    End,
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parse {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    /// After `\u` and this many hex digits.
    InStringEscU(u8),
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    /// Inside `true`/`false`/`null`, `at` bytes of `word` read.
    Literal {
        word: &'static str,
        at: usize,
    },
    Error,
}

/// Go's `maxNestingDepth`.
const MAX_NESTING_DEPTH: usize = 10000;

#[derive(Clone, Debug)]
pub struct Scanner {
    step: Step,
    end_top: bool,
    parse_state: Vec<Parse>,
    err: Option<String>,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            step: Step::BeginValue,
            end_top: false,
            parse_state: Vec::new(),
            err: None,
        }
    }
}

pub fn is_space(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == b'\r' || c == b'\n'
}

/// `checkValid`: the whole of `data` is exactly one JSON value (with
/// optional surrounding whitespace).
pub fn check_valid(data: &[u8]) -> Result<(), String> {
    let mut s = Scanner::default();
    for &c in data {
        if s.step(c) == Op::Error {
            return Err(s.error_text());
        }
    }
    if s.eof() == Op::Error {
        return Err(s.error_text());
    }
    Ok(())
}

impl Scanner {
    pub fn reset(&mut self) {
        *self = Scanner {
            parse_state: std::mem::take(&mut self.parse_state),
            ..Scanner::default()
        };
        self.parse_state.clear();
    }

    /// The syntax error met so far (Go's `SyntaxError.Error()`).
    pub fn error_text(&self) -> String {
        self.err.clone().unwrap_or_default()
    }

    /// Whether the scanner is inside a string, past any escape.
    pub fn in_string(&self) -> bool {
        self.step == Step::InString
    }

    /// Depth of the composite values the scanner is inside.
    pub fn depth(&self) -> usize {
        self.parse_state.len()
    }

    /// `scanner.eof`.
    pub fn eof(&mut self) -> Op {
        if self.err.is_some() {
            return Op::Error;
        }
        if self.end_top {
            return Op::End;
        }
        self.step(b' ');
        if self.end_top {
            return Op::End;
        }
        if self.err.is_none() {
            self.err = Some("unexpected end of JSON input".to_string());
        }
        Op::Error
    }

    fn error(&mut self, c: u8, context: &str) -> Op {
        self.step = Step::Error;
        self.err = Some(format!("invalid character {} {}", quote_char(c), context));
        Op::Error
    }

    fn push_parse_state(&mut self, c: u8, p: Parse, success: Op) -> Op {
        self.parse_state.push(p);
        if self.parse_state.len() <= MAX_NESTING_DEPTH {
            return success;
        }
        self.error(c, "exceeded max depth")
    }

    fn pop_parse_state(&mut self) {
        self.parse_state.pop();
        if self.parse_state.is_empty() {
            self.step = Step::EndTop;
            self.end_top = true;
        } else {
            self.step = Step::EndValue;
        }
    }

    /// Feeds one byte.
    pub fn step(&mut self, c: u8) -> Op {
        match self.step {
            Step::BeginValueOrEmpty => {
                if is_space(c) {
                    Op::SkipSpace
                } else if c == b']' {
                    self.end_value(c)
                } else {
                    self.begin_value(c)
                }
            }
            Step::BeginValue => self.begin_value(c),
            Step::BeginStringOrEmpty => {
                if is_space(c) {
                    return Op::SkipSpace;
                }
                if c == b'}' {
                    if let Some(last) = self.parse_state.last_mut() {
                        *last = Parse::ObjectValue;
                    }
                    return self.end_value(c);
                }
                self.begin_string(c)
            }
            Step::BeginString => self.begin_string(c),
            Step::EndValue => self.end_value(c),
            Step::EndTop => self.end_top_step(c),
            Step::InString => {
                if c == b'"' {
                    self.step = Step::EndValue;
                    Op::Continue
                } else if c == b'\\' {
                    self.step = Step::InStringEsc;
                    Op::Continue
                } else if c < 0x20 {
                    self.error(c, "in string literal")
                } else {
                    Op::Continue
                }
            }
            Step::InStringEsc => match c {
                b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {
                    self.step = Step::InString;
                    Op::Continue
                }
                b'u' => {
                    self.step = Step::InStringEscU(0);
                    Op::Continue
                }
                _ => self.error(c, "in string escape code"),
            },
            Step::InStringEscU(n) => {
                if c.is_ascii_hexdigit() {
                    self.step = if n == 3 {
                        Step::InString
                    } else {
                        Step::InStringEscU(n + 1)
                    };
                    Op::Continue
                } else {
                    self.error(c, "in \\u hexadecimal character escape")
                }
            }
            Step::Neg => match c {
                b'0' => {
                    self.step = Step::Zero;
                    Op::Continue
                }
                b'1'..=b'9' => {
                    self.step = Step::One;
                    Op::Continue
                }
                _ => self.error(c, "in numeric literal"),
            },
            Step::One => {
                if c.is_ascii_digit() {
                    Op::Continue
                } else {
                    self.zero(c)
                }
            }
            Step::Zero => self.zero(c),
            Step::Dot => {
                if c.is_ascii_digit() {
                    self.step = Step::Dot0;
                    Op::Continue
                } else {
                    self.error(c, "after decimal point in numeric literal")
                }
            }
            Step::Dot0 => {
                if c.is_ascii_digit() {
                    Op::Continue
                } else if c == b'e' || c == b'E' {
                    self.step = Step::E;
                    Op::Continue
                } else {
                    self.end_value(c)
                }
            }
            Step::E => {
                if c == b'+' || c == b'-' {
                    self.step = Step::ESign;
                    Op::Continue
                } else {
                    self.e_sign(c)
                }
            }
            Step::ESign => self.e_sign(c),
            Step::E0 => {
                if c.is_ascii_digit() {
                    Op::Continue
                } else {
                    self.end_value(c)
                }
            }
            Step::Literal { word, at } => {
                let want = word.as_bytes().get(at).copied().unwrap_or(b' ');
                if c == want {
                    self.step = if at + 1 == word.len() {
                        Step::EndValue
                    } else {
                        Step::Literal { word, at: at + 1 }
                    };
                    Op::Continue
                } else {
                    let context = format!("in literal {} (expecting '{}')", word, want as char);
                    self.error(c, &context)
                }
            }
            Step::Error => Op::Error,
        }
    }

    fn begin_value(&mut self, c: u8) -> Op {
        if is_space(c) {
            return Op::SkipSpace;
        }
        let literal = |word| Step::Literal { word, at: 1 };
        self.step = match c {
            b'{' => {
                self.step = Step::BeginStringOrEmpty;
                return self.push_parse_state(c, Parse::ObjectKey, Op::BeginObject);
            }
            b'[' => {
                self.step = Step::BeginValueOrEmpty;
                return self.push_parse_state(c, Parse::ArrayValue, Op::BeginArray);
            }
            b'"' => Step::InString,
            b'-' => Step::Neg,
            b'0' => Step::Zero,
            b't' => literal("true"),
            b'f' => literal("false"),
            b'n' => literal("null"),
            b'1'..=b'9' => Step::One,
            _ => return self.error(c, "looking for beginning of value"),
        };
        Op::BeginLiteral
    }

    fn begin_string(&mut self, c: u8) -> Op {
        if is_space(c) {
            return Op::SkipSpace;
        }
        if c == b'"' {
            self.step = Step::InString;
            return Op::BeginLiteral;
        }
        self.error(c, "looking for beginning of object key string")
    }

    fn zero(&mut self, c: u8) -> Op {
        if c == b'.' {
            self.step = Step::Dot;
            Op::Continue
        } else if c == b'e' || c == b'E' {
            self.step = Step::E;
            Op::Continue
        } else {
            self.end_value(c)
        }
    }

    fn e_sign(&mut self, c: u8) -> Op {
        if c.is_ascii_digit() {
            self.step = Step::E0;
            Op::Continue
        } else {
            self.error(c, "in exponent of numeric literal")
        }
    }

    fn end_value(&mut self, c: u8) -> Op {
        let Some(&ps) = self.parse_state.last() else {
            self.step = Step::EndTop;
            self.end_top = true;
            return self.end_top_step(c);
        };
        if is_space(c) {
            self.step = Step::EndValue;
            return Op::SkipSpace;
        }
        match ps {
            Parse::ObjectKey => {
                if c == b':' {
                    if let Some(last) = self.parse_state.last_mut() {
                        *last = Parse::ObjectValue;
                    }
                    self.step = Step::BeginValue;
                    return Op::ObjectKey;
                }
                self.error(c, "after object key")
            }
            Parse::ObjectValue => {
                if c == b',' {
                    if let Some(last) = self.parse_state.last_mut() {
                        *last = Parse::ObjectKey;
                    }
                    self.step = Step::BeginString;
                    return Op::ObjectValue;
                }
                if c == b'}' {
                    self.pop_parse_state();
                    return Op::EndObject;
                }
                self.error(c, "after object key:value pair")
            }
            Parse::ArrayValue => {
                if c == b',' {
                    self.step = Step::BeginValue;
                    return Op::ArrayValue;
                }
                if c == b']' {
                    self.pop_parse_state();
                    return Op::EndArray;
                }
                self.error(c, "after array element")
            }
        }
    }

    /// `stateEndTop`: the error for a non-space byte is reported on the
    /// *next* call, this one still says `End`.
    fn end_top_step(&mut self, c: u8) -> Op {
        if !is_space(c) {
            self.error(c, "after top-level value");
        }
        Op::End
    }
}

/// Go's `quoteChar`: how a byte is shown in a syntax error.
pub fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".to_string(),
        b'"' => r#"'"'"#.to_string(),
        // strconv.Quote(string(rune(c))) without its double quotes.
        _ => format!("'{}'", quote_rune(char::from(c))),
    }
}

/// One rune as `strconv.Quote` writes it inside the quotes.
pub fn quote_rune(r: char) -> String {
    match r {
        '\\' => r"\\".to_string(),
        '"' => "\\\"".to_string(),
        '\u{7}' => r"\a".to_string(),
        '\u{8}' => r"\b".to_string(),
        '\u{c}' => r"\f".to_string(),
        '\n' => r"\n".to_string(),
        '\r' => r"\r".to_string(),
        '\t' => r"\t".to_string(),
        '\u{b}' => r"\v".to_string(),
        _ if is_print(r) => r.to_string(),
        _ if (r as u32) < 0x20 || r == '\u{7f}' => format!("\\x{:02x}", r as u32),
        _ if (r as u32) < 0x10000 => format!("\\u{:04x}", r as u32),
        _ => format!("\\U{:08x}", r as u32),
    }
}

/// Go's `unicode.IsPrint`, exact for ASCII and Latin-1; beyond that an
/// approximation (spaces, format characters, private use and
/// non-characters are not printable; unassigned code points are assumed to
/// be).
fn is_print(r: char) -> bool {
    let u = r as u32;
    match u {
        0x20..=0x7e => true,
        0..=0x1f | 0x7f..=0xa0 | 0xad => false,
        0x1680 | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064 | 0x3000 => false,
        0xd800..=0xf8ff | 0xfeff | 0xfff9..=0xfffb | 0xfffe | 0xffff => false,
        _ => (u & 0xfffe) != 0xfffe && !(0xf0000..=0x10ffff).contains(&u),
    }
}

/// A body half read, as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{Parse, Scanner, Step};
    use crate::checkpoint::{record, variants};

    variants!(Parse {
        ObjectKey,
        ObjectValue,
        ArrayValue
    });
    variants!(Step {
        BeginValue,
        BeginValueOrEmpty,
        BeginStringOrEmpty,
        BeginString,
        EndValue,
        EndTop,
        InString,
        InStringEsc,
        InStringEscU(digits),
        Neg,
        One,
        Zero,
        Dot,
        Dot0,
        E,
        ESign,
        E0,
        Literal {
            word: literal,
            at
        },
        Error,
    });
    record!(Scanner {
        step,
        end_top,
        parse_state,
        err
    });

    /// A literal being read is one of JSON's three words.
    mod literal {
        use crate::checkpoint::{Decoder, Encoder};

        const WORDS: [&str; 3] = ["true", "false", "null"];

        pub fn encode(word: &str, e: &mut Encoder) {
            e.u64(WORDS.iter().position(|w| *w == word).unwrap_or(WORDS.len()) as u64);
        }

        pub fn decode(d: &mut Decoder) -> &'static str {
            let n = d.usize();
            WORDS.get(n).copied().unwrap_or_else(|| {
                d.fail();
                WORDS[0]
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        check_valid(s.as_bytes()).err().unwrap_or_default()
    }

    #[test]
    fn missing_value_after_colon_looks_for_beginning_of_value() {
        assert_eq!(
            err(r#"{"a":}"#),
            "invalid character '}' looking for beginning of value"
        );
    }

    #[test]
    fn truncated_input_is_unexpected_end() {
        assert_eq!(err("{"), "unexpected end of JSON input");
        assert_eq!(err(""), "unexpected end of JSON input");
        assert_eq!(err("  "), "unexpected end of JSON input");
    }

    #[test]
    fn object_contexts_name_where_the_scanner_was() {
        assert_eq!(err(r#"{"a" 1}"#), "invalid character '1' after object key");
        assert_eq!(
            err(r#"{"a":1 "b"}"#),
            "invalid character '\"' after object key:value pair"
        );
        assert_eq!(
            err(r#"{a:1}"#),
            "invalid character 'a' looking for beginning of object key string"
        );
        assert_eq!(
            err(r#"{"a":1,}"#),
            "invalid character '}' looking for beginning of object key string"
        );
        assert_eq!(err("[1 2]"), "invalid character '2' after array element");
        assert_eq!(
            err("[1,]"),
            "invalid character ']' looking for beginning of value"
        );
    }

    #[test]
    fn trailing_bytes_are_after_top_level_value() {
        assert_eq!(err("0x10"), "invalid character 'x' after top-level value");
        assert_eq!(err("1 2"), "invalid character '2' after top-level value");
        assert_eq!(err("01"), "invalid character '1' after top-level value");
        assert_eq!(err(" 2 "), "");
    }

    #[test]
    fn numbers_and_literals_report_their_state_at_eof() {
        assert_eq!(err("-"), "invalid character ' ' in numeric literal");
        assert_eq!(
            err("1."),
            "invalid character ' ' after decimal point in numeric literal"
        );
        assert_eq!(
            err("1e"),
            "invalid character ' ' in exponent of numeric literal"
        );
        assert_eq!(
            err("1e+"),
            "invalid character ' ' in exponent of numeric literal"
        );
        assert_eq!(
            err("tru"),
            "invalid character ' ' in literal true (expecting 'e')"
        );
        assert_eq!(
            err("nul"),
            "invalid character ' ' in literal null (expecting 'l')"
        );
        assert_eq!(
            err("fx"),
            "invalid character 'x' in literal false (expecting 'a')"
        );
        assert_eq!(err("-a"), "invalid character 'a' in numeric literal");
    }

    #[test]
    fn string_errors_quote_the_byte_like_go() {
        assert_eq!(err("\"a\nb\""), r"invalid character '\n' in string literal");
        assert_eq!(
            err("\"\u{1}\""),
            r"invalid character '\x01' in string literal"
        );
        assert_eq!(
            err(r#""\x""#),
            r"invalid character 'x' in string escape code"
        );
        assert_eq!(
            err(r#""\u12g4""#),
            r"invalid character 'g' in \u hexadecimal character escape"
        );
        assert_eq!(
            err("'a'"),
            r"invalid character '\'' looking for beginning of value"
        );
        assert_eq!(
            err("\\"),
            r"invalid character '\\' looking for beginning of value"
        );
        assert_eq!(
            err("\u{e9}"),
            r"invalid character 'Ã' looking for beginning of value"
        );
        assert_eq!(
            err("\u{85}"),
            r"invalid character 'Â' looking for beginning of value"
        );
        let mut s = Scanner::default();
        assert_eq!(s.step(0x85), Op::Error);
        assert_eq!(
            s.error_text(),
            r"invalid character '\u0085' looking for beginning of value"
        );
        assert_eq!(quote_char(0x7f), r"'\x7f'");
        assert_eq!(quote_char(0xa0), r"'\u00a0'");
    }

    #[test]
    fn nesting_deeper_than_10000_is_rejected() {
        let ok = "[".repeat(10000) + &"]".repeat(10000);
        assert_eq!(err(&ok), "");
        let deep = "[".repeat(10001);
        assert_eq!(err(&deep), "invalid character '[' exceeded max depth");
    }

    #[test]
    fn valid_documents_pass() {
        for s in [
            r#"{"a":[1,-0.5e+3,true,false,null,"\u00e9\n"],"b":{}}"#,
            "[]",
            "0",
            "\"\"",
        ] {
            assert_eq!(err(s), "", "{s}");
        }
    }
}
