//! Writing JSON answers straight into a `String`, without building a tree
//! of values first.

use crate::gateway::jsonpb::{quote_plain, ObjectWriter};
use std::fmt::Write;

/// One JSON object being written. Members come in key order, as serde_json
/// (whose maps were sorted) wrote them; debug builds check it. Objects of
/// formats of our own may put theirs in an order of their own instead
/// ([`Object::in_given_order`]).
pub struct Object<'a> {
    w: ObjectWriter<'a>,
    last: &'static str,
    sorted: bool,
}

impl<'a> Object<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Object {
            w: ObjectWriter::new(out),
            last: "",
            sorted: true,
        }
    }

    /// An object whose members come in the order they are written.
    pub fn in_given_order(out: &'a mut String) -> Self {
        Object {
            sorted: false,
            ..Object::new(out)
        }
    }

    /// Starts member `name`; its value is written to what this returns.
    pub fn key(&mut self, name: &'static str) -> &mut String {
        debug_assert!(
            !self.sorted || self.last < name,
            "{name:?} after {:?}",
            self.last
        );
        self.last = name;
        self.w.key(name);
        self.w.out()
    }

    pub fn u64(&mut self, name: &'static str, v: u64) -> &mut Self {
        let _ = write!(self.key(name), "{v}");
        self
    }

    pub fn i64(&mut self, name: &'static str, v: i64) -> &mut Self {
        let _ = write!(self.key(name), "{v}");
        self
    }

    /// `null` for `None`.
    pub fn opt_u64(&mut self, name: &'static str, v: Option<u64>) -> &mut Self {
        match v {
            Some(v) => self.u64(name, v),
            None => self.raw(name, "null"),
        }
    }

    pub fn bool(&mut self, name: &'static str, v: bool) -> &mut Self {
        self.raw(name, if v { "true" } else { "false" })
    }

    pub fn str(&mut self, name: &'static str, v: &str) -> &mut Self {
        quote_plain(v, self.key(name));
        self
    }

    /// A finite float as serde_json writes it: `1.0`, `0.25`, `1e-7`.
    pub fn f64(&mut self, name: &'static str, v: f64) -> &mut Self {
        self.raw(name, zmij::Buffer::new().format_finite(v))
    }

    /// A value already written as JSON.
    pub fn raw(&mut self, name: &'static str, json: &str) -> &mut Self {
        self.key(name).push_str(json);
        self
    }

    pub fn end(&mut self) {
        self.w.out().push('}');
    }
}

/// A JSON array of `items`, each written by `each`.
pub fn list<T>(
    out: &mut String,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut String, T),
) {
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, item);
    }
    out.push(']');
}
