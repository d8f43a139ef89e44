//! Cluster membership (etcd `server/etcdserver/api/membership`): the
//! members, their URLs, learners, removed ids. Replicated state, changed by
//! conf-change entries that every member applies; the checks etcd makes
//! before and while applying them live here too.

use crate::boxed_map::BoxedMap;
use crate::errors::EtcdError;
use crate::pb::Member;
use std::collections::{BTreeMap, BTreeSet};

/// etcd's `maxLearners`.
const MAX_LEARNERS: usize = 1;

/// A membership change as it travels through the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfChange {
    Add(Member),
    Remove(u64),
    /// New peer URLs; etcd 3.5.1 also drops the learner flag (docs/etcd-behaviour.md #50).
    Update {
        id: u64,
        peer_urls: Vec<String>,
    },
    Promote(u64),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Membership {
    members: BoxedMap<u64, Member>,
    removed: BTreeSet<u64>,
}

impl Membership {
    pub fn new(members: impl IntoIterator<Item = Member>) -> Self {
        let mut by_id = BTreeMap::new();
        by_id.extend(members.into_iter().map(|m| (m.id, Box::new(m))));
        Membership {
            members: by_id,
            removed: BTreeSet::new(),
        }
    }

    /// Members sorted by id, as etcd lists them.
    pub fn members(&self) -> Vec<Member> {
        self.members.values().map(|m| (**m).clone()).collect()
    }

    pub fn get(&self, id: u64) -> Option<&Member> {
        self.members.get(&id).map(|m| &**m)
    }

    pub fn is_removed(&self, id: u64) -> bool {
        self.removed.contains(&id)
    }

    /// etcd's `ValidateConfigurationChange`.
    pub fn validate(&self, cc: &ConfChange) -> Result<(), EtcdError> {
        let id = match cc {
            ConfChange::Add(m) => m.id,
            ConfChange::Remove(id) | ConfChange::Update { id, .. } | ConfChange::Promote(id) => *id,
        };
        if self.removed.contains(&id) {
            return Err(EtcdError::MemberNotFound);
        }
        match cc {
            ConfChange::Add(m) => {
                if self.members.contains_key(&m.id) {
                    return Err(EtcdError::MemberExist);
                }
                if self.uses_any(&m.peer_urls, None) {
                    return Err(EtcdError::PeerUrlExist);
                }
                if m.is_learner
                    && self.members.values().filter(|m| m.is_learner).count() + 1 > MAX_LEARNERS
                {
                    return Err(EtcdError::TooManyLearners);
                }
            }
            ConfChange::Promote(id) => match self.members.get(id) {
                None => return Err(EtcdError::MemberNotFound),
                Some(m) if !m.is_learner => return Err(EtcdError::MemberNotLearner),
                Some(_) => {}
            },
            ConfChange::Remove(id) => {
                if !self.members.contains_key(id) {
                    return Err(EtcdError::MemberNotFound);
                }
            }
            ConfChange::Update { id, peer_urls } => {
                if !self.members.contains_key(id) {
                    return Err(EtcdError::MemberNotFound);
                }
                if self.uses_any(peer_urls, Some(*id)) {
                    return Err(EtcdError::PeerUrlExist);
                }
            }
        }
        Ok(())
    }

    /// Whether a member other than `except` has one of `urls` as a peer URL.
    fn uses_any(&self, urls: &[String], except: Option<u64>) -> bool {
        let others = self.members.values().filter(|m| Some(m.id) != except);
        for m in others {
            if m.peer_urls.iter().any(|u| urls.contains(u)) {
                return true;
            }
        }
        false
    }

    /// A member published its name and client URLs (etcd's attribute
    /// publication after start).
    pub fn set_attributes(&mut self, id: u64, name: &str, client_urls: &[String]) {
        if let Some(m) = self.members.get_mut(&id) {
            m.name = name.to_string();
            m.client_urls = client_urls.to_vec();
        }
    }

    /// Applies a validated change.
    pub fn apply(&mut self, cc: &ConfChange) {
        match cc {
            ConfChange::Add(m) => {
                self.members.insert(m.id, Box::new(m.clone()));
            }
            ConfChange::Remove(id) => {
                self.members.remove(id);
                self.removed.insert(*id);
            }
            ConfChange::Update { id, peer_urls } => {
                if let Some(m) = self.members.get_mut(id) {
                    m.peer_urls = peer_urls.clone();
                    m.is_learner = false;
                }
            }
            ConfChange::Promote(id) => {
                if let Some(m) = self.members.get_mut(id) {
                    m.is_learner = false;
                }
            }
        }
    }

    fn voters(&self) -> impl Iterator<Item = &Member> {
        self.members
            .values()
            .map(|m| &**m)
            .filter(|m| !m.is_learner)
    }

    /// A started member has published its name.
    fn started(m: &Member) -> bool {
        !m.name.is_empty()
    }

    /// etcd's `IsReadyToAddVotingMember`: after adding one more voter, the
    /// started voters must still make a quorum.
    pub fn ready_to_add_voter(&self) -> bool {
        let members = self.voters().count() + 1;
        let started = self.voters().filter(|m| Self::started(m)).count();
        if started == 1 && members == 2 {
            return true;
        }
        started > members / 2
    }

    /// etcd's `IsReadyToRemoveVotingMember`.
    pub fn ready_to_remove_voter(&self, id: u64) -> bool {
        let rest: Vec<&Member> = self.voters().filter(|m| m.id != id).collect();
        let started = rest.iter().filter(|m| Self::started(m)).count();
        started > rest.len() / 2
    }

    /// etcd's `IsReadyToPromoteMember`: the learner counts as a started voter.
    pub fn ready_to_promote(&self, id: u64) -> bool {
        let others: Vec<&Member> = self.voters().filter(|m| m.id != id).collect();
        let members = others.len() + 1;
        let started = others.iter().filter(|m| Self::started(m)).count() + 1;
        started > members / 2
    }
}

/// A membership change as it rides in a Raft conf change's context: the
/// proposal's request id (to find who waits for it) and the change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfChangeContext {
    pub request_id: u64,
    pub change: ConfChange,
}

impl ConfChangeContext {
    /// A compact binary encoding (the context is opaque bytes to Raft).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.request_id.to_be_bytes().to_vec();
        let (tag, id, member, urls): (u8, u64, Option<&Member>, &[String]) = match &self.change {
            ConfChange::Add(m) => (0, m.id, Some(m), &[]),
            ConfChange::Remove(id) => (1, *id, None, &[]),
            ConfChange::Update { id, peer_urls } => (2, *id, None, peer_urls),
            ConfChange::Promote(id) => (3, *id, None, &[]),
        };
        out.push(tag);
        out.extend_from_slice(&id.to_be_bytes());
        if let Some(m) = member {
            out.push(u8::from(m.is_learner));
            put_str(&mut out, &m.name);
            put_list(&mut out, &m.peer_urls);
            put_list(&mut out, &m.client_urls);
        }
        put_list(&mut out, urls);
        out
    }

    pub fn decode(b: &[u8]) -> Option<ConfChangeContext> {
        let mut r = Reader(b);
        let request_id = r.u64()?;
        let tag = r.byte()?;
        let id = r.u64()?;
        let member = if tag == 0 {
            let is_learner = r.byte()? == 1;
            let name = r.str()?;
            let peer_urls = r.list()?;
            let client_urls = r.list()?;
            Some(Member {
                id,
                name,
                peer_urls,
                client_urls,
                is_learner,
            })
        } else {
            None
        };
        let urls = r.list()?;
        let change = match (tag, member) {
            (0, Some(m)) => ConfChange::Add(m),
            (1, _) => ConfChange::Remove(id),
            (2, _) => ConfChange::Update {
                id,
                peer_urls: urls,
            },
            (3, _) => ConfChange::Promote(id),
            _ => return None,
        };
        Some(ConfChangeContext { request_id, change })
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_list(out: &mut Vec<u8>, l: &[String]) {
    out.extend_from_slice(&(l.len() as u32).to_be_bytes());
    for s in l {
        put_str(out, s);
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        self.take(n)
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
    }
    fn list(&mut self) -> Option<Vec<String>> {
        let n = self.u32()?;
        (0..n).map(|_| self.str()).collect()
    }
}

/// etcd's member id: the first 8 bytes (big endian) of the sha1 of the
/// sorted peer URLs, the cluster token and, for members added at runtime,
/// the Unix time of the request.
pub fn member_id(peer_urls: &[String], token: &str, unix_secs: Option<u64>) -> u64 {
    let mut urls = peer_urls.to_vec();
    crate::sort::sort(&mut urls);
    let mut b = urls.concat().into_bytes();
    b.extend_from_slice(token.as_bytes());
    if let Some(t) = unix_secs {
        b.extend_from_slice(t.to_string().as_bytes());
    }
    first_u64(&crate::hash::sha1(&b))
}

/// etcd's cluster id: the sha1 of the sorted member ids (8 bytes each, big
/// endian), first 8 bytes.
pub fn cluster_id(member_ids: &[u64]) -> u64 {
    let mut ids = member_ids.to_vec();
    crate::sort::sort(&mut ids);
    let b: Vec<u8> = ids.iter().flat_map(|id| id.to_be_bytes()).collect();
    first_u64(&crate::hash::sha1(&b))
}

fn first_u64(h: &[u8; 20]) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&h[..8]);
    u64::from_be_bytes(x)
}

/// etcd's `types.NewURLs`: at least one URL; http(s) URLs need host:port
/// and no path; unix(s) URLs are taken as they are. Answers them sorted.
pub fn parse_urls(urls: &[String]) -> Result<Vec<String>, EtcdError> {
    if urls.is_empty() {
        return Err(EtcdError::InvalidPeerUrls);
    }
    let mut out = Vec::with_capacity(urls.len());
    for u in urls {
        let u = u.trim();
        let (scheme, rest) = split_once(u, "://").ok_or(EtcdError::InvalidPeerUrls)?;
        match scheme {
            "http" | "https" => {
                let (host, path) = match rest.find(['/', '?', '#']) {
                    Some(i) => rest.split_at(i),
                    None => (rest, ""),
                };
                if !path.is_empty() || !has_port(host) {
                    return Err(EtcdError::InvalidPeerUrls);
                }
            }
            "unix" | "unixs" => {}
            _ => return Err(EtcdError::InvalidPeerUrls),
        }
        if u.contains(char::is_whitespace) {
            return Err(EtcdError::InvalidPeerUrls);
        }
        out.push(u.to_string());
    }
    crate::sort::sort(&mut out);
    Ok(out)
}

/// `s.split_once(sep)` for an ASCII `sep`, searched byte by byte:
/// `str::split_once` with a string pattern brings a 2.5 KB substring
/// searcher into the wasm for these two short separators.
fn split_once<'a>(s: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let i = s
        .as_bytes()
        .windows(sep.len())
        .position(|w| w == sep.as_bytes())?;
    Some((&s[..i], &s[i + sep.len()..]))
}

/// Go's `net.SplitHostPort` succeeding: `host:port` or `[v6]:port`.
fn has_port(hostport: &str) -> bool {
    if let Some(rest) = hostport.strip_prefix('[') {
        return split_once(rest, "]:").is_some_and(|(_, p)| !p.contains(':'));
    }
    matches!(hostport.split_once(':'), Some((_, p)) if !p.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: u64, name: &str, url: &str, learner: bool) -> Member {
        Member {
            id,
            name: name.into(),
            peer_urls: vec![url.into()],
            client_urls: vec![],
            is_learner: learner,
        }
    }

    #[test]
    fn ids_are_derived_as_etcd_derives_them() {
        // a real etcd 3.5.1 with --initial-cluster-token conformance
        let urls = |p: u16| vec![format!("http://127.0.0.1:{p}")];
        let ids: Vec<u64> = [2380, 22380, 32380]
            .iter()
            .map(|p| member_id(&urls(*p), "conformance", None))
            .collect();
        assert_eq!(
            ids,
            vec![
                5668734143396167528,
                15702914889617223745,
                12492714945800791903
            ]
        );
        assert_eq!(cluster_id(&ids[..1]), 16953193277419372565);
        assert_eq!(cluster_id(&ids), 10152392477803865355);
    }

    #[test]
    fn conf_change_contexts_round_trip() {
        for change in [
            ConfChange::Add(member(7, "m7", "http://a:1", true)),
            ConfChange::Remove(7),
            ConfChange::Update {
                id: 7,
                peer_urls: vec!["http://b:2".into(), "http://c:3".into()],
            },
            ConfChange::Promote(7),
        ] {
            let c = ConfChangeContext {
                request_id: 42,
                change,
            };
            assert_eq!(ConfChangeContext::decode(&c.encode()), Some(c));
        }
        assert_eq!(ConfChangeContext::decode(b"short"), None);
    }

    #[test]
    fn urls_need_a_scheme_and_a_port() {
        assert!(parse_urls(&["http://127.0.0.1:2380".into()]).is_ok());
        for bad in [
            "not a url",
            "http://127.0.0.1",
            "ftp://x:1",
            "http://h:1/path",
        ] {
            assert_eq!(
                parse_urls(&[bad.into()]),
                Err(EtcdError::InvalidPeerUrls),
                "{bad}"
            );
        }
        assert_eq!(parse_urls(&[]), Err(EtcdError::InvalidPeerUrls));
    }

    #[test]
    fn separators_split_at_their_first_occurrence_as_str_split_once() {
        for s in ["a://b://c", "a:b://c", "://", "x", "[::1]:2]:3", "]", ""] {
            for sep in ["://", "]:"] {
                assert_eq!(split_once(s, sep), s.split_once(sep), "{s:?} {sep:?}");
            }
        }
    }

    #[test]
    fn one_learner_at_a_time() {
        let mut m = Membership::new([member(1, "m0", "http://a:1", false)]);
        let l1 = ConfChange::Add(member(2, "", "http://b:1", true));
        assert_eq!(m.validate(&l1), Ok(()));
        m.apply(&l1);
        let l2 = ConfChange::Add(member(3, "", "http://c:1", true));
        assert_eq!(m.validate(&l2), Err(EtcdError::TooManyLearners));
    }

    #[test]
    fn peer_urls_in_use_are_refused() {
        let m = Membership::new([member(1, "m0", "http://a:1", false)]);
        assert_eq!(
            m.validate(&ConfChange::Add(member(2, "", "http://a:1", false))),
            Err(EtcdError::PeerUrlExist)
        );
    }

    #[test]
    fn updating_a_learner_drops_its_learner_flag_as_3_5_1_does() {
        let mut m = Membership::new([
            member(1, "m0", "http://a:1", false),
            member(2, "", "http://b:1", true),
        ]);
        m.apply(&ConfChange::Update {
            id: 2,
            peer_urls: vec!["http://b:2".into()],
        });
        assert!(m.get(2).is_some_and(|m| !m.is_learner));
    }

    #[test]
    fn only_learners_can_be_promoted() {
        let m = Membership::new([member(1, "m0", "http://a:1", false)]);
        assert_eq!(
            m.validate(&ConfChange::Promote(1)),
            Err(EtcdError::MemberNotLearner)
        );
        assert_eq!(
            m.validate(&ConfChange::Promote(9)),
            Err(EtcdError::MemberNotFound)
        );
    }

    #[test]
    fn a_removed_id_cannot_come_back() {
        let mut m = Membership::new([
            member(1, "m0", "http://a:1", false),
            member(2, "m1", "http://b:1", false),
        ]);
        m.apply(&ConfChange::Remove(2));
        assert!(m.is_removed(2));
        assert_eq!(
            m.validate(&ConfChange::Remove(2)),
            Err(EtcdError::MemberNotFound)
        );
    }
}

/// The membership as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::Membership;
    use crate::checkpoint::{Checkpoint, Decoder, Encoder};

    impl Checkpoint for Membership {
        fn encode(&self, e: &mut Encoder) {
            let Membership { members, removed } = self;
            members.encode(e);
            removed.encode(e);
        }

        fn decode(d: &mut Decoder) -> Self {
            Membership {
                members: Checkpoint::decode(d),
                removed: Checkpoint::decode(d),
            }
        }
    }
}
