//! The declarations of messages and enums: each is written once, as in
//! its `.proto` file, and the macros make the Rust type and its field
//! descriptions ([`Message::FIELDS`](super::Message::FIELDS)) from it.

/// Declares a message: the struct (prost's shape: singular message fields
/// as `Option`, repeated ones as `Vec`, enums as `i32`, a oneof as an
/// `Option` of an enum in a module named after the message) and its
/// fields in proto declaration order.
///
/// ```text
/// message! {
///     /// `etcdserverpb.LeaseGrantRequest`.
///     LeaseGrantRequest {
///         // rust_name: Kind = field number ["proto name", if not rust_name]
///         ttl: Int64 = 1 "TTL",
///         id: Int64 = 2 "ID",
///     }
/// }
/// message! {
///     Compare {
///         key: Bytes = 3,
///         oneof target_union: compare::TargetUnion {
///             version: Version(Int64) = 4,
///             value: Value(Bytes) = 7,
///         },
///         range_end: Bytes = 64,
///     }
/// }
/// ```
///
/// Kinds: `Int64`, `Uint64`, `Int32`, `Uint32`, `Bool`, `Str`, `Bytes`,
/// `Enum<E>` (an [`enumeration!`]), `Opt<M>` (a singular message),
/// `Msg<M>` (a oneof member message), `Rep<K>` (repeated).
macro_rules! message {
    // A oneof: one field of the struct, one entry per member in the table.
    (@munch $head:tt [$($struct:tt)*] [$($table:tt)*] [$($oneofs:tt)*]
        $(#[$oattr:meta])* oneof $f:ident : $module:ident :: $enum:ident {
            $($member:ident : $variant:ident ($k:ty) = $n:literal),* $(,)?
        } $(, $($rest:tt)*)?
    ) => {
        $crate::pb::message! { @munch $head
            [$($struct)* [$(#[$oattr])* $f: Option<$module::$enum>]]
            [$($table)* $([oneof $f $module $enum $variant, $k, $n, stringify!($member)])*]
            [$($oneofs)* [$module $enum $([$variant $k])*]]
            $($($rest)*)?
        }
    };
    // A field.
    (@munch $head:tt [$($struct:tt)*] [$($table:tt)*] $oneofs:tt
        $(#[$fattr:meta])* $f:ident : $k:ty = $n:literal $($name:literal)? $(, $($rest:tt)*)?
    ) => {
        $crate::pb::message! { @munch $head
            [$($struct)* [$(#[$fattr])* $f: <$k as $crate::pb::Kind>::Rust]]
            [$($table)* [field $f, $k, $n, $crate::pb::message!(@name $f $($name)?)]]
            $oneofs
            $($($rest)*)?
        }
    };
    // All read: the struct, its table, its oneof enums.
    (@munch [$(#[$attr:meta])* $name:ident]
        [$([$(#[$fattr:meta])* $f:ident : $t:ty])*]
        [$([$($entry:tt)*])*]
        [$([$module:ident $enum:ident $([$variant:ident $vk:ty])*])*]
    ) => {
        $(#[$attr])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $($(#[$fattr])* pub $f: $t,)*
        }

        impl $crate::pb::Message for $name {
            const FIELDS: &'static [$crate::pb::Field<Self>] =
                &[$($crate::pb::message!(@entry $($entry)*)),*];
            const FIELDS_MUT: &'static [$crate::pb::FieldMut<Self>] =
                &[$($crate::pb::message!(@entry_mut $($entry)*)),*];
        }

        $(
            pub mod $module {
                #[allow(unused_imports)]
                use super::*;

                #[derive(Clone, Debug, PartialEq, Eq)]
                pub enum $enum {
                    $($variant(<$vk as $crate::pb::Kind>::Rust),)*
                }
            }
        )*
    };
    (@name $f:ident $name:literal) => { $name };
    (@name $f:ident) => { stringify!($f) };
    (@entry field $f:ident, $k:ty, $n:literal, $name:expr) => {
        $crate::pb::Field {
            info: $crate::pb::message!(@info $k, $n, $name, false),
            get: |m, v| *v = <$k as $crate::pb::Kind>::get(&m.$f),
        }
    };
    (@entry oneof $f:ident $module:ident $enum:ident $variant:ident, $k:ty, $n:literal, $name:expr) => {
        $crate::pb::Field {
            info: $crate::pb::message!(@info $k, $n, $name, true),
            get: |m, v| {
                *v = match &m.$f {
                    Some($module::$enum::$variant(f)) => <$k as $crate::pb::Kind>::get(f),
                    _ => $crate::pb::Value::Unset,
                }
            },
        }
    };
    (@info $k:ty, $n:literal, $name:expr, $oneof:literal) => {
        $crate::pb::FieldInfo {
            name: $name,
            number: $n,
            ty: <$k as $crate::pb::Kind>::TYPE,
            oneof: $oneof,
            enum_type: <$k as $crate::pb::Kind>::ENUM,
        }
    };
    (@entry_mut field $f:ident, $k:ty, $n:literal, $name:expr) => {
        |m| <$k as $crate::pb::Kind>::get_mut(&mut m.$f)
    };
    (@entry_mut oneof $f:ident $module:ident $enum:ident $variant:ident, $k:ty, $n:literal, $name:expr) => {
        |m| match m.$f.insert($module::$enum::$variant(Default::default())) {
            $module::$enum::$variant(v) => <$k as $crate::pb::Kind>::get_mut(v),
            _ => $crate::pb::ValueMut::Unset,
        }
    };
    ($(#[$attr:meta])* $name:ident { $($body:tt)* }) => {
        $crate::pb::message! { @munch [$(#[$attr])* $name] [] [] [] $($body)* }
    };
}

/// Declares a proto enum: a marker type for field kinds (`Enum<SortOrder>`)
/// and a module of its values as `i32` constants (`sort_order::DESCEND`).
///
/// ```text
/// enumeration! {
///     /// `RangeRequest.SortOrder`.
///     SortOrder in sort_order = "etcdserverpb.RangeRequest.SortOrder" {
///         NONE = 0, ASCEND = 1, DESCEND = 2,
///     }
/// }
/// ```
macro_rules! enumeration {
    ($(#[$attr:meta])* $marker:ident in $module:ident = $full:literal {
        $($value:ident = $n:literal),* $(,)?
    }) => {
        $(#[$attr])*
        pub struct $marker;

        impl $crate::pb::ProtoEnum for $marker {
            const TYPE: &'static $crate::pb::EnumType = &$crate::pb::EnumType {
                name: $full,
                values: &[$((stringify!($value), $n)),*],
            };
        }

        $(#[$attr])*
        pub mod $module {
            $(pub const $value: i32 = $n;)*
        }
    };
}

pub(crate) use {enumeration, message};
