//! The lock and election calls at the gateway: their JSON decoded into the
//! member's v3lock and v3election service calls (`server::v3client`),
//! gRPC's size check and the interceptors first (Observe is a stream);
//! their answers encoded back. The gateway keeps which calls still owe
//! their client an answer, and on which member.

use crate::errors::Code;
use crate::gateway::{jsonpb, metadata, receive_limit, respond, stream, Gateway, Ticket};
use crate::server::{ServiceCall, ServiceReply};

/// A service's unary answer as grpc-gateway writes it. The v3lock and
/// v3election servers reach their member through etcd's internal client
/// (v3client), whose `toErr` turns every etcd server error status into a
/// client-side `rpctypes.EtcdError`; their gRPC server sends that, like the
/// plain errors of `concurrency` and v3election's own, as Unknown with the
/// same text. So every error a service answers is code 2, HTTP 500.
pub fn encode_reply(reply: &ServiceReply) -> super::HttpResponse {
    match reply {
        Ok(r) => respond::json_ok(jsonpb::encode(r.message())),
        Err(e) => {
            let unknown = Code::Unknown;
            let text = e.to_string();
            respond::grpc_error(unknown as i32, &text, unknown.http_status())
        }
    }
}

impl Gateway {
    /// A lock or election call, past the gateway's decoding: gRPC's size
    /// check, the interceptors (Observe is a stream), then the member's
    /// service.
    pub(in crate::gateway) fn service_call(
        &mut self,
        ticket: Ticket,
        member: usize,
        call: ServiceCall,
        headers: &[(String, String)],
    ) {
        if let Err(e) = receive_limit(call.encoded_len()) {
            return self.respond(ticket, respond::etcd_error(&e));
        }
        if matches!(call, ServiceCall::Observe(_)) {
            let verdict = self.intercept(member, call.rpc(), None, headers);
            let mut st = stream::Stream::new(member, stream::Decoder::None).intercepted(verdict);
            if let Some(e) = st.refusal().cloned() {
                return st.error(ticket, &e, &mut self.outputs);
            }
            self.streams.insert(ticket, Box::new(st));
        } else if let Err(e) = self.intercept(member, call.rpc(), None, headers) {
            return self.respond(ticket, respond::etcd_error(&e));
        }
        self.services.insert(ticket, member);
        let token = metadata::token(headers);
        self.cluster.service(member, ticket, call, token);
    }

    /// The client of a service call is gone, or its stream was ended: the
    /// member gives back what the call holds.
    pub(in crate::gateway) fn service_cancel(&mut self, ticket: Ticket) {
        if let Some(member) = self.services.remove(ticket) {
            self.cluster.service_cancel(member, ticket);
        }
    }
}

/// The service calls still owing their client an answer, and the member
/// serving each, in ticket order (a sorted Vec: they are few, and a map
/// type of its own would cost the wasm more).
#[derive(Default)]
pub struct Calls(Vec<(Ticket, usize)>);

impl Calls {
    fn find(&self, ticket: Ticket) -> Result<usize, usize> {
        self.0.binary_search_by_key(&ticket, |c| c.0)
    }

    pub fn insert(&mut self, ticket: Ticket, member: usize) {
        match self.find(ticket) {
            Ok(i) => self.0[i].1 = member,
            Err(i) => self.0.insert(i, (ticket, member)),
        }
    }

    /// Forgets the call of `ticket`, giving its member.
    pub fn remove(&mut self, ticket: Ticket) -> Option<usize> {
        let i = self.find(ticket).ok()?;
        Some(self.0.remove(i).1)
    }

    pub fn contains(&self, ticket: Ticket) -> bool {
        self.find(ticket).is_ok()
    }

    pub fn tickets(&self) -> impl Iterator<Item = &Ticket> + '_ {
        self.0.iter().map(|c| &c.0)
    }

    /// The calls `member` serves.
    pub fn of(&self, member: usize) -> Vec<Ticket> {
        self.0
            .iter()
            .filter(|c| c.1 == member)
            .map(|c| c.0)
            .collect()
    }
}

/// As part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::Calls;
    use crate::checkpoint::{Checkpoint, Decoder, Encoder};

    impl Checkpoint for Calls {
        fn encode(&self, e: &mut Encoder) {
            let Calls(calls) = self;
            calls.encode(e);
        }

        fn decode(d: &mut Decoder) -> Self {
            Calls(Checkpoint::decode(d))
        }
    }
}
