//! How fast the world runs natively: virtual seconds per wall second for a
//! three-member cluster, idle and under steady client load. Prints figures;
//! asserts nothing (speed targets live here, not in tests).
//!
//! `cargo bench --bench simulation`

use etcd_sim::cluster::{Answer, Cluster, Outcome};
use etcd_sim::config::Config;
use etcd_sim::pb;
use etcd_sim::server::Request;
use std::time::Instant;

fn cluster() -> Cluster {
    Cluster::new(&Config {
        members: 3,
        seed: 7,
        watch_progress_notify_interval_ms: 600_000,
        initial_cluster_token: "bench".into(),
        ..Config::default()
    })
}

/// Runs `virtual_ms` of simulated time with a client request every
/// `every_ms` (0 = idle); returns (virtual s per wall s, requests answered).
fn run(virtual_ms: u64, every_ms: u64) -> (f64, u64) {
    let mut c = cluster();
    let start = Instant::now();
    let end = c.now() + virtual_ms;
    let mut ticket = 0;
    let mut answered = 0;
    while c.now() < end {
        let step = if every_ms == 0 { 100 } else { every_ms };
        if every_ms > 0 {
            ticket += 1;
            let member = (ticket % 3) as usize;
            let req = if ticket % 4 == 0 {
                Request::Range(pb::RangeRequest {
                    key: b"k".to_vec(),
                    ..Default::default()
                })
            } else {
                let key = format!("k{}", ticket % 100).into_bytes();
                Request::Put(pb::PutRequest {
                    key,
                    value: vec![b'v'; 64],
                    ..Default::default()
                })
            };
            c.submit(member, ticket, req, None);
        }
        let t = c.now() + step;
        c.advance_to(t);
        answered += c
            .drain()
            .iter()
            .filter(|o| matches!(o, Outcome::Answer(Answer::Reply(_, Ok(_)))))
            .count() as u64;
    }
    let wall = start.elapsed().as_secs_f64();
    ((virtual_ms as f64 / 1000.0) / wall, answered)
}

fn main() {
    let (idle, _) = run(600_000, 0);
    println!("idle 3-member cluster:             {idle:>10.0} virtual s per wall s");
    for every in [10, 2] {
        let (speed, answered) = run(60_000, every);
        let rate = 1000 / every;
        println!(
            "3 members, {rate:>4} requests/virtual s: {speed:>10.0} virtual s per wall s ({answered} answered)"
        );
    }
}
