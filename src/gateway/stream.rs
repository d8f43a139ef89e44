//! Bidirectional streams (watch, lease keep-alive) as grpc-gateway v1.16
//! serves them over HTTP/1.1: the request body is read as a stream of JSON
//! messages; answers are `{"result":...}` lines sent as chunks, the head
//! only once the first message exists (docs/etcd-behaviour.md §6).

use super::jsonpb::{self, Decoded, StreamDecoder};
use super::respond;
use super::{HttpResponse, Output, Ticket};
use crate::errors::{Code, EtcdError};
use crate::pb::{LeaseKeepAliveRequest, WatchRequest};

/// Go's `http.response` buffers 2048 bytes before chunking: a message that
/// size or larger goes out as its own chunk, its newline as the next.
const CHUNK_BUFFER: usize = 2048;

pub enum Decoder {
    Watch(StreamDecoder<WatchRequest>),
    KeepAlive(StreamDecoder<LeaseKeepAliveRequest>),
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
}

pub struct Stream {
    pub member: usize,
    /// Opened with `hasleader`: etcd's leader monitor ends it when the
    /// member has long had no leader.
    pub require_leader: bool,
    /// Refused by etcd's stream interceptor: the answer is this error.
    refusal: Option<EtcdError>,
    decoder: Decoder,
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
        let before_first =
            !matches!(self.decoder, Decoder::None) && self.reading && self.received == 0;
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
        matches!(self.decoder, Decoder::Watch(_))
    }

    /// A watch stream the member serves (it has watchers to free).
    pub fn is_open_watch(&self) -> bool {
        self.is_watch() && self.refusal.is_none()
    }

    pub fn push(&mut self, data: &[u8]) {
        if !self.reading {
            return;
        }
        match &mut self.decoder {
            Decoder::Watch(d) => d.push(data),
            Decoder::KeepAlive(d) => d.push(data),
            Decoder::None => {}
        }
    }

    pub fn finish(&mut self) {
        match &mut self.decoder {
            Decoder::Watch(d) => d.finish(),
            Decoder::KeepAlive(d) => d.finish(),
            Decoder::None => {}
        }
    }

    /// The request messages complete so far. After the first error, or the
    /// end of the body, nothing more is read (grpc-gateway's send loop
    /// stops and closes its side of the stream).
    pub fn incoming(&mut self) -> Vec<Incoming> {
        let mut out = Vec::new();
        while self.reading {
            let next = match &mut self.decoder {
                Decoder::Watch(d) => d.next_message().map_incoming(Incoming::Watch),
                Decoder::KeepAlive(d) => d.next_message().map_incoming(Incoming::KeepAlive),
                Decoder::None => Step::NeedMore,
            };
            match next {
                Step::Message(m) => {
                    self.received += 1;
                    out.push(m);
                }
                Step::NeedMore => break,
                Step::End => {
                    self.reading = false;
                    out.push(Incoming::EndOfRequests);
                }
                Step::Error(msg) => {
                    self.reading = false;
                    if self.received == 0 {
                        // decoding errors of streaming calls are not gRPC
                        // statuses: Unknown, 500 (docs/etcd-behaviour.md #19)
                        let e = respond::grpc_error(Code::Unknown as i32, &msg, 500);
                        out.push(Incoming::FirstMessageError(e));
                    } else {
                        out.push(Incoming::EndOfRequests);
                    }
                }
            }
        }
        out
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

enum Step<T> {
    Message(T),
    NeedMore,
    End,
    Error(String),
}

trait MapIncoming<M> {
    fn map_incoming(self, f: impl FnOnce(M) -> Incoming) -> Step<Incoming>;
}

impl<M> MapIncoming<M> for Decoded<M> {
    fn map_incoming(self, f: impl FnOnce(M) -> Incoming) -> Step<Incoming> {
        match self {
            Decoded::Message(m) => Step::Message(f(m)),
            Decoded::NeedMore => Step::NeedMore,
            Decoded::End => Step::End,
            Decoded::Error(e) => Step::Error(e),
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
