//! Watch guarantees, checked one by one with etcd's names (etcd
//! tests/robustness/validate/watch.go and the API guarantees page).
//!
//! Each check looks at every watch and returns the first broken guarantee.
//! The checks that need the truth ([`check_reliable`], [`check_resumable`])
//! replay the events from the final state of a linearization.

use std::collections::HashSet;
use std::fmt;

use super::history::{in_range, ClientId, Event, Key, Revision};
use super::model::State;

/// What a watch asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchRequest {
    pub key: Key,
    pub end: Option<Key>,
    /// 0 watches from "now".
    pub start_revision: Revision,
}

/// One WatchResponse as the client received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchResponse {
    /// The header revision.
    pub revision: Revision,
    pub events: Vec<Event>,
    /// A progress notification (a bookmark): no events, and every event up
    /// to `revision` has been delivered.
    pub progress_notify: bool,
}

/// One watch stream and everything it received, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watch {
    pub client: ClientId,
    pub request: WatchRequest,
    pub responses: Vec<WatchResponse>,
}

impl Watch {
    fn events(&self) -> impl Iterator<Item = &Event> {
        self.responses.iter().flat_map(|r| r.events.iter())
    }

    fn matches(&self, e: &Event) -> bool {
        in_range(&e.kv.key, &self.request.key, self.request.end.as_deref())
    }
}

/// A broken guarantee: `watch` is the index in the slice checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchViolation {
    /// Events are ordered by revision; an event never follows a later one.
    Ordered { watch: usize, revision: Revision },
    /// An event never appears on a watch twice.
    Unique {
        watch: usize,
        revision: Revision,
        key: Key,
    },
    /// Events of one revision are never split over several responses.
    Atomic { watch: usize, revision: Revision },
    /// No subsequence is dropped: between the first and the last revision
    /// received, the watch got exactly the events of the history.
    Reliable {
        watch: usize,
        expected: Vec<Event>,
        received: Vec<Event>,
    },
    /// A watch from revision r first gets the first event at or after r.
    Resumable {
        watch: usize,
        expected: Box<Event>,
        received: Box<Event>,
    },
    /// A progress notification promises every event up to its revision.
    Bookmarkable { watch: usize, revision: Revision },
}

impl fmt::Display for WatchViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use WatchViolation::*;
        match self {
            Ordered { watch, revision } => write!(f, "broke Ordered: watch {watch}, event at revision {revision} after a later one"),
            Unique { watch, revision, key } => write!(f, "broke Unique: watch {watch}, event {key:?}@{revision} twice"),
            Atomic { watch, revision } => write!(f, "broke Atomic: watch {watch}, revision {revision} split over responses"),
            Reliable { watch, expected, received } => write!(f, "broke Reliable: watch {watch}, expected {expected:?}, received {received:?}"),
            Resumable { watch, expected, received } => write!(f, "broke Resumable: watch {watch}, expected first {expected:?}, received {received:?}"),
            Bookmarkable { watch, revision } => write!(f, "broke Bookmarkable: watch {watch}, at revision {revision}"),
        }
    }
}

/// Every guarantee, in etcd's order.
pub fn check_watches(watches: &[Watch], history: &State) -> Result<(), WatchViolation> {
    check_ordered(watches)?;
    check_unique(watches)?;
    check_atomic(watches)?;
    check_bookmarkable(watches)?;
    check_reliable(watches, history)?;
    check_resumable(watches, history)
}

pub fn check_ordered(watches: &[Watch]) -> Result<(), WatchViolation> {
    for (i, w) in watches.iter().enumerate() {
        let mut last = 0;
        for e in w.events() {
            if e.revision() < last {
                return Err(WatchViolation::Ordered {
                    watch: i,
                    revision: e.revision(),
                });
            }
            last = e.revision();
        }
    }
    Ok(())
}

pub fn check_unique(watches: &[Watch]) -> Result<(), WatchViolation> {
    for (i, w) in watches.iter().enumerate() {
        let mut seen = HashSet::new();
        for e in w.events() {
            // etcd forbids a key twice in one txn, so (revision, key) names an event.
            if !seen.insert((e.revision(), &e.kv.key)) {
                return Err(WatchViolation::Unique {
                    watch: i,
                    revision: e.revision(),
                    key: e.kv.key.clone(),
                });
            }
        }
    }
    Ok(())
}

pub fn check_atomic(watches: &[Watch]) -> Result<(), WatchViolation> {
    for (i, w) in watches.iter().enumerate() {
        let mut last = 0;
        for r in &w.responses {
            let (Some(first), Some(end)) = (r.events.first(), r.events.last()) else {
                continue;
            };
            if first.revision() == last {
                return Err(WatchViolation::Atomic {
                    watch: i,
                    revision: last,
                });
            }
            last = end.revision();
        }
    }
    Ok(())
}

pub fn check_bookmarkable(watches: &[Watch]) -> Result<(), WatchViolation> {
    for (i, w) in watches.iter().enumerate() {
        let (mut bookmark, mut last_event) = (0, 0);
        for r in &w.responses {
            for e in &r.events {
                if e.revision() <= bookmark {
                    return Err(WatchViolation::Bookmarkable {
                        watch: i,
                        revision: e.revision(),
                    });
                }
                last_event = e.revision();
            }
            if r.progress_notify {
                if r.revision < bookmark || r.revision < last_event {
                    return Err(WatchViolation::Bookmarkable {
                        watch: i,
                        revision: r.revision,
                    });
                }
                bookmark = r.revision;
            }
        }
    }
    Ok(())
}

/// The events of the history a watch should see, in order.
fn expected_events<'s>(w: &Watch, history: &'s State) -> Vec<&'s Event> {
    history
        .snapshots()
        .into_iter()
        .flat_map(|s| s.events.iter())
        .filter(|e| w.matches(e))
        .collect()
}

pub fn check_reliable(watches: &[Watch], history: &State) -> Result<(), WatchViolation> {
    for (i, w) in watches.iter().enumerate() {
        let received: Vec<Event> = w.events().cloned().collect();
        let (Some(first), Some(last)) = (received.first(), received.last()) else {
            continue;
        };
        // From the requested revision if there is one: nothing may be
        // missing at the start either.
        let from = if w.request.start_revision > 0 {
            w.request.start_revision
        } else {
            first.revision()
        };
        let expected: Vec<Event> = expected_events(w, history)
            .into_iter()
            .filter(|e| e.revision() >= from && e.revision() <= last.revision())
            .cloned()
            .collect();
        if expected != received {
            return Err(WatchViolation::Reliable {
                watch: i,
                expected,
                received,
            });
        }
    }
    Ok(())
}

pub fn check_resumable(watches: &[Watch], history: &State) -> Result<(), WatchViolation> {
    for (i, w) in watches.iter().enumerate() {
        let start = w.request.start_revision;
        if start == 0 {
            continue;
        }
        let Some(received) = w.events().next() else {
            continue;
        };
        let expected = expected_events(w, history)
            .into_iter()
            .find(|e| e.revision() >= start);
        if let Some(expected) = expected.filter(|e| *e != received) {
            return Err(WatchViolation::Resumable {
                watch: i,
                expected: Box::new(expected.clone()),
                received: Box::new(received.clone()),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::history::{EventKind, KeyValue, Request};
    use super::super::model::step;
    use super::*;

    /// Revisions 2..=5: put a, put b, put a, put b.
    fn history() -> State {
        let mut s = State::new();
        for (k, v) in [("a", "1"), ("b", "1"), ("a", "2"), ("b", "2")] {
            s = step(&s, &Request::put(k, v)).0;
        }
        s
    }

    fn event(s: &State, rev: Revision) -> Event {
        s.at(rev).expect("revision").events[0].clone()
    }

    fn resp(events: Vec<Event>) -> WatchResponse {
        WatchResponse {
            revision: events.last().map_or(0, Event::revision),
            events,
            progress_notify: false,
        }
    }

    fn bookmark(revision: Revision) -> WatchResponse {
        WatchResponse {
            revision,
            events: vec![],
            progress_notify: true,
        }
    }

    /// A watch on every key from `start`.
    fn watch(start: Revision, responses: Vec<WatchResponse>) -> Vec<Watch> {
        vec![Watch {
            client: 1,
            request: WatchRequest {
                key: b"a".to_vec(),
                end: Some(vec![0]),
                start_revision: start,
            },
            responses,
        }]
    }

    #[test]
    fn a_complete_watch_keeps_every_guarantee() {
        let s = history();
        let w = watch(
            2,
            vec![
                resp(vec![event(&s, 2), event(&s, 3)]),
                bookmark(3),
                resp(vec![event(&s, 4)]),
            ],
        );
        assert_eq!(check_watches(&w, &s), Ok(()));
    }

    #[test]
    fn ordered_an_event_never_follows_a_later_one() {
        let s = history();
        let w = watch(0, vec![resp(vec![event(&s, 3)]), resp(vec![event(&s, 2)])]);
        assert_eq!(
            check_ordered(&w),
            Err(WatchViolation::Ordered {
                watch: 0,
                revision: 2
            })
        );
    }

    #[test]
    fn unique_an_event_never_appears_twice() {
        let s = history();
        let w = watch(0, vec![resp(vec![event(&s, 2)]), resp(vec![event(&s, 2)])]);
        assert!(matches!(
            check_unique(&w),
            Err(WatchViolation::Unique { revision: 2, .. })
        ));
    }

    #[test]
    fn atomic_a_revision_is_never_split_over_responses() {
        // One txn writing two keys at revision 2.
        let s = State::new();
        let put = |k: &str| {
            super::super::history::TxnOp::Put(super::super::history::PutRequest {
                key: k.into(),
                value: "v".into(),
                lease: 0,
            })
        };
        let txn = Request::Txn(super::super::history::TxnRequest {
            compares: vec![],
            success: vec![put("a"), put("b")],
            failure: vec![],
        });
        let s = step(&s, &txn).0;
        let events = &s.at(2).expect("revision 2").events;
        let w = watch(
            0,
            vec![resp(vec![events[0].clone()]), resp(vec![events[1].clone()])],
        );
        assert_eq!(
            check_atomic(&w),
            Err(WatchViolation::Atomic {
                watch: 0,
                revision: 2
            })
        );
        assert!(check_atomic(&watch(0, vec![resp(events.clone())])).is_ok());
    }

    #[test]
    fn reliable_no_event_is_dropped_between_the_first_and_the_last() {
        let s = history();
        let w = watch(0, vec![resp(vec![event(&s, 2)]), resp(vec![event(&s, 4)])]);
        assert!(matches!(
            check_reliable(&w, &s),
            Err(WatchViolation::Reliable { .. })
        ));
        // An event with the wrong content is not the event of the history.
        let mut forged = event(&s, 3);
        forged.kv.value = b"forged".to_vec();
        let w = watch(0, vec![resp(vec![event(&s, 2), forged, event(&s, 4)])]);
        assert!(matches!(
            check_reliable(&w, &s),
            Err(WatchViolation::Reliable { .. })
        ));
    }

    #[test]
    fn resumable_a_watch_from_a_revision_starts_with_its_first_event() {
        let s = history();
        let w = watch(3, vec![resp(vec![event(&s, 4), event(&s, 5)])]);
        let v = check_resumable(&w, &s);
        assert!(
            matches!(v, Err(WatchViolation::Resumable { ref expected, .. }) if expected.revision() == 3)
        );
        assert!(check_resumable(&watch(3, vec![resp(vec![event(&s, 3)])]), &s).is_ok());
    }

    #[test]
    fn bookmarkable_a_progress_notification_promises_everything_before_it() {
        let s = history();
        // An event at or below a bookmark arrives after it.
        let late = watch(0, vec![bookmark(3), resp(vec![event(&s, 3)])]);
        assert_eq!(
            check_bookmarkable(&late),
            Err(WatchViolation::Bookmarkable {
                watch: 0,
                revision: 3
            })
        );
        // A bookmark below an event already delivered.
        let behind = watch(0, vec![resp(vec![event(&s, 4)]), bookmark(3)]);
        assert_eq!(
            check_bookmarkable(&behind),
            Err(WatchViolation::Bookmarkable {
                watch: 0,
                revision: 3
            })
        );
    }

    #[test]
    fn a_delete_event_carries_the_key_and_the_delete_revision() {
        let s = step(&history(), &Request::delete("a")).0;
        let expected = Event {
            kind: EventKind::Delete,
            kv: KeyValue {
                key: b"a".to_vec(),
                mod_revision: 6,
                ..KeyValue::default()
            },
        };
        assert_eq!(event(&s, 6), expected);
        let w = watch(5, vec![resp(vec![event(&s, 5), expected])]);
        assert_eq!(check_watches(&w, &s), Ok(()));
    }
}
