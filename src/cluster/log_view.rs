//! A member's Raft log as inspection shows it: each entry with its index,
//! term and what it carries, so that logs can be compared across members
//! (which entries are committed, which a deposed leader must give up).

use super::Cluster;
use crate::raft::{Entry, EntryType, Payload};
use crate::server::InternalRaftRequest;

/// One entry of a member's Raft log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntryView {
    pub index: u64,
    pub term: u64,
    pub entry_type: EntryType,
    /// See `describe`.
    pub what: String,
}

/// A member's Raft log, or a window of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogView {
    pub id: u64,
    pub term: u64,
    pub commit: u64,
    pub applied: u64,
    /// Where the log starts: entries up to here were compacted into it.
    pub snapshot_index: u64,
    pub snapshot_term: u64,
    /// First index still held as an entry (snapshot index + 1).
    pub first: u64,
    pub last: u64,
    pub entries: Vec<LogEntryView>,
}

/// What an entry carries, for a human: `empty` (the entry a new leader
/// appends, Raft paper 8), the request's name (`put`, `member_attr_set`,
/// ...) or a conf change's kind and node id (`add_node 1234`).
fn describe(e: &Entry<InternalRaftRequest>) -> String {
    match &e.payload {
        Payload::Empty => "empty".into(),
        Payload::Normal(req) => req.request.name().into(),
        Payload::ConfChange(cc) => format!("{} {}", cc.change_type.name(), cc.node_id),
    }
}

impl Cluster {
    /// Member `i`'s log from index `from` on, at most `limit` entries
    /// (compacted entries are gone: the window starts at the first one
    /// left). A crashed member shows what it persisted, which is what it
    /// restarts from; a removed one what it held when it stopped.
    pub fn log_view(&self, i: usize, from: u64, limit: usize) -> Option<LogView> {
        let n = self.servers.get(i)?;
        let (hs, snapshot_index, snapshot_term, entries) = if n.is_crashed() {
            let s = n.raft().storage();
            let meta = s.snapshot_metadata();
            (s.hard_state(), meta.index, meta.term, s.entries())
        } else {
            let log = n.raft().status().log;
            (
                n.raft().hard_state(),
                log.snapshot_index,
                log.snapshot_term,
                n.raft().log_entries(),
            )
        };
        let first = snapshot_index + 1;
        let skip = from.saturating_sub(first).min(entries.len() as u64) as usize;
        let window = entries[skip..]
            .iter()
            .take(limit)
            .map(|e| LogEntryView {
                index: e.index,
                term: e.term,
                entry_type: e.entry_type(),
                what: describe(e),
            })
            .collect();
        Some(LogView {
            id: n.id,
            term: hs.term,
            commit: hs.commit,
            applied: n.applied_index(),
            snapshot_index,
            snapshot_term,
            first,
            last: snapshot_index + entries.len() as u64,
            entries: window,
        })
    }
}
