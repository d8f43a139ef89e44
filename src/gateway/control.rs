//! `/_sim/`: the simulator's own control and inspection paths (not etcd's,
//! so they cannot clash). Answered on every member URL, even a down one.

use super::respond;
use super::{Config, Gateway, HttpResponse};
use json::Json;

mod json;

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
    let body = Json::obj(vec![("error", msg.into())]);
    respond::plain(400, "application/json", body.into_bytes())
}

/// The world as `/_sim/state` shows it.
fn state(gw: &Gateway) -> HttpResponse {
    let c = &gw.cluster;
    let members: Vec<Json> = (0..c.member_count())
        .filter_map(|i| c.member(i).map(|m| (i, m)))
        .map(|(i, m)| {
            Json::obj(vec![
                ("applied", m.applied_index().into()),
                ("commit", c.commit_index().into()),
                ("crashed", false.into()),
                ("id", m.id.to_string().into()),
                ("index", i.into()),
                ("revision", m.kv().current_revision().into()),
                (
                    "role",
                    if i == c.leader() {
                        "leader"
                    } else {
                        "follower"
                    }
                    .into(),
                ),
                ("term", c.term().into()),
                ("watchers", m.watches().watcher_count().into()),
            ])
        })
        .collect();
    let body = Json::obj(vec![
        ("cluster_id", c.cluster_id().to_string().into()),
        ("leader", c.leader().into()),
        ("members", Json::Arr(members)),
        ("now", c.now().into()),
    ]);
    respond::plain(200, "application/json", body.into_bytes())
}

/// Go's expvar page (`/debug/vars`): the command line and memory statistics
/// of a Go process; ours describes the simulated member.
pub fn debug_vars(gw: &Gateway, member: usize) -> String {
    let name = format!("m{member}");
    let zero = || Json::from(0u64);
    Json::obj(vec![
        (
            "cmdline",
            vec!["etcd", "--name", &name, "--initial-cluster-state", "new"].into(),
        ),
        (
            "etcd_sim",
            Json::obj(vec![
                ("members", gw.cluster.member_count().into()),
                ("now_ms", gw.cluster.now().into()),
            ]),
        ),
        ("file_descriptor_limit", 20000u64.into()),
        (
            "memstats",
            Json::obj(vec![
                ("Alloc", zero()),
                ("NumGC", zero()),
                ("Sys", zero()),
                ("TotalAlloc", zero()),
            ]),
        ),
    ])
    .to_text()
}

fn b64(b: &[u8]) -> String {
    crate::gateway::jsonpb::base64_encode(b)
}

/// `/_sim/leases`: the leader's leases with remaining TTL and keys.
fn leases(gw: &Gateway) -> HttpResponse {
    let c = &gw.cluster;
    let now = c.now();
    let list: Vec<Json> = c
        .member(c.leader())
        .map(|m| {
            m.lessor()
                .leases()
                .into_iter()
                .map(|l| {
                    Json::obj(vec![
                        ("ID", l.id.to_string().into()),
                        ("TTL", l.ttl.into()),
                        (
                            "keys",
                            l.keys.iter().map(|k| b64(k)).collect::<Vec<_>>().into(),
                        ),
                        (
                            "remaining_ms",
                            l.expiry.map(|e| e.saturating_sub(now)).into(),
                        ),
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    let body = Json::obj(vec![("leases", Json::Arr(list)), ("now", now.into())]);
    respond::plain(200, "application/json", body.into_bytes())
}

/// `/_sim/watches`: every watcher with its member, range and next revision.
fn watches(gw: &Gateway) -> HttpResponse {
    let c = &gw.cluster;
    let mut list = Vec::new();
    for i in 0..c.member_count() {
        let Some(m) = c.member(i) else { continue };
        for w in m.watches().watchers() {
            list.push(Json::obj(vec![
                ("key", b64(&w.key).into()),
                ("member", i.into()),
                ("next_revision", w.next_revision.into()),
                ("range_end", b64(&w.range_end).into()),
                ("stream", w.stream.into()),
                ("watch_id", w.watch_id.into()),
            ]));
        }
    }
    let body = Json::obj(vec![("watches", Json::Arr(list))]);
    respond::plain(200, "application/json", body.into_bytes())
}
