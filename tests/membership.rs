//! etcd 3.5.1's member update, in the order its checks come. The v3rpc
//! `MemberUpdate` hands the request's peer URLs to `EtcdServer.UpdateMember`
//! unparsed; the change goes through Raft, and applying it checks the
//! member first (`ValidateConfigurationChange`: removed or unknown ->
//! `member not found`), then that no other member uses the URLs. So an
//! unknown member is `member not found` whatever URLs come with it. etcd
//! never parses them; an invalid URL for a known member (which would make
//! etcd's peer transport panic) is refused as `given member URLs are
//! invalid`, after those checks.

use etcd_sim::world::{Config, HttpRequest, Output, World};
use serde_json::{json, Value};

fn world(members: usize) -> World {
    let mut gw = World::new(Config {
        members,
        ..Config::default()
    });
    gw.run_until_idle();
    gw.drain();
    gw
}

/// A POST to member 0, answered once the world has run.
fn call(gw: &mut World, path: &str, body: &str) -> (u16, Value) {
    let request = HttpRequest {
        method: "POST".into(),
        path: path.into(),
        headers: Vec::new(),
    };
    let t = gw.request(0, request, body.as_bytes());
    gw.run_until_idle();
    gw.drain()
        .into_iter()
        .find_map(|o| match o {
            Output::Response { ticket, response } if ticket == t => Some((
                response.status,
                serde_json::from_slice(&response.body).unwrap_or(Value::Null),
            )),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{path}: no answer"))
}

fn error(code: u8, message: &str) -> Value {
    json!({"error": message, "code": code, "message": message})
}

/// The id of member `name` and every member's peer URLs, by name.
fn members(gw: &mut World) -> Vec<(String, String, Value)> {
    let (_, list) = call(gw, "/v3/cluster/member/list", "{}");
    let members = list["members"].as_array().cloned().unwrap_or_default();
    members
        .iter()
        .map(|m| {
            let name = m["name"].as_str().unwrap_or("").to_string();
            let id = m["ID"].as_str().unwrap_or("").to_string();
            (name, id, m["peerURLs"].clone())
        })
        .collect()
}

fn id_of(gw: &mut World, name: &str) -> String {
    let all = members(gw);
    let found = all.iter().find(|(n, _, _)| n == name);
    found
        .map(|(_, id, _)| id.clone())
        .expect("a member of that name")
}

#[test]
fn an_update_of_member_0_with_an_empty_body_is_member_not_found() {
    let mut gw = world(1);
    let not_found = (404, error(5, "etcdserver: member not found"));
    assert_eq!(call(&mut gw, "/v3/cluster/member/update", ""), not_found);
    assert_eq!(call(&mut gw, "/v3/cluster/member/update", "{}"), not_found);
}

#[test]
fn an_unknown_member_is_not_found_whatever_urls_come_with_it() {
    let mut gw = world(3);
    for urls in [
        json!([]),
        json!(["not a url"]),
        json!(["http://127.0.0.1:42380"]),
    ] {
        let body = json!({"ID": 12345, "peerURLs": urls}).to_string();
        assert_eq!(
            call(&mut gw, "/v3/cluster/member/update", &body),
            (404, error(5, "etcdserver: member not found")),
            "{urls}"
        );
    }
}

#[test]
fn a_known_member_given_urls_of_another_or_invalid_urls_is_refused_in_that_order() {
    let mut gw = world(3);
    let m1 = id_of(&mut gw, "m1");
    let taken = json!({"ID": m1, "peerURLs": ["http://127.0.0.1:32380", "bad"]}).to_string();
    assert_eq!(
        call(&mut gw, "/v3/cluster/member/update", &taken),
        (400, error(9, "etcdserver: Peer URLs already exists"))
    );
    for urls in [json!([]), json!(["127.0.0.1:22380"]), json!(["http://h"])] {
        let body = json!({"ID": m1, "peerURLs": urls}).to_string();
        assert_eq!(
            call(&mut gw, "/v3/cluster/member/update", &body),
            (400, error(3, "etcdserver: given member URLs are invalid")),
            "{urls}"
        );
    }
}

#[test]
fn an_update_keeps_the_urls_in_the_order_given() {
    let mut gw = world(3);
    let m1 = id_of(&mut gw, "m1");
    let urls = json!(["http://127.0.0.1:22381", "http://127.0.0.1:22380"]);
    let body = json!({"ID": m1, "peerURLs": urls}).to_string();
    assert_eq!(call(&mut gw, "/v3/cluster/member/update", &body).0, 200);
    let all = members(&mut gw);
    let m1_urls = all.iter().find(|(n, _, _)| n == "m1").map(|m| m.2.clone());
    assert_eq!(m1_urls, Some(urls));
}
