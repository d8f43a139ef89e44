//! A randomized test of the store against a naive model that keeps a full
//! snapshot of the key space at every revision (the idea of etcd's
//! `tests/robustness` deterministic model). Each seed replays one run; a
//! failure names its seed.

use std::collections::BTreeMap;

use super::{KvStore, RangeOptions};
use crate::errors::EtcdError;
use crate::pb::{event_type, Event, KeyValue};

/// splitmix64: a tiny seeded generator, enough for a test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const KEYS: [&[u8]; 5] = [b"a", b"b", b"c", b"d", b"e"];

/// Range ends tried with every key: single key, all keys from it, a bounded
/// range, and an end before the key (empty).
const ENDS: [&[u8]; 4] = [b"", &[0], b"c", b"b\x00"];

type Snapshot = BTreeMap<Vec<u8>, KeyValue>;

/// Written independently of `index::in_range` on purpose.
fn model_in_range(k: &[u8], key: &[u8], end: &[u8]) -> bool {
    match end {
        [] => k == key,
        [0] => k >= key,
        _ => key <= k && k < end,
    }
}

struct Model {
    /// `snapshots[rev]` is the key space at `rev` (index 0 unused).
    snapshots: Vec<Snapshot>,
    /// Every event with its revision, in order.
    events: Vec<(i64, Event)>,
    compact_rev: i64,
}

impl Model {
    fn new() -> Self {
        Model {
            snapshots: vec![Snapshot::new(), Snapshot::new()],
            events: Vec::new(),
            compact_rev: -1,
        }
    }

    fn rev(&self) -> i64 {
        self.snapshots.len() as i64 - 1
    }

    fn snapshot(&self, rev: i64) -> &Snapshot {
        &self.snapshots[rev as usize]
    }

    /// Expected events since `from` in a range, honouring what compaction
    /// keeps at the compaction revision itself: the last put of each key
    /// alive then.
    fn events_since(&self, key: &[u8], end: &[u8], from: i64) -> Vec<Event> {
        let at_compaction = |rev: i64, i: usize, e: &Event| -> bool {
            let kv = e.kv.as_ref().expect("model events have kvs");
            let alive_with_this_rev = self
                .snapshot(rev)
                .get(&kv.key)
                .is_some_and(|now| now.mod_revision == rev);
            let last_of_key = !self.events[i + 1..]
                .iter()
                .any(|(r, later)| *r == rev && later.kv.as_ref().is_some_and(|l| l.key == kv.key));
            e.r#type == event_type::PUT && alive_with_this_rev && last_of_key
        };
        self.events
            .iter()
            .enumerate()
            .filter(|(_, (rev, e))| {
                *rev >= from && model_in_range(&e.kv.as_ref().unwrap().key, key, end)
            })
            .filter(|(i, (rev, e))| *rev != self.compact_rev || at_compaction(*rev, *i, e))
            .map(|(_, (_, e))| e.clone())
            .collect()
    }
}

fn random_key(rng: &mut Rng) -> &'static [u8] {
    KEYS[rng.below(KEYS.len() as u64) as usize]
}

/// One random write transaction applied to both the store and the model.
fn random_txn(rng: &mut Rng, store: &mut KvStore, model: &mut Model, seed: u64) {
    let rev = model.rev() + 1;
    let mut state = model.snapshot(model.rev()).clone();
    let mut events = Vec::new();
    let mut txn = store.write();
    for _ in 0..1 + rng.below(3) {
        match rng.below(5) {
            0..=2 => {
                let key = random_key(rng);
                let value = format!("v{}", rng.below(100)).into_bytes();
                let lease = rng.below(3) as i64;
                let (create_revision, version) = match state.get(key) {
                    Some(old) => (old.create_revision, old.version + 1),
                    None => (rev, 1),
                };
                let want = KeyValue {
                    key: key.to_vec(),
                    create_revision,
                    mod_revision: rev,
                    version,
                    value,
                    lease,
                };
                let got = txn.put(key, &want.value, lease);
                assert_eq!(got, want, "seed {seed}: put at {rev}");
                state.insert(key.to_vec(), want.clone());
                events.push(Event {
                    r#type: event_type::PUT,
                    kv: Some(want),
                    prev_kv: None,
                });
            }
            3 => {
                let key = random_key(rng);
                let end = ENDS[rng.below(ENDS.len() as u64) as usize];
                let doomed: Vec<KeyValue> = state
                    .values()
                    .filter(|kv| model_in_range(&kv.key, key, end))
                    .cloned()
                    .collect();
                let got = txn.delete_range(key, end);
                assert_eq!(got, doomed, "seed {seed}: delete_range at {rev}");
                for kv in doomed {
                    state.remove(&kv.key);
                    let tomb = KeyValue {
                        key: kv.key,
                        mod_revision: rev,
                        ..KeyValue::default()
                    };
                    events.push(Event {
                        r#type: event_type::DELETE,
                        kv: Some(tomb),
                        prev_kv: None,
                    });
                }
            }
            _ => {
                let key = random_key(rng);
                let end = ENDS[rng.below(ENDS.len() as u64) as usize];
                let want: Vec<KeyValue> = state
                    .values()
                    .filter(|kv| model_in_range(&kv.key, key, end))
                    .cloned()
                    .collect();
                let got = txn.range(key, end, RangeOptions::default());
                let got = got.unwrap_or_else(|e| panic!("seed {seed}: range in txn at {rev}: {e}"));
                assert_eq!(got.kvs, want, "seed {seed}: range in txn at {rev}");
                let read_rev = if events.is_empty() { rev - 1 } else { rev };
                assert_eq!(got.rev, read_rev, "seed {seed}: read revision in txn");
            }
        }
    }
    let got = txn.end();
    assert_eq!(got, events, "seed {seed}: events of revision {rev}");
    if !events.is_empty() {
        model.snapshots.push(state);
        model.events.extend(events.into_iter().map(|e| (rev, e)));
    }
}

fn random_compaction(rng: &mut Rng, store: &mut KvStore, model: &mut Model, seed: u64) {
    // Mostly valid revisions, sometimes one too low or too high.
    let low = model.compact_rev.max(0);
    let at = low + rng.below((model.rev() - low + 2) as u64) as i64;
    let want = if at <= model.compact_rev {
        Err(EtcdError::Compacted)
    } else if at > model.rev() {
        Err(EtcdError::FutureRev)
    } else {
        Ok(())
    };
    assert_eq!(
        store.compact(at),
        want,
        "seed {seed}: compact({at}) at {}",
        model.rev()
    );
    if want.is_ok() {
        model.compact_rev = at;
    }
}

/// Every read at every revision and every history query agree with the model.
fn check(store: &KvStore, model: &Model, seed: u64) {
    let cur = model.rev();
    assert_eq!(store.current_revision(), cur, "seed {seed}");
    assert_eq!(
        store.compact_revision(),
        model.compact_rev.max(0),
        "seed {seed}"
    );
    for rev in 0..=cur + 1 {
        for key in KEYS {
            for end in ENDS {
                for limit in [0, 1, 2] {
                    let opts = RangeOptions {
                        limit,
                        rev,
                        count_only: false,
                    };
                    let got = store.range(key, end, opts);
                    let ctx = format!("seed {seed}: range({key:?}, {end:?}, {opts:?}) at {cur}");
                    let read_rev = if rev <= 0 { cur } else { rev };
                    if rev > cur {
                        assert_eq!(got, Err(EtcdError::FutureRev), "{ctx}");
                        continue;
                    }
                    if read_rev < model.compact_rev {
                        assert_eq!(got, Err(EtcdError::Compacted), "{ctx}");
                        continue;
                    }
                    let all: Vec<&KeyValue> = model
                        .snapshot(read_rev)
                        .values()
                        .filter(|kv| model_in_range(&kv.key, key, end))
                        .collect();
                    let got = got.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                    assert_eq!(got.rev, cur, "{ctx}");
                    assert_eq!(got.count, all.len() as i64, "{ctx}");
                    let shown = if limit > 0 {
                        all.len().min(limit as usize)
                    } else {
                        all.len()
                    };
                    let want: Vec<KeyValue> = all[..shown].iter().map(|kv| (*kv).clone()).collect();
                    assert_eq!(got.kvs, want, "{ctx}");
                    let counted = store.range(
                        key,
                        end,
                        RangeOptions {
                            count_only: true,
                            ..opts
                        },
                    );
                    let counted = counted.unwrap_or_else(|e| panic!("{ctx} count_only: {e}"));
                    assert_eq!(
                        (counted.count, counted.kvs.len()),
                        (all.len() as i64, 0),
                        "{ctx}"
                    );
                }
            }
        }
    }
    for from in 1..=cur + 1 {
        for key in KEYS {
            for end in ENDS {
                let got = store.events_since(key, end, from);
                let ctx = format!("seed {seed}: events_since({key:?}, {end:?}, {from}) at {cur}");
                if from < model.compact_rev {
                    assert_eq!(got, Err(EtcdError::Compacted), "{ctx}");
                } else {
                    assert_eq!(got, Ok(model.events_since(key, end, from)), "{ctx}");
                }
            }
        }
    }
}

#[test]
fn store_agrees_with_snapshot_model_under_random_writes_and_compactions() {
    for seed in 0..40 {
        let mut rng = Rng(seed);
        let mut store = KvStore::new();
        let mut model = Model::new();
        for _ in 0..40 {
            if rng.below(6) == 0 {
                random_compaction(&mut rng, &mut store, &mut model, seed);
            } else {
                random_txn(&mut rng, &mut store, &mut model, seed);
            }
            check(&store, &model, seed);
        }
        // A copied store is an independent, equal store.
        let copy = store.clone();
        assert_eq!(copy, store, "seed {seed}");
        check(&copy, &model, seed);
    }
}
