//! `/_sim/`: the simulator's own control and inspection paths (not etcd's,
//! so they cannot clash). Answered on every member URL, even a down one.

mod args;
mod mvcc;
mod trace;

use super::{Config, HttpResponse, World};
use crate::cluster::network::Link;
use crate::errors::EtcdError;
use crate::gateway::jsonpb::quote_plain;
use crate::gateway::respond;
use crate::raft::EntryType;
use crate::world::json::{self, list, Object, Value};
use args::{Args, MAX_STEP_MS};
use std::fmt::Write;

/// The controls and the fields each takes (`reset` and `load` read their
/// body whole, as a config and as a saved world).
const CONTROLS: [(&str, &[&str]); 13] = [
    ("pause", &[]),
    ("resume", &[]),
    ("step", &["ms"]),
    ("speed", &["speed"]),
    ("crash", &["member"]),
    ("restart", &["member"]),
    ("transfer", &["member"]),
    ("remove_member", &["member"]),
    ("add_member", &["learner"]),
    ("partition", &["groups"]),
    ("block", &["from", "to"]),
    ("heal", &[]),
    ("link", &["from", "to", "latency_ms", "jitter_ms", "loss"]),
];

/// Answers a `/_sim/` path: `Ok` with the answer, or `Err` with the answer
/// to a control refused (bad input, a cluster that cannot do it, an
/// unknown path), which changed nothing and is not part of the world's
/// journal.
pub fn handle(
    gw: &mut World,
    method: &str,
    cmd: &str,
    body: &[u8],
) -> Result<HttpResponse, HttpResponse> {
    let (cmd, query) = cmd.split_once('?').unwrap_or((cmd, ""));
    // any body must be JSON, whatever the path
    let args = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        json::parse(body).map_err(|e| bad_request(&e))?
    };
    let fields = CONTROLS.iter().find(|(name, _)| *name == cmd).map(|c| c.1);
    let done = match (method, cmd, fields) {
        ("GET", "state", _) => return Ok(state(gw)),
        ("GET", "save", _) => {
            let saved = gw.save().into_bytes();
            return Ok(respond::plain(200, "application/json", saved));
        }
        ("GET", "leases", _) => return Ok(leases(gw)),
        ("GET", "watches", _) => return Ok(watches(gw)),
        ("GET", "trace", _) => return Ok(trace::view(gw, query)),
        ("GET", "log", _) => return Ok(log(gw, query)),
        ("GET", "mvcc", _) => return Ok(mvcc::view(gw, query)),
        // fields not given are those the world started with
        ("POST", "reset", _) => Config::overlay(&gw.initial, body).map(|c| gw.reset(c)),
        ("POST", "load", _) => gw.load(body),
        ("POST", _, Some(fields)) => control(gw, cmd, fields, &args),
        (_, "reset" | "load" | "state" | "save" | "leases" | "watches" | "trace", _)
        | (_, "log" | "mvcc", _)
        | (_, _, Some(_)) => return Err(respond::text_error(405, "Method Not Allowed", &[])),
        _ => return Err(respond::text_error(404, "404 page not found", &[])),
    };
    done.map_err(|e| bad_request(&e))?;
    gw.run_until_idle_now();
    Ok(state(gw))
}

/// Runs control `cmd`, which takes `fields`, with the arguments `args`
/// (the body), all of them checked first: an error means nothing changed.
fn control(gw: &mut World, cmd: &str, fields: &[&str], args: &Value) -> Result<(), String> {
    let args = Args::new(args, fields, gw.members())?;
    match cmd {
        "pause" | "resume" => gw.set_paused(cmd == "pause"),
        "step" => step(gw, &args)?,
        "speed" => match args.get("speed").and_then(Value::as_f64) {
            Some(s) if (MIN_SPEED..=MAX_SPEED).contains(&s) => {
                gw.speed = s;
                gw.epoch += 1;
            }
            // (written out: formatting floats would cost the wasm 11 KB)
            _ => return Err("\"speed\" must be a number from 0.01 to 100".into()),
        },
        "crash" | "restart" | "transfer" | "remove_member" => {
            let m = args.member("member")?;
            let c = gw.gateway.cluster_mut();
            let done = match cmd {
                "crash" => c.crash(m),
                "restart" => c.restart(m),
                "transfer" => c.transfer_leadership(m),
                _ => c.remove_member(m),
            };
            done.map_err(|e| e.to_string())?;
        }
        "add_member" => {
            let learner = args.flag("learner")?;
            let c = gw.gateway.cluster_mut();
            c.add_member(learner).map_err(|e| e.to_string())?;
        }
        "partition" => gw.gateway.cluster_mut().partition(&args.groups()?),
        "block" => {
            if let Some((from, to)) = args.pair(true)? {
                gw.gateway.cluster_mut().block(from, to);
            }
        }
        "heal" => gw.gateway.cluster_mut().heal(),
        _ => {
            let pair = args.pair(false)?;
            let link = Link {
                latency_ms: args.delay_ms("latency_ms", Link::default().latency_ms)?,
                jitter_ms: args.delay_ms("jitter_ms", Link::default().jitter_ms)?,
                loss_ppm: (args.probability("loss")? * 1e6) as u32,
            };
            gw.gateway.cluster_mut().set_link(pair, link);
        }
    }
    Ok(())
}

/// How slow and how fast the real-time driver may run the world.
const MIN_SPEED: f64 = 0.01;
const MAX_SPEED: f64 = 100.0;

/// `/_sim/step` while paused: virtual time moves `{"ms": N}` forward, or
/// (no `ms`) to the next moment something is due.
fn step(gw: &mut World, args: &Args) -> Result<(), String> {
    if !gw.paused {
        return Err("the world is running: POST /_sim/pause first".into());
    }
    let c = gw.gateway.cluster_mut();
    let now = c.now();
    let to = match args.get("ms") {
        None => c.next_due(),
        Some(ms) => match ms.as_u64().ok_or("\"ms\" must be a whole number")? {
            ms if ms > MAX_STEP_MS => {
                return Err(format!("\"ms\" must be at most {MAX_STEP_MS} (one day)"))
            }
            ms => Some(now.saturating_add(ms)),
        },
    };
    if let Some(to) = to {
        c.advance_to(to);
    }
    gw.epoch += 1;
    Ok(())
}

/// The most body a control takes: a saved world for `load`, a few fields
/// for any other (a body past it is not read: 413, see [`too_large`]).
pub const MAX_SAVED_WORLD: usize = 64 << 20;
pub const MAX_CONTROL_BODY: usize = 64 << 10;

/// The most body control `path` (`/_sim/...`) takes.
pub fn body_cap(path: &str) -> usize {
    match path.split_once('?').map_or(path, |(p, _)| p) {
        "/_sim/load" => MAX_SAVED_WORLD,
        _ => MAX_CONTROL_BODY,
    }
}

/// The body length a request declares (`Content-Length`), if it does.
pub fn declared_len(headers: &[(String, String)]) -> Option<u64> {
    let (_, len) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))?;
    len.parse().ok()
}

/// The answer to a control whose body passed its cap: changes nothing.
pub fn too_large(path: &str) -> HttpResponse {
    let msg = format!("request body larger than {} bytes", body_cap(path));
    refusal(413, &msg)
}

fn bad_request(msg: &str) -> HttpResponse {
    refusal(400, msg)
}

/// A control refused: `{"error": msg}`.
fn refusal(status: u16, msg: &str) -> HttpResponse {
    let mut body = String::new();
    Object::new(&mut body).str("error", msg).end();
    respond::plain(status, "application/json", body.into_bytes())
}

fn answer(body: String) -> HttpResponse {
    respond::plain(200, "application/json", body.into_bytes())
}

/// The world as `/_sim/state` shows it.
fn state(gw: &World) -> HttpResponse {
    let c = gw.gateway.cluster();
    let mut body = String::new();
    let mut o = Object::new(&mut body);
    list(
        o.key("blocked"),
        c.network().blocked_pairs(),
        |out, (a, b)| {
            let _ = write!(out, "[{a},{b}]");
        },
    );
    o.str("cluster_id", &c.cluster_id().to_string())
        .opt_u64("leader", c.leader().map(|l| l as u64));
    list(o.key("members"), c.members(), |out, m| {
        let mut o = Object::new(out);
        o.u64("applied", m.applied)
            .u64("commit", m.commit)
            .bool("crashed", m.crashed)
            .str("id", &m.id.to_string())
            .u64("index", m.index as u64)
            .str("leader_id", &m.leader_id.to_string());
        Object::new(o.key("log"))
            .u64("first", m.log_first)
            .u64("last", m.log_last)
            .end();
        o.str("name", &m.name)
            .bool("removed", m.removed)
            .i64("revision", m.revision)
            .str("role", m.role)
            .u64("term", m.term)
            .str("vote", &m.vote.to_string())
            .u64("watchers", m.watchers as u64)
            .end();
    });
    o.u64("messages_in_flight", c.network().in_flight().count() as u64)
        .opt_u64("next_due", c.next_due())
        .u64("now", c.now())
        .bool("paused", gw.paused)
        .f64("speed", gw.speed)
        .end();
    answer(body)
}

/// The value of `key` in a query string, if given.
fn query_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

/// The value of `key` in a query string with its `%XX` escapes decoded
/// (`URLSearchParams` escapes base64's `+`, `/` and `=`); a `+` stays a `+`.
fn query_bytes(query: &str, key: &str) -> Option<Vec<u8>> {
    let raw = query_param(query, key)?.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&c) = raw.get(i) {
        let digit = |j: usize| raw.get(j).and_then(|&d| char::from(d).to_digit(16));
        match (c, digit(i + 1), digit(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

/// The whole number `key` gives in a query string, if any.
fn number_param(query: &str, key: &str) -> Result<Option<u64>, String> {
    query_param(query, key)
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| format!("\"{key}\" must be a number"))
        })
        .transpose()
}

/// The `member` an inspection path is about (required).
fn member_param(query: &str) -> Result<u64, String> {
    number_param(query, "member")?.ok_or_else(|| "\"member\" is required".into())
}

/// Items a `/_sim/` listing (log entries, keys) gives unless asked for fewer
/// with `limit`, and at most (`from` or `prefix` narrow a longer one).
const LIST_LIMIT_DEFAULT: u64 = 1_000;
const LIST_LIMIT_MAX: u64 = 10_000;

fn limit_param(query: &str) -> Result<usize, String> {
    let limit = number_param(query, "limit")?.unwrap_or(LIST_LIMIT_DEFAULT);
    Ok(limit.min(LIST_LIMIT_MAX) as usize)
}

/// `/_sim/log?member=I&from=N&limit=M`: member I's Raft log, each entry with
/// its term and what it carries, from index N on.
fn log(gw: &World, query: &str) -> HttpResponse {
    let params = (
        member_param(query),
        number_param(query, "from"),
        limit_param(query),
    );
    let (member, from, limit) = match params {
        (Ok(m), Ok(from), Ok(limit)) => (m, from.unwrap_or(0), limit),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return bad_request(&e),
    };
    let view = usize::try_from(member)
        .ok()
        .and_then(|i| gw.gateway.cluster().log_view(i, from, limit));
    let Some(v) = view else {
        return bad_request(&EtcdError::MemberNotFound.to_string());
    };
    let mut body = String::new();
    let mut o = Object::new(&mut body);
    o.u64("applied", v.applied).u64("commit", v.commit);
    list(o.key("entries"), &v.entries, |out, e| {
        let kind = match e.entry_type {
            EntryType::Normal => "normal",
            EntryType::ConfChange => "conf_change",
        };
        Object::new(out)
            .u64("index", e.index)
            .u64("term", e.term)
            .str("type", kind)
            .str("what", &e.what)
            .end();
    });
    o.u64("first", v.first)
        .str("id", &v.id.to_string())
        .u64("last", v.last)
        .u64("member", member);
    Object::new(o.key("snapshot"))
        .u64("index", v.snapshot_index)
        .u64("term", v.snapshot_term)
        .end();
    o.u64("term", v.term).end();
    answer(body)
}

fn b64(b: &[u8]) -> String {
    crate::gateway::jsonpb::base64_encode(b)
}

/// `/_sim/leases`: the leader's leases with remaining TTL and keys.
fn leases(gw: &World) -> HttpResponse {
    let c = gw.gateway.cluster();
    let now = c.now();
    let leases = c
        .leader()
        .and_then(|l| c.member(l))
        .map(|m| m.lessor().leases())
        .unwrap_or_default();
    let mut body = String::new();
    let mut o = Object::new(&mut body);
    list(o.key("leases"), leases, |out, l| {
        let mut o = Object::new(out);
        o.str("ID", &l.id.to_string()).i64("TTL", l.ttl);
        list(o.key("keys"), &l.keys, |out, k| quote_plain(&b64(k), out));
        o.opt_u64("remaining_ms", l.expiry.map(|e| e.saturating_sub(now)))
            .end();
    });
    o.u64("now", now).end();
    answer(body)
}

/// `/_sim/watches`: every watcher with its member, range and next revision.
fn watches(gw: &World) -> HttpResponse {
    let c = gw.gateway.cluster();
    let members = (0..c.member_count()).filter_map(|i| Some((i, c.member(i)?)));
    let watchers =
        members.flat_map(|(i, m)| m.watches().watchers().into_iter().map(move |w| (i, w)));
    let mut body = String::new();
    let mut o = Object::new(&mut body);
    list(o.key("watches"), watchers, |out, (i, w)| {
        Object::new(out)
            .str("key", &b64(&w.key))
            .u64("member", i as u64)
            .i64("next_revision", w.next_revision)
            .str("range_end", &b64(&w.range_end))
            .u64("stream", w.stream)
            .i64("watch_id", w.watch_id)
            .end();
    });
    o.end();
    answer(body)
}
