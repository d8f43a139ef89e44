//! Reading into a struct's fields as serde's derived `Deserialize` did for
//! a struct with `#[serde(default, deny_unknown_fields)]` (through
//! serde_json), messages included.

use super::read::{Error, Reader, EOF_VALUE, EXPECTED_VALUE};
use super::Value;

/// Reads an object, or an array of the fields in order, into a struct
/// named `name` whose fields are `fields`: `field(i, reader)` reads the
/// value of field `i` (after its name and colon). A field may be missing
/// but not repeated; no other name is allowed. (Messages list the names
/// as serde does for three fields or more.)
pub fn read_struct(
    data: &[u8],
    name: &str,
    fields: &[&str],
    mut field: impl FnMut(usize, &mut Reader) -> Result<(), Error>,
) -> Result<(), String> {
    let mut r = Reader::new(data);
    let read = match r.whitespace() {
        None => Err(r.peek_error(EOF_VALUE)),
        Some(open @ (b'[' | b'{')) => r.nested(|r| {
            let mut first = true;
            if open == b'[' {
                for i in 0..fields.len() {
                    if !r.next_element(&mut first)? {
                        break;
                    }
                    field(i, r)?;
                }
                return Ok(());
            }
            let mut seen = vec![false; fields.len()];
            while r.next_key(&mut first)? {
                let key = r.key()?;
                let Some(i) = fields.iter().position(|f| *f == key) else {
                    let names: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
                    let msg = format!(
                        "unknown field `{key}`, expected one of {}",
                        names.join(", ")
                    );
                    return Err(Error::new(msg));
                };
                if std::mem::replace(&mut seen[i], true) {
                    return Err(Error::new(format!("duplicate field `{key}`")));
                }
                r.colon()?;
                field(i, r)?;
            }
            Ok(())
        }),
        Some(_) => Err(r.invalid_type(&format!("struct {name}"))),
    };
    let read = read.map_err(|e| r.fix(e));
    read.and_then(|()| r.end()).map_err(Error::message)
}

impl Reader<'_> {
    /// `null` (then `None`) or what `read` reads.
    fn option<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        if self.whitespace() == Some(b'n') {
            self.eat();
            return self.ident(b"ull").map(|()| None);
        }
        read(self).map(Some)
    }

    /// `null` or a whole number from 0 to `max`; `expected` names its type
    /// in messages (`u64`).
    pub fn opt_uint(&mut self, expected: &str, max: u64) -> Result<Option<u64>, Error> {
        self.option(|r| {
            let n = match r.whitespace() {
                None => return Err(r.peek_error(EOF_VALUE)),
                Some(b'-') => {
                    r.eat();
                    r.integer(false)?
                }
                Some(b'0'..=b'9') => r.integer(true)?,
                Some(_) => return Err(r.invalid_type(expected)),
            };
            let refusal = match n {
                Value::U64(n) if n <= max => return Ok(n),
                Value::U64(_) | Value::I64(_) => "invalid value",
                _ => "invalid type",
            };
            let msg = format!("{refusal}: {}, expected {expected}", unexpected(&n));
            Err(r.error(&msg))
        })
    }

    /// `null` or a string.
    pub fn opt_string(&mut self) -> Result<Option<String>, Error> {
        self.option(|r| match r.whitespace() {
            None => Err(r.peek_error(EOF_VALUE)),
            Some(b'"') => {
                r.eat();
                r.string()
            }
            Some(_) => Err(r.invalid_type("a string")),
        })
    }

    /// The value here is not of the `expected` type: the message names
    /// what it is (read first when it is a scalar).
    fn invalid_type(&mut self, expected: &str) -> Error {
        let c = self.peek_or_null();
        let got = match self.scalar(c) {
            Some(v) => v,
            None if c == b'[' => Ok(Value::Array(Vec::new())),
            None if c == b'{' => Ok(Value::Object(Vec::new())),
            None => return self.peek_error(EXPECTED_VALUE),
        };
        match got {
            Ok(v) => self.error(&format!(
                "invalid type: {}, expected {expected}",
                unexpected(&v)
            )),
            Err(e) => e,
        }
    }
}

/// How serde's messages name a value that was not expected.
fn unexpected(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::U64(n) => format!("integer `{n}`"),
        Value::I64(n) => format!("integer `{n}`"),
        Value::F64(f) => format!("floating point `{}`", zmij::Buffer::new().format(*f)),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".into(),
        Value::Object(_) => "map".into(),
    }
}
