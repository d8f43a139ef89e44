//! The lessor (etcd `server/lease/lessor.go`): leases, their TTLs and the
//! keys attached to them. Time is passed in (virtual milliseconds); only the
//! primary (the leader's lessor) tracks expiry, as in etcd: followers keep
//! leases "forever" until they are promoted.

use crate::boxed_map::BoxedMap;
use crate::errors::EtcdError;
use std::collections::{BTreeMap, BTreeSet};

/// etcd's `MaxLeaseTTL`.
pub const MAX_LEASE_TTL: i64 = 9_000_000_000;

/// A lease as the lessor holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub id: i64,
    /// Granted TTL in seconds (after raising to the minimum).
    pub ttl: i64,
    /// Virtual time (ms) it expires at; `None` = forever (not primary).
    pub expiry: Option<u64>,
    /// Attached keys, sorted (etcd sorts them before revoking so every
    /// member deletes in the same order).
    pub keys: BTreeSet<Vec<u8>>,
}

impl Lease {
    /// The time left in whole seconds as etcd's LeaseTimeToLive answers
    /// it, `int64(le.Remaining().Seconds())` with `Remaining()` =
    /// `time.Until(expiry)`: measured an instant after `now` (a request
    /// always takes some time in etcd, so a lease granted at `now` has less
    /// than its TTL left: 59 of 60), then truncated toward zero (an expired
    /// lease not revoked yet has 0, then -1 a second later). `None` when
    /// not tracked (not primary).
    pub fn remaining_secs(&self, now: u64) -> Option<i64> {
        self.expiry.map(|e| match e.checked_sub(now) {
            // (d ms less an instant) / 1000 s, truncated: (d - 1) / 1000
            Some(d) if d > 0 => ((d - 1) / 1000) as i64,
            Some(_) => 0,
            // -(k ms plus an instant), truncated toward zero: -(k / 1000)
            None => -(((now - e) / 1000) as i64),
        })
    }
}

#[derive(Clone, Debug)]
pub struct Lessor {
    leases: BoxedMap<i64, Lease>,
    /// Which lease each key is attached to (etcd's `itemMap`).
    key_leases: BoxedMap<Vec<u8>, i64>,
    /// `ceil(1.5 * election timeout)` in seconds: 2 with etcd's defaults.
    min_ttl: i64,
    primary: bool,
}

impl Lessor {
    pub fn new(min_ttl: i64, primary: bool) -> Self {
        Lessor {
            leases: BTreeMap::new(),
            key_leases: BTreeMap::new(),
            min_ttl,
            primary,
        }
    }

    pub fn is_primary(&self) -> bool {
        self.primary
    }

    pub fn lookup(&self, id: i64) -> Option<&Lease> {
        self.leases.get(&id).map(|l| &**l)
    }

    pub fn grant(&mut self, id: i64, ttl: i64, now: u64) -> Result<Lease, EtcdError> {
        if id == 0 {
            return Err(EtcdError::LeaseNotFound);
        }
        if ttl > MAX_LEASE_TTL {
            return Err(EtcdError::TooLargeLeaseTtl);
        }
        if self.leases.contains_key(&id) {
            return Err(EtcdError::LeaseExist);
        }
        let ttl = ttl.max(self.min_ttl);
        let expiry = self.primary.then(|| expiry_at(now, ttl));
        let lease = Lease {
            id,
            ttl,
            expiry,
            keys: BTreeSet::new(),
        };
        self.leases.insert(id, Box::new(lease.clone()));
        Ok(lease)
    }

    /// Removes the lease and returns its keys, which the caller deletes in
    /// one write txn (one revision).
    pub fn revoke(&mut self, id: i64) -> Result<Vec<Vec<u8>>, EtcdError> {
        let lease = self.leases.remove(&id).ok_or(EtcdError::LeaseNotFound)?;
        for k in &lease.keys {
            self.key_leases.remove(k);
        }
        Ok(lease.keys.into_iter().collect())
    }

    /// A keep-alive: the lease lives a full TTL from now. Only the primary
    /// renews (etcd answers `not leader` elsewhere; the server forwards).
    pub fn renew(&mut self, id: i64, now: u64) -> Result<i64, EtcdError> {
        if !self.primary {
            return Err(EtcdError::NotLeader);
        }
        let lease = self.leases.get_mut(&id).ok_or(EtcdError::LeaseNotFound)?;
        lease.expiry = Some(expiry_at(now, lease.ttl));
        Ok(lease.ttl)
    }

    /// Records that `key` now carries `lease` (0 = none, e.g. deleted):
    /// detaches it from its previous lease and attaches it to the new one,
    /// as etcd's store does on every put and delete.
    pub fn bind(&mut self, key: &[u8], lease: i64) {
        if let Some(old) = self.key_leases.remove(key) {
            if let Some(l) = self.leases.get_mut(&*old) {
                l.keys.remove(key);
            }
        }
        if let Some(l) = self.leases.get_mut(&lease) {
            l.keys.insert(key.to_vec());
            self.key_leases.insert(key.to_vec(), Box::new(lease));
        }
    }

    /// Becoming primary (a new leader): every lease gets its full TTL again,
    /// as etcd 3.5 without checkpointing does.
    pub fn promote(&mut self, now: u64) {
        self.primary = true;
        for l in self.leases.values_mut() {
            l.expiry = Some(expiry_at(now, l.ttl));
        }
    }

    /// No longer primary: stop tracking expiry.
    pub fn demote(&mut self) {
        self.primary = false;
        for l in self.leases.values_mut() {
            l.expiry = None;
        }
    }

    /// Leases whose time is up at `now` (expiry ≤ now), by expiry then id.
    pub fn expired(&self, now: u64) -> Vec<i64> {
        let mut v: Vec<(u64, i64)> = self
            .leases
            .values()
            .filter_map(|l| l.expiry.filter(|e| *e <= now).map(|e| (e, l.id)))
            .collect();
        crate::sort::sort(&mut v);
        v.into_iter().map(|(_, id)| id).collect()
    }

    /// The leader proposed revoking an expired lease: look again later if
    /// it is still there then (etcd retries after 3 s).
    pub fn postpone(&mut self, id: i64, at: u64) {
        if let Some(l) = self.leases.get_mut(&id) {
            if l.expiry.is_some() {
                l.expiry = Some(at);
            }
        }
    }

    /// The earliest expiry, for the clock to wake up at.
    pub fn next_expiry(&self) -> Option<u64> {
        self.leases.values().filter_map(|l| l.expiry).min()
    }

    /// All leases, ordered by expiry (forever last) then id, as etcd's
    /// `Leases()` sorts them.
    pub fn leases(&self) -> Vec<&Lease> {
        let mut v: Vec<&Lease> = self.leases.values().map(|l| &**l).collect();
        let key = |l: &Lease| (l.expiry.is_none(), l.expiry, l.id);
        crate::sort::sort_by(&mut v, |a, b| key(a) < key(b));
        v
    }
}

fn expiry_at(now: u64, ttl: i64) -> u64 {
    now.saturating_add((ttl.max(0) as u64).saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_below_minimum_is_raised_to_it() {
        let mut l = Lessor::new(2, true);
        assert_eq!(l.grant(1, 0, 0).map(|l| l.ttl), Ok(2));
        assert_eq!(l.grant(2, -5, 0).map(|l| l.ttl), Ok(2));
    }

    #[test]
    fn ttl_above_maximum_is_refused() {
        let mut l = Lessor::new(2, true);
        assert_eq!(
            l.grant(1, MAX_LEASE_TTL + 1, 0),
            Err(EtcdError::TooLargeLeaseTtl)
        );
        assert!(l.grant(1, MAX_LEASE_TTL, 0).is_ok());
    }

    #[test]
    fn duplicate_id_is_refused() {
        let mut l = Lessor::new(2, true);
        l.grant(7, 10, 0).ok();
        assert_eq!(l.grant(7, 10, 0), Err(EtcdError::LeaseExist));
    }

    #[test]
    fn a_lease_expires_exactly_at_its_ttl_not_before() {
        let mut l = Lessor::new(2, true);
        l.grant(1, 5, 1000).ok();
        assert!(l.expired(5999).is_empty());
        assert_eq!(l.expired(6000), vec![1]);
    }

    #[test]
    fn keep_alive_extends_from_now() {
        let mut l = Lessor::new(2, true);
        l.grant(1, 5, 0).ok();
        assert_eq!(l.renew(1, 4000), Ok(5));
        assert!(l.expired(8999).is_empty());
        assert_eq!(l.expired(9000), vec![1]);
    }

    #[test]
    fn followers_do_not_expire_leases_until_promoted_with_full_ttl() {
        let mut l = Lessor::new(2, false);
        l.grant(1, 5, 0).ok();
        assert!(l.expired(100_000).is_empty());
        l.promote(100_000);
        assert_eq!(l.next_expiry(), Some(105_000));
    }

    #[test]
    fn revoke_returns_attached_keys_sorted() {
        let mut l = Lessor::new(2, true);
        l.grant(1, 5, 0).ok();
        l.bind(b"b", 1);
        l.bind(b"a", 1);
        assert_eq!(l.revoke(1), Ok(vec![b"a".to_vec(), b"b".to_vec()]));
        assert_eq!(l.revoke(1), Err(EtcdError::LeaseNotFound));
    }

    #[test]
    fn binding_a_key_to_another_lease_detaches_it_from_the_first() {
        let mut l = Lessor::new(2, true);
        l.grant(1, 5, 0).ok();
        l.grant(2, 5, 0).ok();
        l.bind(b"k", 1);
        l.bind(b"k", 2);
        assert!(l.lookup(1).is_some_and(|l| l.keys.is_empty()));
        l.bind(b"k", 0);
        assert!(l.lookup(2).is_some_and(|l| l.keys.is_empty()));
    }

    #[test]
    fn remaining_is_taken_an_instant_later_and_truncated_to_whole_seconds() {
        let mut l = Lessor::new(2, true);
        let lease = l.grant(1, 600, 1000).unwrap_or_else(|e| panic!("{e}"));
        let left = |ms_later: u64| lease.remaining_secs(1000 + ms_later);
        assert_eq!(left(0), Some(599));
        assert_eq!(left(1), Some(599));
        assert_eq!(left(999), Some(599));
        assert_eq!(left(1000), Some(598));
        assert_eq!(left(599_999), Some(0));
        // expired, not revoked yet: int64 truncates a negative time toward 0
        assert_eq!(left(600_000), Some(0));
        assert_eq!(left(600_999), Some(0));
        assert_eq!(left(601_000), Some(-1));
        let forever = Lessor::new(2, false).grant(2, 600, 0);
        assert_eq!(forever.map(|l| l.remaining_secs(5)), Ok(None));
    }
}

/// The lessor as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{Lease, Lessor};
    use crate::checkpoint::{decode_byte_map, decode_byte_set, encode_byte_map, encode_byte_set};
    use crate::checkpoint::{Checkpoint, Decoder, Encoder};

    impl Checkpoint for Lease {
        fn encode(&self, e: &mut Encoder) {
            let Lease {
                id,
                ttl,
                expiry,
                keys,
            } = self;
            e.i64(*id);
            e.i64(*ttl);
            expiry.encode(e);
            encode_byte_set(keys, e);
        }

        fn decode(d: &mut Decoder) -> Self {
            Lease {
                id: d.i64(),
                ttl: d.i64(),
                expiry: Checkpoint::decode(d),
                keys: decode_byte_set(d),
            }
        }
    }

    impl Checkpoint for Lessor {
        fn encode(&self, e: &mut Encoder) {
            let Lessor {
                leases,
                key_leases,
                min_ttl,
                primary,
            } = self;
            leases.encode(e);
            encode_byte_map(key_leases, e);
            e.i64(*min_ttl);
            e.bool(*primary);
        }

        fn decode(d: &mut Decoder) -> Self {
            Lessor {
                leases: Checkpoint::decode(d),
                key_leases: decode_byte_map(d),
                min_ttl: d.i64(),
                primary: d.bool(),
            }
        }
    }
}
