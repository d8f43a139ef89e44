//! Which key ranges a user may read or write (etcd
//! `server/auth/range_perm_cache.go`): a role's permissions become
//! intervals, and a request is allowed when the user's intervals of that
//! type cover its whole range.

use crate::pb::{permission_type, Permission};

/// An interval bound; `Inf` is past every key (etcd's empty
/// `BytesAffineComparable`, written `"\0"` as a range end).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Bound {
    Key(Vec<u8>),
    Inf,
}

/// A half-open interval `[begin, end)` of keys.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Interval {
    begin: Bound,
    end: Bound,
}

impl Interval {
    /// `key` alone (etcd `NewBytesAffinePoint`): `[key, key + "\0")`.
    fn point(key: &[u8]) -> Self {
        let mut next = key.to_vec();
        next.push(0);
        Interval {
            begin: Bound::Key(key.to_vec()),
            end: Bound::Key(next),
        }
    }

    /// `[key, range_end)`, where a range end of `"\0"` means no end.
    fn range(key: &[u8], range_end: &[u8]) -> Self {
        let end = if range_end == [0] {
            Bound::Inf
        } else {
            Bound::Key(range_end.to_vec())
        };
        Interval {
            begin: Bound::Key(key.to_vec()),
            end,
        }
    }

    /// A request's range: a point without range end, an interval with one.
    fn of_request(key: &[u8], range_end: &[u8]) -> Self {
        if range_end.is_empty() {
            Interval::point(key)
        } else {
            Interval::range(key, range_end)
        }
    }

    fn overlaps(&self, other: &Interval) -> bool {
        self.begin < other.end && other.begin < self.end
    }
}

/// The read and write intervals of one user (etcd `unifiedRangePermissions`).
#[derive(Clone, Debug, Default)]
pub struct RangePermissions {
    read: Vec<Interval>,
    write: Vec<Interval>,
}

impl RangePermissions {
    /// Merges the permissions of a user's roles (etcd `getMergedPerms`).
    pub fn merge<'a>(perms: impl IntoIterator<Item = &'a Permission>) -> Self {
        let mut p = RangePermissions::default();
        for perm in perms {
            let ivl = Interval::of_request(&perm.key, &perm.range_end);
            match perm.perm_type {
                permission_type::READ => p.read.push(ivl),
                permission_type::WRITE => p.write.push(ivl),
                permission_type::READWRITE => {
                    p.read.push(ivl.clone());
                    p.write.push(ivl);
                }
                _ => {}
            }
        }
        crate::sort::sort(&mut p.read);
        crate::sort::sort(&mut p.write);
        p
    }

    pub fn can_read(&self, key: &[u8], range_end: &[u8]) -> bool {
        covers(&self.read, &Interval::of_request(key, range_end))
    }

    pub fn can_write(&self, key: &[u8], range_end: &[u8]) -> bool {
        covers(&self.write, &Interval::of_request(key, range_end))
    }
}

/// etcd's `IntervalTree.Contains`: the intervals overlapping `want`, in
/// order, must be contiguous and reach from its begin to its end.
fn covers(sorted: &[Interval], want: &Interval) -> bool {
    let mut hit = sorted.iter().filter(|i| i.overlaps(want));
    let Some(first) = hit.next() else {
        return false;
    };
    let mut end = &first.end;
    for i in hit {
        if *end < i.begin {
            return false;
        }
        if i.end > *end {
            end = &i.end;
        }
    }
    first.begin <= want.begin && *end >= want.end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::permission_type::{READ, READWRITE, WRITE};

    fn perm(t: i32, key: &[u8], end: &[u8]) -> Permission {
        Permission {
            perm_type: t,
            key: key.to_vec(),
            range_end: end.to_vec(),
        }
    }

    #[test]
    fn a_key_permission_covers_only_that_key() {
        let p = RangePermissions::merge(&[perm(READWRITE, b"k", b"")]);
        assert!(p.can_read(b"k", b""));
        assert!(p.can_write(b"k", b""));
        assert!(!p.can_read(b"k2", b""));
        assert!(!p.can_read(b"k", b"l"));
    }

    #[test]
    fn a_prefix_permission_denies_a_range_to_the_end_of_the_keyspace() {
        // docs/etcd-behaviour.md #60: READ on a prefix, range_end "\0" from inside it is denied
        let p = RangePermissions::merge(&[perm(READ, b"p/", b"p0")]);
        assert!(p.can_read(b"p/a", b""));
        assert!(p.can_read(b"p/", b"p0"));
        assert!(!p.can_read(b"p/a", b"\0"));
        assert!(!p.can_write(b"p/a", b""));
    }

    #[test]
    fn adjacent_intervals_cover_their_union_but_a_gap_breaks_it() {
        let p = RangePermissions::merge(&[perm(WRITE, b"a", b"c"), perm(WRITE, b"c", b"e")]);
        assert!(p.can_write(b"a", b"e"));
        let gap = RangePermissions::merge(&[perm(WRITE, b"a", b"c"), perm(WRITE, b"d", b"e")]);
        assert!(!gap.can_write(b"a", b"e"));
    }

    #[test]
    fn from_key_permission_covers_everything_after() {
        let p = RangePermissions::merge(&[perm(READ, b"m", b"\0")]);
        assert!(p.can_read(b"z", b"\0"));
        assert!(p.can_read(b"m", b""));
        assert!(!p.can_read(b"a", b""));
    }
}
