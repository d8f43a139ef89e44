//! Protobuf wire sizes of requests. etcd's limits are on the encoded
//! message: the gRPC receive limit (`grpc: received message larger than max
//! (N vs. M)`, N being this size) and `--max-request-bytes` on the Raft
//! proposal (`etcdserver: request is too large`).

use super::reflect::{fields, FieldInfo, List, Reflect, Value};

fn varint(v: u64) -> usize {
    let mut n = 1;
    let mut v = v >> 7;
    while v != 0 {
        n += 1;
        v >>= 7;
    }
    n
}

fn tag(field: u32) -> usize {
    varint(u64::from(field) << 3)
}

/// A length-delimited field holding `len` bytes (present even when empty).
pub fn embedded(field: u32, len: usize) -> usize {
    tag(field) + varint(len as u64) + len
}

/// Encoded size of a message: its fields that are on the wire.
pub fn encoded_len(m: &dyn Reflect) -> usize {
    fields(m).map(|(f, v)| field_len(f, v)).sum()
}

/// Proto3 leaves out a field at its zero value, except a oneof member,
/// which is on the wire whenever it is the member set.
fn field_len(f: &FieldInfo, v: Value) -> usize {
    let zero = match v {
        Value::Unset | Value::Message(None) => return 0,
        Value::List(list) => return list_len(f.number.into(), list),
        Value::I64(n) => n == 0,
        Value::U64(n) => n == 0,
        Value::I32(n) => n == 0,
        Value::U32(n) => n == 0,
        Value::Bool(b) => !b,
        Value::Str(s) => s.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        Value::Message(Some(_)) => false,
    };
    if zero && !f.oneof {
        return 0;
    }
    tag(f.number.into()) + value_len(v)
}

/// A value after its tag: varints (negative int32s sign-extended to 10
/// bytes), lengths and contents.
fn value_len(v: Value) -> usize {
    match v {
        Value::I64(n) => varint(n as u64),
        Value::U64(n) => varint(n),
        Value::I32(n) => varint(i64::from(n) as u64),
        Value::U32(n) => varint(u64::from(n)),
        Value::Bool(_) => 1,
        Value::Str(s) => varint(s.len() as u64) + s.len(),
        Value::Bytes(b) => varint(b.len() as u64) + b.len(),
        Value::Message(Some(m)) => {
            let len = encoded_len(m);
            varint(len as u64) + len
        }
        Value::Unset | Value::Message(None) | Value::List(_) => 0,
    }
}

/// Strings, bytes and messages repeat their tag; numbers are packed into
/// one length-delimited field (proto3's default).
fn list_len(field: u32, list: &dyn List) -> usize {
    let values = (0..list.len()).map(|i| list.get(i));
    let mut packed = 0;
    let mut each = 0;
    for v in values {
        match v {
            Value::Str(_) | Value::Bytes(_) | Value::Message(_) => {
                each += tag(field) + value_len(v)
            }
            v => packed += value_len(v),
        }
    }
    if packed > 0 {
        each += embedded(field, packed);
    }
    each
}

#[cfg(test)]
mod tests {
    use crate::pb::compare::TargetUnion;
    use crate::pb::*;

    #[test]
    fn put_of_a_2_5_mib_value_has_the_size_grpc_reported() {
        // kv_put_grpc_too_large: key "foo", value 2,640,000 bytes -> 2640010
        let p = PutRequest {
            key: b"foo".to_vec(),
            value: vec![b'A'; 2_640_000],
            ..Default::default()
        };
        assert_eq!(p.encoded_len(), 2_640_010);
    }

    #[test]
    fn zero_valued_oneof_member_still_counts() {
        let c = Compare {
            key: b"k".to_vec(),
            target_union: Some(TargetUnion::Version(0)),
            ..Default::default()
        };
        assert_eq!(c.encoded_len(), 3 + 2);
    }

    #[test]
    fn repeated_numbers_are_packed_and_repeated_strings_repeat_their_tag() {
        // filters = 5: one tag, one length, a varint per value
        let w = WatchCreateRequest {
            filters: vec![filter_type::NOPUT, filter_type::NODELETE],
            ..Default::default()
        };
        assert_eq!(w.encoded_len(), 1 + 1 + 2);
        // peerURLs = 1: tag and length per string
        let m = MemberAddRequest {
            peer_urls: vec!["a".into(), "bc".into()],
            ..Default::default()
        };
        assert_eq!(m.encoded_len(), (1 + 1 + 1) + (1 + 1 + 2));
    }

    #[test]
    fn a_negative_int32_is_sign_extended_to_ten_bytes() {
        let r = RangeRequest {
            sort_order: -1,
            ..Default::default()
        };
        assert_eq!(r.encoded_len(), 1 + 10);
    }

    #[test]
    fn a_present_empty_message_counts_its_tag_and_length() {
        let r = ResignRequest {
            leader: Some(LeaderKey::default()),
        };
        assert_eq!(r.encoded_len(), 2);
        assert_eq!(ResignRequest::default().encoded_len(), 0);
    }
}
