//! Encoding rules of the gateway's JSON mapping (`JSONPb{OrigName: true}`),
//! docs/etcd-behaviour.md section 1, and the field table of every message type.

use super::*;
use crate::pb::*;

fn header() -> ResponseHeader {
    ResponseHeader {
        cluster_id: 16953193277419372565,
        member_id: 5668734143396167528,
        revision: 1,
        raft_term: 2,
    }
}

const HEADER: &str = r#""header":{"cluster_id":"16953193277419372565","member_id":"5668734143396167528","revision":"1","raft_term":"2"}"#;

#[test]
fn zero_values_are_omitted() {
    let r = RangeResponse {
        header: Some(header()),
        ..Default::default()
    };
    assert_eq!(encode(&r), format!("{{{HEADER}}}"));
    assert_eq!(encode(&RangeResponse::default()), "{}");
    let h = ResponseHeader {
        revision: 2,
        ..Default::default()
    };
    assert_eq!(encode(&h), r#"{"revision":"2"}"#);
}

#[test]
fn a_present_empty_message_is_emitted() {
    let t = TxnResponse {
        header: Some(ResponseHeader::default()),
        ..Default::default()
    };
    assert_eq!(encode(&t), r#"{"header":{}}"#);
}

#[test]
fn sixty_four_bit_integers_are_strings_and_32_bit_are_numbers() {
    let h = HashResponse {
        header: None,
        hash: 3455494814,
    };
    assert_eq!(encode(&h), r#"{"hash":3455494814}"#);
    let w = WatchResponse {
        watch_id: -1,
        created: true,
        ..Default::default()
    };
    assert_eq!(encode(&w), r#"{"watch_id":"-1","created":true}"#);
    assert_eq!(
        encode_error(3, "x"),
        r#"{"error":"x","code":3,"message":"x"}"#
    );
}

#[test]
fn enums_are_names_and_unknown_numbers_are_numbers() {
    let kv = KeyValue {
        key: b"foo".to_vec(),
        mod_revision: 3,
        ..Default::default()
    };
    let e = Event {
        r#type: event_type::DELETE,
        kv: Some(kv),
        prev_kv: None,
    };
    assert_eq!(
        encode(&e),
        r#"{"type":"DELETE","kv":{"key":"Zm9v","mod_revision":"3"}}"#
    );
    let e = Event {
        r#type: 7,
        ..Default::default()
    };
    assert_eq!(encode(&e), r#"{"type":7}"#);
    let p = Permission {
        perm_type: permission_type::READ,
        key: b"a".to_vec(),
        range_end: b"b".to_vec(),
    };
    assert_eq!(encode(&p), r#"{"key":"YQ==","range_end":"Yg=="}"#);
}

#[test]
fn proto_names_are_written_verbatim() {
    let m = Member {
        id: 1,
        name: "m0".into(),
        peer_urls: vec!["http://127.0.0.1:2380".into()],
        client_urls: vec!["http://127.0.0.1:2379".into()],
        is_learner: true,
    };
    assert_eq!(
        encode(&m),
        r#"{"ID":"1","name":"m0","peerURLs":["http://127.0.0.1:2380"],"clientURLs":["http://127.0.0.1:2379"],"isLearner":true}"#
    );
}

#[test]
fn strings_are_escaped_like_go_encoding_json() {
    let w = WatchResponse {
        cancel_reason: "a<b>&\"\\\n\u{1}\u{2028}é".into(),
        ..Default::default()
    };
    assert_eq!(
        encode(&w),
        "{\"cancel_reason\":\"a\\u003cb\\u003e\\u0026\\\"\\\\\\n\\u0001\\u2028é\"}"
    );
    let e = encode_error(
        3,
        r#"unknown value "\"SIDEWAYS\"" for enum etcdserverpb.RangeRequest.SortOrder"#,
    );
    assert_eq!(
        e,
        r#"{"error":"unknown value \"\\\"SIDEWAYS\\\"\" for enum etcdserverpb.RangeRequest.SortOrder","code":3,"message":"unknown value \"\\\"SIDEWAYS\\\"\" for enum etcdserverpb.RangeRequest.SortOrder"}"#
    );
}

#[test]
fn repeated_scalars_are_arrays() {
    let t = LeaseTimeToLiveResponse {
        id: 5,
        ttl: -1,
        keys: vec![b"a".to_vec(), vec![]],
        ..Default::default()
    };
    assert_eq!(encode(&t), r#"{"ID":"5","TTL":"-1","keys":["YQ==",""]}"#);
}

/// Every message type: all fields set, proto names, declaration order. The
/// text must decode and encode back to itself.
#[test]
fn every_message_type_round_trips_through_its_field_table() {
    fn rt<M: Message + std::fmt::Debug + PartialEq>(json: &str) {
        let m = decode::<M>(json.as_bytes());
        let Ok(m) = m else { panic!("{json}: {m:?}") };
        assert_eq!(encode(&m), json, "{}", std::any::type_name::<M>());
        assert_ne!(m, M::default(), "{json}");
    }
    let h = r#""header":{"cluster_id":"1","member_id":"2","revision":"3","raft_term":"4"}"#;
    let kv = r#"{"key":"YQ==","create_revision":"1","mod_revision":"2","version":"3","value":"Yg==","lease":"4"}"#;
    rt::<ResponseHeader>(&h[9..]);
    rt::<KeyValue>(kv);
    rt::<Event>(&format!(r#"{{"type":"DELETE","kv":{kv},"prev_kv":{kv}}}"#));
    let range_req = r#"{"key":"YQ==","range_end":"Yg==","limit":"1","revision":"2","sort_order":"DESCEND","sort_target":"VALUE","serializable":true,"keys_only":true,"count_only":true,"min_mod_revision":"3","max_mod_revision":"4","min_create_revision":"5","max_create_revision":"6"}"#;
    rt::<RangeRequest>(range_req);
    let range_resp = format!(r#"{{{h},"kvs":[{kv},{kv}],"more":true,"count":"2"}}"#);
    rt::<RangeResponse>(&range_resp);
    let put_req = r#"{"key":"YQ==","value":"Yg==","lease":"1","prev_kv":true,"ignore_value":true,"ignore_lease":true}"#;
    rt::<PutRequest>(put_req);
    rt::<PutResponse>(&format!(r#"{{{h},"prev_kv":{kv}}}"#));
    let del_req = r#"{"key":"YQ==","range_end":"Yg==","prev_kv":true}"#;
    rt::<DeleteRangeRequest>(del_req);
    let del_resp = format!(r#"{{{h},"deleted":"1","prev_kvs":[{kv}]}}"#);
    rt::<DeleteRangeResponse>(&del_resp);
    let cmp =
        r#"{"result":"NOT_EQUAL","target":"LEASE","key":"YQ==","lease":"5","range_end":"Yg=="}"#;
    rt::<Compare>(cmp);
    rt::<Compare>(r#"{"create_revision":"1"}"#);
    rt::<Compare>(r#"{"mod_revision":"1"}"#);
    rt::<Compare>(r#"{"value":"YQ=="}"#);
    let txn_req = format!(
        r#"{{"compare":[{cmp}],"success":[{{"request_range":{range_req}}},{{"request_put":{put_req}}}],"failure":[{{"request_delete_range":{del_req}}},{{"request_txn":{{}}}}]}}"#
    );
    rt::<TxnRequest>(&txn_req);
    rt::<RequestOp>(&format!(r#"{{"request_txn":{txn_req}}}"#));
    let txn_resp = format!(
        r#"{{{h},"succeeded":true,"responses":[{{"response_range":{range_resp}}},{{"response_put":{{"header":{{}}}}}},{{"response_delete_range":{del_resp}}},{{"response_txn":{{"header":{{}}}}}}]}}"#
    );
    rt::<TxnResponse>(&txn_resp);
    rt::<ResponseOp>(&format!(r#"{{"response_txn":{txn_resp}}}"#));
    rt::<CompactionRequest>(r#"{"revision":"1","physical":true}"#);
    rt::<CompactionResponse>(&format!("{{{h}}}"));
    // lease
    rt::<LeaseGrantRequest>(r#"{"TTL":"60","ID":"-5"}"#);
    rt::<LeaseGrantResponse>(&format!(r#"{{{h},"ID":"1","TTL":"2","error":"e"}}"#));
    rt::<LeaseRevokeRequest>(r#"{"ID":"1"}"#);
    rt::<LeaseRevokeResponse>(&format!("{{{h}}}"));
    rt::<LeaseKeepAliveRequest>(r#"{"ID":"1"}"#);
    rt::<LeaseKeepAliveResponse>(&format!(r#"{{{h},"ID":"1","TTL":"2"}}"#));
    rt::<LeaseTimeToLiveRequest>(r#"{"ID":"1","keys":true}"#);
    rt::<LeaseTimeToLiveResponse>(&format!(
        r#"{{{h},"ID":"1","TTL":"2","grantedTTL":"3","keys":["YQ=="]}}"#
    ));
    rt::<LeaseStatus>(r#"{"ID":"1"}"#);
    rt::<LeaseLeasesResponse>(&format!(r#"{{{h},"leases":[{{"ID":"1"}},{{}}]}}"#));
    // watch
    let create = r#"{"key":"YQ==","range_end":"Yg==","start_revision":"1","progress_notify":true,"filters":["NOPUT","NODELETE",7],"prev_kv":true,"watch_id":"2","fragment":true}"#;
    rt::<WatchCreateRequest>(create);
    rt::<WatchRequest>(&format!(r#"{{"create_request":{create}}}"#));
    rt::<WatchRequest>(r#"{"cancel_request":{"watch_id":"1"}}"#);
    rt::<WatchRequest>(r#"{"progress_request":{}}"#);
    rt::<WatchCancelRequest>(r#"{"watch_id":"1"}"#);
    let watch_resp = format!(
        r#"{{{h},"watch_id":"1","created":true,"canceled":true,"compact_revision":"2","cancel_reason":"r","fragment":true,"events":[{{"kv":{kv}}}]}}"#
    );
    rt::<WatchResponse>(&watch_resp);
    // cluster
    let member = r#"{"ID":"1","name":"n","peerURLs":["p"],"clientURLs":["c"],"isLearner":true}"#;
    rt::<Member>(member);
    rt::<MemberAddRequest>(r#"{"peerURLs":["p","q"],"isLearner":true}"#);
    rt::<MemberAddResponse>(&format!(
        r#"{{{h},"member":{member},"members":[{member}]}}"#
    ));
    rt::<MemberRemoveRequest>(r#"{"ID":"1"}"#);
    rt::<MemberRemoveResponse>(&format!(r#"{{{h},"members":[{member}]}}"#));
    rt::<MemberUpdateRequest>(r#"{"ID":"1","peerURLs":["p"]}"#);
    rt::<MemberUpdateResponse>(&format!(r#"{{{h},"members":[{member}]}}"#));
    rt::<MemberListRequest>(r#"{"linearizable":true}"#);
    rt::<MemberListResponse>(&format!(r#"{{{h},"members":[{member}]}}"#));
    rt::<MemberPromoteRequest>(r#"{"ID":"1"}"#);
    rt::<MemberPromoteResponse>(&format!(r#"{{{h},"members":[{member}]}}"#));
    // maintenance
    rt::<AlarmRequest>(r#"{"action":"DEACTIVATE","memberID":"1","alarm":"CORRUPT"}"#);
    rt::<AlarmMember>(r#"{"memberID":"1","alarm":"NOSPACE"}"#);
    rt::<AlarmResponse>(&format!(
        r#"{{{h},"alarms":[{{"memberID":"1","alarm":"NOSPACE"}},{{"alarm":3}}]}}"#
    ));
    rt::<StatusResponse>(&format!(
        r#"{{{h},"version":"3.5.1","dbSize":"20480","leader":"1","raftIndex":"4","raftTerm":"2","raftAppliedIndex":"4","errors":["e"],"dbSizeInUse":"16384","isLearner":true}}"#
    ));
    rt::<DefragmentResponse>(&format!("{{{h}}}"));
    rt::<HashResponse>(&format!(r#"{{{h},"hash":4294967295}}"#));
    rt::<HashKvRequest>(r#"{"revision":"1"}"#);
    rt::<HashKvResponse>(&format!(r#"{{{h},"hash":1,"compact_revision":"2"}}"#));
    rt::<SnapshotResponse>(&format!(r#"{{{h},"remaining_bytes":"1","blob":"YQ=="}}"#));
    rt::<MoveLeaderRequest>(r#"{"targetID":"1"}"#);
    rt::<MoveLeaderResponse>(&format!("{{{h}}}"));
    rt::<DowngradeRequest>(r#"{"action":"ENABLE","version":"3.4.0"}"#);
    rt::<DowngradeResponse>(&format!(r#"{{{h},"version":"3.5.0"}}"#));
    // auth
    rt::<UserAddOptions>(r#"{"no_password":true}"#);
    rt::<User>(r#"{"name":"YQ==","password":"Yg==","roles":["r"],"options":{"no_password":true}}"#);
    let perm = r#"{"permType":"READWRITE","key":"YQ==","range_end":"Yg=="}"#;
    rt::<Permission>(perm);
    rt::<Role>(&format!(r#"{{"name":"YQ==","keyPermission":[{perm}]}}"#));
    rt::<AuthenticateRequest>(r#"{"name":"u","password":"p"}"#);
    rt::<AuthUserAddRequest>(r#"{"name":"u","password":"p","options":{},"hashedPassword":"h"}"#);
    rt::<AuthUserGetRequest>(r#"{"name":"u"}"#);
    rt::<AuthUserDeleteRequest>(r#"{"name":"u"}"#);
    rt::<AuthUserChangePasswordRequest>(r#"{"name":"u","password":"p","hashedPassword":"h"}"#);
    rt::<AuthUserGrantRoleRequest>(r#"{"user":"u","role":"r"}"#);
    rt::<AuthUserRevokeRoleRequest>(r#"{"name":"u","role":"r"}"#);
    rt::<AuthRoleAddRequest>(r#"{"name":"r"}"#);
    rt::<AuthRoleGetRequest>(r#"{"role":"r"}"#);
    rt::<AuthRoleDeleteRequest>(r#"{"role":"r"}"#);
    rt::<AuthRoleGrantPermissionRequest>(&format!(r#"{{"name":"r","perm":{perm}}}"#));
    rt::<AuthRoleRevokePermissionRequest>(r#"{"role":"r","key":"YQ==","range_end":"Yg=="}"#);
    rt::<AuthEnableResponse>(&format!("{{{h}}}"));
    rt::<AuthDisableResponse>(&format!("{{{h}}}"));
    rt::<AuthStatusResponse>(&format!(r#"{{{h},"enabled":true,"authRevision":"3"}}"#));
    rt::<AuthenticateResponse>(&format!(r#"{{{h},"token":"t.1"}}"#));
    rt::<AuthUserAddResponse>(&format!("{{{h}}}"));
    rt::<AuthUserGetResponse>(&format!(r#"{{{h},"roles":["a","b"]}}"#));
    rt::<AuthUserDeleteResponse>(&format!("{{{h}}}"));
    rt::<AuthUserChangePasswordResponse>(&format!("{{{h}}}"));
    rt::<AuthUserGrantRoleResponse>(&format!("{{{h}}}"));
    rt::<AuthUserRevokeRoleResponse>(&format!("{{{h}}}"));
    rt::<AuthRoleAddResponse>(&format!("{{{h}}}"));
    rt::<AuthRoleGetResponse>(&format!(r#"{{{h},"perm":[{perm}]}}"#));
    rt::<AuthRoleListResponse>(&format!(r#"{{{h},"roles":["a"]}}"#));
    rt::<AuthUserListResponse>(&format!(r#"{{{h},"users":["a"]}}"#));
    rt::<AuthRoleDeleteResponse>(&format!("{{{h}}}"));
    rt::<AuthRoleGrantPermissionResponse>(&format!("{{{h}}}"));
    rt::<AuthRoleRevokePermissionResponse>(&format!("{{{h}}}"));
}

#[test]
fn messages_without_fields_encode_as_empty_objects() {
    assert_eq!(encode(&WatchProgressRequest {}), "{}");
    assert_eq!(encode(&StatusRequest {}), "{}");
    assert_eq!(encode(&AuthEnableRequest {}), "{}");
    assert_eq!(
        decode::<LeaseLeasesRequest>(br#"{"x":1}"#),
        Ok(LeaseLeasesRequest {})
    );
    for t in [
        encode(&AuthDisableRequest {}),
        encode(&AuthStatusRequest {}),
        encode(&AuthUserListRequest {}),
        encode(&AuthRoleListRequest {}),
        encode(&DefragmentRequest {}),
        encode(&HashRequest {}),
        encode(&SnapshotRequest {}),
        encode(&LeaseLeasesRequest {}),
    ] {
        assert_eq!(t, "{}");
    }
}

#[test]
fn json_names_are_lower_camel_case_of_proto_names() {
    assert_eq!(json_name("prev_kv"), "prevKv");
    assert_eq!(json_name("request_delete_range"), "requestDeleteRange");
    assert_eq!(json_name("peerURLs"), "peerURLs");
    assert_eq!(
        json_name("remaining_TTL"),
        "remaining_TTL".replace("_T", "T")
    );
    assert_eq!(json_name("ID"), "ID");
}

#[test]
fn stream_messages_are_wrapped_in_result_or_error() {
    let k = LeaseKeepAliveResponse {
        header: None,
        id: 1000,
        ttl: 60,
    };
    assert_eq!(
        encode_stream_result(&k),
        r#"{"result":{"ID":"1000","TTL":"60"}}"#
    );
    assert_eq!(
        encode_stream_error(2, 500, "Internal Server Error", "x"),
        r#"{"error":{"grpc_code":2,"http_code":500,"message":"x","http_status":"Internal Server Error"}}"#
    );
}
