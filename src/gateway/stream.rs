//! Bidirectional streams (watch, lease keep-alive) as grpc-gateway v1.16
//! serves them over HTTP/1.1: the request body is read as a stream of JSON
//! messages; answers are `{"result":...}` lines sent as chunks, the head
//! only once the first message exists (docs/etcd-behaviour.md §6).

use super::jsonpb::{self, decode_kept, Kept, ValueReader};
use super::{receive_limit, respond};
use super::{HttpResponse, Output, Ticket};
use crate::errors::{Code, EtcdError};
use crate::pb::{LeaseKeepAliveRequest, Message, WatchRequest};

/// Go's `http.response` buffers 2048 bytes before chunking: a message that
/// size or larger goes out as its own chunk, its newline as the next.
const CHUNK_BUFFER: usize = 2048;

/// What a stream's request body holds: one message per JSON value, each
/// read as it completes (grpc-gateway's `json.Decoder` + jsonpb's
/// `UnmarshalNext`), kept as [`ValueReader`] keeps values.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Decoder {
    Watch,
    KeepAlive,
    /// A server stream (snapshot): its one request was read whole.
    None,
}

/// A request message decoded from a stream body.
pub enum Incoming {
    Watch(WatchRequest),
    KeepAlive(LeaseKeepAliveRequest),
    /// The client closed its request body (or it stopped being read).
    EndOfRequests,
    /// The very first message did not decode: answer this error instead of
    /// a stream.
    FirstMessageError(HttpResponse),
    /// A message too large for gRPC's receive limit: the server ends the
    /// stream with this error (etcd's `recvLoop` returns it).
    TooLarge(EtcdError),
}

pub struct Stream {
    pub member: usize,
    /// Opened with `hasleader`: etcd's leader monitor ends it when the
    /// member has long had no leader.
    pub require_leader: bool,
    /// Refused by etcd's stream interceptor: the answer is this error.
    refusal: Option<EtcdError>,
    decoder: Decoder,
    reader: ValueReader,
    received: usize,
    reading: bool,
    head_sent: bool,
}

impl Stream {
    pub fn new(member: usize, decoder: Decoder) -> Self {
        Stream {
            member,
            require_leader: false,
            refusal: None,
            decoder,
            reader: ValueReader::default(),
            received: 0,
            reading: true,
            head_sent: false,
        }
    }

    /// The stream interceptor's verdict (see `Gateway::intercept`).
    pub fn intercepted(mut self, verdict: Result<bool, EtcdError>) -> Self {
        match verdict {
            Ok(require_leader) => self.require_leader = require_leader,
            Err(e) => {
                self.require_leader = false;
                self.refusal = Some(e);
            }
        }
        self
    }

    /// The server ended the stream with `e` (etcd's leader monitor).
    /// grpc-gateway looks at the stream only once it has sent the first
    /// request message or found the body empty: until then the stream is
    /// handed back, refused.
    pub fn end_with(mut self, ticket: Ticket, e: EtcdError, out: &mut Vec<Output>) -> Option<Self> {
        let before_first = self.decoder != Decoder::None && self.reading && self.received == 0;
        if before_first {
            return Some(self.intercepted(Err(e)));
        }
        self.error(ticket, &e, out);
        None
    }

    pub fn refusal(&self) -> Option<&EtcdError> {
        self.refusal.as_ref()
    }

    pub fn is_watch(&self) -> bool {
        self.decoder == Decoder::Watch
    }

    /// A watch stream the member serves (it has watchers to free).
    pub fn is_open_watch(&self) -> bool {
        self.is_watch() && self.refusal.is_none()
    }

    /// More of the request body: the messages it completes, up to an
    /// error, after which nothing more is read (grpc-gateway's send loop
    /// stops and closes its side of the stream). What the stream kept of
    /// the messages it took goes to `kept`: read again, it gives the same
    /// messages. A message that failed is not kept: how it stopped the
    /// reading is the `Stop` (see [`Stop`]).
    pub fn push(&mut self, mut data: &[u8], kept: &mut Vec<u8>) -> (Vec<Incoming>, Option<Stop>) {
        let mut out = Vec::new();
        let mut stop = None;
        while self.reading && self.decoder != Decoder::None && !data.is_empty() {
            let (n, value) = self.reader.read(data);
            data = data.get(n..).unwrap_or_default();
            if let Some(value) = value {
                stop = self.incoming(value, &mut out, kept);
            }
        }
        (out, stop)
    }

    /// The request body ended: its last message, if one was under way (a
    /// number or literal ends here), then the end of the requests.
    pub fn finish(&mut self, kept: &mut Vec<u8>) -> (Vec<Incoming>, Option<Stop>) {
        let mut out = Vec::new();
        if !self.reading {
            return (out, None);
        }
        let stop = match self.reader.finish() {
            Some(value) if self.decoder != Decoder::None => self.incoming(value, &mut out, kept),
            _ => None,
        };
        if self.reading {
            self.reading = false;
            out.push(Incoming::EndOfRequests);
        }
        (out, stop)
    }

    /// Whether the request body is still read.
    pub fn reading(&self) -> bool {
        self.reading
    }

    /// Bytes held for the request message under way.
    pub fn held(&self) -> usize {
        self.reader.held()
    }

    /// One message read (or the syntax error met); the stream keeps what
    /// it took in `kept`, or says how an error stopped the reading.
    fn incoming(
        &mut self,
        value: Result<Kept, String>,
        out: &mut Vec<Incoming>,
        kept: &mut Vec<u8>,
    ) -> Option<Stop> {
        let next = value.map_err(EtcdError::Decode).and_then(|value| {
            let m = match self.decoder {
                Decoder::Watch => decode_kept(&value).map(Incoming::Watch),
                _ => decode_kept(&value).map(Incoming::KeepAlive),
            };
            Ok((m?, value.value))
        });
        let error = match next.and_then(|(m, v)| receive_limit(m.encoded_len()).map(|()| (m, v))) {
            Ok((m, value)) => {
                self.received += 1;
                out.push(m);
                kept.extend_from_slice(&value);
                // a literal (`null`) ended at the byte after it: a replay
                // must meet one too, not wait for the next message
                if !matches!(value.last(), Some(b'}' | b']')) {
                    kept.push(b' ');
                }
                return None;
            }
            Err(e) => e,
        };
        self.reading = false;
        match error {
            EtcdError::Decode(msg) => out.push(if self.received == 0 {
                // decoding errors of streaming calls are not gRPC
                // statuses: Unknown, 500 (docs/etcd-behaviour.md #19)
                let e = respond::grpc_error(Code::Unknown as i32, &msg, 500);
                Incoming::FirstMessageError(e)
            } else {
                Incoming::EndOfRequests
            }),
            e => out.push(Incoming::TooLarge(e)),
        }
        match out.last() {
            Some(Incoming::EndOfRequests) => Some(Stop::Finish),
            _ => Some(Stop::Cancel),
        }
    }

    /// Outputs for one answer message: the head first if not sent yet.
    pub fn message(&mut self, ticket: Ticket, json: String, out: &mut Vec<Output>) {
        self.head(ticket, out);
        let mut data = json.into_bytes();
        if data.len() >= CHUNK_BUFFER {
            out.push(Output::StreamChunk { ticket, data });
            data = b"\n".to_vec();
        } else {
            data.push(b'\n');
        }
        out.push(Output::StreamChunk { ticket, data });
    }

    /// An error from the server ends the stream. grpc-gateway v1.16
    /// (`runtime/handler.go`, `handleForwardResponseStreamError`) writes it
    /// as one `{"error":{...}}` object with no delimiter after it; before
    /// any message the HTTP status is the error's and, the call having
    /// ended without header metadata, the head has no `Grpc-Metadata-*`.
    pub fn error(&mut self, ticket: Ticket, e: &EtcdError, out: &mut Vec<Output>) {
        let code = e.code();
        let status = code.http_status();
        if !self.head_sent {
            self.head_sent = true;
            out.push(Output::StreamHead {
                ticket,
                status,
                headers: respond::error_headers(),
            });
        }
        let chunk = jsonpb::encode_stream_error(
            code as i32,
            i32::from(status),
            status_text(status),
            &e.to_string(),
        );
        out.push(Output::StreamChunk {
            ticket,
            data: chunk.into_bytes(),
        });
        out.push(Output::StreamEnd { ticket });
    }

    pub fn end(&mut self, ticket: Ticket, out: &mut Vec<Output>) {
        self.head(ticket, out);
        out.push(Output::StreamEnd { ticket });
    }

    fn head(&mut self, ticket: Ticket, out: &mut Vec<Output>) {
        if !self.head_sent {
            self.head_sent = true;
            let r = respond::json_ok(String::new());
            out.push(Output::StreamHead {
                ticket,
                status: r.status,
                headers: r.headers,
            });
        }
    }
}

/// How a message that failed stopped a stream's reading, as the world's
/// journal records it: what a replay of the messages kept, followed by
/// this input, does to the stream. A decode error after the first message
/// ends the requests as the body's end does (`Finish`: the replay has no
/// message under way). A decode error in the first message, or a message
/// too large for gRPC, ends the stream as a cancel ends it (its watchers
/// freed; the error answered is the client's, not the world's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Finish,
    Cancel,
}

impl Incoming {
    /// The size of a request message on the wire.
    fn encoded_len(&self) -> usize {
        match self {
            Incoming::Watch(m) => m.encoded_len(),
            Incoming::KeepAlive(m) => m.encoded_len(),
            _ => 0,
        }
    }
}

fn status_text(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// An open stream, as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{Decoder, Stream};
    use crate::checkpoint::{record, variants};

    variants!(Decoder {
        Watch,
        KeepAlive,
        None
    });
    record!(Stream {
        member,
        require_leader,
        refusal,
        decoder,
        reader,
        received,
        reading,
        head_sent,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> Stream {
        Stream::new(0, Decoder::None)
    }

    const NO_LEADER_CHUNK: &str = r#"{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}}"#;

    #[test]
    fn an_error_before_any_message_has_the_errors_status_and_one_error_chunk() {
        let mut out = Vec::new();
        stream().error(7, &EtcdError::NoLeader, &mut out);
        assert_eq!(
            out,
            [
                Output::StreamHead {
                    ticket: 7,
                    status: 503,
                    headers: respond::error_headers(),
                },
                Output::StreamChunk {
                    ticket: 7,
                    data: NO_LEADER_CHUNK.into(),
                },
                Output::StreamEnd { ticket: 7 },
            ]
        );
    }

    #[test]
    fn an_error_after_a_message_is_a_last_chunk_without_delimiter() {
        let mut st = stream();
        let mut out = Vec::new();
        st.message(7, "{}".into(), &mut out);
        out.clear();
        st.error(7, &EtcdError::NoLeader, &mut out);
        assert_eq!(
            out,
            [
                Output::StreamChunk {
                    ticket: 7,
                    data: NO_LEADER_CHUNK.into(),
                },
                Output::StreamEnd { ticket: 7 },
            ]
        );
    }
}
