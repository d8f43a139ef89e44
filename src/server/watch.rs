//! A member's watch hub: the watch streams of its clients and their
//! watchers (etcd `server/mvcc/watchable_store.go`, `watcher.go` and the
//! stream logic of `api/v3rpc/watch.go`). Watches belong to the member the
//! client talks to and fire as that member applies.

use crate::boxed_map::BoxedMap;
use crate::errors::EtcdError;
use crate::mvcc::{in_range, KvStore};
use crate::pb::watch_request::RequestUnion;
use crate::pb::Message;
use crate::pb::{
    event_type, filter_type, Event, ResponseHeader, WatchCreateRequest, WatchRequest, WatchResponse,
};
use std::collections::{BTreeMap, BTreeSet};

/// The client stream a watcher belongs to (the front door's ticket).
pub type StreamId = u64;

/// etcd's `watchBatchMaxRevs`: a replay sends at most this many revisions
/// per message.
const WATCH_BATCH_MAX_REVS: usize = 1000;

const ERR_EMPTY_RANGE: &str = "mvcc: watcher range is empty";
const ERR_DUPLICATE_ID: &str = "mvcc: duplicate watch ID provided on the WatchStream";

/// What a watch response header carries besides the revision.
#[derive(Clone, Copy, Debug)]
pub struct HeaderInfo {
    pub cluster_id: u64,
    pub member_id: u64,
    pub raft_term: u64,
}

impl HeaderInfo {
    /// The response header at `revision`.
    pub fn at(&self, revision: i64) -> Option<ResponseHeader> {
        Some(ResponseHeader {
            cluster_id: self.cluster_id,
            member_id: self.member_id,
            revision,
            raft_term: self.raft_term,
        })
    }
}

#[derive(Clone, Debug)]
struct Watcher {
    key: Vec<u8>,
    /// mvcc range convention: empty = the key, `[0]` = every key from it.
    end: Vec<u8>,
    /// The next revision this watcher has to see (etcd `minRev`).
    next_rev: i64,
    no_put: bool,
    no_delete: bool,
    prev_kv: bool,
    fragment: bool,
    progress_notify: bool,
    /// etcd's `progress[id]`: true when nothing was sent since the last tick.
    progress_due: bool,
    /// Canceled for compaction: holds its id but gets nothing more.
    compacted: bool,
}

impl Watcher {
    fn wants(&self, ev: &Event) -> bool {
        let Some(kv) = &ev.kv else { return false };
        if ev.r#type == event_type::PUT && self.no_put
            || ev.r#type == event_type::DELETE && self.no_delete
        {
            return false;
        }
        in_range(&kv.key, &self.key, &self.end)
    }

    /// Whether its stream's progress ticker has something to do for it.
    fn wants_progress(&self) -> bool {
        self.progress_notify && !self.compacted
    }
}

#[derive(Clone, Debug, Default)]
struct WatchStream {
    watchers: BoxedMap<i64, Watcher>,
    next_id: i64,
    /// When the stream opened: its progress ticker runs from then (etcd
    /// starts one ticker per stream).
    opened_at: u64,
    /// Its watchers that want progress notifications: while there are
    /// some, the hub's progress timer looks at the stream.
    progress_watchers: usize,
}

/// How a watcher's events go out: with their previous values, and split
/// when large.
#[derive(Clone, Copy, Debug)]
struct Delivery {
    prev_kv: bool,
    fragment: bool,
}

impl Delivery {
    fn of(w: &Watcher) -> Self {
        Delivery {
            prev_kv: w.prev_kv,
            fragment: w.fragment,
        }
    }
}

/// A watcher as inspection shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatcherInfo {
    pub stream: StreamId,
    pub watch_id: i64,
    pub key: Vec<u8>,
    pub range_end: Vec<u8>,
    pub next_revision: i64,
}

/// Messages for client streams, in the order they are to be sent.
pub type Outbox = Vec<(StreamId, WatchResponse)>;

#[derive(Clone, Debug, Default)]
pub struct WatchHub {
    streams: BoxedMap<StreamId, WatchStream>,
    /// etcd's `--max-request-bytes`, the size above which `fragment` splits.
    max_request_bytes: usize,
    /// etcd's `--experimental-watch-progress-notify-interval` (0: never).
    progress_interval: u64,
    /// The streams that have watchers wanting progress notifications: the
    /// only ones the progress timer looks at.
    progress_streams: BTreeSet<StreamId>,
    /// The first of their next ticks, kept so that asking when the next
    /// timer is due (at every event of the world) does not grow with the
    /// streams and watchers.
    next_progress: Option<u64>,
    /// When the progress ticks last ran. A stream's ticker ticks every
    /// interval from its opening (etcd starts a `time.Ticker` per stream
    /// in `sendLoop`), so every stream has ticked up to here: one with
    /// nothing to send at a tick only moves on.
    ticked_until: u64,
}

impl WatchHub {
    pub fn new(max_request_bytes: usize, progress_interval: u64) -> Self {
        WatchHub {
            streams: BTreeMap::new(),
            max_request_bytes,
            progress_interval,
            progress_streams: BTreeSet::new(),
            next_progress: None,
            ticked_until: 0,
        }
    }

    /// Number of live watchers (inspection; a closed stream frees its own).
    pub fn watcher_count(&self) -> usize {
        self.streams
            .values()
            .map(|s| s.watchers.values().filter(|w| !w.compacted).count())
            .sum()
    }

    /// The live watchers, for inspection.
    /// Open watch streams (etcd's `etcd_debugging_mvcc_watch_stream_total`).
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    pub fn watchers(&self) -> Vec<WatcherInfo> {
        let mut v = Vec::new();
        for (sid, s) in &self.streams {
            for (id, w) in s.watchers.iter().filter(|(_, w)| !w.compacted) {
                v.push(WatcherInfo {
                    stream: *sid,
                    watch_id: *id,
                    key: w.key.clone(),
                    range_end: w.end.clone(),
                    next_revision: w.next_rev,
                });
            }
        }
        v
    }

    pub fn open(&mut self, stream: StreamId, now: u64) {
        self.streams.entry(stream).or_insert_with(|| {
            Box::new(WatchStream {
                opened_at: now,
                ..Default::default()
            })
        });
    }

    /// The client is gone: its watchers go with it.
    pub fn close(&mut self, stream: StreamId) {
        if let Some(s) = self.streams.remove(&stream) {
            if s.progress_watchers > 0 {
                let at = self.next_tick_of(s.opened_at);
                self.progress_stream_left(stream, at);
            }
        }
    }

    /// Adds watcher `id` to `stream` (which holds no watcher of that id).
    fn insert(&mut self, stream: StreamId, id: i64, w: Watcher) {
        let wants_progress = w.wants_progress();
        let Some(s) = self.streams.get_mut(&stream) else {
            return;
        };
        s.watchers.insert(id, Box::new(w));
        if wants_progress {
            self.progress_watchers_changed(stream, 1, 0);
        }
    }

    /// Removes watcher `id` from `stream`; whether it was there.
    fn remove(&mut self, stream: StreamId, id: i64) -> bool {
        let Some(w) = self
            .streams
            .get_mut(&stream)
            .and_then(|s| s.watchers.remove(&id))
        else {
            return false;
        };
        if w.wants_progress() {
            self.progress_watchers_changed(stream, 0, 1);
        }
        true
    }

    /// `stream` has `added` more and `removed` fewer watchers wanting
    /// progress notifications: the progress timer looks at it from its
    /// first such watcher to its last (and never when they are off).
    fn progress_watchers_changed(&mut self, stream: StreamId, added: usize, removed: usize) {
        let Some(s) = self
            .streams
            .get_mut(&stream)
            .filter(|_| self.progress_interval > 0)
        else {
            return;
        };
        let before = s.progress_watchers;
        s.progress_watchers = (before + added).saturating_sub(removed);
        let (after, opened_at) = (s.progress_watchers, s.opened_at);
        let at = self.next_tick_of(opened_at);
        if before == 0 && after > 0 {
            self.progress_streams.insert(stream);
            self.next_progress = Some(self.next_progress.map_or(at, |t| t.min(at)));
        } else if before > 0 && after == 0 {
            self.progress_stream_left(stream, at);
        }
    }

    /// `stream`, whose next tick was `at`, has no watcher wanting progress
    /// notifications any more.
    fn progress_stream_left(&mut self, stream: StreamId, at: u64) {
        if self.progress_streams.remove(&stream) && self.next_progress == Some(at) {
            self.next_progress = self.first_progress_tick();
        }
    }

    /// The next tick of the progress ticker of a stream opened at
    /// `opened_at`: it has ticked (with nothing to send, or sending) up to
    /// the last tick the hub ran, or to its opening.
    fn next_tick_of(&self, opened_at: u64) -> u64 {
        let interval = self.progress_interval.max(1);
        let after = self.ticked_until.max(opened_at);
        opened_at + (after - opened_at) / interval * interval + interval
    }

    fn first_progress_tick(&self) -> Option<u64> {
        self.progress_streams
            .iter()
            .filter_map(|sid| self.streams.get(sid))
            .map(|s| self.next_tick_of(s.opened_at))
            .min()
    }

    /// One message of the client's request stream.
    pub fn request(
        &mut self,
        stream: StreamId,
        req: WatchRequest,
        kv: &KvStore,
        hdr: HeaderInfo,
        out: &mut Outbox,
    ) {
        let rev = kv.current_revision();
        match req.request_union {
            Some(RequestUnion::CreateRequest(c)) => self.create(stream, c, kv, hdr, out),
            // canceling an unknown id answers nothing (docs/etcd-behaviour.md #39)
            Some(RequestUnion::CancelRequest(c)) if self.remove(stream, c.watch_id) => {
                let resp = WatchResponse {
                    header: hdr.at(rev),
                    watch_id: c.watch_id,
                    canceled: true,
                    ..Default::default()
                };
                out.push((stream, resp));
            }
            Some(RequestUnion::CancelRequest(_)) => {}
            Some(RequestUnion::ProgressRequest(_)) => {
                // not tied to a watcher: watch_id -1 (docs/etcd-behaviour.md #37)
                let resp = WatchResponse {
                    header: hdr.at(rev),
                    watch_id: -1,
                    ..Default::default()
                };
                out.push((stream, resp));
            }
            None => {}
        }
    }

    fn create(
        &mut self,
        stream: StreamId,
        mut c: WatchCreateRequest,
        kv: &KvStore,
        hdr: HeaderInfo,
        out: &mut Outbox,
    ) {
        let s = self.streams.entry(stream).or_default();
        let rev = kv.current_revision();
        if c.key.is_empty() {
            // "\x00 is the smallest key"
            c.key = vec![0];
        }
        let from_key = c.range_end == [0];
        let refused = |reason: &str| WatchResponse {
            header: hdr.at(rev),
            watch_id: -1,
            created: true,
            canceled: true,
            cancel_reason: reason.to_string(),
            ..Default::default()
        };
        if !c.range_end.is_empty() && !from_key && c.key >= c.range_end {
            return out.push((stream, refused(ERR_EMPTY_RANGE)));
        }
        let id = if c.watch_id == 0 {
            while s.watchers.contains_key(&s.next_id) {
                s.next_id += 1;
            }
            s.next_id += 1;
            s.next_id - 1
        } else if s.watchers.contains_key(&c.watch_id) {
            return out.push((stream, refused(ERR_DUPLICATE_ID)));
        } else {
            c.watch_id
        };
        let synced = c.start_revision == 0 || c.start_revision > rev;
        let next_rev = if synced {
            c.start_revision.max(rev + 1)
        } else {
            c.start_revision
        };
        let mut w = Watcher {
            key: c.key,
            end: c.range_end,
            next_rev,
            no_put: c.filters.contains(&filter_type::NOPUT),
            no_delete: c.filters.contains(&filter_type::NODELETE),
            prev_kv: c.prev_kv,
            fragment: c.fragment,
            progress_notify: c.progress_notify,
            progress_due: true,
            compacted: false,
        };
        out.push((
            stream,
            WatchResponse {
                header: hdr.at(rev),
                watch_id: id,
                created: true,
                ..Default::default()
            },
        ));
        if !synced {
            self.replay(stream, id, &mut w, kv, hdr, out);
        }
        self.insert(stream, id, w);
    }

    /// Catches an unsynced watcher up with history (etcd `syncWatchers`).
    fn replay(
        &self,
        stream: StreamId,
        id: i64,
        w: &mut Watcher,
        kv: &KvStore,
        hdr: HeaderInfo,
        out: &mut Outbox,
    ) {
        let rev = kv.current_revision();
        let compact = kv.compact_revision();
        if w.next_rev < compact {
            // this header has no revision (etcd answers it with revision 0;
            // recorded in watch_compacted_revision)
            let resp = WatchResponse {
                header: hdr.at(0),
                watch_id: id,
                canceled: true,
                compact_revision: compact,
                ..Default::default()
            };
            out.push((stream, resp));
            w.compacted = true;
            return;
        }
        let events = match kv.events_since(&w.key, &w.end, w.next_rev) {
            Ok(evs) => evs,
            Err(EtcdError::Compacted) | Err(_) => Vec::new(),
        };
        let events: Vec<Event> = events.into_iter().filter(|e| w.wants(e)).collect();
        w.next_rev = rev + 1;
        for batch in batches_by_revision(events, WATCH_BATCH_MAX_REVS) {
            self.send_events(stream, id, Delivery::of(w), batch, rev, kv, hdr, out);
        }
    }

    /// The store was replaced (a snapshot from the leader): every watcher
    /// that has not seen the new store's revision catches up from it.
    pub fn resync(&mut self, kv: &KvStore, hdr: HeaderInfo, out: &mut Outbox) {
        let rev = kv.current_revision();
        let mut lagging = Vec::new();
        for (sid, s) in &self.streams {
            for (id, w) in &s.watchers {
                if !w.compacted && w.next_rev <= rev {
                    lagging.push((*sid, *id, w.clone()));
                }
            }
        }
        for (sid, id, mut w) in lagging {
            let wanted_progress = w.wants_progress();
            self.replay(sid, id, &mut w, kv, hdr, out);
            let wants_progress = w.wants_progress();
            if let Some(slot) = self
                .streams
                .get_mut(&sid)
                .and_then(|s| s.watchers.get_mut(&id))
            {
                *slot = w;
            }
            if wanted_progress && !wants_progress {
                self.progress_watchers_changed(sid, 0, 1);
            }
        }
    }

    /// A member applied a revision: every synced watcher that wants some of
    /// its events gets one message (etcd `notify`).
    pub fn notify(
        &mut self,
        events: &[Event],
        rev: i64,
        kv: &KvStore,
        hdr: HeaderInfo,
        out: &mut Outbox,
    ) {
        if events.is_empty() {
            return;
        }
        let mut sends = Vec::new();
        for (sid, s) in self.streams.iter_mut() {
            for (id, w) in s.watchers.iter_mut() {
                if w.compacted || w.next_rev > rev {
                    continue;
                }
                let evs: Vec<Event> = events.iter().filter(|e| w.wants(e)).cloned().collect();
                w.next_rev = rev + 1;
                if !evs.is_empty() {
                    w.progress_due = false;
                    sends.push((*sid, *id, Delivery::of(w), evs));
                }
            }
        }
        for (sid, id, how, evs) in sends {
            self.send_events(sid, id, how, evs, rev, kv, hdr, out);
        }
    }

    /// When the next progress tick is due for a stream that has watchers
    /// asking for progress notifications.
    pub fn next_tick(&self) -> Option<u64> {
        self.next_progress
    }

    /// The periodic progress notification (etcd's per-stream progress
    /// ticker): watchers asking for it that saw no events since the last
    /// tick get an empty message with the current revision.
    pub fn tick(&mut self, now: u64, kv: &KvStore, hdr: HeaderInfo, out: &mut Outbox) {
        let mut due = Vec::new();
        for sid in &self.progress_streams {
            if let Some(s) = self.streams.get(sid) {
                if self.next_tick_of(s.opened_at) <= now {
                    due.push(*sid);
                }
            }
        }
        self.ticked_until = now;
        let rev = kv.current_revision();
        for sid in due {
            let Some(s) = self.streams.get_mut(&sid) else {
                continue;
            };
            for (id, w) in s.watchers.iter_mut().filter(|(_, w)| w.wants_progress()) {
                if w.progress_due && w.next_rev > rev {
                    out.push((
                        sid,
                        WatchResponse {
                            header: hdr.at(rev),
                            watch_id: *id,
                            ..Default::default()
                        },
                    ));
                }
                w.progress_due = true;
            }
        }
        self.next_progress = self.first_progress_tick();
    }

    #[allow(clippy::too_many_arguments)]
    fn send_events(
        &self,
        stream: StreamId,
        id: i64,
        how: Delivery,
        mut events: Vec<Event>,
        rev: i64,
        kv: &KvStore,
        hdr: HeaderInfo,
        out: &mut Outbox,
    ) {
        if how.prev_kv {
            for ev in &mut events {
                let Some(k) = &ev.kv else { continue };
                let create = ev.r#type == event_type::PUT && k.version == 1;
                if !create {
                    ev.prev_kv = kv.kv_at(&k.key, k.mod_revision - 1).ok().flatten();
                }
            }
        }
        let resp = WatchResponse {
            header: hdr.at(rev),
            watch_id: id,
            events,
            ..Default::default()
        };
        if how.fragment {
            for part in fragments(resp, self.max_request_bytes) {
                out.push((stream, part));
            }
        } else {
            out.push((stream, resp));
        }
    }
}

/// Splits events into groups of at most `max_revs` revisions.
fn batches_by_revision(events: Vec<Event>, max_revs: usize) -> Vec<Vec<Event>> {
    let mut batches: Vec<Vec<Event>> = Vec::new();
    let mut revs = 0;
    let mut last = None;
    for ev in events {
        let r = ev.kv.as_ref().map(|k| k.mod_revision);
        if r != last {
            revs += 1;
            last = r;
            if batches.is_empty() || revs > max_revs {
                batches.push(Vec::new());
                revs = 1;
            }
        }
        if let Some(b) = batches.last_mut() {
            b.push(ev);
        }
    }
    batches
}

/// etcd's `sendFragments`: a response larger than the request limit with
/// more than one event is split; every part but the last says `fragment`.
fn fragments(resp: WatchResponse, max: usize) -> Vec<WatchResponse> {
    if resp.encoded_len() < max || resp.events.len() < 2 {
        return vec![resp];
    }
    let mut parts = Vec::new();
    let template = WatchResponse {
        events: Vec::new(),
        fragment: true,
        ..resp.clone()
    };
    let mut idx = 0;
    loop {
        let mut cur = template.clone();
        for ev in &resp.events[idx..] {
            cur.events.push(ev.clone());
            if cur.events.len() > 1 && cur.encoded_len() >= max {
                cur.events.pop();
                break;
            }
            idx += 1;
        }
        if idx == resp.events.len() {
            cur.fragment = false;
        }
        let last = !cur.fragment;
        parts.push(cur);
        if last {
            return parts;
        }
    }
}

/// The watch hub as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{WatchHub, WatchStream, Watcher};
    use crate::checkpoint::record;

    record!(Watcher {
        key: bytes,
        end: bytes,
        next_rev,
        no_put,
        no_delete,
        prev_kv,
        fragment,
        progress_notify,
        progress_due,
        compacted,
    });
    record!(WatchStream {
        watchers,
        next_id,
        opened_at,
        progress_watchers,
    });
    record!(WatchHub {
        streams,
        max_request_bytes,
        progress_interval,
        progress_streams,
        next_progress,
        ticked_until,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::{WatchCancelRequest, WatchCreateRequest};

    const HDR: HeaderInfo = HeaderInfo {
        cluster_id: 1,
        member_id: 2,
        raft_term: 2,
    };

    fn create(c: WatchCreateRequest) -> WatchRequest {
        WatchRequest {
            request_union: Some(RequestUnion::CreateRequest(c)),
        }
    }

    fn put(kv: &mut KvStore, hub: &mut WatchHub, k: &str, v: &str, out: &mut Outbox) {
        let mut t = kv.write();
        t.put(k.as_bytes(), v.as_bytes(), 0);
        let evs = t.end();
        let rev = kv.current_revision();
        hub.notify(&evs, rev, kv, HDR, out);
    }

    fn del(kv: &mut KvStore, hub: &mut WatchHub, k: &str, out: &mut Outbox) {
        let mut t = kv.write();
        t.delete_range(k.as_bytes(), b"");
        let evs = t.end();
        let rev = kv.current_revision();
        hub.notify(&evs, rev, kv, HDR, out);
    }

    #[test]
    fn replay_from_every_past_revision_equals_what_happened() {
        let mut kv = KvStore::new();
        let mut hub = WatchHub::new(1 << 20, 0);
        let mut live = Outbox::new();
        hub.request(
            1,
            create(WatchCreateRequest {
                key: b"a".to_vec(),
                range_end: b"z".to_vec(),
                ..Default::default()
            }),
            &kv,
            HDR,
            &mut live,
        );
        put(&mut kv, &mut hub, "a", "1", &mut live);
        put(&mut kv, &mut hub, "b", "2", &mut live);
        del(&mut kv, &mut hub, "a", &mut live);
        put(&mut kv, &mut hub, "b", "3", &mut live);
        let seen: Vec<Event> = live.iter().flat_map(|(_, r)| r.events.clone()).collect();
        assert_eq!(seen.len(), 4);
        for start in 2..=5 {
            let mut out = Outbox::new();
            let mut h = WatchHub::new(1 << 20, 0);
            let c = WatchCreateRequest {
                key: b"a".to_vec(),
                range_end: b"z".to_vec(),
                start_revision: start,
                ..Default::default()
            };
            h.request(9, create(c), &kv, HDR, &mut out);
            assert!(out[0].1.created);
            let replayed: Vec<Event> = out[1..]
                .iter()
                .flat_map(|(_, r)| r.events.clone())
                .collect();
            let want: Vec<Event> = seen
                .iter()
                .filter(|e| e.kv.as_ref().is_some_and(|k| k.mod_revision >= start))
                .cloned()
                .collect();
            assert_eq!(replayed, want, "start {start}");
        }
    }

    #[test]
    fn a_txn_revision_arrives_as_one_message() {
        let mut kv = KvStore::new();
        let mut hub = WatchHub::new(1 << 20, 0);
        let mut out = Outbox::new();
        hub.request(
            1,
            create(WatchCreateRequest {
                key: b"a".to_vec(),
                range_end: vec![0],
                ..Default::default()
            }),
            &kv,
            HDR,
            &mut out,
        );
        let mut t = kv.write();
        t.put(b"a", b"1", 0);
        t.put(b"b", b"1", 0);
        let evs = t.end();
        hub.notify(&evs, kv.current_revision(), &kv, HDR, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].1.events.len(), 2);
    }

    #[test]
    fn canceled_watchers_get_nothing_more() {
        let mut kv = KvStore::new();
        let mut hub = WatchHub::new(1 << 20, 0);
        let mut out = Outbox::new();
        hub.request(
            1,
            create(WatchCreateRequest {
                key: b"a".to_vec(),
                ..Default::default()
            }),
            &kv,
            HDR,
            &mut out,
        );
        let cancel = WatchRequest {
            request_union: Some(RequestUnion::CancelRequest(WatchCancelRequest {
                watch_id: 0,
            })),
        };
        hub.request(1, cancel, &kv, HDR, &mut out);
        assert!(out[1].1.canceled);
        put(&mut kv, &mut hub, "a", "1", &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(hub.watcher_count(), 0);
    }

    #[test]
    fn compaction_during_a_watch_cancels_a_lagging_replay_only() {
        let mut kv = KvStore::new();
        let mut hub = WatchHub::new(1 << 20, 0);
        let mut out = Outbox::new();
        hub.request(
            1,
            create(WatchCreateRequest {
                key: b"a".to_vec(),
                ..Default::default()
            }),
            &kv,
            HDR,
            &mut out,
        );
        put(&mut kv, &mut hub, "a", "1", &mut out);
        put(&mut kv, &mut hub, "a", "2", &mut out);
        assert!(kv.compact(3).is_ok());
        put(&mut kv, &mut hub, "a", "3", &mut out);
        // the synced watcher keeps going
        assert_eq!(out.iter().filter(|(_, r)| !r.events.is_empty()).count(), 3);
        // a new one from before the compaction is canceled with its revision
        let mut late = Outbox::new();
        hub.request(
            2,
            create(WatchCreateRequest {
                key: b"a".to_vec(),
                start_revision: 2,
                ..Default::default()
            }),
            &kv,
            HDR,
            &mut late,
        );
        assert!(late[1].1.canceled);
        assert_eq!(late[1].1.compact_revision, 3);
    }

    #[test]
    fn fragments_split_big_responses_and_mark_all_but_the_last() {
        let ev = |i: i64| Event {
            r#type: 0,
            kv: Some(crate::pb::KeyValue {
                key: vec![b'k'],
                value: vec![0; 100],
                mod_revision: i,
                ..Default::default()
            }),
            prev_kv: None,
        };
        let resp = WatchResponse {
            events: (0..10).map(ev).collect(),
            ..Default::default()
        };
        let parts = fragments(resp, 300);
        assert!(parts.len() > 1);
        assert!(parts[..parts.len() - 1].iter().all(|p| p.fragment));
        assert!(!parts[parts.len() - 1].fragment);
        assert_eq!(parts.iter().map(|p| p.events.len()).sum::<usize>(), 10);
    }

    /// Every stream's progress ticker as etcd runs it, checked stream by
    /// stream at each tick (what the hub did before it kept a schedule):
    /// a stream's next tick follows the last tick the hub ran, or its
    /// opening, and only streams with watchers wanting progress are due.
    #[derive(Default)]
    struct TickerModel {
        /// stream -> (opened_at, ticked_until, watch id -> progress_notify)
        streams: BTreeMap<StreamId, (u64, u64, BTreeMap<i64, bool>)>,
    }

    impl TickerModel {
        fn next_tick(opened_at: u64, ticked_until: u64, interval: u64) -> u64 {
            opened_at + ((ticked_until - opened_at) / interval + 1) * interval
        }

        fn next(&self, interval: u64) -> Option<u64> {
            self.streams
                .values()
                .filter(|(_, _, ws)| ws.values().any(|p| *p))
                .map(|(o, t, _)| Self::next_tick(*o, *t, interval))
                .min()
        }

        /// The (stream, watch id) of every progress notification sent.
        fn tick(&mut self, now: u64, interval: u64) -> Vec<(StreamId, i64)> {
            let mut sent = Vec::new();
            for (sid, (opened, ticked, ws)) in self.streams.iter_mut() {
                if Self::next_tick(*opened, *ticked, interval) > now {
                    continue;
                }
                *ticked = now;
                sent.extend(ws.iter().filter(|(_, p)| **p).map(|(id, _)| (*sid, *id)));
            }
            sent
        }
    }

    #[test]
    fn the_progress_schedule_ticks_as_every_stream_checked_at_every_tick() {
        let interval = 1_000;
        for seed in 1..40u64 {
            let mut rng = seed;
            let mut draw = |n: u64| {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (rng >> 33) % n
            };
            let kv = KvStore::new();
            let mut hub = WatchHub::new(1 << 20, interval);
            let mut model = TickerModel::default();
            let mut now = 0;
            for _ in 0..300 {
                now += draw(400);
                // the server's timer: the hub ticks when its next tick is due
                assert_eq!(
                    hub.next_tick(),
                    model.next(interval),
                    "seed {seed} at {now}"
                );
                if hub.next_tick().is_some_and(|t| t <= now) {
                    let mut out = Outbox::new();
                    hub.tick(now, &kv, HDR, &mut out);
                    let sent: Vec<(StreamId, i64)> =
                        out.iter().map(|(s, r)| (*s, r.watch_id)).collect();
                    assert_eq!(sent, model.tick(now, interval), "seed {seed} at {now}");
                }
                let stream = draw(6);
                match draw(4) {
                    0 => {
                        hub.open(stream, now);
                        model
                            .streams
                            .entry(stream)
                            .or_insert((now, now, BTreeMap::new()));
                    }
                    1 if model.streams.contains_key(&stream) => {
                        let progress_notify = draw(2) == 0;
                        let mut out = Outbox::new();
                        let c = WatchCreateRequest {
                            key: b"k".to_vec(),
                            progress_notify,
                            ..Default::default()
                        };
                        hub.request(stream, create(c), &kv, HDR, &mut out);
                        if let Some((_, (_, _, ws))) =
                            model.streams.iter_mut().find(|(s, _)| **s == stream)
                        {
                            ws.insert(out[0].1.watch_id, progress_notify);
                        }
                    }
                    2 => {
                        let watch_id = draw(4) as i64;
                        let cancel = WatchRequest {
                            request_union: Some(RequestUnion::CancelRequest(WatchCancelRequest {
                                watch_id,
                            })),
                        };
                        hub.request(stream, cancel, &kv, HDR, &mut Outbox::new());
                        if let Some((_, _, ws)) = model.streams.get_mut(&stream) {
                            ws.remove(&watch_id);
                        }
                    }
                    _ => {
                        hub.close(stream);
                        model.streams.remove(&stream);
                    }
                }
            }
        }
    }
}
