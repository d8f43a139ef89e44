//! The KV service: range, put, delete range, txn, compaction.

use super::{enumeration, message, Bool, Bytes, Enum, Int64, KeyValue, Msg, Opt, Rep, Uint64};

message! {
    /// `etcdserverpb.ResponseHeader`.
    ResponseHeader {
        cluster_id: Uint64 = 1,
        member_id: Uint64 = 2,
        revision: Int64 = 3,
        raft_term: Uint64 = 4,
    }
}

enumeration! {
    /// `RangeRequest.SortOrder`.
    SortOrder in sort_order = "etcdserverpb.RangeRequest.SortOrder" {
        NONE = 0, ASCEND = 1, DESCEND = 2,
    }
}

enumeration! {
    /// `RangeRequest.SortTarget`.
    SortTarget in sort_target = "etcdserverpb.RangeRequest.SortTarget" {
        KEY = 0, VERSION = 1, CREATE = 2, MOD = 3, VALUE = 4,
    }
}

message! {
    RangeRequest {
        key: Bytes = 1,
        range_end: Bytes = 2,
        limit: Int64 = 3,
        revision: Int64 = 4,
        sort_order: Enum<SortOrder> = 5,
        sort_target: Enum<SortTarget> = 6,
        serializable: Bool = 7,
        keys_only: Bool = 8,
        count_only: Bool = 9,
        min_mod_revision: Int64 = 10,
        max_mod_revision: Int64 = 11,
        min_create_revision: Int64 = 12,
        max_create_revision: Int64 = 13,
    }
}

message! {
    RangeResponse {
        header: Opt<ResponseHeader> = 1,
        kvs: Rep<Msg<KeyValue>> = 2,
        more: Bool = 3,
        count: Int64 = 4,
    }
}

message! {
    PutRequest {
        key: Bytes = 1,
        value: Bytes = 2,
        lease: Int64 = 3,
        prev_kv: Bool = 4,
        ignore_value: Bool = 5,
        ignore_lease: Bool = 6,
    }
}

message! {
    PutResponse {
        header: Opt<ResponseHeader> = 1,
        prev_kv: Opt<KeyValue> = 2,
    }
}

message! {
    DeleteRangeRequest {
        key: Bytes = 1,
        range_end: Bytes = 2,
        prev_kv: Bool = 3,
    }
}

message! {
    DeleteRangeResponse {
        header: Opt<ResponseHeader> = 1,
        deleted: Int64 = 2,
        prev_kvs: Rep<Msg<KeyValue>> = 3,
    }
}

message! {
    RequestOp {
        oneof request: request_op::Request {
            request_range: RequestRange(Msg<RangeRequest>) = 1,
            request_put: RequestPut(Msg<PutRequest>) = 2,
            request_delete_range: RequestDeleteRange(Msg<DeleteRangeRequest>) = 3,
            request_txn: RequestTxn(Msg<TxnRequest>) = 4,
        },
    }
}

message! {
    ResponseOp {
        oneof response: response_op::Response {
            response_range: ResponseRange(Msg<RangeResponse>) = 1,
            response_put: ResponsePut(Msg<PutResponse>) = 2,
            response_delete_range: ResponseDeleteRange(Msg<DeleteRangeResponse>) = 3,
            response_txn: ResponseTxn(Msg<TxnResponse>) = 4,
        },
    }
}

enumeration! {
    /// `Compare.CompareResult`.
    CompareResult in compare_result = "etcdserverpb.Compare.CompareResult" {
        EQUAL = 0, GREATER = 1, LESS = 2, NOT_EQUAL = 3,
    }
}

enumeration! {
    /// `Compare.CompareTarget`.
    CompareTarget in compare_target = "etcdserverpb.Compare.CompareTarget" {
        VERSION = 0, CREATE = 1, MOD = 2, VALUE = 3, LEASE = 4,
    }
}

message! {
    Compare {
        result: Enum<CompareResult> = 1,
        target: Enum<CompareTarget> = 2,
        key: Bytes = 3,
        oneof target_union: compare::TargetUnion {
            version: Version(Int64) = 4,
            create_revision: CreateRevision(Int64) = 5,
            mod_revision: ModRevision(Int64) = 6,
            value: Value(Bytes) = 7,
            lease: Lease(Int64) = 8,
        },
        range_end: Bytes = 64,
    }
}

message! {
    TxnRequest {
        compare: Rep<Msg<Compare>> = 1,
        success: Rep<Msg<RequestOp>> = 2,
        failure: Rep<Msg<RequestOp>> = 3,
    }
}

message! {
    TxnResponse {
        header: Opt<ResponseHeader> = 1,
        succeeded: Bool = 2,
        responses: Rep<Msg<ResponseOp>> = 3,
    }
}

message! {
    CompactionRequest {
        revision: Int64 = 1,
        physical: Bool = 2,
    }
}

message! {
    CompactionResponse {
        header: Opt<ResponseHeader> = 1,
    }
}
