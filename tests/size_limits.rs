//! etcd's size limits on a request apply to every RPC alike, as gRPC and
//! etcd's server measure the encoded message: the gateway's call larger
//! than gRPC's receive limit (`--max-request-bytes` + 512 KiB) is refused
//! by gRPC (429, ResourceExhausted); a proposal larger than
//! `--max-request-bytes` by the server (`etcdserver: request is too large`).

use etcd_sim::gateway::{Config, Gateway, HttpRequest, Output};
use serde_json::Value;

fn call(gw: &mut Gateway, path: &str, body: &str) -> (u16, Value) {
    let req = HttpRequest {
        method: "POST".into(),
        path: path.into(),
        headers: vec![],
    };
    let t = gw.request(0, req, body.as_bytes());
    gw.run_until_idle();
    for o in gw.drain() {
        if let Output::Response { ticket, response } = o {
            if ticket == t {
                let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                return (response.status, body);
            }
        }
    }
    panic!("no answer to {path}");
}

fn world() -> Gateway {
    Gateway::new(Config {
        members: 1,
        ..Config::default()
    })
}

#[test]
fn an_auth_call_larger_than_grpcs_receive_limit_is_refused_by_grpc() {
    let mut gw = world();
    let name = "n".repeat(2_200_000);
    let (status, body) = call(
        &mut gw,
        "/v3/auth/user/add",
        &format!(r#"{{"name":"{name}","password":"x"}}"#),
    );
    // name = 1: tag, 4-byte length, 2,200,000 bytes; password = 2: 3 bytes
    let size = 1 + 4 + 2_200_000 + 3;
    assert_eq!(status, 429, "{body}");
    assert_eq!(
        body["message"],
        format!("grpc: received message larger than max ({size} vs. 2097152)")
    );
    assert_eq!(body["code"], 8);
}

#[test]
fn an_auth_proposal_larger_than_max_request_bytes_is_too_large() {
    let mut gw = world();
    let name = "n".repeat(1_600_000);
    let (status, body) = call(
        &mut gw,
        "/v3/auth/role/add",
        &format!(r#"{{"name":"{name}"}}"#),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["message"], "etcdserver: request is too large");
    // and nothing was added
    let (_, roles) = call(&mut gw, "/v3/auth/role/list", "{}");
    assert_eq!(roles.get("roles"), None);
}

#[test]
fn a_call_just_under_the_limits_goes_through() {
    let mut gw = world();
    let name = "n".repeat(1_000_000);
    let (status, body) = call(
        &mut gw,
        "/v3/auth/role/add",
        &format!(r#"{{"name":"{name}"}}"#),
    );
    assert_eq!(status, 200, "{body}");
}
