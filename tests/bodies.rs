//! A request body is never held beyond what its answer needs (issue 10):
//! bodies of hundreds of megabytes, fed in 64 KB pieces as a server gets
//! them and generated piece by piece (never allocated whole), get the
//! answer a small body of the same kind gets, or etcd's exact size for a
//! message too large, while the world holds at most a few MB of them
//! (`World::held_body_bytes`: what calls under way and the journal keep).

use etcd_sim::world::{Config, HttpRequest, Output, World};
use serde_json::Value;

const PIECE: usize = 64 << 10;
const HUGE: usize = 300 << 20;
/// What the gateway may hold of one value: `jsonpb`'s reader keeps at most
/// 4 MiB (`MAX_KEPT`), in a buffer that grows by doubling.
const FEW_MB: usize = 5 << 20;
/// gRPC's receive limit in etcd 3.5 (`--max-request-bytes` 1.5 MiB plus
/// 512 KiB of overhead).
const MAX_RECV: usize = 2 << 20;

fn config() -> Config {
    Config {
        members: 1,
        seed: 11,
        ..Config::default()
    }
}

fn post(path: &str, headers: &[(&str, &str)]) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: path.into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// The body `head`, `len` copies of byte `fill`, `tail`, as a client
/// sends it in pieces.
struct Body<'a> {
    head: &'a [u8],
    fill: u8,
    len: usize,
    tail: &'a [u8],
}

/// What one request got, and the most the world held for bodies while it
/// was sent.
struct Sent {
    outputs: Vec<Output>,
    held: usize,
}

/// Sends `body` to `path` in 64 KB pieces (only the head and the tail are
/// separate pieces), then runs the world; stops handing pieces over once
/// the world no longer reads the body, as the JS front doors do.
fn send(gw: &mut World, request: HttpRequest, body: &Body) -> Sent {
    let t = gw.submit(0, request);
    let mut held = gw.held_body_bytes();
    let mut reading = gw.body(t, body.head);
    let piece = vec![body.fill; PIECE];
    let mut left = body.len;
    while reading && left > 0 {
        let n = left.min(PIECE);
        reading = gw.body(t, &piece[..n]);
        left -= n;
        held = held.max(gw.held_body_bytes());
    }
    if reading {
        gw.body(t, body.tail);
    }
    gw.finish(t);
    held = held.max(gw.held_body_bytes());
    gw.run_until_idle();
    let outputs = gw.drain().into_iter().filter(|o| o.ticket() == t).collect();
    Sent { outputs, held }
}

/// The answer to a unary call: status and body.
fn answer(sent: &Sent) -> (u16, String) {
    match sent.outputs.as_slice() {
        [Output::Response { response, .. }] => (
            response.status,
            String::from_utf8_lossy(&response.body).into_owned(),
        ),
        other => panic!("not one answer: {other:?}"),
    }
}

/// A saved world without its closing ticket counters (every request moves
/// them, a load records one more): what the world was given.
fn recorded(gw: &World) -> Value {
    let mut v: Value = serde_json::from_str(&gw.save()).expect("a save is JSON");
    if let Some(inputs) = v["inputs"].as_array_mut() {
        while inputs.last().is_some_and(|i| i[0] == "next_ticket") {
            inputs.pop();
        }
    }
    v
}

/// The varint length of `n` (protobuf's base-128 encoding).
fn varint(n: usize) -> usize {
    (usize::BITS - (n | 1).leading_zeros()).div_ceil(7) as usize
}

fn too_large(size: usize) -> String {
    format!("grpc: received message larger than max ({size} vs. {MAX_RECV})")
}

#[test]
fn a_huge_junk_body_gets_the_decode_error_a_small_one_gets_and_is_not_kept() {
    let (mut small, mut huge) = (World::new(config()), World::new(config()));
    let body = Body {
        head: b"",
        fill: b'x',
        len: HUGE,
        tail: b"",
    };
    let tiny = Body { len: 3, ..body };
    let want = answer(&send(&mut small, post("/v3/kv/put", &[]), &tiny));
    assert_eq!(want.0, 400);
    let sent = send(&mut huge, post("/v3/kv/put", &[]), &body);
    assert_eq!(answer(&sent), want);
    assert!(sent.held < FEW_MB, "held {} bytes", sent.held);
    // nothing of either is an input of the world
    assert_eq!(recorded(&huge), recorded(&small));
}

#[test]
fn a_huge_body_after_a_complete_value_is_read_and_ignored() {
    let (mut small, mut huge) = (World::new(config()), World::new(config()));
    let body = Body {
        head: br#"{"key":"Zm9v","value":"YmFy"} "#,
        fill: b'x',
        len: HUGE,
        tail: b"",
    };
    let tiny = Body { len: 3, ..body };
    let want = answer(&send(&mut small, post("/v3/kv/put", &[]), &tiny));
    assert_eq!(want.0, 200, "{}", want.1);
    let sent = send(&mut huge, post("/v3/kv/put", &[]), &body);
    assert_eq!(answer(&sent), want);
    assert!(sent.held < FEW_MB, "held {} bytes", sent.held);
    // the journal keeps the value, not what followed it
    assert_eq!(recorded(&huge), recorded(&small));
}

#[test]
fn a_huge_put_is_too_large_for_grpc_by_its_exact_encoded_size() {
    // `{"key":"foo","value":<HUGE base64 digits>}`: a value of HUGE / 4 * 3
    // bytes. PutRequest: key (tag, length, 3 bytes), value (tag, varint
    // length, bytes).
    let value = HUGE / 4 * 3;
    let size = (1 + 1 + 3) + (1 + varint(value) + value);
    let mut gw = World::new(config());
    gw.run_until_idle();
    let before = recorded(&gw);
    let body = Body {
        head: br#"{"key":"Zm9v","value":""#,
        fill: b'Q',
        len: HUGE,
        tail: br#""}"#,
    };
    let sent = send(&mut gw, post("/v3/kv/put", &[]), &body);
    let (status, text) = answer(&sent);
    assert_eq!(status, 429, "{text}");
    let error: Value = serde_json::from_str(&text).expect("an error is JSON");
    assert_eq!(error["message"], too_large(size));
    assert_eq!(error["code"], 8);
    assert!(sent.held < FEW_MB, "held {} bytes", sent.held);
    assert_eq!(recorded(&gw), before, "a call refused changes nothing");
}

#[test]
fn a_too_large_put_answers_alike_whether_huge_or_just_past_the_limit() {
    // the same answer, but for the size, as a body small enough to keep
    let (mut small, mut huge) = (World::new(config()), World::new(config()));
    let body = Body {
        head: br#"{"key":"Zm9v","value":""#,
        fill: b'Q',
        len: 3 << 20,
        tail: br#""}"#,
    };
    let want = answer(&send(&mut small, post("/v3/kv/put", &[]), &body));
    let got = answer(&send(
        &mut huge,
        post("/v3/kv/put", &[]),
        &Body { len: HUGE, ..body },
    ));
    let size = |len: usize| (1 + 1 + 3) + (1 + varint(len / 4 * 3) + len / 4 * 3);
    let want = want
        .1
        .replace(&too_large(size(3 << 20)), &too_large(size(HUGE)));
    assert_eq!(got.1, want);
}

#[test]
fn a_huge_watch_request_ends_the_stream_as_too_large_and_a_save_loads_exactly() {
    let mut gw = World::new(config());
    let first = br#"{"create_request":{"key":"Zm9v"}}"#;
    let body = Body {
        head: first.as_slice(),
        fill: b'Q',
        len: HUGE,
        tail: b"",
    };
    // the first message opens a watch; the second is a huge key
    let t = gw.submit(0, post("/v3/watch", &[]));
    gw.body(t, first);
    gw.body(t, br#"{"create_request":{"key":""#);
    let piece = vec![body.fill; PIECE];
    let mut held = 0;
    for _ in 0..HUGE / PIECE {
        if !gw.body(t, &piece) {
            break;
        }
        held = held.max(gw.held_body_bytes());
    }
    assert!(
        !gw.body(t, br#""}}"#),
        "a stream past a message too large reads no more"
    );
    gw.run_until_idle();
    assert!(held < FEW_MB, "held {held} bytes");
    let chunks: Vec<String> = gw
        .drain()
        .into_iter()
        .filter_map(|o| match o {
            Output::StreamChunk { ticket, data } if ticket == t => {
                Some(String::from_utf8_lossy(&data).into_owned())
            }
            _ => None,
        })
        .collect();
    // WatchRequest: create_request (tag, varint length, WatchCreateRequest:
    // key (tag, varint length, bytes))
    let key = HUGE / 4 * 3;
    let create = 1 + varint(key) + key;
    let size = 1 + varint(create) + create;
    let error = chunks
        .iter()
        .find(|c| c.contains("error"))
        .expect("an error message");
    assert!(error.contains(&too_large(size)), "{error}");
    // its watchers are gone, as after a cancel; the save keeps none of the key
    let (_, watches) = call(&mut gw, "GET", "/_sim/watches", "");
    assert_eq!(watches["watches"], serde_json::json!([]), "{watches}");
    let saved = gw.save();
    assert!(saved.len() < FEW_MB, "saved {} bytes", saved.len());
    let mut loaded = World::new(Config::default());
    loaded.load(saved.as_bytes()).expect("the save loads");
    loaded.drain();
    assert_eq!(recorded(&loaded), recorded(&gw));
    let put = r#"{"key":"Zm9v","value":"YmFy"}"#;
    assert_eq!(
        call(&mut loaded, "POST", "/v3/kv/put", put),
        call(&mut gw, "POST", "/v3/kv/put", put)
    );
}

fn call(gw: &mut World, method: &str, path: &str, body: &str) -> (u16, Value) {
    let request = HttpRequest {
        method: method.into(),
        path: path.into(),
        headers: Vec::new(),
    };
    let t = gw.request(0, request, body.as_bytes());
    gw.run_until_idle();
    for o in gw.drain() {
        if let Output::Response { ticket, response } = o {
            if ticket == t {
                let v = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                return (response.status, v);
            }
        }
    }
    panic!("no answer to {path}");
}

#[test]
fn control_bodies_past_their_cap_are_refused_413_and_change_nothing() {
    let mut gw = World::new(config());
    gw.run_until_idle();
    let before = recorded(&gw);
    let body = Body {
        head: b"",
        fill: b'x',
        len: HUGE,
        tail: b"",
    };
    for (path, cap, held_at_most) in [
        ("/_sim/reset", 64 << 10, FEW_MB),
        // a saved world is read whole up to its cap
        ("/_sim/load", 64 << 20, (64 << 20) + FEW_MB),
    ] {
        let sent = send(&mut gw, post(path, &[]), &body);
        let want = format!(r#"{{"error":"request body larger than {cap} bytes"}}"#);
        assert_eq!(answer(&sent), (413, want.clone()), "{path}");
        assert!(
            sent.held <= held_at_most,
            "{path}: held {} bytes",
            sent.held
        );
        // a body declared too large is not read at all
        let len = HUGE.to_string();
        let sent = send(&mut gw, post(path, &[("Content-Length", &len)]), &body);
        assert_eq!(answer(&sent), (413, want), "{path}");
        assert!(sent.held < FEW_MB, "{path}: held {} bytes", sent.held);
    }
    assert_eq!(recorded(&gw), before);
    // under its cap, a body is read and answered as ever
    let (status, _) = call(&mut gw, "POST", "/_sim/reset", r#"{"members":3}"#);
    assert_eq!(status, 200);
    assert_eq!(gw.members(), 3);
}

/// A world loaded from `gw`'s save replays the inputs `gw` was given; once
/// `gw`'s clients (`open`) are gone too, as a load cuts them, its watches,
/// leases and next answers are `gw`'s.
fn assert_reloads(gw: &mut World, open: &[u64]) {
    let mut loaded = World::new(Config::default());
    loaded.load(gw.save().as_bytes()).expect("the save loads");
    loaded.drain();
    let given = recorded(gw)["inputs"].clone();
    let replayed = recorded(&loaded)["inputs"].clone();
    let n = given.as_array().map_or(0, Vec::len);
    assert_eq!(
        replayed.as_array().map(|r| &r[..n]),
        given.as_array().map(|g| &g[..])
    );
    for &t in open {
        gw.cancel(t);
    }
    for path in ["/_sim/watches", "/_sim/leases"] {
        assert_eq!(
            call(&mut loaded, "GET", path, ""),
            call(gw, "GET", path, "")
        );
    }
    let put = r#"{"key":"Zm9v","value":"YmFy"}"#;
    assert_eq!(
        call(&mut loaded, "POST", "/v3/kv/put", put),
        call(gw, "POST", "/v3/kv/put", put)
    );
}

#[test]
fn stream_messages_in_pieces_and_messages_that_fail_replay_alike() {
    let mut gw = World::new(config());
    let (_, lease) = call(&mut gw, "POST", "/v3/lease/grant", r#"{"TTL":60}"#);
    let id = lease["ID"].as_str().expect("a lease ID").to_string();
    // a keep-alive stream: messages cut anywhere, a `null` one (an empty
    // request) ended by the next byte, then one that does not decode,
    // which ends the requests
    let t = gw.submit(0, post("/v3/lease/keepalive", &[]));
    let body = format!(r#" {{"ID":"{id}"}}  null {{"ID":"{id}"}}{{"ID":true}}"#);
    for piece in body.as_bytes().chunks(3) {
        gw.body(t, piece);
    }
    assert!(!gw.body(t, b"{}"), "no more is read after the error");
    assert_reloads(&mut gw, &[t]);
    // a watch whose first message does not decode: answered 500, closed
    let w = gw.submit(0, post("/v3/watch", &[]));
    gw.body(w, br#"{"create_request":{"key":5}}"#);
    // a watch whose second message is cut by the end of its body
    let v = gw.submit(0, post("/v3/watch", &[]));
    gw.body(v, br#"{"create_request":{"key":"Zm9v"}} {"create_"#);
    gw.finish(v);
    assert_reloads(&mut gw, &[w, v]);
    // a watch still sending half a message when the world is saved
    let u = gw.submit(0, post("/v3/watch", &[]));
    gw.body(
        u,
        br#"{"create_request":{"key":"Zm9v"}} {"create_request":{"#,
    );
    assert_reloads(&mut gw, &[u]);
}
