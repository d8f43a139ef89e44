//! A checkpoint: a world's whole state as bytes, so that a saved world is
//! a checkpoint plus the inputs since it (issue 10, docs/memory.md) rather
//! than every input since the world started.
//!
//! Our own compact format, not serde: deriving serde on every type would
//! bring its generic code per type into the wasm. Integers are varints
//! (LEB128, signed ones zigzagged), bytes and strings are length-prefixed,
//! a collection is its length then its elements. Each type writes its
//! fields in order and reads them back in the same order; its `encode`
//! destructures `self` without `..`, so a field added later does not
//! compile until it is saved too.
//!
//! etcd's messages (`pb::*`) are written field by field from their
//! `reflect` table ([`encode_message`]): one loop for every message.
//! An `Rc` (a Raft entry's request, shared by every log, storage and
//! message that holds the entry) is written once and referred to by number
//! after that, so a decoded state shares it again as the encoded one did.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::rc::Rc;

use crate::pb::{
    self,
    reflect::{fields, FieldInfo, ListMut, Reflect, ReflectMut, Type, Value, ValueMut},
};

/// The bytes could not be read back as a state: cut short, or not ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt;

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("corrupt checkpoint")
    }
}

/// A checkpoint's bytes come in pieces of this many (the last shorter):
/// one buffer grown by doubling left up to three times the state of wasm
/// memory behind (which never shrinks), and a checkpoint larger than the
/// last never fit where the last one was. A multiple of 3, so that the
/// pieces' base64 joined is the whole's.
pub const PIECE: usize = 3 * 21_846;

/// Byte strings this long or longer are written once and referred to
/// after that: a value is in every member's store and in the Raft entry
/// that put it (a key is shorter, and a table of every key would cost
/// more memory than it saves).
const REPEATED: usize = 32;

/// FNV-1a: which strings may be the same (then compared).
fn fnv1a(v: &[u8]) -> u64 {
    v.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Writes a state.
#[derive(Default)]
pub struct Encoder {
    pieces: Vec<Vec<u8>>,
    buf: Vec<u8>,
    /// Byte strings of at least `REPEATED` bytes written so far, by hash:
    /// where each is in the output, and its number.
    seen: BTreeMap<u64, (usize, u64)>,
    /// How many such strings were written (each has the next number).
    strings: u64,
    /// Each `Rc` written so far (by address) and its number. The state
    /// being written is borrowed for the encoder's life, so no address is
    /// reused meanwhile.
    shared: BTreeMap<usize, u64>,
}

impl Encoder {
    pub fn new() -> Self {
        Encoder::default()
    }

    /// The bytes written, in pieces of [`PIECE`].
    pub fn finish_pieces(mut self) -> Vec<Vec<u8>> {
        if !self.buf.is_empty() {
            self.pieces.push(self.buf);
        }
        self.pieces
    }

    /// The bytes written, in one buffer.
    pub fn finish(self) -> Vec<u8> {
        self.finish_pieces().concat()
    }

    /// Appends `data` (most often a byte or a few, which fit the piece
    /// under way).
    #[inline]
    fn put(&mut self, data: &[u8]) {
        if self.buf.len() + data.len() <= PIECE && self.buf.capacity() != 0 {
            self.buf.extend_from_slice(data);
        } else {
            self.put_across(data);
        }
    }

    /// Appends `data` across pieces, starting the first if need be.
    fn put_across(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.buf.len() == PIECE {
                let full = std::mem::replace(&mut self.buf, Vec::with_capacity(PIECE));
                self.pieces.push(full);
            } else if self.buf.capacity() == 0 {
                self.buf.reserve_exact(PIECE);
            }
            let (now, rest) = data.split_at(data.len().min(PIECE - self.buf.len()));
            self.buf.extend_from_slice(now);
            data = rest;
        }
    }

    pub fn u64(&mut self, mut v: u64) {
        if v < 0x80 {
            return self.put(&[v as u8]);
        }
        let mut bytes = [0u8; 10];
        let mut n = 0;
        while v >= 0x80 {
            bytes[n] = (v as u8) | 0x80;
            v >>= 7;
            n += 1;
        }
        bytes[n] = v as u8;
        self.put(&bytes[..=n]);
    }

    pub fn i64(&mut self, v: i64) {
        self.u64(((v << 1) ^ (v >> 63)) as u64);
    }

    pub fn bool(&mut self, v: bool) {
        self.put(&[v as u8]);
    }

    /// Bytes: `0`, their length and themselves; or, for a string of at
    /// least `REPEATED` bytes written before (a value in each member's
    /// store, and in the Raft entry that put it), `n + 1` for the `n`th
    /// such string.
    pub fn bytes(&mut self, v: &[u8]) {
        if v.len() < REPEATED {
            self.u64(0);
            self.u64(v.len() as u64);
            self.put(v);
            return;
        }
        let hash = fnv1a(v);
        if let Some(&(at, n)) = self.seen.get(&hash) {
            if self.written_at(at, v) {
                self.u64(n + 1);
                return;
            }
        }
        self.u64(0);
        self.u64(v.len() as u64);
        let at = self.pieces.len() * PIECE + self.buf.len();
        self.seen.insert(hash, (at, self.strings));
        self.strings += 1;
        self.put(v);
    }

    /// Whether the output holds `v` at offset `at`.
    fn written_at(&self, at: usize, v: &[u8]) -> bool {
        let mut at = at;
        let mut v = v;
        while !v.is_empty() {
            let piece = match self.pieces.get(at / PIECE) {
                Some(p) => p.as_slice(),
                None => self.buf.as_slice(),
            };
            let Some(have) = piece.get(at % PIECE..) else {
                return false;
            };
            let n = have.len().min(v.len());
            if n == 0 || have[..n] != v[..n] {
                return false;
            }
            at += n;
            v = &v[n..];
        }
        true
    }

    pub fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }

    /// A collection's length, before its elements.
    pub fn count(&mut self, n: usize) {
        self.u64(n as u64);
    }

    /// An `Rc`: its value the first time, its number after that. `0`
    /// means "new", `n + 1` the `n`th value written.
    fn shared<T: Checkpoint + 'static>(&mut self, v: &Rc<T>) {
        let address = Rc::as_ptr(v) as usize;
        if let Some(&n) = self.shared.get(&address) {
            self.u64(n + 1);
            return;
        }
        let n = self.shared.len() as u64;
        self.shared.insert(address, n);
        self.u64(0);
        T::encode(v, self);
    }
}

/// Reads a state written by [`Encoder`]. Bytes that are not one leave it
/// failed rather than returning an error at every read: each read then
/// gives a zero value and consumes nothing, the caller checks once at the
/// end ([`Decoder::finish`]). (An error at every read cost the wasm a
/// branch and a `Result` per field of every type.)
pub struct Decoder<'a> {
    whole: &'a [u8],
    buf: &'a [u8],
    /// Where each byte string of at least `REPEATED` bytes read so far is.
    strings: Vec<(usize, usize)>,
    failed: bool,
    /// Boxes and messages being read, one inside the other: a checkpoint
    /// nests them only as deep as etcd's requests do.
    depth: usize,
    shared: Vec<Rc<dyn Any>>,
}

/// Deeper than any state nests (a txn in a txn... as gRPC allows 100).
const MAX_DEPTH: usize = 128;

impl<'a> Decoder<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Decoder {
            whole: buf,
            buf,
            strings: Vec::new(),
            failed: false,
            depth: 0,
            shared: Vec::new(),
        }
    }

    /// Whether the bytes were a state, each read: not failed, and none
    /// left over.
    pub fn finish(self) -> Result<(), Corrupt> {
        if self.failed || !self.buf.is_empty() {
            Err(Corrupt)
        } else {
            Ok(())
        }
    }

    /// Not a state: from here on every read gives a zero value, so that
    /// whatever is being read ends at once (the first variant of an enum is
    /// never one that nests).
    pub fn fail(&mut self) {
        self.failed = true;
        self.buf = &[];
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        if self.buf.len() < n {
            self.fail();
            return &[];
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        a
    }

    fn byte(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    pub fn u64(&mut self) -> u64 {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
        }
        self.fail();
        0
    }

    pub fn i64(&mut self) -> i64 {
        let v = self.u64();
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }

    /// A number that must fit `T`.
    fn fit<T: TryFrom<u64> + Default>(&mut self) -> T {
        let v = self.u64();
        T::try_from(v).unwrap_or_else(|_| {
            self.fail();
            T::default()
        })
    }

    pub fn u32(&mut self) -> u32 {
        self.fit()
    }

    pub fn i32(&mut self) -> i32 {
        let v = self.i64();
        i32::try_from(v).unwrap_or_else(|_| {
            self.fail();
            0
        })
    }

    pub fn usize(&mut self) -> usize {
        self.fit()
    }

    pub fn bool(&mut self) -> bool {
        match self.byte() {
            0 => false,
            1 => true,
            _ => {
                self.fail();
                false
            }
        }
    }

    pub fn bytes(&mut self) -> Vec<u8> {
        match self.usize() {
            0 => {
                let n = self.usize();
                let at = self.whole.len() - self.buf.len();
                let v = self.take(n);
                if v.len() >= REPEATED {
                    self.strings.push((at, v.len()));
                }
                v.to_vec()
            }
            n => {
                let string = self.strings.get(n - 1).copied();
                let v = string.and_then(|(at, len)| self.whole.get(at..at + len));
                match v {
                    Some(v) => v.to_vec(),
                    None => {
                        self.fail();
                        Vec::new()
                    }
                }
            }
        }
    }

    pub fn string(&mut self) -> String {
        String::from_utf8(self.bytes()).unwrap_or_else(|_| {
            self.fail();
            String::new()
        })
    }

    /// A collection's length. Every element takes at least one byte, so a
    /// length past the bytes left is not a state (and never allocated).
    pub fn count(&mut self) -> usize {
        let n = self.usize();
        if n > self.buf.len() {
            self.fail();
            return 0;
        }
        n
    }

    /// A variant's tag, below `n` (0 once failed).
    pub fn tag(&mut self, n: u64) -> u64 {
        let t = self.u64();
        if t >= n {
            self.fail();
            return 0;
        }
        t
    }

    /// Reads a value nested in another (a box, a message): past
    /// `MAX_DEPTH`, not a state.
    pub fn nested<T>(&mut self, read: impl FnOnce(&mut Self) -> T) -> T {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.fail();
        }
        let v = read(self);
        self.depth -= 1;
        v
    }

    fn shared<T: Checkpoint + 'static>(&mut self) -> Rc<T> {
        let n = self.usize();
        let known = n
            .checked_sub(1)
            .and_then(|i| self.shared.get(i))
            .and_then(|any| any.clone().downcast::<T>().ok());
        match known {
            Some(v) => v,
            None => {
                if n != 0 {
                    // a number naming no value read so far, or one of another type
                    self.fail();
                }
                let v = Rc::new(T::decode(self));
                self.shared.push(v.clone());
                v
            }
        }
    }
}

/// A type that is part of a world's state.
pub trait Checkpoint: Sized {
    fn encode(&self, e: &mut Encoder);
    /// Reads what `encode` wrote; on bytes that are not that, some value,
    /// the decoder failed (see [`Decoder`]).
    fn decode(d: &mut Decoder) -> Self;
}

/// `v` as bytes.
pub fn to_bytes<T: Checkpoint>(v: &T) -> Vec<u8> {
    let mut e = Encoder::new();
    v.encode(&mut e);
    e.finish()
}

/// The value `bytes` hold, all of them.
pub fn from_bytes<T: Checkpoint>(bytes: &[u8]) -> Result<T, Corrupt> {
    let mut d = Decoder::new(bytes);
    let v = T::decode(&mut d);
    d.finish()?;
    Ok(v)
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Checkpoint for $t {
            fn encode(&self, e: &mut Encoder) {
                e.u64(*self as u64);
            }
            fn decode(d: &mut Decoder) -> Self {
                d.fit()
            }
        }
    )*};
}

unsigned!(u64, u32, u16, u8, usize);

impl Checkpoint for i64 {
    fn encode(&self, e: &mut Encoder) {
        e.i64(*self);
    }
    fn decode(d: &mut Decoder) -> Self {
        d.i64()
    }
}

impl Checkpoint for i32 {
    fn encode(&self, e: &mut Encoder) {
        e.i64((*self).into());
    }
    fn decode(d: &mut Decoder) -> Self {
        d.i32()
    }
}

impl Checkpoint for () {
    fn encode(&self, _: &mut Encoder) {}
    fn decode(_: &mut Decoder) -> Self {}
}

impl Checkpoint for bool {
    fn encode(&self, e: &mut Encoder) {
        e.bool(*self);
    }
    fn decode(d: &mut Decoder) -> Self {
        d.bool()
    }
}

impl Checkpoint for String {
    fn encode(&self, e: &mut Encoder) {
        e.str(self);
    }
    fn decode(d: &mut Decoder) -> Self {
        d.string()
    }
}

impl<T: Checkpoint> Checkpoint for Option<T> {
    fn encode(&self, e: &mut Encoder) {
        match self {
            None => e.bool(false),
            Some(v) => {
                e.bool(true);
                v.encode(e);
            }
        }
    }
    fn decode(d: &mut Decoder) -> Self {
        match d.bool() {
            false => None,
            true => Some(T::decode(d)),
        }
    }
}

impl<T: Checkpoint> Checkpoint for Box<T> {
    fn encode(&self, e: &mut Encoder) {
        T::encode(self, e);
    }
    fn decode(d: &mut Decoder) -> Self {
        // a type that nests (a recipe in a session) nests through a box
        Box::new(d.nested(T::decode))
    }
}

impl<T: Checkpoint + 'static> Checkpoint for Rc<T> {
    fn encode(&self, e: &mut Encoder) {
        e.shared(self);
    }
    fn decode(d: &mut Decoder) -> Self {
        d.shared()
    }
}

impl<T: Checkpoint> Checkpoint for Vec<T> {
    fn encode(&self, e: &mut Encoder) {
        e.count(self.len());
        for v in self {
            v.encode(e);
        }
    }
    fn decode(d: &mut Decoder) -> Self {
        let n = d.count();
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(T::decode(d));
        }
        out
    }
}

impl<T: Checkpoint> Checkpoint for VecDeque<T> {
    fn encode(&self, e: &mut Encoder) {
        e.count(self.len());
        for v in self {
            v.encode(e);
        }
    }
    fn decode(d: &mut Decoder) -> Self {
        VecDeque::from(Vec::decode(d))
    }
}

impl<T: Checkpoint + Ord> Checkpoint for BTreeSet<T> {
    fn encode(&self, e: &mut Encoder) {
        e.count(self.len());
        for v in self {
            v.encode(e);
        }
    }
    // (inserted one by one: collecting would bring a sort and a bulk
    // build per type into the wasm)
    fn decode(d: &mut Decoder) -> Self {
        let mut out = BTreeSet::new();
        for _ in 0..d.count() {
            out.insert(T::decode(d));
        }
        out
    }
}

impl<K: Checkpoint + Ord, V: Checkpoint> Checkpoint for BTreeMap<K, V> {
    fn encode(&self, e: &mut Encoder) {
        e.count(self.len());
        for (k, v) in self {
            k.encode(e);
            v.encode(e);
        }
    }
    fn decode(d: &mut Decoder) -> Self {
        let mut out = BTreeMap::new();
        for _ in 0..d.count() {
            let k = K::decode(d);
            out.insert(k, V::decode(d));
        }
        out
    }
}

impl<T: Checkpoint, E: Checkpoint> Checkpoint for Result<T, E> {
    fn encode(&self, e: &mut Encoder) {
        match self {
            Ok(v) => {
                e.bool(true);
                v.encode(e);
            }
            Err(v) => {
                e.bool(false);
                v.encode(e);
            }
        }
    }
    fn decode(d: &mut Decoder) -> Self {
        match d.bool() {
            true => Ok(T::decode(d)),
            false => Err(E::decode(d)),
        }
    }
}

impl<A: Checkpoint, B: Checkpoint> Checkpoint for (A, B) {
    fn encode(&self, e: &mut Encoder) {
        self.0.encode(e);
        self.1.encode(e);
    }
    fn decode(d: &mut Decoder) -> Self {
        let a = A::decode(d);
        (a, B::decode(d))
    }
}

impl<A: Checkpoint, B: Checkpoint, C: Checkpoint> Checkpoint for (A, B, C) {
    fn encode(&self, e: &mut Encoder) {
        self.0.encode(e);
        self.1.encode(e);
        self.2.encode(e);
    }
    fn decode(d: &mut Decoder) -> Self {
        let a = A::decode(d);
        let b = B::decode(d);
        (a, b, C::decode(d))
    }
}

/// Bytes as a map key or set element (`BTreeSet<Vec<u8>>`): `Vec<u8>`
/// cannot be told apart from a `Vec<T>` by the trait, so the collections
/// of bytes have their own functions.
pub fn encode_byte_set(set: &BTreeSet<Vec<u8>>, e: &mut Encoder) {
    e.count(set.len());
    for v in set {
        e.bytes(v);
    }
}

pub fn decode_byte_set(d: &mut Decoder) -> BTreeSet<Vec<u8>> {
    let mut out = BTreeSet::new();
    for _ in 0..d.count() {
        out.insert(d.bytes());
    }
    out
}

/// A map keyed by bytes.
pub fn encode_byte_map<V: Checkpoint>(map: &BTreeMap<Vec<u8>, V>, e: &mut Encoder) {
    e.count(map.len());
    for (k, v) in map {
        e.bytes(k);
        v.encode(e);
    }
}

pub fn decode_byte_map<V: Checkpoint>(d: &mut Decoder) -> BTreeMap<Vec<u8>, V> {
    let mut out = BTreeMap::new();
    for _ in 0..d.count() {
        let k = d.bytes();
        out.insert(k, V::decode(d));
    }
    out
}

/// An etcd message, field by field in declaration order from its
/// `reflect` table. A field of message type (a repeated one too: the
/// table does not tell) and a oneof member are preceded by whether they
/// are there; other fields are always written.
pub fn encode_message(m: &dyn Reflect, e: &mut Encoder) {
    for (info, value) in fields(m) {
        if optional(info) {
            let present = !matches!(value, Value::Unset | Value::Message(None));
            e.bool(present);
            if !present {
                continue;
            }
        }
        encode_value(&value, e);
    }
}

fn encode_value(value: &Value, e: &mut Encoder) {
    match *value {
        Value::Unset | Value::Message(None) => {}
        Value::I64(v) => e.i64(v),
        Value::U64(v) => e.u64(v),
        Value::I32(v) => e.i64(v.into()),
        Value::U32(v) => e.u64(v.into()),
        Value::Bool(v) => e.bool(v),
        Value::Str(v) => e.str(v),
        Value::Bytes(v) => e.bytes(v),
        Value::Message(Some(m)) => encode_message(m, e),
        Value::List(l) => {
            e.count(l.len());
            for i in 0..l.len() {
                encode_value(&l.get(i), e);
            }
        }
    }
}

/// Reads into `m` (a default message) what [`encode_message`] wrote.
pub fn decode_message(m: &mut dyn ReflectMut, d: &mut Decoder) {
    d.nested(|d| {
        let mut i = 0;
        while let Some(info) = m.info(i) {
            if !optional(info) || d.bool() {
                match m.field_mut(i) {
                    Some(value) => decode_value(value, d),
                    None => d.fail(),
                }
            }
            i += 1;
        }
    })
}

/// Whether a field is written after a presence flag. Filling a oneof
/// member or a message field makes it present, so the decoder fills only
/// those that were.
fn optional(info: &FieldInfo) -> bool {
    info.oneof || info.ty == Type::Message
}

fn decode_value(value: ValueMut, d: &mut Decoder) {
    match value {
        ValueMut::Unset => d.fail(),
        ValueMut::I64(v) => *v = d.i64(),
        ValueMut::U64(v) => *v = d.u64(),
        ValueMut::I32(v) => *v = d.i32(),
        ValueMut::U32(v) => *v = d.u32(),
        ValueMut::Bool(v) => *v = d.bool(),
        ValueMut::Str(v) => *v = d.string(),
        ValueMut::Bytes(v) => *v = d.bytes(),
        ValueMut::Message(m) => decode_message(m, d),
        ValueMut::List(l) => {
            for _ in 0..d.count() {
                decode_list_element(l, d);
            }
        }
    }
}

fn decode_list_element(l: &mut dyn ListMut, d: &mut Decoder) {
    decode_value(l.push(), d)
}

/// `Checkpoint` for etcd messages, through [`encode_message`].
macro_rules! messages {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::checkpoint::Checkpoint for $t {
            fn encode(&self, e: &mut $crate::checkpoint::Encoder) {
                $crate::checkpoint::encode_message(self, e);
            }
            fn decode(d: &mut $crate::checkpoint::Decoder) -> Self {
                let mut m = <$t>::default();
                $crate::checkpoint::decode_message(&mut m, d);
                m
            }
        }
    )*};
}
pub(crate) use messages;

/// Fields written another way than their `Checkpoint` (bytes, which
/// `Vec<T>` cannot tell apart), named after a field as `key: bytes` in
/// `record!` and `variants!`.
pub mod via {
    use super::{Decoder, Encoder};
    use std::collections::{BTreeMap, BTreeSet};

    pub mod bytes {
        use super::*;
        pub fn encode(v: &[u8], e: &mut Encoder) {
            e.bytes(v);
        }
        pub fn decode(d: &mut Decoder) -> Vec<u8> {
            d.bytes()
        }
    }

    pub mod opt_bytes {
        use super::*;
        pub fn encode(v: &Option<Vec<u8>>, e: &mut Encoder) {
            e.bool(v.is_some());
            if let Some(v) = v {
                e.bytes(v);
            }
        }
        pub fn decode(d: &mut Decoder) -> Option<Vec<u8>> {
            match d.bool() {
                true => Some(d.bytes()),
                false => None,
            }
        }
    }

    /// A request's name (`put`, `lease_grant`) in the trace, read back as
    /// the name the server has for it.
    pub mod request_name {
        use super::*;
        pub fn encode(v: &str, e: &mut Encoder) {
            e.str(v);
        }
        pub fn decode(d: &mut Decoder) -> &'static str {
            let name = d.string();
            crate::server::request_name(&name).unwrap_or_else(|| {
                d.fail();
                ""
            })
        }
    }

    pub mod byte_set {
        use super::*;
        pub fn encode(v: &BTreeSet<Vec<u8>>, e: &mut Encoder) {
            super::super::encode_byte_set(v, e);
        }
        pub fn decode(d: &mut Decoder) -> BTreeSet<Vec<u8>> {
            super::super::decode_byte_set(d)
        }
    }

    pub mod byte_map {
        use super::super::Checkpoint;
        use super::*;
        pub fn encode<V: Checkpoint>(v: &BTreeMap<Vec<u8>, V>, e: &mut Encoder) {
            super::super::encode_byte_map(v, e);
        }
        pub fn decode<V: Checkpoint>(d: &mut Decoder) -> BTreeMap<Vec<u8>, V> {
            super::super::decode_byte_map(d)
        }
    }
}

macro_rules! field_encode {
    ($e:ident, $x:expr) => {
        $crate::checkpoint::Checkpoint::encode($x, $e)
    };
    // `via` names a module of `checkpoint::via` or one in scope where the
    // type is declared
    ($e:ident, $x:expr, $via:ident) => {{
        #[allow(unused_imports)]
        use $crate::checkpoint::via::*;
        $via::encode($x, $e)
    }};
}
pub(crate) use field_encode;

macro_rules! field_decode {
    ($d:ident) => {
        $crate::checkpoint::Checkpoint::decode($d)
    };
    ($d:ident, $via:ident) => {{
        #[allow(unused_imports)]
        use $crate::checkpoint::via::*;
        $via::decode($d)
    }};
}
pub(crate) use field_decode;

/// `Checkpoint` for a struct, its fields in order: `encode` destructures
/// it without `..`, so a field added later does not compile until it is
/// listed here. `name: bytes` writes a field through [`via`].
macro_rules! record {
    ($t:ident $(<$($g:ident),*>)? { $($f:ident $(: $via:ident)?),* $(,)? }) => {
        impl$(<$($g: $crate::checkpoint::Checkpoint),*>)? $crate::checkpoint::Checkpoint
            for $t$(<$($g),*>)?
        {
            fn encode(&self, e: &mut $crate::checkpoint::Encoder) {
                let $t { $($f),* } = self;
                $($crate::checkpoint::field_encode!(e, $f $(, $via)?);)*
            }
            fn decode(
                d: &mut $crate::checkpoint::Decoder,
            ) -> Self {
                $t { $($f: $crate::checkpoint::field_decode!(d $(, $via)?)),* }
            }
        }
    };
}
pub(crate) use record;

/// `Checkpoint` for an enum: the variant's position in the list, then its
/// fields. Every variant is listed (the match is exhaustive), with names
/// for its fields: `Reply(ticket, reply)`, `Apply { index, term }`. A
/// failed read gives the first variant listed: it must not nest.
macro_rules! variants {
    ($t:ident {
        $($v:ident
            $(( $($tf:ident $(: $tvia:ident)?),* ))?
            $({ $($sf:ident $(: $svia:ident)?),* })?
        ),* $(,)?
    }) => {
        impl $crate::checkpoint::Checkpoint for $t {
            fn encode(&self, e: &mut $crate::checkpoint::Encoder) {
                #[allow(non_camel_case_types, clippy::enum_variant_names, dead_code)]
                enum Tag { $($v),* }
                match self {
                    $($t::$v $(( $($tf),* ))? $({ $($sf),* })? => {
                        e.u64(Tag::$v as u64);
                        $($($crate::checkpoint::field_encode!(e, $tf $(, $tvia)?);)*)?
                        $($($crate::checkpoint::field_encode!(e, $sf $(, $svia)?);)*)?
                    })*
                }
            }
            fn decode(
                d: &mut $crate::checkpoint::Decoder,
            ) -> Self {
                #[allow(non_camel_case_types, clippy::enum_variant_names, dead_code)]
                enum Tag { $($v),* }
                let mut tag = d.u64();
                // not a tag of ours: failed, and read as the first variant
                loop {
                    $(if tag == Tag::$v as u64 {
                        break $t::$v
                            $(( $($crate::checkpoint::field_decode!(d $(, $tvia)?)),* ))?
                            $({ $($sf: $crate::checkpoint::field_decode!(d $(, $svia)?)),* })?;
                    })*
                    d.fail();
                    tag = 0;
                }
            }
        }
    };
}
pub(crate) use variants;

/// `Checkpoint` for an enum without data, as its variant's number. The
/// match lists every variant, so one added later does not compile until
/// it is listed (in declaration order: the number is its position).
macro_rules! unit_enum {
    ($t:ident { $($v:ident),* $(,)? }) => {
        impl $crate::checkpoint::Checkpoint for $t {
            fn encode(&self, e: &mut $crate::checkpoint::Encoder) {
                match self {
                    $($t::$v)|* => e.u64(*self as u64),
                }
            }
            fn decode(
                d: &mut $crate::checkpoint::Decoder,
            ) -> Self {
                const ALL: &[$t] = &[$($t::$v),*];
                let n = d.usize();
                match ALL.get(n) {
                    Some(v) => *v,
                    None => {
                        d.fail();
                        ALL[0]
                    }
                }
            }
        }
    };
}
pub(crate) use unit_enum;

/// The record the MVCC backend holds one of per revision and member: field
/// by field, in the order and form `encode_message` gives them (no field is
/// optional), without the reflect table's walk.
impl Checkpoint for pb::KeyValue {
    fn encode(&self, e: &mut Encoder) {
        let pb::KeyValue {
            key,
            create_revision,
            mod_revision,
            version,
            value,
            lease,
        } = self;
        e.bytes(key);
        e.i64(*create_revision);
        e.i64(*mod_revision);
        e.i64(*version);
        e.bytes(value);
        e.i64(*lease);
    }

    fn decode(d: &mut Decoder) -> Self {
        pb::KeyValue {
            key: d.bytes(),
            create_revision: d.i64(),
            mod_revision: d.i64(),
            version: d.i64(),
            value: d.bytes(),
            lease: d.i64(),
        }
    }
}

messages!(
    pb::Member,
    pb::Permission,
    pb::ResponseHeader,
    pb::LeaderKey,
    pb::WatchCreateRequest,
    pb::WatchResponse,
    pb::LeaseKeepAliveRequest,
    pb::LeaseKeepAliveResponse,
    pb::SnapshotResponse,
    pb::WatchRequest,
);

#[cfg(test)]
mod tests;
