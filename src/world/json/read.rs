//! Reading JSON as serde_json 1.0's `from_slice` did, step by step, so that
//! the same texts are taken and refused with the same messages (`expected
//! value at line 1 column 2`): the syntax, and [`Value`]s (its `Value`).

use super::Value;

pub(super) const EOF_VALUE: &str = "EOF while parsing a value";
const EOF_LIST: &str = "EOF while parsing a list";
const EOF_OBJECT: &str = "EOF while parsing an object";
const EOF_STRING: &str = "EOF while parsing a string";
pub(super) const EXPECTED_VALUE: &str = "expected value";
const INVALID_ESCAPE: &str = "invalid escape";
const LONE_SURROGATE: &str = "lone leading surrogate in hex escape";
const TRAILING_COMMA: &str = "trailing comma";
const TRAILING_CHARACTERS: &str = "trailing characters";
const KEY_NOT_STRING: &str = "key must be a string";

/// A refusal: serde_json's message and, once known, where (line from 1,
/// column from 0 counting bytes, as serde_json counts them).
pub struct Error {
    msg: String,
    at: Option<(usize, usize)>,
}

impl Error {
    pub(super) fn new(msg: String) -> Self {
        Error { msg, at: None }
    }

    pub fn message(self) -> String {
        match self.at {
            Some((line, column)) => format!("{} at line {line} column {column}", self.msg),
            None => self.msg,
        }
    }
}

/// A position in JSON text and how deep it is nested.
pub struct Reader<'a> {
    data: &'a [u8],
    i: usize,
    /// Levels of nesting still allowed (serde_json allows 127).
    depth_left: u8,
}

/// Reads one JSON value and nothing after it but whitespace.
pub fn parse(data: &[u8]) -> Result<Value, String> {
    let mut r = Reader::new(data);
    r.value()
        .and_then(|v| r.end().map(|()| v))
        .map_err(Error::message)
}

impl<'a> Reader<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            i: 0,
            depth_left: 128,
        }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.data.get(self.i).copied()
    }

    pub(super) fn peek_or_null(&self) -> u8 {
        self.peek().unwrap_or(0)
    }

    pub(super) fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    pub(super) fn eat(&mut self) {
        self.i += 1;
    }

    /// Line and column of byte `i`.
    fn position(&self, i: usize) -> (usize, usize) {
        let before = &self.data[..i];
        let line_start = before
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |n| n + 1);
        let lines = before[..line_start].iter().filter(|&&c| c == b'\n').count();
        (1 + lines, i - line_start)
    }

    /// An error where reading stopped.
    pub(super) fn error(&self, msg: &str) -> Error {
        Error {
            msg: msg.into(),
            at: Some(self.position(self.i)),
        }
    }

    /// An error at the byte looked at (serde_json's `peek_error`).
    pub(super) fn peek_error(&self, msg: &str) -> Error {
        Error {
            msg: msg.into(),
            at: Some(self.position(self.data.len().min(self.i + 1))),
        }
    }

    /// An error that knows no position yet gets where reading stopped.
    pub(super) fn fix(&self, e: Error) -> Error {
        match e.at {
            Some(_) => e,
            None => self.error(&e.msg),
        }
    }

    /// Skips whitespace; the next byte, if any.
    pub(super) fn whitespace(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.eat();
        }
        self.peek()
    }

    pub(super) fn end(&mut self) -> Result<(), Error> {
        match self.whitespace() {
            Some(_) => Err(self.peek_error(TRAILING_CHARACTERS)),
            None => Ok(()),
        }
    }

    /// The rest of `null`, `true` or `false`.
    pub(super) fn ident(&mut self, rest: &[u8]) -> Result<(), Error> {
        for &want in rest {
            match self.next() {
                None => return Err(self.error(EOF_VALUE)),
                Some(c) if c != want => return Err(self.error("expected ident")),
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Any value (serde_json's `deserialize_any` into its `Value`).
    fn value(&mut self) -> Result<Value, Error> {
        let Some(c) = self.whitespace() else {
            return Err(self.peek_error(EOF_VALUE));
        };
        if let Some(v) = self.scalar(c) {
            return v;
        }
        match c {
            b'[' => self.nested(|r| {
                let (mut items, mut first) = (Vec::new(), true);
                while r.next_element(&mut first)? {
                    items.push(r.value()?);
                }
                Ok(Value::Array(items))
            }),
            b'{' => self.nested(|r| {
                let (mut members, mut first) = (Vec::<(String, Value)>::new(), true);
                while r.next_key(&mut first)? {
                    let key = r.key()?;
                    r.colon()?;
                    let value = r.value()?;
                    // sorted, a repeated key keeps its last value
                    match members.binary_search_by(|(k, _)| k.cmp(&key)) {
                        Ok(i) => members[i].1 = value,
                        Err(i) => members.insert(i, (key, value)),
                    }
                }
                Ok(Value::Object(members))
            }),
            _ => Err(self.peek_error(EXPECTED_VALUE)),
        }
    }

    /// The scalar starting with `c` (not read yet), if `c` starts one.
    pub(super) fn scalar(&mut self, c: u8) -> Option<Result<Value, Error>> {
        Some(match c {
            b'n' | b't' | b'f' => self.literal(),
            b'-' => {
                self.eat();
                self.integer(false)
            }
            b'0'..=b'9' => self.integer(true),
            b'"' => {
                self.eat();
                self.string().map(Value::String)
            }
            _ => return None,
        })
    }

    /// `null`, `true` or `false`.
    pub(super) fn literal(&mut self) -> Result<Value, Error> {
        let (rest, v): (&[u8], _) = match self.next() {
            Some(b'n') => (b"ull", Value::Null),
            Some(b't') => (b"rue", Value::Bool(true)),
            _ => (b"alse", Value::Bool(false)),
        };
        self.ident(rest).map(|()| v)
    }

    /// The array or object opening here, read by `inside` up to its end;
    /// an error inside wins over one at the end.
    pub(super) fn nested<T>(
        &mut self,
        inside: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let close = if self.peek() == Some(b'[') {
            b']'
        } else {
            b'}'
        };
        self.depth_left -= 1;
        if self.depth_left == 0 {
            return Err(self.peek_error("recursion limit exceeded"));
        }
        self.eat();
        let read = inside(self);
        self.depth_left += 1;
        let end = self.close(close);
        let read = read?;
        end.map(|()| read)
    }

    /// The end of an array or object whose items were all read.
    fn close(&mut self, close: u8) -> Result<(), Error> {
        match self.whitespace() {
            Some(c) if c == close => {
                self.eat();
                Ok(())
            }
            Some(b',') if close == b'}' => Err(self.peek_error(TRAILING_COMMA)),
            Some(b',') => {
                self.eat();
                match self.whitespace() {
                    Some(b']') => Err(self.peek_error(TRAILING_COMMA)),
                    _ => Err(self.peek_error(TRAILING_CHARACTERS)),
                }
            }
            Some(_) => Err(self.peek_error(TRAILING_CHARACTERS)),
            None if close == b']' => Err(self.peek_error(EOF_LIST)),
            None => Err(self.peek_error(EOF_OBJECT)),
        }
    }

    /// Whether another array element follows (after its comma).
    pub(super) fn next_element(&mut self, first: &mut bool) -> Result<bool, Error> {
        match self.whitespace() {
            None => Err(self.peek_error(EOF_LIST)),
            Some(b']') => Ok(false),
            Some(_) if std::mem::take(first) => Ok(true),
            Some(b',') => {
                self.eat();
                match self.whitespace() {
                    Some(b']') => Err(self.peek_error(TRAILING_COMMA)),
                    Some(_) => Ok(true),
                    None => Err(self.peek_error(EOF_VALUE)),
                }
            }
            Some(_) => Err(self.peek_error("expected `,` or `]`")),
        }
    }

    /// Whether another object member follows (its key's quote next).
    pub(super) fn next_key(&mut self, first: &mut bool) -> Result<bool, Error> {
        let c = match self.whitespace() {
            None => return Err(self.peek_error(EOF_OBJECT)),
            Some(b'}') => return Ok(false),
            Some(c) if std::mem::take(first) => c,
            Some(b',') => {
                self.eat();
                match self.whitespace() {
                    Some(b'}') => return Err(self.peek_error(TRAILING_COMMA)),
                    None => return Err(self.peek_error(EOF_VALUE)),
                    Some(c) => c,
                }
            }
            Some(_) => return Err(self.peek_error("expected `,` or `}`")),
        };
        match c {
            b'"' => Ok(true),
            _ => Err(self.peek_error(KEY_NOT_STRING)),
        }
    }

    pub(super) fn key(&mut self) -> Result<String, Error> {
        self.eat();
        self.string()
    }

    pub(super) fn colon(&mut self) -> Result<(), Error> {
        match self.whitespace() {
            Some(b':') => {
                self.eat();
                Ok(())
            }
            Some(_) => Err(self.peek_error("expected `:`")),
            None => Err(self.peek_error(EOF_OBJECT)),
        }
    }

    /// A string's content after its opening quote, escapes decoded.
    pub(super) fn string(&mut self) -> Result<String, Error> {
        let mut out = Vec::new();
        loop {
            let start = self.i;
            while self
                .peek()
                .is_some_and(|c| c != b'"' && c != b'\\' && c >= 0x20)
            {
                self.eat();
            }
            out.extend_from_slice(&self.data[start..self.i]);
            match self.next() {
                None => return Err(self.error(EOF_STRING)),
                Some(b'"') => break,
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => {
                    return Err(self
                        .error("control character (\\u0000-\\u001F) found while parsing a string"))
                }
            }
        }
        String::from_utf8(out).map_err(|e| {
            // the column of the first bad byte, roughly when escapes came before
            let bad = e.as_bytes().len() - e.utf8_error().valid_up_to();
            let (line, column) = self.position(self.i);
            Error {
                msg: "invalid unicode code point".into(),
                at: Some((line, column.saturating_sub(bad))),
            }
        })
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        let c = match self.next() {
            None => return Err(self.error(EOF_STRING)),
            Some(b'u') => return self.unicode_escape(out),
            Some(c @ (b'"' | b'\\' | b'/')) => c,
            Some(b'b') => 8,
            Some(b'f') => 12,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(_) => return Err(self.error(INVALID_ESCAPE)),
        };
        out.push(c);
        Ok(())
    }

    /// `\uXXXX` (after `\u`), a surrogate pair as two of them.
    fn unicode_escape(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        let lead = self.hex4()?;
        let c = match lead {
            0xDC00..=0xDFFF => return Err(self.error(LONE_SURROGATE)),
            0xD800..=0xDBFF => {
                for want in [b'\\', b'u'] {
                    match self.next() {
                        None => return Err(self.error(EOF_STRING)),
                        Some(c) if c != want => {
                            return Err(self.error("unexpected end of hex escape"))
                        }
                        Some(_) => {}
                    }
                }
                let trail = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&trail) {
                    return Err(self.error(LONE_SURROGATE));
                }
                0x1_0000 + ((lead - 0xD800) << 10 | (trail - 0xDC00))
            }
            _ => lead,
        };
        let c = char::from_u32(c).unwrap_or_default();
        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let Some(hex) = self.data.get(self.i..self.i + 4) else {
            self.i = self.data.len();
            return Err(self.error(EOF_STRING));
        };
        self.i += 4;
        hex.iter()
            .try_fold(0, |n, &c| Some(n << 4 | char::from(c).to_digit(16)?))
            .ok_or_else(|| self.error(INVALID_ESCAPE))
    }
}
