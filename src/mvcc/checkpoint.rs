//! A member's MVCC store (key index and backend) as a checkpoint (see
//! `crate::checkpoint`). The backend holds the history etcd keeps until
//! compaction, so it is written whole.

use crate::checkpoint::{Checkpoint, Decoder, Encoder};

use super::{Generation, KeyIndex, KvStore, Record, Revision, TreeIndex};

impl Checkpoint for Revision {
    fn encode(&self, e: &mut Encoder) {
        let Revision { main, sub } = self;
        e.i64(*main);
        e.i64(*sub);
    }

    fn decode(d: &mut Decoder) -> Self {
        Revision {
            main: d.i64(),
            sub: d.i64(),
        }
    }
}

impl Checkpoint for Generation {
    fn encode(&self, e: &mut Encoder) {
        let Generation { ver, created, revs } = self;
        e.i64(*ver);
        created.encode(e);
        revs.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        Generation {
            ver: d.i64(),
            created: Checkpoint::decode(d),
            revs: Checkpoint::decode(d),
        }
    }
}

impl Checkpoint for KeyIndex {
    fn encode(&self, e: &mut Encoder) {
        let KeyIndex {
            modified,
            generations,
        } = self;
        modified.encode(e);
        generations.encode(e);
    }

    fn decode(d: &mut Decoder) -> Self {
        KeyIndex {
            modified: Checkpoint::decode(d),
            generations: Checkpoint::decode(d),
        }
    }
}

impl Checkpoint for TreeIndex {
    fn encode(&self, e: &mut Encoder) {
        let TreeIndex { tree } = self;
        crate::checkpoint::encode_byte_map(tree, e);
    }

    fn decode(d: &mut Decoder) -> Self {
        TreeIndex {
            tree: crate::checkpoint::decode_byte_map(d),
        }
    }
}

impl Checkpoint for Record {
    fn encode(&self, e: &mut Encoder) {
        let Record { kv, tombstone } = self;
        kv.encode(e);
        e.bool(*tombstone);
    }

    fn decode(d: &mut Decoder) -> Self {
        Record {
            kv: Checkpoint::decode(d),
            tombstone: d.bool(),
        }
    }
}

impl Checkpoint for KvStore {
    fn encode(&self, e: &mut Encoder) {
        let KvStore {
            index,
            backend,
            current_rev,
            compact_main_rev,
            backend_bytes,
            db_size_high_water,
        } = self;
        index.encode(e);
        backend.encode(e);
        for v in [
            current_rev,
            compact_main_rev,
            backend_bytes,
            db_size_high_water,
        ] {
            e.i64(*v);
        }
    }

    fn decode(d: &mut Decoder) -> Self {
        KvStore {
            index: Checkpoint::decode(d),
            backend: Checkpoint::decode(d),
            current_rev: d.i64(),
            compact_main_rev: d.i64(),
            backend_bytes: d.i64(),
            db_size_high_water: d.i64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checkpoint::{from_bytes, to_bytes};
    use crate::mvcc::{KvStore, RangeOptions};

    #[test]
    fn a_store_read_back_from_its_checkpoint_keeps_history_and_goes_on_alike() {
        let mut s = KvStore::new();
        for i in 0..50u32 {
            let mut w = s.write();
            let key = format!("k{}", i % 7).into_bytes();
            w.put(&key, &i.to_be_bytes(), i64::from(i % 3));
            if i % 11 == 0 {
                w.delete_range(b"k3", b"");
            }
            w.end();
        }
        s.compact(20).expect("compacts");
        let bytes = to_bytes(&s);
        let mut back: KvStore = from_bytes(&bytes).expect("reads back");
        assert_eq!(back, s);
        assert_eq!(to_bytes(&back), bytes);
        for store in [&mut s, &mut back] {
            let mut w = store.write();
            w.put(b"k1", b"later", 0);
            w.end();
        }
        assert_eq!(back, s);
        let all = RangeOptions {
            rev: 30,
            ..RangeOptions::default()
        };
        assert_eq!(back.range(b"k", b"l", all), s.range(b"k", b"l", all));
    }
}
