//! The JSON of our own pages (`/_sim/`, `/debug/vars`): a small value
//! written compactly, as serde_json's `Value::to_string` wrote these pages
//! before (same escapes, object keys in byte order). Using serde_json's
//! `Value` for a few fixed shapes cost more wasm than this whole file.

/// A JSON value; numbers are kept as their decimal text.
pub enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    /// Members with keys in byte order (serde_json's map sorted them;
    /// checked when written in debug builds).
    Obj(Vec<(&'static str, Json)>),
}

impl Json {
    pub fn obj(members: Vec<(&'static str, Json)>) -> Json {
        Json::Obj(members)
    }

    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => out.push_str(n),
            Json::Str(s) => quote(s, out),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Obj(members) => {
                debug_assert!(members.windows(2).all(|w| w[0].0 < w[1].0));
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    quote(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.to_text().into_bytes()
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

/// serde_json's string escapes: `"`, `\` and control characters only
/// (short forms where JSON has them, else `\u00xx`).
fn quote(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let b = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

macro_rules! from_number {
    ($($t:ty),*) => {$(
        impl From<$t> for Json {
            fn from(n: $t) -> Json {
                Json::Num(n.to_string())
            }
        }
    )*};
}
from_number!(u64, i64, usize);

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::Str(s.to_string())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::Str(s)
    }
}

impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(v: Option<T>) -> Json {
        v.map_or(Json::Null, Into::into)
    }
}

impl<T: Into<Json>> From<Vec<T>> for Json {
    fn from(v: Vec<T>) -> Json {
        Json::Arr(v.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let s = "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}<>&é\u{2028}/";
        assert_eq!(
            Json::from(s).to_text(),
            serde_json::to_string(s).unwrap_or_default()
        );
    }

    #[test]
    fn values_are_written_compactly_like_serde_json() {
        let v = Json::obj(vec![
            ("a", Json::from(vec![1u64, 2])),
            ("b", Json::from(None::<u64>)),
            ("c", Json::from(-5i64)),
            ("d", Json::obj(vec![("x", true.into()), ("y", "z".into())])),
            ("e", Json::Arr(Vec::new())),
            ("f", Json::obj(Vec::new())),
        ]);
        let want = serde_json::json!({
            "f": {}, "e": [], "d": {"y": "z", "x": true}, "c": -5, "b": null, "a": [1, 2],
        });
        assert_eq!(v.to_text(), want.to_string());
    }
}
