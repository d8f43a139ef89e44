//! `/_sim/mvcc?member=I&prefix=P&limit=N`: member I's MVCC store as a teacher
//! draws it. Each key with its generations as the index holds them (etcd
//! `keyIndex`: a generation runs from a create to the tombstone that ends
//! it, the last one is open), each revision with what the backend stores
//! under it; then the backend itself, every revision in order, which is what
//! a compaction removes from.
//!
//! A crashed or removed member still shows its store: it is durable (etcd's
//! bolt file) and a restart starts from it.

use super::{b64, bad_request, limit_param, member_param, query_bytes};
use crate::errors::EtcdError;
use crate::gateway::jsonpb::base64_decode;
use crate::gateway::{respond, Gateway, HttpResponse};
use crate::mvcc::{Generation, KeyIndex, KvStore, Revision};
use serde_json::{json, Map, Value};

pub(super) fn view(gw: &Gateway, query: &str) -> HttpResponse {
    let params = (member_param(query), prefix_param(query), limit_param(query));
    let (member, prefix, limit) = match params {
        (Ok(m), Ok(p), Ok(l)) => (m, p, l),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return bad_request(&e),
    };
    let server = usize::try_from(member)
        .ok()
        .and_then(|i| gw.cluster.member(i));
    let Some(store) = server.map(|s| s.kv()) else {
        return bad_request(&EtcdError::MemberNotFound.to_string());
    };
    let mut under = store.index().with_prefix(&prefix);
    let listed: Vec<_> = under.by_ref().take(limit).collect();
    let more = under.next().is_some();
    // The backend entries of the keys listed: all under the prefix, or up to
    // the last key listed when the limit cut the list.
    let last = listed.last().map(|(k, _)| *k);
    let shown = |key: &[u8]| key.starts_with(&prefix) && (!more || last.is_some_and(|l| key <= l));
    let keys: Vec<Value> = listed
        .iter()
        .map(|(k, ki)| key_index(store, k, ki))
        .collect();
    let revisions: Vec<Value> = store
        .backend()
        .filter(|(_, rec)| shown(&rec.kv.key))
        .map(|(rev, rec)| {
            let mut e = revision(rev);
            bytes(&mut e, "key", &rec.kv.key);
            e.insert("tombstone".into(), rec.tombstone.into());
            Value::Object(e)
        })
        .collect();
    let body = json!({
        "member": member,
        "revision": store.current_revision(),
        "compact_revision": store.compact_revision(),
        "keys": keys,
        "more": more,
        "revisions": revisions,
    });
    respond::plain(200, "application/json", body.to_string().into_bytes())
}

/// `prefix`: base64, as keys are everywhere in the gateway; none means all.
fn prefix_param(query: &str) -> Result<Vec<u8>, String> {
    match query_bytes(query, "prefix") {
        None => Ok(Vec::new()),
        Some(p) => base64_decode(&p).map_err(|e| format!("\"prefix\" must be base64: {e}")),
    }
}

fn key_index(store: &KvStore, key: &[u8], ki: &KeyIndex) -> Value {
    let generations: Vec<Value> = ki
        .generations()
        .iter()
        .map(|g| generation(store, g))
        .collect();
    let mut k = Map::new();
    bytes(&mut k, "key", key);
    k.insert("modified".into(), Value::Object(revision(ki.modified())));
    k.insert("generations".into(), generations.into());
    Value::Object(k)
}

fn generation(store: &KvStore, g: &Generation) -> Value {
    let revisions: Vec<Value> = g
        .revisions()
        .iter()
        .map(|&r| {
            let mut e = revision(r);
            let rec = store.record(r);
            e.insert(
                "tombstone".into(),
                rec.is_some_and(|rec| rec.tombstone).into(),
            );
            if let Some(rec) = rec.filter(|rec| !rec.tombstone) {
                bytes(&mut e, "value", &rec.kv.value);
                // a string, as in /_sim/leases: lease ids pass 2^53
                if rec.kv.lease != 0 {
                    e.insert("lease".into(), rec.kv.lease.to_string().into());
                }
            }
            Value::Object(e)
        })
        .collect();
    let mut o = Map::new();
    // The open generation of a deleted key is empty: nothing created it yet.
    if !g.is_empty() {
        o.insert("created".into(), Value::Object(revision(g.created())));
    }
    o.insert("version".into(), g.version().into());
    o.insert("revisions".into(), revisions.into());
    Value::Object(o)
}

/// `{"main": M, "sub": S}`, to which a caller may add fields.
fn revision(r: Revision) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("main".into(), r.main.into());
    o.insert("sub".into(), r.sub.into());
    o
}

/// `name` in base64, and `name_text` too when the bytes are UTF-8.
fn bytes(o: &mut Map<String, Value>, name: &str, b: &[u8]) {
    o.insert(name.into(), b64(b).into());
    if let Ok(text) = std::str::from_utf8(b) {
        o.insert(format!("{name}_text"), text.into());
    }
}
