//! Where a world's memory goes: a counting allocator and the size of each
//! structure after a load of puts. A measurement, not a check (issue 10's
//! memory rows); run it alone, in release, since every test of this binary
//! shares the counter:
//!
//! `cargo test --release --lib memory_tests -- --ignored --nocapture --test-threads=1`
//!
//! A structure's size is what cloning it allocates: its data without the
//! spare capacity of its vectors (which the total live bytes include).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{HttpRequest, World};
use crate::config::Config;
use crate::gateway::jsonpb::base64_encode;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to `System` unchanged; only the sizes are
// counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Bytes a clone of `x` allocates.
fn size<T: Clone>(x: &T) -> usize {
    let before = live();
    let copy = x.clone();
    let size = live() - before;
    drop(copy);
    size
}

fn mb(bytes: usize) -> String {
    format!("{:>8.1} MB", bytes as f64 / 1e6)
}

fn put(world: &mut World, key: &str, value: &str) {
    let request = HttpRequest {
        method: "POST".into(),
        path: "/v3/kv/put".into(),
        headers: Vec::new(),
    };
    let body = format!(r#"{{"key":"{key}","value":"{value}"}}"#);
    world.request(0, request, body.as_bytes());
}

/// `puts` puts of 16-byte keys (over `keys` distinct ones) and 100-byte
/// values, 64 in flight as benches/memory.mjs sends them; a compaction every
/// `compact_every` revisions (0: never).
fn load(members: usize, puts: usize, keys: usize, compact_every: i64) -> World {
    let mut world = World::new(Config {
        members,
        ..Config::default()
    });
    world.run_until_idle();
    let value = base64_encode(&[b'v'; 100]);
    let mut compacted = 0;
    for i in (0..puts).step_by(64) {
        for j in i..puts.min(i + 64) {
            put(
                &mut world,
                &base64_encode(format!("key-{:012}", j % keys).as_bytes()),
                &value,
            );
        }
        world.run_until_idle();
        world.drain();
        let rev = world
            .gateway
            .cluster()
            .member(0)
            .map_or(0, |m| m.kv().current_revision());
        if compact_every > 0 && rev - compacted >= compact_every {
            let request = HttpRequest {
                method: "POST".into(),
                path: "/v3/kv/compaction".into(),
                headers: Vec::new(),
            };
            world.request(0, request, format!(r#"{{"revision":"{rev}"}}"#).as_bytes());
            world.run_until_idle();
            world.drain();
            compacted = rev;
        }
    }
    world
}

fn report(what: &str, world: &World, start: usize) {
    let total = live() - start;
    println!(
        "{what}: live {} (peak {})",
        mb(total),
        mb(PEAK.load(Ordering::Relaxed) - start)
    );
    let mut parts = vec![("world journal", size(&world.journal))];
    let cluster = world.gateway.cluster();
    parts.push(("trace", size(cluster.trace())));
    for i in 0..cluster.member_count() {
        let Some(m) = cluster.member(i) else { continue };
        let raft = m.raft();
        let log: Vec<_> = raft.log_entries().to_vec();
        let stored = raft.storage().entries().len();
        let kv = m.kv();
        println!(
            "  member {i}: raft log {} entries, storage {stored} entries, snapshot at {}",
            log.len(),
            raft.storage().snapshot_metadata().index
        );
        parts.extend([
            ("raft log (in memory)", size(&log)),
            ("raft storage", size(raft.storage())),
            ("mvcc key index", size(kv.index())),
            ("mvcc backend", size(kv) - size(kv.index())),
            ("watch hub", size(m.watches())),
        ]);
    }
    let mut sum = 0;
    for (name, bytes) in parts {
        println!("  {name:<22} {}", mb(bytes));
        sum += bytes;
    }
    println!(
        "  {:<22} {}",
        "other and spare",
        mb(total.saturating_sub(sum))
    );
}

#[test]
#[ignore = "a measurement: run alone (see the module)"]
fn where_the_bytes_go() {
    for (what, members, puts, keys, compact) in [
        ("100,000 puts, 1 member", 1, 100_000, 100_000, 0),
        ("100,000 puts, 3 members", 3, 100_000, 100_000, 0),
        (
            "200,000 puts over 1,000 keys, compaction every 10,000, 3 members",
            3,
            200_000,
            1000,
            10_000,
        ),
    ] {
        let start = live();
        PEAK.store(start, Ordering::Relaxed);
        let world = load(members, puts, keys, compact);
        report(what, &world, start);
        let before = live();
        let saved = world.save();
        println!(
            "  saved world {}; save() peak {}",
            mb(saved.len()),
            mb(PEAK.load(Ordering::Relaxed) - before)
        );
        drop(saved);
        drop(world);
    }
}

#[test]
#[ignore = "a measurement: run alone (see the module)"]
fn sizes_of_one_entry() {
    use std::mem::size_of;
    println!("Input {}", size_of::<super::journal::Input>());
    println!("Entry {}", size_of::<crate::server::RaftEntry>());
    println!("ConfChange {}", size_of::<crate::raft::ConfChange>());
    println!(
        "InternalRaftRequest {}",
        size_of::<crate::server::InternalRaftRequest>()
    );
    println!("Request {}", size_of::<crate::server::Request>());
    println!("Record {}", size_of::<crate::mvcc::Record>());
    println!("KeyIndex {}", size_of::<crate::mvcc::KeyIndex>());
    println!(
        "TraceEvent {}",
        size_of::<crate::cluster::trace::TraceEvent>()
    );
}
