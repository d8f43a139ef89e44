//! `/_sim/`: the simulator's own control and inspection paths (not etcd's,
//! so they cannot clash). Answered on every member URL, even a down one.

use super::respond;
use super::{Config, Gateway, HttpResponse};
use serde_json::json;

pub fn handle(gw: &mut Gateway, method: &str, cmd: &str, body: &[u8]) -> HttpResponse {
    match (method, cmd) {
        ("POST", "reset") => {
            // fields not given are those the world started with
            match Config::overlay(&gw.initial, body) {
                Ok(config) => {
                    gw.reset(config);
                    state(gw)
                }
                Err(e) => bad_request(&e),
            }
        }
        ("GET", "state") => state(gw),
        ("GET", "leases") => leases(gw),
        ("GET", "watches") => watches(gw),
        (_, "reset" | "state" | "leases" | "watches") => {
            respond::text_error(405, "Method Not Allowed", &[])
        }
        _ => respond::text_error(404, "404 page not found", &[]),
    }
}

fn bad_request(msg: &str) -> HttpResponse {
    let body = json!({ "error": msg }).to_string();
    respond::plain(400, "application/json", body.into_bytes())
}

/// The world as `/_sim/state` shows it.
fn state(gw: &Gateway) -> HttpResponse {
    let c = &gw.cluster;
    let members: Vec<_> = (0..c.member_count())
        .filter_map(|i| c.member(i).map(|m| (i, m)))
        .map(|(i, m)| {
            json!({
                "index": i,
                "id": m.id.to_string(),
                "role": if i == c.leader() { "leader" } else { "follower" },
                "term": c.term(),
                "commit": c.commit_index(),
                "applied": m.applied_index(),
                "crashed": false,
                "revision": m.kv().current_revision(),
                "watchers": m.watches().watcher_count(),
            })
        })
        .collect();
    let body = json!({
        "now": c.now(),
        "leader": c.leader(),
        "cluster_id": c.cluster_id().to_string(),
        "members": members,
    });
    respond::plain(200, "application/json", body.to_string().into_bytes())
}

/// Go's expvar page (`/debug/vars`): the command line and memory statistics
/// of a Go process; ours describes the simulated member.
pub fn debug_vars(gw: &Gateway, member: usize) -> String {
    let name = format!("m{member}");
    json!({
        "cmdline": ["etcd", "--name", name, "--initial-cluster-state", "new"],
        "file_descriptor_limit": 20000,
        "memstats": { "Alloc": 0, "TotalAlloc": 0, "Sys": 0, "NumGC": 0 },
        "etcd_sim": { "members": gw.cluster.member_count(), "now_ms": gw.cluster.now() },
    })
    .to_string()
}

fn b64(b: &[u8]) -> String {
    crate::gateway::jsonpb::base64_encode(b)
}

/// `/_sim/leases`: the leader's leases with remaining TTL and keys.
fn leases(gw: &Gateway) -> HttpResponse {
    let c = &gw.cluster;
    let now = c.now();
    let list: Vec<_> = c
        .member(c.leader())
        .map(|m| {
            m.lessor()
                .leases()
                .into_iter()
                .map(|l| {
                    json!({
                        "ID": l.id.to_string(),
                        "TTL": l.ttl,
                        "remaining_ms": l.expiry.map(|e| e.saturating_sub(now)),
                        "keys": l.keys.iter().map(|k| b64(k)).collect::<Vec<_>>(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let body = json!({ "now": now, "leases": list });
    respond::plain(200, "application/json", body.to_string().into_bytes())
}

/// `/_sim/watches`: every watcher with its member, range and next revision.
fn watches(gw: &Gateway) -> HttpResponse {
    let c = &gw.cluster;
    let mut list = Vec::new();
    for i in 0..c.member_count() {
        let Some(m) = c.member(i) else { continue };
        for w in m.watches().watchers() {
            list.push(json!({
                "member": i,
                "stream": w.stream,
                "watch_id": w.watch_id,
                "key": b64(&w.key),
                "range_end": b64(&w.range_end),
                "next_revision": w.next_revision,
            }));
        }
    }
    let body = json!({ "watches": list });
    respond::plain(200, "application/json", body.to_string().into_bytes())
}
