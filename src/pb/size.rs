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
    grown_len(m, m, 0).unwrap_or_default()
}

/// Encoded size of message `a` with every string or bytes value that
/// message `b` has longer grown by `k` times the difference; `None` when
/// `a` and `b` differ in anything else. This sizes a request whose body
/// was kept without a long run of base64 digits (`gateway::jsonpb`'s
/// reader): `a` decoded from the body without the run, `b` with four of its
/// digits, and the run `k` times four digits long. `encoded_len(m)` is
/// `grown_len(m, m, 0)`.
pub fn grown_len(a: &dyn Reflect, b: &dyn Reflect, k: usize) -> Option<usize> {
    let mut b = fields(b);
    fields(a)
        .map(|(f, va)| field_len(f, va, b.next()?.1, k))
        .sum()
}

/// Proto3 leaves out a field at its zero value, except a oneof member,
/// which is on the wire whenever it is the member set.
fn field_len(f: &FieldInfo, a: Value, b: Value, k: usize) -> Option<usize> {
    let (zero, len) = match (a, b) {
        (Value::List(a), Value::List(b)) => return list_len(f.number.into(), a, b, k),
        (Value::Unset, Value::Unset) | (Value::Message(None), Value::Message(None)) => {
            return Some(0)
        }
        (a, b) => value_len(a, b, k)?,
    };
    if zero && !f.oneof {
        return Some(0);
    }
    Some(tag(f.number.into()) + len)
}

/// A value after its tag: varints (negative int32s sign-extended to 10
/// bytes), lengths and contents; and whether it is its type's zero.
fn value_len(a: Value, b: Value, k: usize) -> Option<(bool, usize)> {
    let len = match (a, b) {
        (Value::Str(a), Value::Str(b)) => grown(a.len(), b.len(), k)?,
        (Value::Bytes(a), Value::Bytes(b)) => grown(a.len(), b.len(), k)?,
        (Value::Message(Some(a)), Value::Message(Some(b))) => {
            let len = grown_len(a, b, k)?;
            return Some((false, varint(len as u64) + len));
        }
        (a, b) => {
            let n = varint_value(a)?;
            return (Some(n) == varint_value(b)).then(|| (n == 0, varint(n)));
        }
    };
    Some((len == 0, varint(len as u64) + len))
}

/// The length of a string or bytes value of length `a` in one message and
/// `b` in the other, grown `k` times their difference.
fn grown(a: usize, b: usize, k: usize) -> Option<usize> {
    Some(a + b.checked_sub(a)?.checked_mul(k)?)
}

/// The number a scalar is written as, as a varint.
fn varint_value(v: Value) -> Option<u64> {
    Some(match v {
        Value::I64(n) => n as u64,
        Value::U64(n) => n,
        Value::I32(n) => i64::from(n) as u64,
        Value::U32(n) => u64::from(n),
        Value::Bool(b) => u64::from(b),
        _ => return None,
    })
}

/// Strings, bytes and messages repeat their tag; numbers are packed into
/// one length-delimited field (proto3's default).
fn list_len(field: u32, a: &dyn List, b: &dyn List, k: usize) -> Option<usize> {
    if a.len() != b.len() {
        return None;
    }
    let mut packed = 0;
    let mut each = 0;
    for i in 0..a.len() {
        match (a.get(i), b.get(i)) {
            (v @ (Value::Str(_) | Value::Bytes(_) | Value::Message(_)), w) => {
                each += tag(field) + value_len(v, w, k)?.1
            }
            (v, w) => packed += value_len(v, w, k)?.1,
        }
    }
    if packed > 0 {
        each += embedded(field, packed);
    }
    Some(each)
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
    fn a_value_grown_past_varint_steps_counts_its_longer_length_prefixes() {
        // a txn whose one value is 300 million bytes: two length prefixes
        // (the value's, its RequestOp's) take 5 bytes, not 2
        let txn = |value: usize| TxnRequest {
            success: vec![RequestOp {
                request: Some(request_op::Request::RequestPut(PutRequest {
                    key: b"a".to_vec(),
                    value: vec![7; value],
                    ..Default::default()
                })),
            }],
            ..Default::default()
        };
        let (a, b) = (txn(200), txn(203));
        let grown = super::grown_len(&a, &b, 100_000_000);
        let put = 3 + 1 + 5 + 300_000_200;
        let op = 1 + 5 + put;
        assert_eq!(grown, Some(1 + 5 + op));
        assert_eq!(super::grown_len(&a, &a, 9), Some(a.encoded_len()));
        // anything else that differs is not a grown value
        assert_eq!(super::grown_len(&b, &a, 1), None);
        let other = PutRequest {
            lease: 1,
            ..Default::default()
        };
        assert_eq!(super::grown_len(&PutRequest::default(), &other, 1), None);
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
