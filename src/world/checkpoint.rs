//! The world's whole state as a checkpoint (see `crate::checkpoint`): a
//! saved world is the last checkpoint plus the inputs since it, so that a
//! save and the journal in memory follow the data, not the number of
//! requests served (issue 10; docs/memory.md).
//!
//! Left out: the world's outputs not yet drained and its journal. A
//! checkpoint is only ever read by `load`, which hands nothing the loaded
//! world answered to anyone (its clients are gone), and the journal is
//! what comes after the checkpoint.

use super::journal::Journal;
use super::{Config, ControlCall, World};
use crate::checkpoint::{record, Checkpoint, Corrupt, Decoder, Encoder};

record!(ControlCall {
    ticket,
    member,
    method,
    path,
    body: pieces,
    len,
    too_large,
});

/// A control's body as it came, piece by piece.
mod pieces {
    use crate::checkpoint::{Decoder, Encoder};

    pub fn encode(pieces: &[Vec<u8>], e: &mut Encoder) {
        e.count(pieces.len());
        for p in pieces {
            e.bytes(p);
        }
    }

    pub fn decode(d: &mut Decoder) -> Vec<Vec<u8>> {
        let n = d.count();
        let mut pieces = Vec::with_capacity(n);
        for _ in 0..n {
            pieces.push(d.bytes());
        }
        pieces
    }
}

impl World {
    /// The world now, as bytes in pieces (see the module).
    pub(super) fn encode_state(&self) -> Vec<Vec<u8>> {
        let World {
            initial,
            gateway,
            next_ticket,
            controls,
            outputs: _,
            journal: _,
            paused,
            speed,
            epoch,
        } = self;
        let mut e = Encoder::new();
        e.str(&initial.to_json());
        gateway.encode(&mut e);
        e.u64(*next_ticket);
        controls.encode(&mut e);
        e.bool(*paused);
        e.u64(speed.to_bits());
        e.u64(*epoch);
        e.finish_pieces()
    }

    /// The world of checkpoint `bytes`, its journal `journal`.
    pub(super) fn decode_state(bytes: &[u8], journal: Journal) -> Result<World, Corrupt> {
        let mut d = Decoder::new(bytes);
        let initial = Config::overlay(&Config::default(), &d.bytes()).unwrap_or_else(|_| {
            d.fail();
            Config::default()
        });
        let world = World {
            initial,
            gateway: Checkpoint::decode(&mut d),
            next_ticket: d.u64(),
            controls: Checkpoint::decode(&mut d),
            outputs: Vec::new(),
            journal,
            paused: d.bool(),
            speed: f64::from_bits(d.u64()),
            epoch: d.u64(),
        };
        d.finish()?;
        Ok(world)
    }
}
