//! Decoding rules of the gateway's JSON mapping (jsonpb 1.5.2 over Go's
//! encoding/json), each test named after the rule it defends; cases from
//! the `bad_*` scenarios (docs/etcd-behaviour.md section 4) unless said otherwise.

use super::*;
use crate::pb::*;

fn range(body: &str) -> Result<RangeRequest, String> {
    decode::<RangeRequest>(body.as_bytes())
}

fn range_err(body: &str) -> String {
    range(body).err().unwrap_or_else(|| "<decoded>".to_string())
}

fn txn_err(body: &str) -> String {
    decode::<TxnRequest>(body.as_bytes())
        .err()
        .unwrap_or_else(|| "<decoded>".to_string())
}

fn key(k: &[u8]) -> RangeRequest {
    RangeRequest {
        key: k.to_vec(),
        ..Default::default()
    }
}

#[test]
fn empty_or_blank_body_is_the_empty_message() {
    assert_eq!(range(""), Ok(RangeRequest::default()));
    assert_eq!(range(" \n\t\r "), Ok(RangeRequest::default()));
    assert_eq!(decode::<TxnRequest>(b""), Ok(TxnRequest::default()));
}

#[test]
fn null_body_is_the_empty_message() {
    assert_eq!(range("null"), Ok(RangeRequest::default()));
    assert_eq!(range(" null "), Ok(RangeRequest::default()));
}

#[test]
fn only_the_first_json_value_is_read() {
    assert_eq!(range(r#"{"key":"Zm9v"} trailing"#), Ok(key(b"foo")));
    assert_eq!(range(r#"{"key":"Zm9v"}{"key":"YmFy"}"#), Ok(key(b"foo")));
    assert_eq!(range("{\"key\":\"Zm9v\"}\n\n"), Ok(key(b"foo")));
    assert_eq!(range(r#" {"key":"Zm9v"} "#), Ok(key(b"foo")));
    assert_eq!(range(r#"{"key":"Zm9v"}{"#), Ok(key(b"foo")));
}

#[test]
fn truncated_body_is_unexpected_eof() {
    assert_eq!(range_err("{"), "unexpected EOF");
    assert_eq!(range_err(r#"{"key":"Zm9v""#), "unexpected EOF");
    assert_eq!(range_err(r#"{"key":"#), "unexpected EOF");
    assert_eq!(range_err("[1,"), "unexpected EOF");
    assert_eq!(range_err(" -"), "unexpected EOF");
}

#[test]
fn syntax_errors_carry_go_scanner_messages() {
    assert_eq!(
        range_err(r#"{"a":}"#),
        "invalid character '}' looking for beginning of value"
    );
    assert_eq!(
        range_err(r#"{"a" 1}"#),
        "invalid character '1' after object key"
    );
    assert_eq!(
        range_err(r#"{"a":1 "b":2}"#),
        "invalid character '\"' after object key:value pair"
    );
    assert_eq!(
        range_err("{bad"),
        "invalid character 'b' looking for beginning of object key string"
    );
    assert_eq!(
        range_err("{\"a\":\"x\ty\"}"),
        r"invalid character '\t' in string literal"
    );
    assert_eq!(
        range_err(r#"{"a":tru}"#),
        "invalid character '}' in literal true (expecting 'e')"
    );
    assert_eq!(
        range_err("x"),
        "invalid character 'x' looking for beginning of value"
    );
}

#[test]
fn a_body_that_is_not_an_object_cannot_unmarshal_into_a_map() {
    let e = |what: &str| {
        format!("json: cannot unmarshal {what} into Go value of type map[string]json.RawMessage")
    };
    assert_eq!(range_err("[]"), e("array"));
    assert_eq!(range_err(r#"[{"key":"Zm9v"}]"#), e("array"));
    assert_eq!(range_err(r#""x""#), e("string"));
    assert_eq!(range_err("5"), e("number"));
    assert_eq!(range_err("true"), e("bool"));
}

#[test]
fn a_repeated_key_keeps_its_last_value() {
    assert_eq!(range(r#"{"key":"Zm9v","key":"YmFy"}"#), Ok(key(b"bar")));
    // The earlier value is not decoded at all.
    assert_eq!(range(r#"{"key":5,"key":"YmFy"}"#), Ok(key(b"bar")));
}

#[test]
fn proto_name_and_json_name_are_both_accepted_and_json_name_wins() {
    let want = RangeRequest {
        range_end: b"foo".to_vec(),
        keys_only: true,
        ..Default::default()
    };
    assert_eq!(range(r#"{"rangeEnd":"Zm9v","keysOnly":true}"#), Ok(want));
    let r = range(r#"{"rangeEnd":"YmFy","range_end":"Zm9v"}"#).unwrap_or_default();
    assert_eq!(r.range_end, b"bar");
    let p = decode::<PutRequest>(br#"{"key":"Zm9v","prevKv":true,"ignoreValue":true}"#)
        .unwrap_or_default();
    assert!(p.prev_kv && p.ignore_value);
    let w = decode::<WatchRequest>(br#"{"createRequest":{"key":"Zm9v","startRevision":"3"}}"#);
    let Ok(WatchRequest {
        request_union: Some(watch_request::RequestUnion::CreateRequest(c)),
    }) = w
    else {
        panic!("createRequest not decoded: {w:?}");
    };
    assert_eq!(c.start_revision, 3);
}

#[test]
fn the_shadowed_name_is_not_decoded_when_both_are_present() {
    // jsonpb consumes both names but decodes only the JSON name's value.
    assert_eq!(
        range(r#"{"range_end":5,"rangeEnd":"Zm9v"}"#).map(|r| r.range_end),
        Ok(b"foo".to_vec())
    );
}

#[test]
fn camel_case_proto_names_have_no_snake_case_alias() {
    let m = decode::<MemberAddRequest>(br#"{"peer_urls":["http://a:1"],"is_learner":true}"#);
    assert_eq!(m, Ok(MemberAddRequest::default()));
    let m = decode::<MemberAddRequest>(br#"{"peerURLs":["http://a:1"],"isLearner":true}"#);
    assert_eq!(
        m,
        Ok(MemberAddRequest {
            peer_urls: vec!["http://a:1".into()],
            is_learner: true
        })
    );
    assert_eq!(
        decode::<LeaseGrantRequest>(br#"{"ttl":60,"id":5}"#),
        Ok(LeaseGrantRequest::default())
    );
    assert_eq!(
        decode::<LeaseGrantRequest>(br#"{"TTL":60,"ID":5}"#),
        Ok(LeaseGrantRequest { ttl: 60, id: 5 })
    );
}

#[test]
fn unknown_fields_are_ignored() {
    let r = range(r#"{"no_such_field":1,"another":{"x":[1,2]},"key":"Zm9v"}"#);
    assert_eq!(r, Ok(key(b"foo")));
    assert_eq!(
        decode::<CompactionRequest>(br#"{"zzz":"y"}"#),
        Ok(CompactionRequest::default())
    );
}

#[test]
fn a_null_field_is_absent() {
    assert_eq!(range(r#"{"key":null}"#), Ok(RangeRequest::default()));
    assert_eq!(
        range(r#"{"key":"Zm9v","sort_order":null}"#),
        Ok(key(b"foo"))
    );
    assert_eq!(
        decode::<TxnRequest>(br#"{"compare":null}"#),
        Ok(TxnRequest::default())
    );
}

#[test]
fn int64_takes_a_number_or_a_decimal_string() {
    let limit = |b: &str| range(b).map(|r| r.limit);
    assert_eq!(limit(r#"{"limit":5}"#), Ok(5));
    assert_eq!(limit(r#"{"limit":"5"}"#), Ok(5));
    assert_eq!(limit(r#"{"limit":" 2"}"#), Ok(2));
    assert_eq!(limit(r#"{"limit":"-0"}"#), Ok(0));
    assert_eq!(limit(r#"{"limit":-1}"#), Ok(-1));
    // trimQuote leaves `null`, which json.Unmarshal ignores.
    assert_eq!(limit(r#"{"limit":"null"}"#), Ok(0));
    assert_eq!(limit(r#"{"limit":"-9223372036854775808"}"#), Ok(i64::MIN));
}

#[test]
fn int64_errors_are_go_json_errors_of_the_unquoted_text() {
    assert_eq!(
        range_err(r#"{"limit":"abc"}"#),
        "invalid character 'a' looking for beginning of value"
    );
    assert_eq!(
        range_err(r#"{"limit":5.5}"#),
        "json: cannot unmarshal number 5.5 into Go value of type int64"
    );
    assert_eq!(
        range_err(r#"{"limit":1e2}"#),
        "json: cannot unmarshal number 1e2 into Go value of type int64"
    );
    assert_eq!(
        range_err(r#"{"limit":"1e2"}"#),
        "json: cannot unmarshal number 1e2 into Go value of type int64"
    );
    assert_eq!(
        range_err(r#"{"limit":99999999999999999999}"#),
        "json: cannot unmarshal number 99999999999999999999 into Go value of type int64"
    );
    assert_eq!(
        range_err(r#"{"limit":9223372036854775808}"#),
        "json: cannot unmarshal number 9223372036854775808 into Go value of type int64"
    );
    assert_eq!(
        range_err(r#"{"limit":"0x10"}"#),
        "invalid character 'x' after top-level value"
    );
    assert_eq!(
        range_err(r#"{"limit":true}"#),
        "json: cannot unmarshal bool into Go value of type int64"
    );
    assert_eq!(range_err(r#"{"limit":""}"#), "unexpected end of JSON input");
    assert_eq!(
        range_err(r#"{"limit":"-"}"#),
        "invalid character ' ' in numeric literal"
    );
    assert_eq!(
        range_err(r#"{"limit":"\u0035"}"#),
        r"invalid character '\\' looking for beginning of value"
    );
    assert_eq!(
        range_err(r#"{"limit":[1]}"#),
        "json: cannot unmarshal array into Go value of type int64"
    );
    assert_eq!(
        range_err(r#"{"limit":{}}"#),
        "json: cannot unmarshal object into Go value of type int64"
    );
    let e = decode::<LeaseGrantRequest>(br#"{"TTL":60,"ID":"x"}"#).err();
    assert_eq!(
        e.as_deref(),
        Some("invalid character 'x' looking for beginning of value")
    );
}

#[test]
fn uint64_rejects_negative_numbers() {
    let e = decode::<MemberRemoveRequest>(br#"{"ID":-1}"#).err();
    assert_eq!(
        e.as_deref(),
        Some("json: cannot unmarshal number -1 into Go value of type uint64")
    );
    let m = decode::<MemberRemoveRequest>(br#"{"ID":"18446744073709551615"}"#);
    assert_eq!(m, Ok(MemberRemoveRequest { id: u64::MAX }));
}

#[test]
fn bool_takes_only_json_booleans() {
    assert_eq!(
        range(r#"{"serializable":true}"#).map(|r| r.serializable),
        Ok(true)
    );
    assert_eq!(
        range_err(r#"{"serializable":"true"}"#),
        "json: cannot unmarshal string into Go value of type bool"
    );
    assert_eq!(
        range_err(r#"{"serializable":1}"#),
        "json: cannot unmarshal number into Go value of type bool"
    );
}

#[test]
fn bytes_are_padded_standard_base64_after_json_unescaping() {
    assert_eq!(range(r#"{"key":"+/+/"}"#), Ok(key(&[0xfb, 0xff, 0xbf])));
    assert_eq!(range(r#"{"key":"Zm9v\n"}"#), Ok(key(b"foo")));
    assert_eq!(
        range(r#"{"key":"\u005a\u006d\u0039\u0076"}"#),
        Ok(key(b"foo"))
    );
    assert_eq!(range(r#"{"key":"AA=="}"#), Ok(key(&[0])));
    assert_eq!(range(r#"{"key":""}"#), Ok(RangeRequest::default()));
}

#[test]
fn bytes_reject_bad_base64_with_the_offset() {
    let put_err = |b: &str| decode::<PutRequest>(b.as_bytes()).err().unwrap_or_default();
    assert_eq!(
        put_err(r#"{"key":"Zm9vYg","value":"YmFy"}"#),
        "illegal base64 data at input byte 4"
    );
    assert_eq!(
        put_err(r#"{"key":"-_-_","value":"YmFy"}"#),
        "illegal base64 data at input byte 0"
    );
    assert_eq!(
        put_err(r#"{"key":"Zm 9v","value":"YmFy"}"#),
        "illegal base64 data at input byte 2"
    );
    assert_eq!(
        put_err(r#"{"key":"Zm9v!","value":"YmFy"}"#),
        "illegal base64 data at input byte 4"
    );
    assert_eq!(
        put_err(r#"{"key":"Zm9v","value":"***"}"#),
        "illegal base64 data at input byte 0"
    );
    assert_eq!(
        put_err(r#"{"key":"foo","value":"bar"}"#),
        "illegal base64 data at input byte 0"
    );
    assert_eq!(
        range_err(r#"{"key":"Zm9v","range_end":"%%%"}"#),
        "illegal base64 data at input byte 0"
    );
    assert_eq!(
        range_err(r#"{"key":"Zm9"}"#),
        "illegal base64 data at input byte 0"
    );
}

#[test]
fn bytes_take_an_array_of_numbers_but_not_of_strings() {
    assert_eq!(range(r#"{"key":[102,111,111]}"#), Ok(key(b"foo")));
    assert_eq!(
        range_err(r#"{"key":["Zm9v"]}"#),
        "json: cannot unmarshal string into Go value of type uint8"
    );
    assert_eq!(
        range_err(r#"{"key":[1,300]}"#),
        "json: cannot unmarshal number 300 into Go value of type uint8"
    );
    assert_eq!(
        range_err(r#"{"key":123}"#),
        "json: cannot unmarshal number into Go value of type []uint8"
    );
    assert_eq!(
        range_err(r#"{"key":{"a":1}}"#),
        "json: cannot unmarshal object into Go value of type []uint8"
    );
}

#[test]
fn enums_take_a_value_name_or_any_number() {
    let order = |b: &str| range(b).map(|r| r.sort_order);
    assert_eq!(
        order(r#"{"sort_order":"DESCEND"}"#),
        Ok(sort_order::DESCEND)
    );
    assert_eq!(order(r#"{"sort_order":2}"#), Ok(sort_order::DESCEND));
    assert_eq!(order(r#"{"sort_order":7}"#), Ok(7));
    assert_eq!(order(r#"{"sort_order":-3}"#), Ok(-3));
    let a = decode::<AlarmRequest>(br#"{"action":"ACTIVATE","memberID":"1","alarm":"NOSPACE"}"#);
    assert_eq!(
        a,
        Ok(AlarmRequest {
            action: alarm_action::ACTIVATE,
            member_id: 1,
            alarm: alarm_type::NOSPACE
        })
    );
}

#[test]
fn an_unknown_enum_name_is_rejected_naming_the_full_enum() {
    assert_eq!(
        range_err(r#"{"key":"Zm9v","sort_order":"SIDEWAYS"}"#),
        r#"unknown value "\"SIDEWAYS\"" for enum etcdserverpb.RangeRequest.SortOrder"#
    );
    assert_eq!(
        range_err(r#"{"sort_order":"descend"}"#),
        r#"unknown value "\"descend\"" for enum etcdserverpb.RangeRequest.SortOrder"#
    );
    // Names are compared before unescaping; the error shows the raw text.
    assert_eq!(
        range_err(r#"{"sort_order":"\u0041SCEND"}"#),
        r#"unknown value "\"\\u0041SCEND\"" for enum etcdserverpb.RangeRequest.SortOrder"#
    );
    assert_eq!(
        range_err(r#"{"sort_order":"1"}"#),
        r#"unknown value "\"1\"" for enum etcdserverpb.RangeRequest.SortOrder"#
    );
    let e = decode::<WatchRequest>(br#"{"create_request":{"filters":["NOPUT","X"]}}"#).err();
    assert_eq!(
        e.as_deref(),
        Some(r#"unknown value "\"X\"" for enum etcdserverpb.WatchCreateRequest.FilterType"#)
    );
}

#[test]
fn a_non_integer_enum_number_names_protoreflect_enum_number() {
    let want = "json: cannot unmarshal number 1.5 into Go value of type protoreflect.EnumNumber";
    assert_eq!(range_err(r#"{"sort_order":1.5}"#), want);
    let want = "json: cannot unmarshal bool into Go value of type protoreflect.EnumNumber";
    assert_eq!(range_err(r#"{"sort_order":true}"#), want);
    let want =
        "json: cannot unmarshal number 2147483648 into Go value of type protoreflect.EnumNumber";
    assert_eq!(range_err(r#"{"sort_order":2147483648}"#), want);
}

#[test]
fn a_repeated_field_needs_a_json_array() {
    let e = |what: &str| {
        format!("json: cannot unmarshal {what} into Go value of type []json.RawMessage")
    };
    assert_eq!(txn_err(r#"{"compare":{}}"#), e("object"));
    assert_eq!(txn_err(r#"{"success":"x"}"#), e("string"));
    let m = decode::<MemberAddRequest>(br#"{"peerURLs":"http://127.0.0.1:42380"}"#).err();
    assert_eq!(m, Some(e("string")));
}

#[test]
fn repeated_enums_take_names_and_numbers() {
    let w = decode::<WatchRequest>(br#"{"create_request":{"filters":["NODELETE",0,5,null]}}"#);
    let Ok(WatchRequest {
        request_union: Some(watch_request::RequestUnion::CreateRequest(c)),
    }) = w
    else {
        panic!("not decoded: {w:?}");
    };
    assert_eq!(
        c.filters,
        vec![filter_type::NODELETE, filter_type::NOPUT, 5, 0]
    );
}

#[test]
fn a_nested_message_must_be_an_object() {
    let want = "json: cannot unmarshal string into Go value of type map[string]json.RawMessage";
    assert_eq!(txn_err(r#"{"success":[{"request_put":"x"}]}"#), want);
    let want = "json: cannot unmarshal array into Go value of type map[string]json.RawMessage";
    assert_eq!(txn_err(r#"{"compare":[[]]}"#), want);
}

#[test]
fn a_null_list_element_is_an_empty_message() {
    let t = decode::<TxnRequest>(br#"{"success":[null,{}]}"#);
    assert_eq!(
        t,
        Ok(TxnRequest {
            success: vec![RequestOp::default(), RequestOp::default()],
            ..Default::default()
        })
    );
}

#[test]
fn errors_inside_nested_messages_propagate() {
    assert_eq!(
        txn_err(r#"{"compare":[{"key":"!"}]}"#),
        "illegal base64 data at input byte 0"
    );
    let body = r#"{"success":[{"request_txn":{"failure":[{"request_range":{"limit":"x"}}]}}]}"#;
    assert_eq!(
        txn_err(body),
        "invalid character 'x' looking for beginning of value"
    );
}

#[test]
fn the_later_oneof_member_in_declaration_order_wins() {
    // request_range is declared before request_put: put wins, whatever the
    // order in the document [bad_wrong_types_other].
    let body = br#"{"success":[{"request_put":{"key":"YQ=="},"request_range":{"key":"YQ=="}}]}"#;
    let t = decode::<TxnRequest>(body).unwrap_or_default();
    let put = PutRequest {
        key: b"a".to_vec(),
        ..Default::default()
    };
    assert_eq!(
        t.success,
        vec![RequestOp {
            request: Some(request_op::Request::RequestPut(put))
        }]
    );
    // A null member does not clear an earlier one.
    let c = decode::<Compare>(br#"{"version":"3","lease":null}"#).unwrap_or_default();
    assert_eq!(c.target_union, Some(compare::TargetUnion::Version(3)));
}

#[test]
fn a_oneof_member_set_to_zero_is_set() {
    let c = decode::<Compare>(br#"{"target":"VALUE","value":""}"#).unwrap_or_default();
    assert_eq!(c.target_union, Some(compare::TargetUnion::Value(vec![])));
    assert_eq!(encode(&c), r#"{"target":"VALUE","value":""}"#);
    let c = Compare {
        target_union: Some(compare::TargetUnion::Version(0)),
        ..Default::default()
    };
    assert_eq!(encode(&c), r#"{"version":"0"}"#);
}

#[test]
fn strings_are_unescaped_and_invalid_utf8_becomes_fffd() {
    let a = decode::<AuthenticateRequest>(
        b"{\"name\":\"r\\u00f6\\ud83d\\ude00\",\"password\":\"a\xffb\"}",
    );
    assert_eq!(
        a,
        Ok(AuthenticateRequest {
            name: "r\u{f6}\u{1f600}".into(),
            password: "a\u{fffd}b".into()
        })
    );
    let e = decode::<AuthUserAddRequest>(br#"{"name":5}"#).err();
    assert_eq!(
        e.as_deref(),
        Some("json: cannot unmarshal number into Go value of type string")
    );
}

#[test]
fn messages_nested_too_deep_are_an_error_not_a_crash() {
    let n = MAX_MESSAGE_DEPTH;
    let body = r#"{"success":[{"request_txn":"#.repeat(n) + &"}]}".repeat(n);
    assert!(decode::<TxnRequest>(body.as_bytes()).is_err());
    let ok = r#"{"success":[{"request_txn":"#.repeat(10) + "{}" + &"}]}".repeat(10);
    assert!(decode::<TxnRequest>(ok.as_bytes()).is_ok());
}

#[test]
fn no_input_prefix_panics() {
    let body = br#"{"compare":[{"result":"EQUAL","target":"VALUE","key":"Zm9v","value":"YmFy","range_end":"AA=="}],"success":[{"request_put":{"key":"Zm9v","value":"YmFy","lease":"1"}},{"request_txn":{}}],"failure":[{"request_range":{"key":"Zm9v","limit":1,"sort_order":"DESCEND"}}]}"#;
    for n in 0..=body.len() {
        let _ = decode::<TxnRequest>(&body[..n]);
        let mut b = body[..n].to_vec();
        b.push(0xff);
        let _ = decode::<TxnRequest>(&b);
    }
}

#[test]
fn the_deepest_accepted_nesting_fits_in_a_one_mib_stack() {
    // wasm32's default stack is 1 MiB; debug builds use the largest frames.
    let n = MAX_MESSAGE_DEPTH / 2;
    let body = r#"{"success":[{"request_txn":"#.repeat(n) + "{}" + &"}]}".repeat(n);
    let worker = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let t = decode::<TxnRequest>(body.as_bytes());
            let ok = t.is_ok();
            let text = t.map(|t| encode(&t)).unwrap_or_default();
            (ok, text.len())
        });
    let joined = worker.map(|h| h.join());
    assert!(
        matches!(joined, Ok(Ok((true, len))) if len > 0),
        "{joined:?}"
    );
}

#[test]
fn member_names_are_matched_after_unescaping_and_case_sensitively() {
    assert_eq!(range(r#"{"k\u0065y":"Zm9v"}"#), Ok(key(b"foo")));
    assert_eq!(
        range(r#"{"KEY":"Zm9v","Key":"Zm9v"}"#),
        Ok(RangeRequest::default())
    );
}

#[test]
fn decode_kept_wraps_the_message_in_etcd_decode_error() {
    let kept = ValueReader::default().first(br#"{"key":5}"#);
    let e = kept.map(|k| k.map(|k| decode_kept::<RangeRequest>(&k)));
    let msg = "json: cannot unmarshal number into Go value of type []uint8";
    let want = Err(crate::errors::EtcdError::Decode(msg.into()));
    assert_eq!(e, Some(Ok(want)));
}

#[test]
fn a_leading_byte_order_mark_is_a_syntax_error() {
    assert_eq!(
        range_err("\u{feff}{}"),
        "invalid character 'ï' looking for beginning of value"
    );
}

#[test]
fn random_mutations_of_valid_bodies_never_panic() {
    let seeds: [&[u8]; 4] = [
        br#"{"compare":[{"result":"EQUAL","target":"VALUE","key":"Zm9v","value":"YmFy"}],"success":[{"request_put":{"key":"Zm9v","value":"YmFy","lease":"1"}},{"request_txn":{"failure":[{"request_range":{"key":"AA==","limit":1,"sort_order":2}}]}}]}"#,
        br#"{"key":"\u005a\ud83d\ude00m9v","range_end":[1,2,3],"limit":" 5","sort_target":"MOD"}"#,
        br#"{"create_request":{"key":"Zm9v","filters":["NOPUT",1],"start_revision":"3"}}{"cancel_request":{"watch_id":1}}"#,
        br#"{"peerURLs":["http://a:1","\u00e9"],"isLearner":true,"ID":"18446744073709551615"}"#,
    ];
    let alphabet = b"{}[]\",:\\u0123456789abcdefnulltrue-+.eE \n\xff\xc3";
    let mut state: u64 = 0x9e3779b97f4a7c15;
    let mut rand = move |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n.max(1)
    };
    for round in 0..4000 {
        let mut b = seeds[round % seeds.len()].to_vec();
        for _ in 0..1 + rand(4) {
            let at = rand(b.len() + 1);
            match rand(3) {
                0 if at < b.len() => b[at] = alphabet[rand(alphabet.len())],
                1 => b.insert(at, alphabet[rand(alphabet.len())]),
                _ if at < b.len() => {
                    b.remove(at);
                }
                _ => {}
            }
        }
        let _ = decode::<TxnRequest>(&b);
        let _ = decode::<RangeRequest>(&b);
        let _ = decode::<MemberAddRequest>(&b);
        let _ = super::reader_tests::read_stream::<WatchRequest>(&b, 1 + rand(7));
    }
}
