//! The maintenance service on one member (etcd `v3rpc/maintenance.go` and
//! the server's downgrade checks): status, hash, the database image behind
//! snapshots, downgrade validation.

use crate::errors::EtcdError;
use crate::hash;
use crate::mvcc::{KvStore, RangeOptions};
use crate::pb::{alarm_type, AlarmMember};

/// The server version etcd-sim answers as.
pub const SERVER_VERSION: &str = "3.5.1";
/// The cluster version (major.minor) of a 3.5 cluster.
pub const CLUSTER_VERSION: (u64, u64) = (3, 5);

/// What Raft says about the member, for the status answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RaftView {
    pub leader_id: u64,
    pub term: u64,
    pub commit: u64,
}

/// `AlarmMember.String()` (compact proto text), as status lists alarms.
pub fn alarm_text(a: &AlarmMember) -> String {
    let name = match a.alarm {
        alarm_type::NONE => "NONE".to_string(),
        alarm_type::NOSPACE => "NOSPACE".to_string(),
        alarm_type::CORRUPT => "CORRUPT".to_string(),
        n => n.to_string(),
    };
    if a.member_id == 0 {
        format!("alarm:{name}")
    } else {
        format!("memberID:{} alarm:{name}", a.member_id)
    }
}

/// A deterministic image of the member's database: what the snapshot
/// stream sends and the hash covers. Every member that applied the same
/// entries has the same image.
pub fn db_image(kv: &KvStore) -> Vec<u8> {
    let mut out = b"etcd-sim db v1\n".to_vec();
    out.extend_from_slice(&kv.current_revision().to_be_bytes());
    out.extend_from_slice(&kv.first_rev().to_be_bytes());
    let all = kv
        .range(&[0], &[0], RangeOptions::default())
        .map(|r| r.kvs)
        .unwrap_or_default();
    for kv in all {
        for field in [&kv.key, &kv.value] {
            out.extend_from_slice(&(field.len() as u64).to_be_bytes());
            out.extend_from_slice(field);
        }
        for n in [kv.create_revision, kv.mod_revision, kv.version, kv.lease] {
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
    out
}

/// `/v3/maintenance/hash`: a crc32 of the database.
pub fn db_hash(kv: &KvStore) -> u32 {
    hash::crc32c(&db_image(kv))
}

/// The snapshot stream's blobs: the database, then its sha256.
pub fn snapshot_blobs(kv: &KvStore) -> Vec<Vec<u8>> {
    let db = db_image(kv);
    let sum = hash::sha256(&db).to_vec();
    vec![db, sum]
}

/// etcd's `convertToClusterVersion`: `X.Y.Z` (or `X.Y`) reduced to
/// major.minor.
pub fn parse_downgrade_version(v: &str) -> Result<(u64, u64), EtcdError> {
    parse_semver(v)
        .or_else(|| parse_semver(&format!("{v}.0")))
        .ok_or(EtcdError::WrongDowngradeVersionFormat)
}

/// go-semver's `NewVersion`: three dot-separated numbers, then optional
/// `-prerelease` and `+metadata`.
fn parse_semver(v: &str) -> Option<(u64, u64)> {
    let core = v.split('+').next()?.split('-').next()?;
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n = |s: &str| s.parse::<u64>().ok();
    n(parts[2])?;
    Some((n(parts[0])?, n(parts[1])?))
}

/// Downgrade is only to the previous minor version (3.5 -> 3.4).
pub fn check_downgrade_target(target: (u64, u64)) -> Result<(), EtcdError> {
    let (major, minor) = CLUSTER_VERSION;
    if minor == 0 || target != (major, minor - 1) {
        return Err(EtcdError::InvalidDowngradeTargetVersion);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downgrade_versions_parse_like_etcd() {
        assert_eq!(parse_downgrade_version("3.4.0"), Ok((3, 4)));
        assert_eq!(parse_downgrade_version("3.4"), Ok((3, 4)));
        assert_eq!(
            parse_downgrade_version("abc"),
            Err(EtcdError::WrongDowngradeVersionFormat)
        );
        assert_eq!(
            parse_downgrade_version(""),
            Err(EtcdError::WrongDowngradeVersionFormat)
        );
        assert_eq!(check_downgrade_target((3, 4)), Ok(()));
        assert_eq!(
            check_downgrade_target((3, 3)),
            Err(EtcdError::InvalidDowngradeTargetVersion)
        );
        assert_eq!(
            check_downgrade_target((3, 5)),
            Err(EtcdError::InvalidDowngradeTargetVersion)
        );
    }

    #[test]
    fn same_data_same_hash() {
        let mut a = KvStore::new();
        let mut b = KvStore::new();
        for s in [&mut a, &mut b] {
            let mut t = s.write();
            t.put(b"k", b"v", 0);
            t.end();
        }
        assert_eq!(db_hash(&a), db_hash(&b));
        let mut t = b.write();
        t.put(b"k", b"w", 0);
        t.end();
        assert_ne!(db_hash(&a), db_hash(&b));
    }

    #[test]
    fn alarm_text_omits_member_zero() {
        assert_eq!(
            alarm_text(&AlarmMember {
                member_id: 0,
                alarm: alarm_type::NOSPACE
            }),
            "alarm:NOSPACE"
        );
        assert_eq!(
            alarm_text(&AlarmMember {
                member_id: 7,
                alarm: alarm_type::CORRUPT
            }),
            "memberID:7 alarm:CORRUPT"
        );
    }
}
