//! The recorded answers of a real etcd 3.5.1 (`tests/conformance/scenarios/
//! *.json`) against this codec: every request body decodes as
//! etcd decoded it (same decode error, or success), and every recorded JSON
//! answer re-encodes to the same bytes.

use serde_json::Value;

use super::*;
use crate::pb::*;

type DecodeFn = fn(&[u8]) -> Result<(), String>;
type ReencodeFn = fn(&str) -> Result<String, String>;

/// How one gateway path is decoded and answered.
struct Endpoint {
    request: DecodeFn,
    response: ReencodeFn,
    /// Re-encodes the message inside one `{"result":...}` stream line.
    stream_response: ReencodeFn,
    streaming: bool,
}

/// A unary body: its decode error, if any (gRPC's receive limit, which
/// refuses a message once decoded, is not decoding's).
fn req<M: Message>(body: &[u8]) -> Result<(), String> {
    match ValueReader::default().first(body) {
        Some(Ok(kept)) => match decode_kept::<M>(&kept) {
            Err(crate::errors::EtcdError::Decode(e)) => Err(e),
            _ => Ok(()),
        },
        Some(Err(e)) => Err(e),
        None => Ok(()),
    }
}

/// A streaming body: every message up to the end, or the first error.
fn req_stream<M: Message>(body: &[u8]) -> Result<(), String> {
    let (messages, end) = super::reader_tests::read_stream::<M>(body, body.len());
    match messages.into_iter().chain(end).find_map(Result::err) {
        Some(crate::errors::EtcdError::Decode(e)) => Err(e),
        _ => Ok(()),
    }
}

fn resp<M: Message>(raw: &str) -> Result<String, String> {
    decode::<M>(raw.as_bytes()).map(|m| encode(&m))
}

fn stream_resp<M: Message>(inner: &str) -> Result<String, String> {
    decode::<M>(inner.as_bytes()).map(|m| encode_stream_result(&m))
}

macro_rules! unary {
    ($req:ty, $resp:ty) => {
        Endpoint {
            request: req::<$req>,
            response: resp::<$resp>,
            stream_response: stream_resp::<$resp>,
            streaming: false,
        }
    };
}

fn endpoint(path: &str) -> Option<Endpoint> {
    let path = path.split('?').next().unwrap_or("");
    let path = path
        .strip_prefix("/v3beta/")
        .or_else(|| path.strip_prefix("/v3/"))?;
    let path = match path {
        "kv/lease/revoke" | "kv/lease/timetolive" | "kv/lease/leases" => &path[3..],
        p => p,
    };
    Some(match path {
        "kv/range" => unary!(RangeRequest, RangeResponse),
        "kv/put" => unary!(PutRequest, PutResponse),
        "kv/deleterange" => unary!(DeleteRangeRequest, DeleteRangeResponse),
        "kv/txn" => unary!(TxnRequest, TxnResponse),
        "kv/compaction" => unary!(CompactionRequest, CompactionResponse),
        "lease/grant" => unary!(LeaseGrantRequest, LeaseGrantResponse),
        "lease/revoke" => unary!(LeaseRevokeRequest, LeaseRevokeResponse),
        "lease/timetolive" => unary!(LeaseTimeToLiveRequest, LeaseTimeToLiveResponse),
        "lease/leases" => unary!(LeaseLeasesRequest, LeaseLeasesResponse),
        "lease/keepalive" => Endpoint {
            request: req_stream::<LeaseKeepAliveRequest>,
            response: resp::<LeaseKeepAliveResponse>,
            stream_response: stream_resp::<LeaseKeepAliveResponse>,
            streaming: true,
        },
        "watch" => Endpoint {
            request: req_stream::<WatchRequest>,
            response: resp::<WatchResponse>,
            stream_response: stream_resp::<WatchResponse>,
            streaming: true,
        },
        "cluster/member/add" => unary!(MemberAddRequest, MemberAddResponse),
        "cluster/member/remove" => unary!(MemberRemoveRequest, MemberRemoveResponse),
        "cluster/member/update" => unary!(MemberUpdateRequest, MemberUpdateResponse),
        "cluster/member/list" => unary!(MemberListRequest, MemberListResponse),
        "cluster/member/promote" => unary!(MemberPromoteRequest, MemberPromoteResponse),
        "maintenance/alarm" => unary!(AlarmRequest, AlarmResponse),
        "maintenance/status" => unary!(StatusRequest, StatusResponse),
        "maintenance/defragment" => unary!(DefragmentRequest, DefragmentResponse),
        "maintenance/hash" => unary!(HashRequest, HashResponse),
        "maintenance/transfer-leadership" => unary!(MoveLeaderRequest, MoveLeaderResponse),
        "maintenance/downgrade" => unary!(DowngradeRequest, DowngradeResponse),
        "auth/enable" => unary!(AuthEnableRequest, AuthEnableResponse),
        "auth/disable" => unary!(AuthDisableRequest, AuthDisableResponse),
        "auth/status" => unary!(AuthStatusRequest, AuthStatusResponse),
        "auth/authenticate" => unary!(AuthenticateRequest, AuthenticateResponse),
        "auth/user/add" => unary!(AuthUserAddRequest, AuthUserAddResponse),
        "auth/user/get" => unary!(AuthUserGetRequest, AuthUserGetResponse),
        "auth/user/list" => unary!(AuthUserListRequest, AuthUserListResponse),
        "auth/user/delete" => unary!(AuthUserDeleteRequest, AuthUserDeleteResponse),
        "auth/user/changepw" => unary!(
            AuthUserChangePasswordRequest,
            AuthUserChangePasswordResponse
        ),
        "auth/user/grant" => unary!(AuthUserGrantRoleRequest, AuthUserGrantRoleResponse),
        "auth/user/revoke" => unary!(AuthUserRevokeRoleRequest, AuthUserRevokeRoleResponse),
        "auth/role/add" => unary!(AuthRoleAddRequest, AuthRoleAddResponse),
        "auth/role/get" => unary!(AuthRoleGetRequest, AuthRoleGetResponse),
        "auth/role/list" => unary!(AuthRoleListRequest, AuthRoleListResponse),
        "auth/role/delete" => unary!(AuthRoleDeleteRequest, AuthRoleDeleteResponse),
        "auth/role/grant" => unary!(
            AuthRoleGrantPermissionRequest,
            AuthRoleGrantPermissionResponse
        ),
        "auth/role/revoke" => unary!(
            AuthRoleRevokePermissionRequest,
            AuthRoleRevokePermissionResponse
        ),
        _ => return None,
    })
}

/// Request templates (docs/conformance.md section 2): `{{repeat:TEXT:N}}` expands,
/// a captured `{{NAME}}` becomes a value valid both as a decimal id and as
/// base64.
fn expand(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let inner = &rest[start + 2..start + len];
        match inner
            .strip_prefix("repeat:")
            .and_then(|r| r.rsplit_once(':'))
        {
            Some((text, n)) => out.push_str(&text.repeat(n.parse().unwrap_or(0))),
            None => out.push_str("1234"),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

fn scenarios() -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("scenarios at {dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, serde_json::from_str(&text).unwrap_or(Value::Null))
        })
        .collect()
}

/// The decode error etcd answered for this step, if it answered one: a
/// 400/InvalidArgument (unary) or 500/Unknown (streaming) whose message is
/// not one of etcd's own (`etcdserver: ...`, `grpc: ...`).
fn expected_decode_error(expect: &Value, streaming: bool) -> Option<String> {
    let (status, code) = if streaming { (500, 2) } else { (400, 3) };
    let body = expect.get("body")?;
    let message = body.get("message")?.as_str()?;
    let own = message.starts_with("etcdserver: ")
        || message.starts_with("grpc: ")
        || message.starts_with("auth: ");
    let is_decode =
        expect.get("status")?.as_i64()? == status && body.get("code")?.as_i64()? == code && !own;
    is_decode.then(|| message.to_string())
}

#[test]
fn every_recorded_request_body_decodes_as_etcd_decoded_it() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, scenario) in scenarios() {
        let steps = scenario
            .get("steps")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, step) in steps.iter().enumerate() {
            let (Some(path), Some("POST")) = (
                step.get("path").and_then(Value::as_str),
                step.get("method").and_then(Value::as_str),
            ) else {
                continue;
            };
            let Some(ep) = endpoint(path) else { continue };
            let expect = step.get("expect").cloned().unwrap_or(Value::Null);
            if matches!(
                expect.get("status").and_then(Value::as_i64),
                Some(404 | 405)
            ) {
                continue;
            }
            let body = expand(step.get("body").and_then(Value::as_str).unwrap_or(""));
            let got = (ep.request)(body.as_bytes());
            let want = expected_decode_error(&expect, ep.streaming);
            checked += 1;
            match (&want, &got) {
                (Some(w), Err(g)) if w == g => {}
                (None, Ok(())) => {}
                _ => failures.push(format!(
                    "{name} step {i} {path}: want {want:?}, got {got:?}"
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 700, "only {checked} request bodies checked");
}

/// Compares one recorded JSON answer (unary body or stream line) with its
/// re-encoding.
fn reencode(raw: &str, ep: &Endpoint) -> Result<(), String> {
    if raw.contains("{{sha256:") || raw.is_empty() {
        return Ok(());
    }
    let got = if let Some(inner) = raw
        .strip_prefix(r#"{"result":"#)
        .and_then(|r| r.strip_suffix('}'))
    {
        (ep.stream_response)(inner)
    } else {
        (ep.response)(raw)
    };
    match got {
        Ok(g) if g == raw => Ok(()),
        other => Err(format!("\n  want {raw}\n  got  {other:?}")),
    }
}

#[test]
fn every_recorded_answer_re_encodes_to_the_same_bytes() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, scenario) in scenarios() {
        let steps = scenario
            .get("steps")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut streams = std::collections::BTreeMap::new();
        for (i, step) in steps.iter().enumerate() {
            let expect = step.get("expect").cloned().unwrap_or(Value::Null);
            let path = step.get("path").and_then(Value::as_str).unwrap_or("");
            if let Some(s) = step.get("stream").and_then(Value::as_str) {
                if !path.is_empty() {
                    streams.insert(s.to_string(), path.to_string());
                }
            }
            let stream_path = step
                .get("stream")
                .and_then(Value::as_str)
                .and_then(|s| streams.get(s));
            let Some(ep) = endpoint(stream_path.map_or(path, String::as_str)) else {
                continue;
            };
            // 404/405 answers are plain text from the HTTP layer.
            if matches!(
                expect.get("status").and_then(Value::as_i64),
                Some(404 | 405)
            ) {
                continue;
            }
            let mut texts = Vec::new();
            if let Some(raw) = expect.get("body_raw").and_then(Value::as_str) {
                if let Some(code) = expect
                    .get("body")
                    .and_then(|b| b.get("code"))
                    .and_then(Value::as_i64)
                {
                    let message = expect
                        .pointer("/body/message")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    checked += 1;
                    if encode_error(code as i32, message) != raw {
                        failures.push(format!("{name} step {i}: error body {raw}"));
                    }
                    continue;
                }
                texts.extend(raw.split('\n').map(str::to_string));
            }
            if let Some(chunks) = expect.get("chunks").and_then(Value::as_array) {
                let joined: String = chunks.iter().filter_map(Value::as_str).collect();
                texts.extend(joined.split('\n').map(str::to_string));
            }
            for t in texts.iter().filter(|t| !t.is_empty()) {
                checked += 1;
                if let Err(e) = reencode(t, &ep) {
                    failures.push(format!("{name} step {i}:{e}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 700, "only {checked} answers checked");
}
