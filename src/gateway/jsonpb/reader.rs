//! A request body read as Go's `json.Decoder` reads it (`readValue`), one
//! JSON value at a time, keeping of each value only what its answer needs:
//! a body of any size takes a bounded amount of memory.
//!
//! etcd's gateway reads a unary body whole, decodes its first value, and
//! only then does gRPC's receive limit refuse a message of more than 2 MiB
//! with its size on the wire (docs/etcd-behaviour.md #64); a stream's
//! messages are decoded whole one by one. None of those answers needs more
//! of a value than this:
//! * whitespace between tokens counts once: a run of it means to the
//!   scanner and to the decoder what one byte of it means;
//! * up to [`KEEP`] bytes, the value is kept whole: every message gRPC
//!   accepts, written as JSON clients write it (bytes in base64), is;
//! * past that, one run of base64 digits inside a string is counted four
//!   at a time rather than kept. Wherever that string lands (a bytes or
//!   string field, an unknown field, a key), four more or fewer digits
//!   change only the decoded value's length and the offsets of base64
//!   errors after them: [`decode_kept`] decodes the value as kept and
//!   with four more digits, and scales the difference;
//! * past [`MAX_KEPT`] bytes, only the scanner goes on: a syntax error or a
//!   truncated body still gets its exact decode error, a complete value is
//!   too large for gRPC.
//!
//! What cannot be exact without the whole value is answered as too large,
//! with the value's length in bytes for gRPC's size: a value of more than
//! [`KEEP`] bytes that decodes to a small message all the same (megabytes
//! of unknown fields or repeated keys), one with more than one long string
//! or a long string of escapes or line breaks, and one whose long string is
//! quoted in etcd's error (a number or enum name megabytes long).

use super::scanner::{Op, Scanner};
use super::value::trim_space;
use super::{base64, decode_into, Message};
use crate::errors::EtcdError;
use crate::pb::{size, Reflect, ReflectMut};
use crate::server::MAX_RECV_BYTES;

/// A value is kept whole up to this many bytes.
pub const KEEP: usize = 3 << 20;

/// At most this much of a value is kept: 4 MiB less one group of digits
/// (those of a run go in whole groups), so the buffer never outgrows 4 MiB.
pub const MAX_KEPT: usize = (4 << 20) - 4;

/// What was kept of one complete value.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Kept {
    /// The value, whitespace runs cut to one byte; empty when only counted.
    pub value: Vec<u8>,
    /// What of the value is not in `value`.
    pub left_out: LeftOut,
    /// The bytes the value took in the body, leading whitespace included.
    pub len: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeftOut {
    #[default]
    Nothing,
    /// A run of `groups` times four base64 digits stood at `value[at]`.
    Run { at: usize, groups: usize },
    /// Everything: the value was only counted.
    All,
}

/// A run of base64 digits being left out of the value.
#[derive(Clone, Copy, Debug)]
struct Run {
    at: usize,
    groups: usize,
    open: bool,
}

/// Splits a body into JSON values as it arrives, keeping what [`Kept`]
/// says of each.
#[derive(Default)]
pub struct ValueReader {
    scanner: Scanner,
    kept: Vec<u8>,
    len: usize,
    /// A byte other than whitespace came: the value has begun.
    begun: bool,
    /// The last byte kept is whitespace between tokens.
    space: bool,
    run: Option<Run>,
    /// Past [`MAX_KEPT`]: only counting.
    counted: bool,
    failed: Option<String>,
}

impl ValueReader {
    /// Reads `data` up to the end of the next value: how many bytes it
    /// took, and the value if one ended (or the syntax error met, which
    /// every later call answers again).
    pub fn read(&mut self, data: &[u8]) -> (usize, Option<Result<Kept, String>>) {
        if let Some(e) = &self.failed {
            return (data.len(), Some(Err(e.clone())));
        }
        for (i, &c) in data.iter().enumerate() {
            if self.in_run(c) {
                self.len += 1;
                continue;
            }
            match self.scanner.step(c) {
                Op::Error => {
                    // kept, so that a replay of what was kept meets it too
                    self.keep(c);
                    let e = self.scanner.error_text();
                    self.failed = Some(e.clone());
                    return (i + 1, Some(Err(e)));
                }
                // a number or literal ended before this byte
                Op::End => return (i, Some(Ok(self.take()))),
                Op::SkipSpace if self.space => self.len += 1,
                op => {
                    self.len += 1;
                    self.space = op == Op::SkipSpace;
                    self.begun |= !self.space;
                    self.keep(c);
                    let closed = matches!(op, Op::EndObject | Op::EndArray);
                    if closed && self.scanner.depth() == 0 {
                        return (i + 1, Some(Ok(self.take())));
                    }
                }
            }
        }
        (data.len(), None)
    }

    /// The body ended: the value under way, if one began (a number or
    /// literal ends here), or `unexpected EOF`.
    pub fn finish(&mut self) -> Option<Result<Kept, String>> {
        if let Some(e) = &self.failed {
            return Some(Err(e.clone()));
        }
        if !self.begun {
            return None;
        }
        if self.scanner.step(b' ') == Op::End {
            return Some(Ok(self.take()));
        }
        let e = "unexpected EOF".to_string();
        self.failed = Some(e.clone());
        Some(Err(e))
    }

    /// The first value of a whole body (`None`: the body is blank).
    pub fn first(&mut self, body: &[u8]) -> Option<Result<Kept, String>> {
        match self.read(body) {
            (_, Some(value)) => Some(value),
            (_, None) => self.finish(),
        }
    }

    /// Bytes held for the value under way.
    pub fn held(&self) -> usize {
        self.kept.capacity()
    }

    /// Whether `c` is a base64 digit of the run left out of the value
    /// (starting one if the value is long enough and this is the first).
    fn in_run(&mut self, c: u8) -> bool {
        let digit = c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
        let run = match &mut self.run {
            Some(run) if run.open && digit => run,
            Some(run) => {
                // the run ends: its digits short of a group stay kept
                run.open = false;
                return false;
            }
            None if digit
                && !self.counted
                && self.kept.len() >= KEEP
                && self.scanner.in_string() =>
            {
                self.run.insert(Run {
                    at: self.kept.len(),
                    groups: 0,
                    open: true,
                })
            }
            None => return false,
        };
        self.kept.push(c);
        if self.kept.len() - run.at == 4 {
            self.kept.truncate(run.at);
            run.groups += 1;
        }
        true
    }

    #[inline]
    fn keep(&mut self, c: u8) {
        if self.counted {
            return;
        }
        if self.kept.len() >= MAX_KEPT {
            self.counted = true;
            self.kept = Vec::new();
            return;
        }
        self.kept.push(c);
    }

    /// The value that just ended; the reader is ready for the next.
    fn take(&mut self) -> Kept {
        let left_out = match self.run {
            _ if self.counted => LeftOut::All,
            Some(Run { at, groups, .. }) if groups > 0 => LeftOut::Run { at, groups },
            _ => LeftOut::Nothing,
        };
        let kept = Kept {
            value: std::mem::take(&mut self.kept),
            left_out,
            len: self.len,
        };
        self.scanner.reset();
        self.len = 0;
        self.begun = false;
        self.space = false;
        self.run = None;
        self.counted = false;
        kept
    }
}

/// A message being decoded, then measured.
trait Decoding: ReflectMut + Reflect {}

impl<M: Message> Decoding for M {}

/// Decodes a kept value into message `M` as jsonpb decodes the whole
/// value, or says why it cannot be: etcd's decode error, or gRPC's receive
/// limit when it can only be over it (see the module). A blank value is
/// the empty message.
pub fn decode_kept<M: Message>(kept: &Kept) -> Result<M, EtcdError> {
    let (mut m, mut grown) = (M::default(), M::default());
    decode_into_kept(kept, &mut m, &mut grown)?;
    Ok(m)
}

fn decode_value(m: &mut dyn ReflectMut, value: &[u8]) -> Result<(), String> {
    let value = trim_space(value);
    if value.is_empty() {
        return Ok(());
    }
    decode_into(m, value, 0)
}

/// [`decode_kept`], for any message: `m` is filled, `grown` (of the same
/// type) is scratch: for a value kept without a run of digits, it takes
/// the value with four more digits.
fn decode_into_kept(
    kept: &Kept,
    m: &mut dyn Decoding,
    grown: &mut dyn Decoding,
) -> Result<(), EtcdError> {
    let too_large = |size| EtcdError::MessageTooLarge {
        size,
        limit: MAX_RECV_BYTES,
    };
    let (at, groups) = match kept.left_out {
        LeftOut::Nothing => return decode_value(m, &kept.value).map_err(EtcdError::Decode),
        LeftOut::All => return Err(too_large(kept.len)),
        LeftOut::Run { at, groups } => (at, groups),
    };
    let mut more = kept.value.clone();
    let at = at.min(more.len());
    more.splice(at..at, *b"AAAA");
    match (decode_value(m, &kept.value), decode_value(grown, &more)) {
        (Ok(()), Ok(())) => {
            let size = |k| size::grown_len(m, grown, k);
            match (size(0), size(groups)) {
                // the run landed in no field: `m` is the message
                (Some(n), Some(with_run)) if n == with_run => Ok(()),
                (Some(_), Some(with_run)) if with_run > MAX_RECV_BYTES => Err(too_large(with_run)),
                _ => Err(too_large(kept.len)),
            }
        }
        (Err(e), Err(f)) if e == f => Err(EtcdError::Decode(e)),
        // a base64 error past the run: four digits more moved it by four,
        // the whole run by four per group
        (Err(e), Err(f)) => match (base64::corrupt_offset(&e), base64::corrupt_offset(&f)) {
            (Some(at), Some(with_four)) if with_four == at + 4 => {
                Err(EtcdError::Decode(base64::corrupt(at as usize + 4 * groups)))
            }
            _ => Err(too_large(kept.len)),
        },
        _ => Err(too_large(kept.len)),
    }
}

/// A body half read, as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{Kept, LeftOut, Run, ValueReader};
    use crate::checkpoint::{record, variants};

    record!(Kept {
        value: bytes,
        left_out,
        len
    });
    variants!(LeftOut {
        Nothing,
        Run { at, groups },
        All
    });
    record!(Run { at, groups, open });
    record!(ValueReader {
        scanner,
        kept: bytes,
        len,
        begun,
        space,
        run,
        counted,
        failed,
    });
}
