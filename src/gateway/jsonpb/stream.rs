//! A request body read as Go's `json.Decoder` reads it (`readValue`), one
//! JSON value at a time, each decoded by jsonpb's `UnmarshalNext`.

use std::marker::PhantomData;

use super::scanner::{is_space, Op, Scanner};
use super::value::trim_space;
use super::{decode_message, Message};

/// What [`StreamDecoder::next_message`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded<M> {
    /// One complete value, decoded.
    Message(M),
    /// The value so far is incomplete: push more bytes (or finish).
    NeedMore,
    /// The body ended cleanly (only whitespace after the last value);
    /// Go's `io.EOF`.
    End,
    /// A syntax error, `unexpected EOF`, or a jsonpb error. The decoder
    /// keeps answering this error from now on.
    Error(String),
}

/// Incremental decoder of a stream of concatenated or whitespace-separated
/// JSON messages (watch and lease keepalive request bodies). Only
/// [`StreamDecoder::next_message`] depends on `M`; the byte handling is the
/// one `ValueReader` for every message type, so it exists once in the
/// binary.
pub struct StreamDecoder<M> {
    reader: ValueReader,
    _message: PhantomData<M>,
}

impl<M: Message> Default for StreamDecoder<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Message> StreamDecoder<M> {
    pub fn new() -> Self {
        StreamDecoder {
            reader: ValueReader::default(),
            _message: PhantomData,
        }
    }

    /// More body bytes arrived.
    pub fn push(&mut self, data: &[u8]) {
        self.reader.buf.extend_from_slice(data);
    }

    /// The body ended: a pending top-level number or literal completes, a
    /// truncated value becomes `unexpected EOF`.
    pub fn finish(&mut self) {
        self.reader.eof = true;
    }

    /// The next message, if one is complete. Call until it answers
    /// `NeedMore`, `End` or `Error`.
    pub fn next_message(&mut self) -> Decoded<M> {
        match self.reader.next_value() {
            Decoded::Message(value) => match decode_message(trim_space(&value), 0) {
                Ok(m) => Decoded::Message(m),
                Err(e) => Decoded::Error(self.reader.fail(e)),
            },
            Decoded::NeedMore => Decoded::NeedMore,
            Decoded::End => Decoded::End,
            Decoded::Error(e) => Decoded::Error(e),
        }
    }
}

/// Go's `json.Decoder` for raw values: splits a body into JSON values.
#[derive(Default)]
pub(crate) struct ValueReader {
    /// Bytes not yet consumed; `buf[..scanned]` went through `scanner`.
    buf: Vec<u8>,
    scanned: usize,
    scanner: Scanner,
    eof: bool,
    failed: Option<String>,
}

impl ValueReader {
    /// A whole body, read as `decode` reads a unary request: its first
    /// value (`None` for a blank body), or the error reading it gives.
    pub(crate) fn first_value(body: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let mut r = ValueReader {
            buf: body.to_vec(),
            eof: true,
            ..ValueReader::default()
        };
        match r.next_value() {
            Decoded::Message(value) => Ok(Some(value)),
            Decoded::End => Ok(None),
            Decoded::Error(e) => Err(e),
            Decoded::NeedMore => Err("unexpected EOF".to_string()),
        }
    }

    /// The next complete raw value (leading whitespace included).
    fn next_value(&mut self) -> Decoded<Vec<u8>> {
        if let Some(e) = &self.failed {
            return Decoded::Error(e.clone());
        }
        match self.read_value() {
            Ok(Some(n)) => {
                let value: Vec<u8> = self.buf.drain(..n).collect();
                self.scanned = 0;
                self.scanner.reset();
                Decoded::Message(value)
            }
            Ok(None) if self.eof => {
                if self.buf.iter().any(|&c| !is_space(c)) {
                    Decoded::Error(self.fail("unexpected EOF".to_string()))
                } else {
                    Decoded::End
                }
            }
            Ok(None) => Decoded::NeedMore,
            Err(e) => Decoded::Error(self.fail(e)),
        }
    }

    /// Remembers the error: every later call answers it again.
    fn fail(&mut self, e: String) -> String {
        self.failed = Some(e.clone());
        e
    }

    /// `Decoder.readValue`: the length of the first complete value in
    /// `buf` (leading whitespace included), `None` if it needs more input.
    fn read_value(&mut self) -> Result<Option<usize>, String> {
        while let Some(&c) = self.buf.get(self.scanned) {
            match self.scanner.step(c) {
                // The value ended before this byte (a number or literal).
                Op::End => return Ok(Some(self.scanned)),
                Op::EndObject | Op::EndArray if self.scanner.depth() == 0 => {
                    self.scanned += 1;
                    return Ok(Some(self.scanned));
                }
                Op::Error => return Err(self.scanner.error_text()),
                _ => self.scanned += 1,
            }
        }
        if self.eof && self.scanner.step(b' ') == Op::End {
            return Ok(Some(self.scanned));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::{LeaseKeepAliveRequest, WatchRequest};

    fn ids(d: &mut StreamDecoder<LeaseKeepAliveRequest>) -> Vec<Result<i64, String>> {
        let mut out = Vec::new();
        loop {
            match d.next_message() {
                Decoded::Message(m) => out.push(Ok(m.id)),
                Decoded::Error(e) => {
                    out.push(Err(e));
                    return out;
                }
                Decoded::NeedMore | Decoded::End => return out,
            }
        }
    }

    #[test]
    fn concatenated_and_newline_separated_values_each_yield_a_message() {
        let mut d = StreamDecoder::new();
        d.push(b"{\"ID\":1}{\"ID\":\"2\"}\n {\"ID\":3}\n");
        assert_eq!(ids(&mut d), vec![Ok(1), Ok(2), Ok(3)]);
        d.finish();
        assert_eq!(d.next_message(), Decoded::End);
    }

    #[test]
    fn a_value_split_across_pushes_completes_when_its_last_byte_arrives() {
        let mut d = StreamDecoder::new();
        for chunk in [&b"{\"I"[..], b"D\":", b"7", b"}"] {
            assert_eq!(ids(&mut d), vec![]);
            d.push(chunk);
        }
        assert_eq!(ids(&mut d), vec![Ok(7)]);
    }

    #[test]
    fn a_top_level_literal_needs_the_next_byte_or_eof() {
        let mut d = StreamDecoder::<LeaseKeepAliveRequest>::new();
        d.push(b"null");
        assert_eq!(d.next_message(), Decoded::NeedMore);
        d.finish();
        assert_eq!(
            d.next_message(),
            Decoded::Message(LeaseKeepAliveRequest::default())
        );
        assert_eq!(d.next_message(), Decoded::End);
    }

    #[test]
    fn a_truncated_value_at_eof_is_unexpected_eof() {
        let mut d = StreamDecoder::<WatchRequest>::new();
        d.push(b"{");
        assert_eq!(d.next_message(), Decoded::NeedMore);
        d.finish();
        assert_eq!(d.next_message(), Decoded::Error("unexpected EOF".into()));
    }

    #[test]
    fn a_syntax_error_after_a_good_value_is_reported_and_sticks() {
        let mut d = StreamDecoder::new();
        d.push(b"{\"ID\":1}{bad");
        let want = "invalid character 'b' looking for beginning of object key string".to_string();
        assert_eq!(ids(&mut d), vec![Ok(1), Err(want.clone())]);
        d.push(b"{\"ID\":2}");
        assert_eq!(ids(&mut d), vec![Err(want)]);
    }

    #[test]
    fn a_number_ends_at_the_next_byte_even_without_space() {
        let mut d = StreamDecoder::<LeaseKeepAliveRequest>::new();
        d.push(b"5{\"ID\":1}");
        let e = "json: cannot unmarshal number into Go value of type map[string]json.RawMessage";
        assert_eq!(ids(&mut d), vec![Err(e.to_string())]);
    }

    #[test]
    fn empty_or_blank_body_ends_without_message() {
        let mut d = StreamDecoder::<WatchRequest>::new();
        d.push(b" \n\t ");
        assert_eq!(d.next_message(), Decoded::NeedMore);
        d.finish();
        assert_eq!(d.next_message(), Decoded::End);
    }
}
