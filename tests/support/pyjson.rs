//! The few Python behaviours the comparison rules rely on (see
//! `compare.rs`) when they turn JSON values into text: `json.dumps` (sort keys of the
//! `sort:` rule, diff messages) and `str()` (placeholder binding, template
//! expansion, `[k=v]` capture paths).

use serde_json::Value;

/// Python's type of a parsed JSON value: types are strict as
/// `type(a) is type(b)` is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PyType {
    None,
    Bool,
    Int,
    Float,
    Str,
    List,
    Dict,
}

pub fn py_type(v: &Value) -> PyType {
    match v {
        Value::Null => PyType::None,
        Value::Bool(_) => PyType::Bool,
        Value::Number(n) if n.is_f64() => PyType::Float,
        Value::Number(_) => PyType::Int,
        Value::String(_) => PyType::Str,
        Value::Array(_) => PyType::List,
        Value::Object(_) => PyType::Dict,
    }
}

/// `json.dumps(v)` with its defaults: `", "` / `": "` separators and
/// `ensure_ascii=True`.
pub fn dumps(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(_) => out.push_str(&number_repr(v)),
        Value::String(s) => write_str(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, x);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str(out, k);
                out.push_str(": ");
                write_value(out, x);
            }
            out.push('}');
        }
    }
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `repr`/`str` of a number: floats always show a fraction.
fn number_repr(v: &Value) -> String {
    match v.as_f64() {
        Some(f) if v.is_f64() && f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 => {
            format!("{f:.1}")
        }
        _ => v.to_string(),
    }
}

/// Python's `str(v)` of a parsed JSON value.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => s.clone(),
        Value::Number(_) => number_repr(v),
        // repr of containers is close enough to json.dumps for diagnostics
        _ => dumps(v),
    }
}

/// The JSON text of a value in a diff, cut to 120 characters.
pub fn short(v: &Value) -> String {
    let s = dumps(v);
    if s.chars().count() <= 120 {
        s
    } else {
        format!("{}...", s.chars().take(120).collect::<String>())
    }
}

/// `short()` of an optional text (Python `None` when absent).
pub fn short_opt_str(s: Option<&str>) -> String {
    match s {
        Some(s) => short(&Value::String(s.to_string())),
        None => "null".into(),
    }
}
