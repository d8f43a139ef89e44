//! `/_sim/mvcc`: a member's MVCC store as etcd keeps it, shown the way MVCC
//! is taught. A key's life is a generation that a tombstone ends; a
//! transaction's changes share one main revision and are told apart by
//! their sub revision; compaction removes old revisions but keeps, for each
//! key alive at the compaction revision, its value then. Every member
//! applies the same log, so every member shows the same store.

use etcd_sim::world::{Config, HttpRequest, Output, World};
use serde_json::{json, Value};

fn world() -> World {
    World::new(Config {
        members: 3,
        ..Config::default()
    })
}

/// `method path` with `body` to member 0, answered once nothing more can
/// happen without time passing: (status, JSON body or null).
fn call(gw: &mut World, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let request = HttpRequest {
        method: method.into(),
        path: path.into(),
        headers: vec![],
    };
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let t = gw.request(0, request, &body);
    gw.run_until_idle();
    let answer = gw.drain().into_iter().find_map(|o| match o {
        Output::Response { ticket, response } if ticket == t => Some(response),
        _ => None,
    });
    answer.map_or((0, Value::Null), |r| {
        (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        )
    })
}

fn b64(b: &[u8]) -> String {
    etcd_sim::gateway::jsonpb::base64_encode(b)
}

/// An etcd call that must succeed.
fn ok(gw: &mut World, path: &str, body: Value) {
    let (status, answer) = call(gw, "POST", path, &body);
    assert_eq!(status, 200, "{path}: {answer}");
}

fn put(gw: &mut World, key: &[u8], value: &str) {
    let body = json!({"key": b64(key), "value": b64(value.as_bytes())});
    ok(gw, "/v3/kv/put", body);
}

/// The teaching sequence: put foo=1 (revision 2), put foo=2 (3), delete foo
/// (4), put foo=3 (5).
fn put_delete_put(gw: &mut World) {
    put(gw, b"foo", "1");
    put(gw, b"foo", "2");
    ok(gw, "/v3/kv/deleterange", json!({"key": b64(b"foo")}));
    put(gw, b"foo", "3");
}

fn compact(gw: &mut World, rev: i64) {
    ok(gw, "/v3/kv/compaction", json!({ "revision": rev }));
}

/// Followers apply once the next heartbeat tells them the commit index.
fn settle(gw: &mut World) {
    let t = gw.now();
    gw.advance_to(t + 300);
}

/// `/_sim/mvcc?<query>`, which must answer 200.
fn mvcc(gw: &mut World, query: &str) -> Value {
    let (status, view) = call(gw, "GET", &format!("/_sim/mvcc?{query}"), &Value::Null);
    assert_eq!(status, 200, "{view}");
    view
}

/// A put's revision in a generation, with the value stored under it.
fn put_rev(main: i64, sub: i64, value: &str) -> Value {
    json!({"main": main, "sub": sub, "tombstone": false,
           "value": b64(value.as_bytes()), "value_text": value})
}

fn tombstone_rev(main: i64, sub: i64) -> Value {
    json!({"main": main, "sub": sub, "tombstone": true})
}

/// The backend revisions as (main, sub, key, tombstone).
fn backend(view: &Value) -> Vec<(i64, i64, String, bool)> {
    let list = view["revisions"].as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|r| {
            (
                r["main"].as_i64().unwrap_or(-1),
                r["sub"].as_i64().unwrap_or(-1),
                r["key_text"].as_str().unwrap_or("?").to_string(),
                r["tombstone"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

fn stored(main: i64, key: &str, tombstone: bool) -> (i64, i64, String, bool) {
    (main, 0, key.to_string(), tombstone)
}

fn key_names(view: &Value) -> Vec<String> {
    let keys = view["keys"].as_array().cloned().unwrap_or_default();
    keys.iter()
        .map(|k| k["key_text"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[test]
fn a_fresh_store_is_at_revision_1_with_no_keys() {
    let mut gw = world();
    let view = mvcc(&mut gw, "member=0");
    let want = json!({"member": 0, "revision": 1, "compact_revision": 0,
                      "keys": [], "more": false, "revisions": []});
    assert_eq!(view, want);
}

/// etcd `keyIndex`: the version of a generation counts its tombstone too;
/// a deleted key keeps an empty open generation until it is put again.
#[test]
fn a_tombstone_ends_a_generation_and_the_next_put_opens_one() {
    let mut gw = world();
    put(&mut gw, b"foo", "1");
    put(&mut gw, b"foo", "2");
    ok(&mut gw, "/v3/kv/deleterange", json!({"key": b64(b"foo")}));
    let deleted = json!({"created": {"main": 2, "sub": 0}, "version": 3,
                         "revisions": [put_rev(2, 0, "1"), put_rev(3, 0, "2"), tombstone_rev(4, 0)]});
    let view = mvcc(&mut gw, "member=0");
    let open = json!({"version": 0, "revisions": []});
    assert_eq!(view["revision"], 4);
    assert_eq!(view["keys"][0]["generations"], json!([deleted, open]));

    put(&mut gw, b"foo", "3");
    let view = mvcc(&mut gw, "member=0");
    assert_eq!(view["revision"], 5);
    let reborn = json!({"created": {"main": 5, "sub": 0}, "version": 1,
                        "revisions": [put_rev(5, 0, "3")]});
    let want = json!([{"key": b64(b"foo"), "key_text": "foo",
                       "modified": {"main": 5, "sub": 0},
                       "generations": [deleted, reborn]}]);
    assert_eq!(view["keys"], want);
    assert_eq!(
        backend(&view),
        vec![
            stored(2, "foo", false),
            stored(3, "foo", false),
            stored(4, "foo", true),
            stored(5, "foo", false),
        ]
    );
}

#[test]
fn the_changes_of_one_txn_share_a_main_revision_and_count_up_their_sub_revision() {
    let mut gw = world();
    let request_put = |k: &[u8], v: &[u8]| json!({"requestPut": {"key": b64(k), "value": b64(v)}});
    let txn = json!({"success": [request_put(b"a", b"x"), request_put(b"b", b"y")]});
    ok(&mut gw, "/v3/kv/txn", txn);
    let view = mvcc(&mut gw, "member=0");
    assert_eq!(view["revision"], 2);
    let b = &view["keys"][1];
    assert_eq!(b["key_text"], "b");
    assert_eq!(b["modified"], json!({"main": 2, "sub": 1}));
    let generation = json!({"created": {"main": 2, "sub": 1}, "version": 1,
                            "revisions": [put_rev(2, 1, "y")]});
    assert_eq!(b["generations"], json!([generation]));
    let want = json!([
        {"main": 2, "sub": 0, "key": b64(b"a"), "key_text": "a", "tombstone": false},
        {"main": 2, "sub": 1, "key": b64(b"b"), "key_text": "b", "tombstone": false},
    ]);
    assert_eq!(view["revisions"], want);
}

/// etcd `keyIndex.compact`: revisions at or below the compaction revision
/// go, except the last one of the generation alive then; a generation whose
/// tombstone is at or below it goes whole. The backend keeps what the index
/// keeps.
#[test]
fn compaction_keeps_of_each_key_only_its_value_at_the_compaction_revision() {
    let mut gw = world();
    put_delete_put(&mut gw);

    // At 3 foo=2 is alive: 2 goes, 3 stays, and so does the tombstone
    // after it; the generation keeps its creation and version.
    compact(&mut gw, 3);
    let view = mvcc(&mut gw, "member=0");
    assert_eq!(view["compact_revision"], 3);
    let generations = &view["keys"][0]["generations"];
    let trimmed = json!({"created": {"main": 2, "sub": 0}, "version": 3,
                         "revisions": [put_rev(3, 0, "2"), tombstone_rev(4, 0)]});
    assert_eq!(generations[0], trimmed);
    assert_eq!(generations[1]["revisions"], json!([put_rev(5, 0, "3")]));
    let want = vec![
        stored(3, "foo", false),
        stored(4, "foo", true),
        stored(5, "foo", false),
    ];
    assert_eq!(backend(&view), want);

    // At 4 foo did not exist: its first generation, tombstone included, is gone.
    compact(&mut gw, 4);
    let view = mvcc(&mut gw, "member=0");
    assert_eq!(view["compact_revision"], 4);
    let reborn = json!({"created": {"main": 5, "sub": 0}, "version": 1,
                        "revisions": [put_rev(5, 0, "3")]});
    assert_eq!(view["keys"][0]["generations"], json!([reborn]));
    assert_eq!(backend(&view), vec![stored(5, "foo", false)]);

    // At 5 foo=3 is the value then: it stays, nothing else is left.
    compact(&mut gw, 5);
    let view = mvcc(&mut gw, "member=0");
    assert_eq!(view["compact_revision"], 5);
    assert_eq!(view["revision"], 5);
    assert_eq!(view["keys"][0]["generations"], json!([reborn]));
    assert_eq!(backend(&view), vec![stored(5, "foo", false)]);

    // A key deleted at or before the compaction revision leaves the index.
    ok(&mut gw, "/v3/kv/deleterange", json!({"key": b64(b"foo")}));
    compact(&mut gw, 6);
    let view = mvcc(&mut gw, "member=0");
    assert_eq!(view["keys"], json!([]));
    assert_eq!(view["revisions"], json!([]));
}

/// The state machine is deterministic: the same log applied gives the same
/// store, on followers too.
#[test]
fn every_member_shows_the_same_store_once_it_has_applied_the_writes() {
    let mut gw = world();
    put_delete_put(&mut gw);
    compact(&mut gw, 3);
    put(&mut gw, b"bar", "1");
    settle(&mut gw);
    let mut views: Vec<Value> = (0..3)
        .map(|m| mvcc(&mut gw, &format!("member={m}")))
        .collect();
    for (m, view) in views.iter_mut().enumerate() {
        assert_eq!(view["member"], m);
        assert_eq!(view["revision"], 6);
        view["member"] = Value::Null;
    }
    assert_eq!(views[1], views[0]);
    assert_eq!(views[2], views[0]);
}

/// A member's store is durable (etcd's bolt file): down or gone, the member
/// still has the store it had.
#[test]
fn a_crashed_or_removed_member_shows_the_store_it_kept() {
    let mut gw = world();
    put_delete_put(&mut gw);
    settle(&mut gw);
    let before = mvcc(&mut gw, "member=2");
    ok(&mut gw, "/_sim/crash", json!({"member": 2}));
    put(&mut gw, b"bar", "1");
    settle(&mut gw);
    assert_eq!(mvcc(&mut gw, "member=0")["revision"], 6);
    assert_eq!(mvcc(&mut gw, "member=2"), before);
    ok(&mut gw, "/_sim/remove_member", json!({"member": 2}));
    settle(&mut gw);
    assert_eq!(mvcc(&mut gw, "member=2"), before);
}

#[test]
fn prefix_and_limit_narrow_the_keys_and_their_backend_revisions() {
    let mut gw = world();
    for key in ["foo", "foo/a", "foo/b", "fop"] {
        put(&mut gw, key.as_bytes(), "v");
    }
    // foo/ is Zm9vLw== in base64: raw or escaped as URLSearchParams does
    for prefix in ["Zm9vLw==", "Zm9vLw%3D%3D"] {
        let view = mvcc(&mut gw, &format!("member=0&prefix={prefix}"));
        assert_eq!(key_names(&view), ["foo/a", "foo/b"], "{prefix}");
        let want = vec![stored(3, "foo/a", false), stored(4, "foo/b", false)];
        assert_eq!(backend(&view), want, "{prefix}");
        assert_eq!(view["more"], false);
    }
    let view = mvcc(&mut gw, "member=0&limit=2");
    assert_eq!(key_names(&view), ["foo", "foo/a"]);
    assert_eq!(view["more"], true);
    let want = vec![stored(2, "foo", false), stored(3, "foo/a", false)];
    assert_eq!(backend(&view), want);
    let view = mvcc(&mut gw, "member=0&prefix=Zm9v&limit=0");
    assert_eq!(
        (&view["keys"], &view["revisions"]),
        (&json!([]), &json!([]))
    );
    assert_eq!(view["more"], true);
    assert_eq!(key_names(&mvcc(&mut gw, "member=0&limit=4")).len(), 4);
}

/// Keys and values are bytes: base64 always, the text only when it is UTF-8.
#[test]
fn a_key_that_is_not_utf8_has_no_text() {
    let mut gw = world();
    put(&mut gw, &[0xff, b'k'], "v");
    put(&mut gw, b"k", "v");
    // 0xff 'k' is /2s= in base64, its escaped form as URLSearchParams gives
    let view = mvcc(&mut gw, "member=0&prefix=%2F2s%3D");
    let key = &view["keys"][0];
    assert_eq!(key["key"], "/2s=");
    assert_eq!(key.get("key_text"), None);
    assert_eq!(view["revisions"][0].get("key_text"), None);
    assert_eq!(view["keys"].as_array().map(Vec::len), Some(1));
}

#[test]
fn a_key_put_with_a_lease_shows_the_lease() {
    let mut gw = world();
    let (status, grant) = call(
        &mut gw,
        "POST",
        "/v3/lease/grant",
        &json!({"TTL": 60, "ID": 7}),
    );
    assert_eq!((status, &grant["ID"]), (200, &json!("7")), "{grant}");
    let body = json!({"key": b64(b"k"), "value": b64(b"v"), "lease": 7});
    ok(&mut gw, "/v3/kv/put", body);
    let view = mvcc(&mut gw, "member=0");
    let revision = &view["keys"][0]["generations"][0]["revisions"][0];
    assert_eq!(revision["lease"], "7");
}

#[test]
fn the_view_wants_a_get_with_an_existing_member_and_well_formed_parameters() {
    let mut gw = world();
    let cases = [
        ("/_sim/mvcc", "\"member\" is required"),
        ("/_sim/mvcc?member=99", "etcdserver: member not found"),
        ("/_sim/mvcc?member=x", "\"member\" must be a number"),
        ("/_sim/mvcc?member=0&limit=-1", "\"limit\" must be a number"),
        (
            "/_sim/mvcc?member=0&prefix=Zm9v!",
            "\"prefix\" must be base64: illegal base64 data at input byte 4",
        ),
    ];
    for (path, error) in cases {
        let answer = call(&mut gw, "GET", path, &Value::Null);
        assert_eq!(answer, (400, json!({ "error": error })), "{path}");
    }
    let (status, _) = call(&mut gw, "POST", "/_sim/mvcc?member=0", &Value::Null);
    assert_eq!(status, 405);
}
