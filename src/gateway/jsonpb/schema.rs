//! The field tables of every etcd message: proto name and kind of each
//! field, in proto declaration order (which is the JSON output order and
//! the order jsonpb visits fields when decoding).

mod auth;
mod cluster;
mod concurrency;
mod kv;
mod lease;
mod maintenance;
mod watch;

use super::{Int32, Str};

/// `field!(rust_field: Codec = "proto_name")`.
macro_rules! field {
    ($f:ident : $c:ty = $name:literal) => {
        $crate::gateway::jsonpb::Field {
            name: $name,
            decode: |m, raw, depth| {
                m.$f = <$c as $crate::gateway::jsonpb::Codec>::decode(raw, depth)?;
                Ok(())
            },
            encode: |m, w| {
                if !<$c as $crate::gateway::jsonpb::Codec>::is_default(&m.$f) {
                    w.key($name);
                    <$c as $crate::gateway::jsonpb::Codec>::encode(&m.$f, w.out());
                }
            },
        }
    };
}

/// `oneof!(rust_field = Enum::Variant: Codec = "proto_name")`: a oneof
/// member; setting it replaces whichever member was set, and it is written
/// whenever it is the set member, even with a zero value.
macro_rules! oneof {
    ($f:ident = $variant:path : $c:ty = $name:literal) => {
        $crate::gateway::jsonpb::Field {
            name: $name,
            decode: |m, raw, depth| {
                m.$f = Some($variant(<$c as $crate::gateway::jsonpb::Codec>::decode(
                    raw, depth,
                )?));
                Ok(())
            },
            encode: |m, w| {
                if let Some($variant(v)) = &m.$f {
                    w.key($name);
                    <$c as $crate::gateway::jsonpb::Codec>::encode(v, w.out());
                }
            },
        }
    };
}

/// `message!(Type { field!(..), oneof!(..), .. })`.
macro_rules! message {
    ($ty:ty { $($field:expr),* $(,)? }) => {
        impl $crate::gateway::jsonpb::Message for $ty {
            const DECODERS: &'static [$crate::gateway::jsonpb::FieldDecoder<Self>] =
                &[$($crate::gateway::jsonpb::Field::<Self>::decoder(&$field)),*];
            const ENCODERS: &'static [$crate::gateway::jsonpb::FieldEncoder<Self>] =
                &[$($crate::gateway::jsonpb::Field::<Self>::encoder(&$field)),*];
        }
    };
}

/// `proto_enum!(Marker = "full.proto.Name" { NAME = 0, .. })`.
macro_rules! proto_enum {
    ($marker:ident = $full:literal { $($value:ident = $n:literal),* $(,)? }) => {
        #[doc = concat!("The enum `", $full, "`.")]
        pub struct $marker;
        impl $crate::gateway::jsonpb::ProtoEnum for $marker {
            const NAME: &'static str = $full;
            const VALUES: &'static [(&'static str, i32)] = &[$((stringify!($value), $n)),*];
        }
    };
}

use {field, message, oneof, proto_enum};

/// grpc-gateway v1.16 `runtime/internal.Error`, the unary error body.
#[derive(Default)]
pub struct GatewayError {
    pub error: String,
    pub code: i32,
    pub message: String,
}

message!(GatewayError {
    field!(error: Str = "error"),
    field!(code: Int32 = "code"),
    field!(message: Str = "message"),
});

/// grpc-gateway v1.16 `runtime/internal.StreamError` (`details` never set).
#[derive(Default)]
pub struct GatewayStreamError {
    pub grpc_code: i32,
    pub http_code: i32,
    pub message: String,
    pub http_status: String,
}

message!(GatewayStreamError {
    field!(grpc_code: Int32 = "grpc_code"),
    field!(http_code: Int32 = "http_code"),
    field!(message: Str = "message"),
    field!(http_status: Str = "http_status"),
});
