//! Protobuf-style reflection. Each message lists its fields once (see
//! `message!`): proto name, field number, type, and how
//! to reach the value in the Rust struct. One loop for all messages then
//! walks those lists through [`Reflect`]: the gateway's JSON mapping reads
//! and writes values with it, and [`size`](super::size) computes wire sizes.
//! Only the tiny accessors are per message; the loops are shared.

/// The proto type of a field (of each element, for a repeated field),
/// which gives its wire type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Int64,
    Uint64,
    Int32,
    Uint32,
    Bool,
    String,
    Bytes,
    Enum,
    Message,
}

/// A proto enum: its full name (as in jsonpb's "unknown value" error,
/// `etcdserverpb.RangeRequest.SortOrder`) and its values. Fields hold
/// enums as `i32`, so that unknown numbers survive, as they do in Go.
#[derive(Debug, PartialEq, Eq)]
pub struct EnumType {
    pub name: &'static str,
    pub values: &'static [(&'static str, i32)],
}

/// A proto enum as a field kind names it (`Enum<SortOrder>`); declared
/// with `enumeration!`.
pub trait ProtoEnum {
    const TYPE: &'static EnumType;
}

/// What a field is, apart from its value. Kept small: the wasm holds one
/// per field of every message.
#[derive(Debug)]
pub struct FieldInfo {
    /// The proto field name (`prev_kv`, `ID`, `peerURLs`): jsonpb writes it
    /// and reads it or its lowerCamelCase form.
    pub name: &'static str,
    /// The field number (etcd's are small).
    pub number: u16,
    pub ty: Type,
    /// A member of a oneof: on the wire and in JSON whenever it is the
    /// member set, even with a zero value (proto3 omits other zero values).
    pub oneof: bool,
    /// The enum of an enum field.
    pub enum_type: Option<&'static EnumType>,
}

/// One field of message `M`: what it is and how to read its value.
pub struct Field<M: 'static> {
    pub info: FieldInfo,
    /// Puts the field's value in the second argument. (Written out, not
    /// returned: a returned value cost each message type a copy in the
    /// wasm.)
    pub get: for<'a> fn(&'a M, &mut Value<'a>),
}

/// How to fill one field of message `M`: the field reset to its default,
/// for a decoder to fill (a message field present and empty, a repeated
/// field empty, a oneof member the member set).
pub type FieldMut<M> = fn(&mut M) -> ValueMut<'_>;

/// A protobuf message: its fields in proto declaration order (which is
/// jsonpb's output order and the order it decodes fields in). Reading and
/// filling are two tables: a message only ever written out (a response)
/// brings no filling code into the wasm.
pub trait Message: Default + 'static {
    const FIELDS: &'static [Field<Self>];
    /// In the order of [`Message::FIELDS`].
    const FIELDS_MUT: &'static [FieldMut<Self>];

    /// Size of the message on the wire, as etcd's limits count it.
    fn encoded_len(&self) -> usize {
        super::size::encoded_len(self)
    }
}

/// A message of any type, field by field: what the shared loops that read
/// messages walk.
pub trait Reflect {
    /// Field `i` (in declaration order), its value put in `value`; `None`
    /// past the last.
    fn field<'a>(&'a self, i: usize, value: &mut Value<'a>) -> Option<&'static FieldInfo>;
}

impl<M: Message> Reflect for M {
    fn field<'a>(&'a self, i: usize, value: &mut Value<'a>) -> Option<&'static FieldInfo> {
        let f = M::FIELDS.get(i)?;
        (f.get)(self, value);
        Some(&f.info)
    }
}

/// A message of any type to fill, field by field: what the shared loop
/// that decodes messages walks.
pub trait ReflectMut {
    /// Field `i` (in declaration order); `None` past the last.
    fn info(&self, i: usize) -> Option<&'static FieldInfo>;
    /// Field `i` reset to its default (see [`FieldMut`]).
    fn field_mut(&mut self, i: usize) -> Option<ValueMut<'_>>;
}

impl<M: Message> ReflectMut for M {
    fn info(&self, i: usize) -> Option<&'static FieldInfo> {
        M::FIELDS.get(i).map(|f| &f.info)
    }

    fn field_mut(&mut self, i: usize) -> Option<ValueMut<'_>> {
        M::FIELDS_MUT.get(i).map(|f| f(self))
    }
}

/// The fields of `m` and their values, in declaration order.
pub fn fields(m: &dyn Reflect) -> impl Iterator<Item = (&'static FieldInfo, Value<'_>)> {
    (0..).map_while(move |i| {
        let mut value = Value::Unset;
        m.field(i, &mut value).map(|f| (f, value))
    })
}

/// A field's value (an enum is its number, see [`FieldInfo::enum_type`]).
pub enum Value<'a> {
    /// A oneof member that is not the member set.
    Unset,
    I64(i64),
    U64(u64),
    I32(i32),
    U32(u32),
    Bool(bool),
    Str(&'a str),
    Bytes(&'a [u8]),
    /// A message field: `None` when absent.
    Message(Option<&'a dyn Reflect>),
    List(&'a dyn List),
}

/// A field to fill (see [`FieldMut`]).
pub enum ValueMut<'a> {
    /// Nothing to fill (cannot happen for a declared message).
    Unset,
    I64(&'a mut i64),
    U64(&'a mut u64),
    I32(&'a mut i32),
    U32(&'a mut u32),
    Bool(&'a mut bool),
    Str(&'a mut String),
    Bytes(&'a mut Vec<u8>),
    Message(&'a mut dyn ReflectMut),
    List(&'a mut dyn ListMut),
}

/// The values of a repeated field.
pub trait List {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn get(&self, i: usize) -> Value<'_>;
}

/// A repeated field to fill.
pub trait ListMut {
    /// Appends a default element and gives it to fill.
    fn push(&mut self) -> ValueMut<'_>;
}

/// What a repeated field can hold.
pub trait Element: Default {
    fn value(&self) -> Value<'_>;
    fn value_mut(&mut self) -> ValueMut<'_>;
}

impl<T: Element> List for Vec<T> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn get(&self, i: usize) -> Value<'_> {
        self.as_slice().get(i).map_or(Value::Unset, T::value)
    }
}

impl<T: Element> ListMut for Vec<T> {
    fn push(&mut self) -> ValueMut<'_> {
        Vec::push(self, T::default());
        self.last_mut().map_or(ValueMut::Unset, T::value_mut)
    }
}

macro_rules! element {
    ($($t:ty => $v:ident),* $(,)?) => {$(
        impl Element for $t {
            fn value(&self) -> Value<'_> {
                Value::$v(*self)
            }
            fn value_mut(&mut self) -> ValueMut<'_> {
                ValueMut::$v(self)
            }
        }
    )*};
}

element!(i64 => I64, u64 => U64, i32 => I32, u32 => U32, bool => Bool);

impl Element for String {
    fn value(&self) -> Value<'_> {
        Value::Str(self)
    }
    fn value_mut(&mut self) -> ValueMut<'_> {
        ValueMut::Str(self)
    }
}

impl Element for Vec<u8> {
    fn value(&self) -> Value<'_> {
        Value::Bytes(self)
    }
    fn value_mut(&mut self) -> ValueMut<'_> {
        ValueMut::Bytes(self)
    }
}

impl<M: Message> Element for M {
    fn value(&self) -> Value<'_> {
        Value::Message(Some(self))
    }
    fn value_mut(&mut self) -> ValueMut<'_> {
        ValueMut::Message(self)
    }
}

/// A field kind as `message!` declares it: the proto type and the Rust
/// type that holds it.
pub trait Kind {
    type Rust: Default;
    const TYPE: Type;
    const ENUM: Option<&'static EnumType> = None;
    fn get(v: &Self::Rust) -> Value<'_>;
    fn get_mut(v: &mut Self::Rust) -> ValueMut<'_>;
}

macro_rules! scalar_kind {
    ($($(#[$doc:meta])* $kind:ident($rust:ty, $ty:ident);)*) => {$(
        $(#[$doc])*
        pub struct $kind;

        impl Kind for $kind {
            type Rust = $rust;
            const TYPE: Type = Type::$ty;
            fn get(v: &$rust) -> Value<'_> {
                v.value()
            }
            fn get_mut(v: &mut $rust) -> ValueMut<'_> {
                v.value_mut()
            }
        }
    )*};
}

scalar_kind! {
    /// `int64` (JSON: a string).
    Int64(i64, Int64);
    /// `uint64` (JSON: a string).
    Uint64(u64, Uint64);
    /// `int32`.
    Int32(i32, Int32);
    /// `uint32`.
    Uint32(u32, Uint32);
    /// `bool`.
    Bool(bool, Bool);
    /// `string`.
    Str(String, String);
    /// `bytes` (JSON: padded base64).
    Bytes(Vec<u8>, Bytes);
}

/// An enum field (JSON: the value's name).
pub struct Enum<E>(std::marker::PhantomData<E>);

impl<E: ProtoEnum> Kind for Enum<E> {
    type Rust = i32;
    const TYPE: Type = Type::Enum;
    const ENUM: Option<&'static EnumType> = Some(E::TYPE);
    fn get(v: &i32) -> Value<'_> {
        v.value()
    }
    fn get_mut(v: &mut i32) -> ValueMut<'_> {
        v.value_mut()
    }
}

/// A singular message field: present (even if empty) or not.
pub struct Opt<M>(std::marker::PhantomData<M>);

impl<M: Message> Kind for Opt<M> {
    type Rust = Option<M>;
    const TYPE: Type = Type::Message;
    fn get(v: &Option<M>) -> Value<'_> {
        Value::Message(v.as_ref().map(|m| m as &dyn Reflect))
    }
    fn get_mut(v: &mut Option<M>) -> ValueMut<'_> {
        ValueMut::Message(v.insert(M::default()))
    }
}

/// A message that is always there: an element of a repeated field or a
/// oneof member.
pub struct Msg<M>(std::marker::PhantomData<M>);

impl<M: Message> Kind for Msg<M> {
    type Rust = M;
    const TYPE: Type = Type::Message;
    fn get(v: &M) -> Value<'_> {
        v.value()
    }
    fn get_mut(v: &mut M) -> ValueMut<'_> {
        *v = M::default();
        v.value_mut()
    }
}

/// A repeated field of kind `K` (`Rep<Str>`, `Rep<Msg<KeyValue>>`).
pub struct Rep<K>(std::marker::PhantomData<K>);

impl<K: Kind> Kind for Rep<K>
where
    K::Rust: Element,
{
    type Rust = Vec<K::Rust>;
    const TYPE: Type = K::TYPE;
    const ENUM: Option<&'static EnumType> = K::ENUM;
    fn get(v: &Vec<K::Rust>) -> Value<'_> {
        Value::List(v)
    }
    fn get_mut(v: &mut Vec<K::Rust>) -> ValueMut<'_> {
        v.clear();
        ValueMut::List(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::{Compare, LeaseGrantRequest, RequestOp};

    fn table<M: Message>() -> Vec<(&'static str, u16, bool)> {
        M::FIELDS
            .iter()
            .map(|f| (f.info.name, f.info.number, f.info.oneof))
            .collect()
    }

    #[test]
    fn fields_keep_proto_names_numbers_and_declaration_order() {
        // rpc.proto: int64 TTL = 1; int64 ID = 2;
        assert_eq!(
            table::<LeaseGrantRequest>(),
            [("TTL", 1, false), ("ID", 2, false)]
        );
        // a oneof sits where it is declared, its members flagged
        let numbers: Vec<(u16, bool)> = table::<Compare>()
            .iter()
            .map(|&(_, n, oneof)| (n, oneof))
            .collect();
        let oneof = |n| (n, (4..=8).contains(&n));
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 64].map(oneof));
    }

    #[test]
    fn filling_a_oneof_member_sets_it_and_reading_others_finds_them_unset() {
        let mut op = RequestOp::default();
        let Some(ValueMut::Message(_)) = op.field_mut(1) else {
            panic!("request_put is a message");
        };
        assert!(matches!(
            op.request,
            Some(crate::pb::request_op::Request::RequestPut(_))
        ));
        let values: Vec<Value> = fields(&op).map(|(_, v)| v).collect();
        assert!(matches!(values[0], Value::Unset));
        assert!(matches!(values[1], Value::Message(Some(_))));
    }
}
