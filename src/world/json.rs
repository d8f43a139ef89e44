//! The plain JSON of the simulator's own paths (`/_sim/` answers and
//! arguments, saved worlds, configs), as opposed to etcd's
//! [`jsonpb`](crate::gateway::jsonpb). serde_json did this before (its code was a
//! tenth of the wasm); it is read and written as serde_json did, so the
//! same texts are taken, with the same messages, and the answers are the
//! same bytes: compact, object members in key order, floats in their
//! shortest form that reads back.

mod config;
mod fields;
mod number;
mod read;
mod write;

pub use fields::read_struct;
pub use read::{parse, Reader};
pub use write::{list, Object};

use crate::gateway::jsonpb::quote_plain;

/// A JSON value as serde_json's `Value` held it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A whole number from 0 to `u64::MAX`.
    U64(u64),
    /// A whole number from `i64::MIN` to -1.
    I64(i64),
    /// Any other number: with a fraction or exponent, `-0`, or too large.
    F64(f64),
    String(String),
    Array(Vec<Value>),
    /// Sorted by key, each key once (the last value given for it).
    Object(Vec<(String, Value)>),
}

static NULL: Value = Value::Null;

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        let Value::Object(members) = self else {
            return None;
        };
        let i = members
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()?;
        Some(&members[i].1)
    }

    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U64(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::U64(n) => Some(n as f64),
            Value::I64(n) => Some(n as f64),
            Value::F64(f) => Some(f),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Compact JSON, as serde_json wrote a `Value`.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::U64(n) => out.push_str(&n.to_string()),
            Value::I64(n) => out.push_str(&n.to_string()),
            Value::F64(f) => out.push_str(zmij::Buffer::new().format_finite(*f)),
            Value::String(s) => quote_plain(s, out),
            Value::Array(items) => list(out, items, |out, v| v.write(out)),
            Value::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    quote_plain(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A missing member (or any member of a non-object) is `null`.
impl std::ops::Index<&str> for Value {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

#[cfg(test)]
mod read_tests;
