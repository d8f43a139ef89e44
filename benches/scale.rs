//! The simulator at scale (issue 10, "Scale"), as timings: watchers on one
//! key, a limited range over many keys, a put on 1 to 7 members. Prints
//! figures; asserts nothing (tests/scale.rs holds the properties).
//!
//! `cargo bench --bench scale`

use etcd_sim::gateway::jsonpb::base64_encode;
use etcd_sim::world::{Config, HttpRequest, Output, World};
use std::time::{Duration, Instant};

fn world(members: usize) -> World {
    let mut w = World::new(Config {
        members,
        ..Config::default()
    });
    w.run_until_idle();
    w
}

fn post(path: &str) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: path.into(),
        headers: vec![],
    }
}

fn b64(s: &str) -> String {
    base64_encode(s.as_bytes())
}

/// Opens `n` watch streams on one key as a driver would (each request
/// followed by a run of the world and a look at its next timer), then puts
/// the key: the time of both, and the events delivered.
fn watchers(n: usize) -> (Duration, usize) {
    let mut w = world(1);
    let create = format!(r#"{{"create_request":{{"key":"{}"}}}}"#, b64("k"));
    let start = Instant::now();
    for _ in 0..n {
        let t = w.submit(0, post("/v3/watch"));
        w.body(t, create.as_bytes());
        w.run_until_idle();
        w.drain();
        std::hint::black_box(w.next_due());
    }
    let put = format!(r#"{{"key":"{}","value":"{}"}}"#, b64("k"), b64("v"));
    w.request(0, post("/v3/kv/put"), put.as_bytes());
    w.run_until_idle();
    let events = w
        .drain()
        .iter()
        .filter(|o| matches!(o, Output::StreamChunk { data, .. } if data.windows(8).any(|d| d == b"\"events\"")))
        .count();
    (start.elapsed(), events)
}

/// The time of a serializable range with `limit` over `n` keys (best of 20).
fn range(n: usize, limit: i64) -> Duration {
    let mut w = world(1);
    let value = b64(&"v".repeat(100));
    for first in (0..n).step_by(128) {
        let puts: Vec<String> = (first..n.min(first + 128))
            .map(|i| {
                let key = b64(&format!("key/{i:012}"));
                format!(r#"{{"request_put":{{"key":"{key}","value":"{value}"}}}}"#)
            })
            .collect();
        let txn = format!(r#"{{"success":[{}]}}"#, puts.join(","));
        w.request(0, post("/v3/kv/txn"), txn.as_bytes());
        w.run_until_idle();
        w.drain();
    }
    let body = format!(
        r#"{{"key":"{}","range_end":"{}","limit":{limit},"serializable":true}}"#,
        b64("key/"),
        b64("key0")
    );
    (0..20)
        .map(|_| {
            let start = Instant::now();
            w.request(0, post("/v3/kv/range"), body.as_bytes());
            w.run_until_idle();
            w.drain();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// `count` puts one after the other on `members`: wall time and virtual
/// time per put.
fn puts(members: usize, count: u64) -> (Duration, f64) {
    let mut w = world(members);
    let body = format!(r#"{{"key":"{}","value":"{}"}}"#, b64("k"), b64("v"));
    let (start, virtual_start) = (Instant::now(), w.now());
    for _ in 0..count {
        w.request(0, post("/v3/kv/put"), body.as_bytes());
        w.run_until_idle();
        w.drain();
    }
    let virtual_ms = (w.now() - virtual_start) as f64 / count as f64;
    (start.elapsed() / count as u32, virtual_ms)
}

fn main() {
    for n in [1_000, 10_000] {
        let (time, events) = watchers(n);
        let each = time / n as u32;
        println!("{n:>6} watchers on one key, opened and sent a put: {time:>10.1?} ({each:.1?} per watcher, {events} events)");
    }
    for n in [100, 100_000] {
        let limited = range(n, 10);
        println!("range with limit 10 over {n:>6} keys: {limited:>10.1?}");
    }
    for members in [1, 3, 5, 7] {
        let (wall, virtual_ms) = puts(members, 1_000);
        println!("{members} members, sequential puts: {wall:>8.1?} wall, {virtual_ms:.1} virtual ms per put");
    }
}
