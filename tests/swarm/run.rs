//! One seeded swarm run: random clients against random faults on a
//! simulated cluster, then healing; everything recorded for the checks.

use etcd_sim::cluster::network::Link;
use etcd_sim::cluster::{Answer, Cluster, Outcome, Rng};
use etcd_sim::config::Config;
use etcd_sim::pb::{self, request_op::Request as Op, response_op::Response as OpResp};
use etcd_sim::server::{Request, Response};
use etcd_sim_check::{self as check, EventKind};
use std::collections::BTreeMap;

use super::checks;

pub struct Options {
    pub seed: u64,
    pub members: usize,
    /// Virtual time with clients and faults, then the healing phase.
    pub duration_ms: u64,
    pub clients: u32,
    pub faults: bool,
    /// One fault in this many client steps, on average.
    pub fault_every: u64,
    /// Break Raft's voting rule (5.4.1) to show the checks catch it.
    pub broken_vote_rule: bool,
    /// Check the client history (linearizability, serializable reads,
    /// watches) besides Raft's properties. A broken Raft makes histories
    /// the checker's search can take very long to refute.
    pub check_history: bool,
}

impl Options {
    pub fn new(seed: u64) -> Self {
        Options {
            seed,
            members: 3,
            duration_ms: 12_000,
            clients: 3,
            faults: true,
            fault_every: 40,
            broken_vote_rule: false,
            check_history: true,
        }
    }
}

/// What a run leaves for comparing two runs of one seed.
pub struct Summary {
    pub trace: String,
    pub ops: usize,
    pub answered: usize,
}

const KEYS: &[&str] = &["k0", "k1", "k2", "k3", "k4"];

struct Client {
    busy: Option<(u64, usize)>, // (ticket, history op)
}

struct Run {
    c: Cluster,
    rng: Rng,
    history: check::History,
    clients: Vec<Client>,
    /// ticket -> (client, op index) for answers.
    pending: BTreeMap<u64, (usize, usize)>,
    next_ticket: u64,
    next_value: u64,
    /// Watch streams: ticket -> index into `watches`.
    watch_of: BTreeMap<u64, usize>,
    watches: Vec<check::Watch>,
    leases: Vec<i64>,
    /// (revision, key) of the watch events already turned into reads.
    seen_events: std::collections::BTreeSet<(i64, Vec<u8>)>,
}

pub fn run(o: &Options) -> Result<Summary, String> {
    let mut c = Cluster::new(&Config {
        members: o.members,
        seed: o.seed,
        watch_progress_notify_interval_ms: 0,
        initial_cluster_token: "swarm".into(),
        // half the seeds snapshot often, so lagging members catch up from snapshots
        snapshot_count: if o.seed.is_multiple_of(2) {
            25
        } else {
            100_000
        },
    });
    // half the seeds run over links of a few ms, as on a LAN, where
    // messages are in flight for a while and overtake one another; the
    // others over the default loopback links, where they take no time
    let link = if (o.seed / 2).is_multiple_of(2) {
        Link::default()
    } else {
        Link {
            latency_ms: 2,
            jitter_ms: 1,
            loss_ppm: 0,
        }
    };
    if link != Link::default() {
        c.set_link(None, link);
    }
    c.enable_audit();
    if o.broken_vote_rule {
        c.unsafe_break_vote_rule();
    }
    let mut r = Run {
        c,
        rng: Rng::new(o.seed).derive("swarm"),
        history: check::History::default(),
        clients: (0..o.clients).map(|_| Client { busy: None }).collect(),
        pending: BTreeMap::new(),
        next_ticket: 1_000_000,
        next_value: 0,
        watch_of: BTreeMap::new(),
        watches: Vec::new(),
        leases: Vec::new(),
        seen_events: Default::default(),
    };
    for m in 0..o.members {
        r.open_watch(m);
    }
    let end = r.c.now() + o.duration_ms;
    while r.c.now() < end {
        for client in 0..r.clients.len() {
            if r.clients[client].busy.is_none() {
                r.issue(client);
            }
        }
        if o.faults && r.rng.next_u64().is_multiple_of(o.fault_every.max(1)) {
            r.fault(o.members);
        }
        let step = 1 + r.rng.next_u64() % 20;
        let t = r.c.now() + step;
        r.c.advance_to(t);
        r.collect();
    }
    // heal everything and check the cluster comes back
    r.c.heal();
    r.c.set_link(None, link);
    for m in 0..o.members {
        let _ = r.c.restart(m);
    }
    let t = r.c.now() + 5_000;
    r.c.advance_to(t);
    r.collect();
    // Raft's safety first: a violation also shows up as a stuck cluster
    r.check_raft()?;
    for m in 0..o.members {
        r.liveness_put(m)?;
    }
    // let the stragglers answer or time out
    let t = r.c.now() + 8_000;
    r.c.advance_to(t);
    r.collect();
    if o.check_history {
        r.check()?;
    } else {
        r.check_raft()?;
    }
    checks::messages_end_once(&r.c)?;
    let trace: String =
        r.c.trace()
            .since(0)
            .map(|e| format!("{} {} {:?}\n", e.seq, e.at, e.kind))
            .collect();
    let answered = r.history.ops.iter().filter(|op| op.ret.is_some()).count();
    Ok(Summary {
        trace,
        ops: r.history.ops.len(),
        answered,
    })
}

impl Run {
    fn ticket(&mut self) -> u64 {
        self.next_ticket += 1;
        self.next_ticket
    }

    fn open_watch(&mut self, member: usize) {
        let t = self.ticket();
        self.c.watch_open(member, t, None);
        let create = pb::WatchCreateRequest {
            key: b"k".to_vec(),
            range_end: b"l".to_vec(),
            ..Default::default()
        };
        self.c.watch(
            member,
            t,
            pb::WatchRequest {
                request_union: Some(pb::watch_request::RequestUnion::CreateRequest(create)),
            },
        );
        self.watch_of.insert(t, self.watches.len());
        self.watches.push(check::Watch {
            client: 1000 + member as u32,
            request: check::WatchRequest {
                key: b"k".to_vec(),
                end: Some(b"l".to_vec()),
                start_revision: 0,
            },
            responses: Vec::new(),
        });
        self.c.run_until_idle_or(self.c.now());
        self.collect();
    }

    fn pick(&mut self, n: usize) -> usize {
        (self.rng.next_u64() % n as u64) as usize
    }

    /// A random request, as the simulator gets it and as the model sees it.
    fn random_request(&mut self) -> (Request, check::Request) {
        let k = KEYS[self.pick(KEYS.len())];
        self.next_value += 1;
        let v = format!("v{}", self.next_value);
        match self.rng.next_u64() % 100 {
            0..=29 => {
                let lease = if !self.leases.is_empty() && self.rng.next_u64().is_multiple_of(4) {
                    let i = self.pick(self.leases.len());
                    self.leases[i]
                } else {
                    0
                };
                let p = pb::PutRequest {
                    key: k.into(),
                    value: v.clone().into(),
                    lease,
                    ..Default::default()
                };
                let m = check::PutRequest {
                    key: k.into(),
                    value: v.into(),
                    lease,
                };
                (Request::Put(p), check::Request::Put(m))
            }
            30..=49 => (
                Request::Range(pb::RangeRequest {
                    key: k.into(),
                    ..Default::default()
                }),
                check::Request::get(k),
            ),
            50..=59 => {
                let r = pb::RangeRequest {
                    key: k.into(),
                    serializable: true,
                    ..Default::default()
                };
                let mut m = check::RangeRequest {
                    key: k.into(),
                    end: None,
                    revision: 0,
                    limit: 0,
                    serializable: true,
                };
                m.serializable = true;
                (Request::Range(r), check::Request::Range(m))
            }
            60..=67 => (
                Request::DeleteRange(pb::DeleteRangeRequest {
                    key: k.into(),
                    ..Default::default()
                }),
                check::Request::delete(k),
            ),
            68..=79 => {
                let k2 = KEYS[self.pick(KEYS.len())];
                let want = format!(
                    "v{}",
                    self.next_value.saturating_sub(self.rng.next_u64() % 5)
                );
                let cmp = pb::Compare {
                    key: k.into(),
                    target: pb::compare_target::VALUE,
                    result: pb::compare_result::EQUAL,
                    target_union: Some(pb::compare::TargetUnion::Value(want.clone().into())),
                    ..Default::default()
                };
                let put = pb::PutRequest {
                    key: k2.into(),
                    value: v.clone().into(),
                    ..Default::default()
                };
                let get = pb::RangeRequest {
                    key: k2.into(),
                    ..Default::default()
                };
                let t = pb::TxnRequest {
                    compare: vec![cmp],
                    success: vec![pb::RequestOp {
                        request: Some(Op::RequestPut(put)),
                    }],
                    failure: vec![pb::RequestOp {
                        request: Some(Op::RequestRange(get)),
                    }],
                };
                let m = check::TxnRequest {
                    compares: vec![check::Compare {
                        key: k.into(),
                        target: check::CompareTarget::Value(want.into()),
                        result: check::CompareResult::Equal,
                    }],
                    success: vec![check::TxnOp::Put(check::PutRequest {
                        key: k2.into(),
                        value: v.into(),
                        lease: 0,
                    })],
                    failure: vec![check::TxnOp::Range(check::RangeRequest {
                        key: k2.into(),
                        end: None,
                        revision: 0,
                        limit: 0,
                        serializable: false,
                    })],
                };
                (Request::Txn(t), check::Request::Txn(m))
            }
            80..=89 => (
                Request::Range(pb::RangeRequest {
                    key: b"k".to_vec(),
                    range_end: b"l".to_vec(),
                    ..Default::default()
                }),
                check::Request::range("k", Some("l")),
            ),
            90..=95 => {
                let id = 1 + (self.rng.next_u64() % 50) as i64;
                self.leases.push(id);
                // long TTLs: the model has no expiry
                (
                    Request::LeaseGrant(pb::LeaseGrantRequest { ttl: 100_000, id }),
                    check::Request::LeaseGrant { id },
                )
            }
            _ => {
                let id = if self.leases.is_empty() {
                    1
                } else {
                    let i = self.pick(self.leases.len());
                    self.leases[i]
                };
                (
                    Request::LeaseRevoke(pb::LeaseRevokeRequest { id }),
                    check::Request::LeaseRevoke { id },
                )
            }
        }
    }

    fn issue(&mut self, client: usize) {
        let up: Vec<usize> = (0..self.c.member_count())
            .filter(|&m| self.c.is_serving(m))
            .collect();
        if up.is_empty() {
            return;
        }
        let member = up[self.pick(up.len())];
        let (req, model) = self.random_request();
        let t = self.ticket();
        let op = self.history.call(client as u32, self.c.now(), model);
        self.pending.insert(t, (client, op));
        self.clients[client].busy = Some((t, op));
        self.c.submit(member, t, req, None);
        self.c.run_until_idle_or(self.c.now());
        self.collect();
    }

    fn fault(&mut self, members: usize) {
        let m = self.pick(members);
        match self.rng.next_u64() % 6 {
            0 => {
                let _ = self.c.crash(m);
            }
            1 => {
                if self.c.restart(m).is_ok() && self.c.is_serving(m) {
                    // the old stream died with the member: watch again
                    self.open_watch(m);
                }
            }
            2 => {
                let mut groups: Vec<Vec<usize>> = vec![Vec::new(), Vec::new()];
                for i in 0..members {
                    groups[self.pick(2)].push(i);
                }
                self.c.partition(&groups);
            }
            3 => self.c.heal(),
            4 => {
                let to = self.pick(members);
                let latency_ms = 1 + self.rng.next_u64() % 150;
                self.c.set_link(
                    Some((m, to)),
                    Link {
                        latency_ms,
                        jitter_ms: 5,
                        loss_ppm: 50_000,
                    },
                );
            }
            _ => {
                let _ = self.c.transfer_leadership(m);
            }
        }
        self.collect();
    }

    fn liveness_put(&mut self, member: usize) -> Result<(), String> {
        let t = self.ticket();
        self.next_value += 1;
        let v = format!("live{}", self.next_value);
        let op = self
            .history
            .call(99, self.c.now(), check::Request::put("k0", &v));
        self.pending.insert(t, (usize::MAX, op));
        self.c.submit(
            member,
            t,
            Request::Put(pb::PutRequest {
                key: b"k0".to_vec(),
                value: v.into(),
                ..Default::default()
            }),
            None,
        );
        let deadline = self.c.now() + 3_000;
        self.c.run_until_idle_or(deadline);
        self.collect();
        match &self.history.ops[op].ret {
            Some(r) if matches!(r.response, check::Response::Put { .. }) => Ok(()),
            other => Err(format!(
                "liveness: after healing, a put on m{member} got {other:?}"
            )),
        }
    }

    fn collect(&mut self) {
        let now = self.c.now();
        for o in self.c.drain() {
            match o {
                Outcome::Answer(Answer::Reply(t, reply)) => {
                    let Some((client, op)) = self.pending.remove(&t) else {
                        continue;
                    };
                    let resp = match reply {
                        Ok(r) => to_model(r),
                        Err(e) => check::Response::Failure(e.to_string()),
                    };
                    // A serializable read saw the state at the revision its
                    // header names, at some point before it returned: as
                    // such a read of the past it takes part in the search.
                    if let (check::Request::Range(q), Some(rev)) =
                        (&mut self.history.ops[op].request, resp.revision())
                    {
                        if q.serializable {
                            q.serializable = false;
                            q.revision = rev;
                            self.history.ops[op].call = 0;
                        }
                    }
                    self.history.ret(op, now, resp);
                    if let Some(c) = self.clients.get_mut(client) {
                        c.busy = None;
                    }
                }
                Outcome::Answer(Answer::Refused(t)) => {
                    // the connection broke: the request may or may not apply
                    if let Some((client, _)) = self.pending.remove(&t) {
                        if let Some(c) = self.clients.get_mut(client) {
                            c.busy = None;
                        }
                    }
                }
                Outcome::Answer(Answer::Watch(t, w)) => {
                    let Some(&i) = self.watch_of.get(&t) else {
                        continue;
                    };
                    if w.created || w.canceled {
                        continue;
                    }
                    let revision = w.header.as_ref().map_or(0, |h| h.revision);
                    let events = w.events.iter().filter_map(to_event).collect::<Vec<_>>();
                    // Each event is also a read of its key at its revision,
                    // linearizable any time before it arrived: that pins
                    // the order of writes the clients never heard back about,
                    // so the one linearization found is the one that happened.
                    for e in &events {
                        let r = e.kv.mod_revision;
                        if !self.seen_events.insert((r, e.kv.key.clone())) {
                            continue; // another watcher saw it already
                        }
                        let kvs = if e.kind == EventKind::Put {
                            vec![e.kv.clone()]
                        } else {
                            Vec::new()
                        };
                        let req = check::Request::Range(check::RangeRequest {
                            key: e.kv.key.clone(),
                            end: None,
                            revision: r,
                            limit: 0,
                            serializable: false,
                        });
                        let count = kvs.len() as i64;
                        let resp = check::Response::Range {
                            revision: r,
                            kvs,
                            count,
                        };
                        let client = 10_000 + self.history.ops.len() as u32;
                        self.history.push(client, 0, req, now, resp);
                    }
                    let progress_notify = events.is_empty();
                    self.watches[i].responses.push(check::WatchResponse {
                        revision,
                        events,
                        progress_notify,
                    });
                }
                _ => {}
            }
        }
    }

    fn check_raft(&self) -> Result<(), String> {
        let audit = self.c.audit().ok_or("no audit")?;
        checks::election_safety(audit)?;
        checks::state_machine_safety(audit)?;
        checks::log_matching_and_completeness(&self.c, audit)
    }

    fn check(&self) -> Result<(), String> {
        self.check_raft()?;
        let lin = check::check_linearizable(&self.history)
            .map_err(|v| format!("linearizability: {v}"))?;
        check::check_serializable(&self.history, &lin)
            .map_err(|v| format!("serializable read: {v:?}"))?;
        check::check_watches(&self.watches, &lin.final_state)
            .map_err(|v| format!("watch: {v:?}"))?;
        Ok(())
    }
}

fn kv(k: &pb::KeyValue) -> check::KeyValue {
    check::KeyValue {
        key: k.key.clone(),
        value: k.value.clone(),
        create_revision: k.create_revision,
        mod_revision: k.mod_revision,
        version: k.version,
        lease: k.lease,
    }
}

fn to_event(e: &pb::Event) -> Option<check::Event> {
    let k = e.kv.as_ref()?;
    let kind = if e.r#type == pb::event_type::DELETE {
        EventKind::Delete
    } else {
        EventKind::Put
    };
    Some(check::Event { kind, kv: kv(k) })
}

fn rev(h: &Option<pb::ResponseHeader>) -> i64 {
    h.as_ref().map_or(0, |h| h.revision)
}

fn to_model(r: Response) -> check::Response {
    match r {
        Response::Range(r) => check::Response::Range {
            revision: rev(&r.header),
            kvs: r.kvs.iter().map(kv).collect(),
            count: r.count,
        },
        Response::Put(r) => check::Response::Put {
            revision: rev(&r.header),
        },
        Response::DeleteRange(r) => check::Response::Delete {
            revision: rev(&r.header),
            deleted: r.deleted,
        },
        Response::Txn(t) => check::Response::Txn {
            revision: rev(&t.header),
            succeeded: t.succeeded,
            results: t
                .responses
                .iter()
                .filter_map(|o| match &o.response {
                    Some(OpResp::ResponseRange(r)) => Some(check::TxnOpResult::Range {
                        kvs: r.kvs.iter().map(kv).collect(),
                        count: r.count,
                    }),
                    Some(OpResp::ResponsePut(_)) => Some(check::TxnOpResult::Put),
                    Some(OpResp::ResponseDeleteRange(d)) => {
                        Some(check::TxnOpResult::Delete { deleted: d.deleted })
                    }
                    _ => None,
                })
                .collect(),
        },
        Response::LeaseGrant(g) => check::Response::LeaseGrant {
            revision: rev(&g.header),
        },
        Response::LeaseRevoke(g) => check::Response::LeaseRevoke {
            revision: rev(&g.header),
        },
        other => check::Response::Failure(format!("unexpected answer {other:?}")),
    }
}
