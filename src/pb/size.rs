//! Protobuf wire sizes of requests. etcd's limits are on the encoded
//! message: the gRPC receive limit (`grpc: received message larger than max
//! (N vs. M)`, N being this size) and `--max-request-bytes` on the Raft
//! proposal (`etcdserver: request is too large`).

use super::compare::TargetUnion;
use super::request_op::Request as Op;
use super::*;

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

fn int(field: u32, v: i64) -> usize {
    if v == 0 {
        0
    } else {
        tag(field) + varint(v as u64)
    }
}

fn int32(field: u32, v: i32) -> usize {
    // negative int32 values are sign-extended to 10 bytes on the wire
    int(field, i64::from(v))
}

fn boolean(field: u32, v: bool) -> usize {
    if v {
        tag(field) + 1
    } else {
        0
    }
}

fn bytes(field: u32, v: &[u8]) -> usize {
    if v.is_empty() {
        0
    } else {
        embedded(field, v.len())
    }
}

/// A length-delimited field holding `len` bytes (present even when empty).
pub fn embedded(field: u32, len: usize) -> usize {
    tag(field) + varint(len as u64) + len
}

/// Encoded size of a message type.
pub trait EncodedLen {
    fn encoded_len(&self) -> usize;
}

impl EncodedLen for RangeRequest {
    fn encoded_len(&self) -> usize {
        bytes(1, &self.key)
            + bytes(2, &self.range_end)
            + int(3, self.limit)
            + int(4, self.revision)
            + int32(5, self.sort_order)
            + int32(6, self.sort_target)
            + boolean(7, self.serializable)
            + boolean(8, self.keys_only)
            + boolean(9, self.count_only)
            + int(10, self.min_mod_revision)
            + int(11, self.max_mod_revision)
            + int(12, self.min_create_revision)
            + int(13, self.max_create_revision)
    }
}

impl EncodedLen for PutRequest {
    fn encoded_len(&self) -> usize {
        bytes(1, &self.key)
            + bytes(2, &self.value)
            + int(3, self.lease)
            + boolean(4, self.prev_kv)
            + boolean(5, self.ignore_value)
            + boolean(6, self.ignore_lease)
    }
}

impl EncodedLen for DeleteRangeRequest {
    fn encoded_len(&self) -> usize {
        bytes(1, &self.key) + bytes(2, &self.range_end) + boolean(3, self.prev_kv)
    }
}

impl EncodedLen for CompactionRequest {
    fn encoded_len(&self) -> usize {
        int(1, self.revision) + boolean(2, self.physical)
    }
}

impl EncodedLen for Compare {
    fn encoded_len(&self) -> usize {
        // a oneof member is on the wire whenever it is set, even when zero
        let target = match &self.target_union {
            None => 0,
            Some(TargetUnion::Version(v)) => tag(4) + varint(*v as u64),
            Some(TargetUnion::CreateRevision(v)) => tag(5) + varint(*v as u64),
            Some(TargetUnion::ModRevision(v)) => tag(6) + varint(*v as u64),
            Some(TargetUnion::Value(v)) => embedded(7, v.len()),
            Some(TargetUnion::Lease(v)) => tag(8) + varint(*v as u64),
        };
        int32(1, self.result)
            + int32(2, self.target)
            + bytes(3, &self.key)
            + target
            + bytes(64, &self.range_end)
    }
}

impl EncodedLen for RequestOp {
    fn encoded_len(&self) -> usize {
        match &self.request {
            None => 0,
            Some(Op::RequestRange(r)) => embedded(1, r.encoded_len()),
            Some(Op::RequestPut(r)) => embedded(2, r.encoded_len()),
            Some(Op::RequestDeleteRange(r)) => embedded(3, r.encoded_len()),
            Some(Op::RequestTxn(r)) => embedded(4, r.encoded_len()),
        }
    }
}

impl EncodedLen for TxnRequest {
    fn encoded_len(&self) -> usize {
        let c: usize = self
            .compare
            .iter()
            .map(|c| embedded(1, c.encoded_len()))
            .sum();
        let s: usize = self
            .success
            .iter()
            .map(|o| embedded(2, o.encoded_len()))
            .sum();
        let f: usize = self
            .failure
            .iter()
            .map(|o| embedded(3, o.encoded_len()))
            .sum();
        c + s + f
    }
}

fn string(field: u32, v: &str) -> usize {
    bytes(field, v.as_bytes())
}

fn message<T: EncodedLen>(field: u32, v: &Option<T>) -> usize {
    v.as_ref().map_or(0, |m| embedded(field, m.encoded_len()))
}

impl EncodedLen for ResponseHeader {
    fn encoded_len(&self) -> usize {
        int(1, self.cluster_id as i64)
            + int(2, self.member_id as i64)
            + int(3, self.revision)
            + int(4, self.raft_term as i64)
    }
}

impl EncodedLen for KeyValue {
    fn encoded_len(&self) -> usize {
        bytes(1, &self.key)
            + int(2, self.create_revision)
            + int(3, self.mod_revision)
            + int(4, self.version)
            + bytes(5, &self.value)
            + int(6, self.lease)
    }
}

impl EncodedLen for Event {
    fn encoded_len(&self) -> usize {
        int32(1, self.r#type) + message(2, &self.kv) + message(3, &self.prev_kv)
    }
}

impl EncodedLen for WatchResponse {
    fn encoded_len(&self) -> usize {
        let events: usize = self
            .events
            .iter()
            .map(|e| embedded(11, e.encoded_len()))
            .sum();
        message(1, &self.header)
            + int(2, self.watch_id)
            + boolean(3, self.created)
            + boolean(4, self.canceled)
            + int(5, self.compact_revision)
            + string(6, &self.cancel_reason)
            + boolean(7, self.fragment)
            + events
    }
}

impl EncodedLen for LockRequest {
    fn encoded_len(&self) -> usize {
        bytes(1, &self.name) + int(2, self.lease)
    }
}

impl EncodedLen for UnlockRequest {
    fn encoded_len(&self) -> usize {
        bytes(1, &self.key)
    }
}

impl EncodedLen for CampaignRequest {
    fn encoded_len(&self) -> usize {
        bytes(1, &self.name) + int(2, self.lease) + bytes(3, &self.value)
    }
}

impl EncodedLen for LeaderKey {
    fn encoded_len(&self) -> usize {
        bytes(1, &self.name) + bytes(2, &self.key) + int(3, self.rev) + int(4, self.lease)
    }
}

impl EncodedLen for LeaderRequest {
    fn encoded_len(&self) -> usize {
        bytes(1, &self.name)
    }
}

impl EncodedLen for ProclaimRequest {
    fn encoded_len(&self) -> usize {
        message(1, &self.leader) + bytes(2, &self.value)
    }
}

impl EncodedLen for ResignRequest {
    fn encoded_len(&self) -> usize {
        message(1, &self.leader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
