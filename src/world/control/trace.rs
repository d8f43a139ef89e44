//! `/_sim/trace?since=N`: the world's trace events from number N on, as
//! `{"events":[...],"next":M}` (M: the number the next event will have).
//!
//! Each event is one flat object: `seq`, `at` (virtual ms) and `kind` first,
//! then the fields of its kind beside them, so that a view reads `e.term`
//! whatever the kind. Members are indices; a reference to nobody (no leader
//! known) is left out. `docs/trace.md` lists every kind and field, in the
//! order written here.

use super::{answer, query_param};
use crate::cluster::trace::{Control, EntryKind, Envelope, TraceEvent, TraceKind};
use crate::raft::Event;
use crate::world::json::{list, Object};
use crate::world::{HttpResponse, World};
use std::fmt::Write;

pub(super) fn view(gw: &World, query: &str) -> HttpResponse {
    let since = query_param(query, "since")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let t = gw.gateway.cluster().trace();
    let mut body = String::new();
    let mut o = Object::new(&mut body);
    list(o.key("events"), t.since(since), event);
    o.u64("next", t.next_seq()).end();
    answer(body)
}

fn event(out: &mut String, e: &TraceEvent) {
    let mut o = Object::in_given_order(out);
    o.u64("seq", e.seq)
        .u64("at", e.at)
        .str("kind", e.kind.name());
    match &e.kind {
        TraceKind::Send {
            envelope,
            term,
            log_term,
            index,
            commit,
            entries,
            reject,
        } => {
            message(&mut o, envelope)
                .u64("term", *term)
                .u64("log_term", *log_term)
                .u64("index", *index)
                .u64("commit", *commit)
                .u64("entries", *entries as u64)
                .bool("reject", *reject);
        }
        TraceKind::Deliver(envelope) => {
            message(&mut o, envelope);
        }
        TraceKind::Drop(envelope, reason) => {
            message(&mut o, envelope).str("reason", reason.name());
        }
        TraceKind::Raft { member, event } => {
            o.u64("member", *member as u64);
            raft_event(&mut o, event);
        }
        TraceKind::Apply {
            member,
            index,
            term,
            entry,
            revision,
        } => {
            o.u64("member", *member as u64)
                .u64("index", *index)
                .u64("term", *term)
                .str("entry", entry.name());
            if let Some(r) = revision {
                o.i64("revision", *r);
            }
            if let EntryKind::ConfChange {
                change,
                node,
                node_id,
            } = entry
            {
                o.str("change", change.name());
                opt_member(&mut o, "node", *node);
                // a Raft id: past what a JSON number keeps exact
                o.str("node_id", &node_id.to_string());
            }
        }
        TraceKind::ApplySnapshot {
            member,
            index,
            term,
        } => {
            o.u64("member", *member as u64)
                .u64("index", *index)
                .u64("term", *term);
        }
        TraceKind::Snapshot { member, index } => {
            o.u64("member", *member as u64).u64("index", *index);
        }
        TraceKind::Request {
            member,
            request,
            ticket,
        } => {
            o.u64("member", *member as u64)
                .str("request", request)
                .u64("ticket", *ticket);
        }
        TraceKind::Control(c) => control(&mut o, c),
    }
    o.end();
}

fn message<'o, 'a>(o: &'o mut Object<'a>, m: &Envelope) -> &'o mut Object<'a> {
    o.u64("id", m.id)
        .u64("from", m.from as u64)
        .u64("to", m.to as u64)
        .str("type", m.msg_type.name())
}

/// Left out when it names nobody.
fn opt_member(o: &mut Object, name: &'static str, member: Option<usize>) {
    if let Some(m) = member {
        o.u64(name, m as u64);
    }
}

fn raft_event(o: &mut Object, event: &Event<Option<usize>>) {
    match *event {
        Event::BecameFollower { term, leader } => {
            o.u64("term", term);
            opt_member(o, "leader", leader);
        }
        Event::BecamePreCandidate { term }
        | Event::BecameCandidate { term }
        | Event::BecameLeader { term }
        | Event::CheckQuorumFailed { term } => {
            o.u64("term", term);
        }
        Event::Voted {
            candidate,
            term,
            pre_vote,
            granted,
        } => {
            opt_member(o, "candidate", candidate);
            o.u64("term", term)
                .bool("pre_vote", pre_vote)
                .bool("granted", granted);
        }
        Event::VoteIgnoredInLease { candidate, term } => {
            opt_member(o, "candidate", candidate);
            o.u64("term", term);
        }
        Event::Committed { index } | Event::ConfChangeRefused { index } => {
            o.u64("index", index);
        }
        Event::SnapshotRestored { index, term } => {
            o.u64("index", index).u64("term", term);
        }
        Event::LeaderTransferStarted { to } | Event::LeaderTransferAborted { to } => {
            opt_member(o, "to", to);
        }
    }
}

fn control(o: &mut Object, c: &Control) {
    match c {
        Control::Started { members } => {
            o.u64("members", *members as u64);
        }
        Control::Crash { member }
        | Control::Restart { member }
        | Control::RemoveMember { member }
        | Control::StartMember { member } => {
            o.u64("member", *member as u64);
        }
        Control::AddMember { member, learner } => {
            o.u64("member", *member as u64).bool("learner", *learner);
        }
        Control::Partition { groups } => {
            list(o.key("groups"), groups, |out, g| {
                list(out, g, |out, m| {
                    let _ = write!(out, "{m}");
                })
            });
        }
        Control::Block { from, to } => {
            o.u64("from", *from as u64).u64("to", *to as u64);
        }
        Control::Link { pair, link } => {
            if let Some((from, to)) = pair {
                o.u64("from", *from as u64).u64("to", *to as u64);
            }
            o.u64("latency_ms", link.latency_ms)
                .u64("jitter_ms", link.jitter_ms)
                .f64("loss", f64::from(link.loss_ppm) / 1e6);
        }
        Control::Transfer { to } => {
            o.u64("to", *to as u64);
        }
        Control::Heal | Control::Pause | Control::Resume => {}
    }
}
