//! The body reader: values split as Go's `json.Decoder` splits them, kept
//! in bounded memory, decoded to etcd's answers as if kept whole.

use super::reader::{LeftOut, KEEP, MAX_KEPT};
use super::scanner::{Op, Scanner};
use super::value::trim_space;
use super::*;
use crate::errors::EtcdError;
use crate::pb::*;
use crate::server::MAX_RECV_BYTES;

type Read<M> = Result<M, EtcdError>;

/// Every message of a streaming body fed in pieces of `piece` bytes, up to
/// the first error, then the end (`None`: a clean end).
pub(super) fn read_stream<M: Message>(
    body: &[u8],
    piece: usize,
) -> (Vec<Read<M>>, Option<Read<M>>) {
    let mut r = ValueReader::default();
    let mut out = Vec::new();
    for mut data in body.chunks(piece.max(1)) {
        while !data.is_empty() {
            let (n, value) = r.read(data);
            data = &data[n..];
            let Some(value) = value else { continue };
            let m = value
                .map_err(EtcdError::Decode)
                .and_then(|k| decode_kept(&k));
            let failed = m.is_err();
            out.push(m);
            if failed {
                return (out, None);
            }
        }
    }
    let last = r
        .finish()
        .map(|v| v.map_err(EtcdError::Decode).and_then(|k| decode_kept(&k)));
    (out, last)
}

/// What jsonpb makes of a whole body's first value, the way the gateway
/// read it before it kept bodies (Go's `readValue` over the whole body,
/// then jsonpb): the answer the reader must give, gRPC's limit aside.
fn whole<M: Message>(body: &[u8]) -> Result<M, EtcdError> {
    let mut s = Scanner::default();
    let mut end = None;
    for (i, &c) in body.iter().enumerate() {
        match s.step(c) {
            Op::Error => return Err(EtcdError::Decode(s.error_text())),
            Op::End => end = Some(i),
            Op::EndObject | Op::EndArray if s.depth() == 0 => end = Some(i + 1),
            _ => continue,
        }
        break;
    }
    let end = match end {
        Some(end) => end,
        None if s.step(b' ') == Op::End => body.len(),
        None if trim_space(body).is_empty() => return Ok(M::default()),
        None => return Err(EtcdError::Decode("unexpected EOF".into())),
    };
    let mut m = M::default();
    decode_into(&mut m, trim_space(&body[..end]), 0).map_err(EtcdError::Decode)?;
    Ok(m)
}

/// [`whole`], then gRPC's receive limit (on any message).
fn whole_limited<M: Message>(body: &[u8]) -> Result<M, EtcdError> {
    let m = whole::<M>(body)?;
    match m.encoded_len() {
        n if n > MAX_RECV_BYTES => Err(too_large(n)),
        _ => Ok(m),
    }
}

/// The body read in pieces of `piece` bytes: its first value as kept, and
/// the most the reader held meanwhile.
fn kept(body: &[u8], piece: usize) -> (Option<Result<Kept, String>>, usize) {
    let mut r = ValueReader::default();
    let mut held = 0;
    for data in body.chunks(piece) {
        if let (_, Some(first)) = r.read(data) {
            return (Some(first), held.max(r.held()));
        }
        held = held.max(r.held());
    }
    (r.finish(), held)
}

fn first<M: Message>(body: &[u8], piece: usize) -> Result<M, EtcdError> {
    match kept(body, piece).0 {
        Some(Ok(k)) => decode_kept(&k),
        Some(Err(e)) => Err(EtcdError::Decode(e)),
        None => Ok(M::default()),
    }
}

fn too_large(size: usize) -> EtcdError {
    EtcdError::MessageTooLarge {
        size,
        limit: MAX_RECV_BYTES,
    }
}

/// `{"key":"Zm9v","value":"<n base64 digits, then tail>"}`.
fn put_body(n: usize, tail: &str) -> Vec<u8> {
    let mut b = br#"{"key":"Zm9v","value":""#.to_vec();
    b.extend(std::iter::repeat_n(b'Q', n));
    b.extend_from_slice(tail.as_bytes());
    b.extend_from_slice(br#""}"#);
    b
}

#[test]
fn concatenated_and_newline_separated_values_each_yield_a_message() {
    let body = b"{\"ID\":1}{\"ID\":\"2\"}\n {\"ID\":3}\n";
    for piece in [1, 3, 100] {
        let (msgs, end) = read_stream::<LeaseKeepAliveRequest>(body, piece);
        let ids: Vec<i64> = msgs.into_iter().map(|m| m.map_or(-1, |m| m.id)).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert!(end.is_none());
    }
}

#[test]
fn a_top_level_literal_needs_the_next_byte_or_eof() {
    let mut r = ValueReader::default();
    assert_eq!(r.read(b"null"), (4, None));
    let (n, v) = r.read(b" {}");
    assert_eq!(n, 0, "the space ends the literal; it starts the next value");
    assert!(matches!(v, Some(Ok(_))));
    let (msgs, end) = read_stream::<LeaseKeepAliveRequest>(b"null", 4);
    assert!(msgs.is_empty());
    assert_eq!(end, Some(Ok(LeaseKeepAliveRequest::default())));
}

#[test]
fn a_truncated_value_at_eof_is_unexpected_eof() {
    let (_, end) = read_stream::<WatchRequest>(b"{\"create_request\":{", 5);
    assert_eq!(end, Some(Err(EtcdError::Decode("unexpected EOF".into()))));
}

#[test]
fn a_syntax_error_after_a_good_value_is_reported_and_sticks() {
    let mut r = ValueReader::default();
    let (n, v) = r.read(b"{\"ID\":1}{bad");
    assert_eq!(n, 8);
    assert!(matches!(v, Some(Ok(_))));
    let want = "invalid character 'b' looking for beginning of object key string".to_string();
    assert_eq!(r.read(b"{bad"), (2, Some(Err(want.clone()))));
    assert_eq!(r.read(b"{\"ID\":2}"), (8, Some(Err(want.clone()))));
    assert_eq!(r.finish(), Some(Err(want)));
}

#[test]
fn a_number_ends_at_the_next_byte_even_without_space() {
    let (msgs, _) = read_stream::<LeaseKeepAliveRequest>(b"5{\"ID\":1}", 9);
    let e = "json: cannot unmarshal number into Go value of type map[string]json.RawMessage";
    assert_eq!(msgs, [Err(EtcdError::Decode(e.into()))]);
}

#[test]
fn empty_or_blank_body_ends_without_message() {
    let mut r = ValueReader::default();
    assert_eq!(r.read(b" \n\t "), (4, None));
    assert_eq!(r.finish(), None);
}

#[test]
fn what_was_kept_of_the_values_reads_the_same_messages() {
    let body = b"  {\"ID\" :  1}\n\n {\"ID\":2} {\"ID\":";
    let mut r = ValueReader::default();
    let mut kept = Vec::new();
    for mut piece in body.chunks(5) {
        while !piece.is_empty() {
            let (n, v) = r.read(piece);
            piece = &piece[n..];
            if let Some(Ok(v)) = v {
                kept.extend(v.value);
            }
        }
    }
    assert_eq!(kept, b" {\"ID\" : 1}\n{\"ID\":2}");
    let (again, end) = read_stream::<LeaseKeepAliveRequest>(&kept, 3);
    let ids: Vec<i64> = again.into_iter().flatten().map(|m| m.id).collect();
    assert_eq!((ids, end), (vec![1, 2], None));
}

#[test]
fn runs_of_whitespace_between_tokens_are_kept_as_one_byte() {
    let pad = " \n\t".repeat(200_000);
    let body = format!("{pad}{{{pad}\"key\"{pad}:{pad}\"Zm9v\"{pad}}}{pad}");
    let (first, held) = kept(body.as_bytes(), 64 << 10);
    assert!(held < 64, "held {held} bytes");
    let kept = first.and_then(Result::ok).map(|k| k.value);
    assert_eq!(kept.as_deref(), Some(&br#" { "key" : "Zm9v" }"#[..]));
    let want = RangeRequest {
        key: b"foo".to_vec(),
        ..Default::default()
    };
    assert_eq!(first_of::<RangeRequest>(body.as_bytes()), Ok(want));
}

fn first_of<M: Message>(body: &[u8]) -> Result<M, EtcdError> {
    first(body, 64 << 10)
}

#[test]
fn a_value_up_to_keep_is_kept_whole() {
    let body = put_body(KEEP - 40, "");
    let (first, held) = kept(&body, 64 << 10);
    let k = first.and_then(Result::ok).unwrap_or_default();
    assert_eq!((k.left_out, k.value.len()), (LeftOut::Nothing, body.len()));
    assert!(held <= 4 << 20);
    assert_eq!(
        size(first_of::<PutRequest>(&body)),
        size(whole::<PutRequest>(&body))
    );
}

/// A message by its size (a failing test prints that, not megabytes).
fn size<M: Message>(m: Result<M, EtcdError>) -> Result<usize, EtcdError> {
    m.map(|m| m.encoded_len())
}

#[test]
fn past_keep_a_run_of_base64_digits_is_counted_not_kept() {
    let body = put_body(5 << 20, "");
    let (first, held) = kept(&body, 64 << 10);
    assert!(held <= 4 << 20, "held {held} bytes");
    let k = first.and_then(Result::ok).unwrap_or_default();
    let run = (5 << 20) - (KEEP - 20);
    assert!(matches!(k.left_out, LeftOut::Run { groups, .. } if groups == run / 4));
    assert!(k.value.len() <= KEEP + 8);
}

#[test]
fn a_put_too_large_for_grpc_gets_its_exact_size_whatever_its_length() {
    // (past the varint steps of the length prefixes too: `pb::size`'s
    // tests)
    for (digits, tail) in [(3_600_000, ""), (3_600_001, "QQ=="), (3_600_003, "QQ")] {
        let body = put_body(digits, tail);
        let want = size(whole_limited::<PutRequest>(&body));
        assert!(want.is_err());
        assert_eq!(size(first_of::<PutRequest>(&body)), want, "{digits} {tail}");
    }
}

#[test]
fn a_txn_with_one_huge_value_gets_its_exact_size() {
    let mut body = br#"{"compare":[],"success":[{"request_put":{"key":"YQ==","value":""#.to_vec();
    body.extend(std::iter::repeat_n(b'A', 4 << 20));
    body.extend_from_slice(br#""}},{"request_range":{"key":"YQ=="}}]}"#);
    let want = size(whole_limited::<TxnRequest>(&body));
    assert!(matches!(want, Err(EtcdError::MessageTooLarge { .. })));
    assert_eq!(size(first_of::<TxnRequest>(&body)), want);
}

#[test]
fn a_huge_string_in_a_field_that_does_not_count_leaves_the_message_exact() {
    // an unknown field, a value a later repeated key replaces
    for junk in [r#"{"junk":"#, r#"{"key":"#] {
        let mut body = junk.as_bytes().to_vec();
        body.push(b'"');
        body.extend(std::iter::repeat_n(b'7', KEEP + 1000));
        body.extend_from_slice(br#"","key":"Zm9v","value":"YmFy"}"#);
        let want = PutRequest {
            key: b"foo".to_vec(),
            value: b"bar".to_vec(),
            ..Default::default()
        };
        assert_eq!(first_of::<PutRequest>(&body), Ok(want), "{junk}");
    }
}

#[test]
fn a_base64_error_past_the_run_names_its_offset_in_the_whole_value() {
    for tail in ["!", "QQQ=QQ", "Q"] {
        let body = put_body(KEEP, tail);
        let want = size(whole::<PutRequest>(&body));
        assert!(matches!(want, Err(EtcdError::Decode(_))), "{tail}");
        assert_eq!(size(first_of::<PutRequest>(&body)), want, "{tail}");
    }
}

#[test]
fn a_syntax_error_or_a_cut_body_past_the_cap_is_etcds_decode_error() {
    // megabytes of structure: only counted past MAX_KEPT
    let mut body = br#"{"key":"Zm9v","value":[1"#.to_vec();
    body.extend(",1".repeat(MAX_KEPT / 2 + 1000).as_bytes());
    let (_, held) = kept(&body, 64 << 10);
    assert!(held <= 4 << 20);
    for (tail, want) in [
        ("x", "invalid character 'x' after array element"),
        (",\"a\\q", "invalid character 'q' in string escape code"),
        ("", "unexpected EOF"),
    ] {
        let mut b = body.clone();
        b.extend_from_slice(tail.as_bytes());
        assert_eq!(
            size(first_of::<PutRequest>(&b)),
            Err(EtcdError::Decode(want.into())),
            "{tail}"
        );
    }
    // complete: too large, by the value's length in bytes
    body.extend_from_slice(b"]}");
    assert_eq!(
        size(first_of::<PutRequest>(&body)),
        Err(too_large(body.len()))
    );
}

#[test]
fn what_cannot_be_exact_is_too_large_by_the_values_length() {
    // two long strings: the second is only counted
    let mut body = br#"{"key":""#.to_vec();
    body.extend(std::iter::repeat_n(b'A', 5 << 20));
    body.extend_from_slice(br#"","value":""#);
    body.extend(std::iter::repeat_n(b'A', 5 << 20));
    body.extend_from_slice(br#""}"#);
    assert_eq!(
        size(first_of::<PutRequest>(&body)),
        Err(too_large(body.len()))
    );
    assert!(MAX_KEPT < body.len());
}
