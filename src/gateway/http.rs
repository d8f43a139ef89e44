//! The HTTP shapes the gateway speaks with its front doors (the Node server
//! and the in-page fetch shim). Plain data: no JSON, no etcd rules.

/// A request as a front door received it: method, path (with query string,
/// as sent) and headers. The body follows separately (`Gateway::body`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

/// A complete (unary) answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Ticket naming one request from submit to its last output.
pub type Ticket = u64;

/// What the gateway hands back to the front doors, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// The complete answer to a unary request; the ticket is finished.
    Response {
        ticket: Ticket,
        response: HttpResponse,
    },
    /// Status and headers of a streaming answer (watch, keepalive, snapshot):
    /// the body follows as chunks.
    StreamHead {
        ticket: Ticket,
        status: u16,
        headers: Vec<(String, String)>,
    },
    /// One piece of a streaming body, to be sent as one HTTP chunk.
    StreamChunk { ticket: Ticket, data: Vec<u8> },
    /// The streaming answer is complete; the ticket is finished.
    StreamEnd { ticket: Ticket },
    /// The member is down: close the connection without answering (as a
    /// refused connection looks); the ticket is finished.
    Refused { ticket: Ticket },
}

impl Output {
    pub fn ticket(&self) -> Ticket {
        match self {
            Output::Response { ticket, .. }
            | Output::StreamHead { ticket, .. }
            | Output::StreamChunk { ticket, .. }
            | Output::StreamEnd { ticket }
            | Output::Refused { ticket } => *ticket,
        }
    }
}

/// As part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{HttpRequest, HttpResponse, Output};
    use crate::checkpoint::{record, variants};

    record!(HttpRequest {
        method,
        path,
        headers
    });
    record!(HttpResponse {
        status,
        headers,
        body: bytes
    });
    variants!(Output {
        Response { ticket, response },
        StreamHead {
            ticket,
            status,
            headers
        },
        StreamChunk {
            ticket,
            data: bytes
        },
        StreamEnd { ticket },
        Refused { ticket },
    });
}
