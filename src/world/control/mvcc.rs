//! `/_sim/mvcc?member=I&prefix=P&limit=N`: member I's MVCC store as a teacher
//! draws it. Each key with its generations as the index holds them (etcd
//! `keyIndex`: a generation runs from a create to the tombstone that ends
//! it, the last one is open), each revision with what the backend stores
//! under it; then the backend itself, every revision in order, which is what
//! a compaction removes from.
//!
//! A crashed or removed member still shows its store: it is durable (etcd's
//! bolt file) and a restart starts from it.

use super::{answer, b64, bad_request, limit_param, member_param, query_bytes};
use crate::errors::EtcdError;
use crate::gateway::jsonpb::base64_decode;
use crate::mvcc::{Generation, KeyIndex, KvStore, Revision};
use crate::world::json::{list, Object};
use crate::world::{HttpResponse, World};

pub(super) fn view(gw: &World, query: &str) -> HttpResponse {
    let params = (member_param(query), prefix_param(query), limit_param(query));
    let (member, prefix, limit) = match params {
        (Ok(m), Ok(p), Ok(l)) => (m, p, l),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return bad_request(&e),
    };
    let server = usize::try_from(member)
        .ok()
        .and_then(|i| gw.gateway.cluster().member(i));
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
    let mut body = String::new();
    let mut o = Object::new(&mut body);
    o.i64("compact_revision", store.compact_revision());
    list(o.key("keys"), &listed, |out, (k, ki)| {
        key_index(out, store, k, ki)
    });
    o.u64("member", member)
        .bool("more", more)
        .i64("revision", store.current_revision());
    let backend = store.backend().filter(|(_, rec)| shown(&rec.kv.key));
    list(o.key("revisions"), backend, |out, (rev, rec)| {
        let mut e = Object::new(out);
        bytes(&mut e, ("key", "key_text"), &rec.kv.key);
        revision(&mut e, rev);
        e.bool("tombstone", rec.tombstone).end();
    });
    o.end();
    answer(body)
}

/// `prefix`: base64, as keys are everywhere in the gateway; none means all.
fn prefix_param(query: &str) -> Result<Vec<u8>, String> {
    match query_bytes(query, "prefix") {
        None => Ok(Vec::new()),
        Some(p) => base64_decode(&p).map_err(|e| format!("\"prefix\" must be base64: {e}")),
    }
}

fn key_index(out: &mut String, store: &KvStore, key: &[u8], ki: &KeyIndex) {
    let mut k = Object::new(out);
    list(k.key("generations"), ki.generations(), |out, g| {
        generation(out, store, g)
    });
    bytes(&mut k, ("key", "key_text"), key);
    revision(&mut Object::new(k.key("modified")), ki.modified()).end();
    k.end();
}

fn generation(out: &mut String, store: &KvStore, g: &Generation) {
    let mut o = Object::new(out);
    // The open generation of a deleted key is empty: nothing created it yet.
    if !g.is_empty() {
        revision(&mut Object::new(o.key("created")), g.created()).end();
    }
    list(o.key("revisions"), g.revisions(), |out, &r| {
        let mut e = Object::new(out);
        let rec = store.record(r);
        let live = rec.filter(|rec| !rec.tombstone);
        // a string, as in /_sim/leases: lease ids pass 2^53
        if let Some(lease) = live.map(|rec| rec.kv.lease).filter(|&l| l != 0) {
            e.str("lease", &lease.to_string());
        }
        revision(&mut e, r);
        e.bool("tombstone", rec.is_some_and(|rec| rec.tombstone));
        if let Some(rec) = live {
            bytes(&mut e, ("value", "value_text"), &rec.kv.value);
        }
        e.end();
    });
    o.i64("version", g.version()).end();
}

/// `"main": M, "sub": S`, among other members of `o`.
fn revision<'o, 'a>(o: &'o mut Object<'a>, r: Revision) -> &'o mut Object<'a> {
    o.i64("main", r.main).i64("sub", r.sub)
}

/// `name` in base64, and `name_text` too when the bytes are UTF-8.
fn bytes(o: &mut Object, (name, name_text): (&'static str, &'static str), b: &[u8]) {
    o.str(name, &b64(b));
    if let Ok(text) = std::str::from_utf8(b) {
        o.str(name_text, text);
    }
}
