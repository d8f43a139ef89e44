//! Python's `fnmatch` (POSIX, case-sensitive): `*`, `?`, `[seq]`, `[!seq]`.
//! Used for `CONFORMANCE_SCENARIO` and `passing.txt`.

pub fn fnmatch(name: &str, pattern: &str) -> bool {
    let n: Vec<char> = name.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    matches(&n, &p)
}

fn matches(n: &[char], p: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|i| matches(&n[i..], &p[1..])),
        Some('?') => !n.is_empty() && matches(&n[1..], &p[1..]),
        Some('[') => match class(p) {
            // an unclosed '[' is a literal, as in fnmatch
            None => n.first() == Some(&'[') && matches(&n[1..], &p[1..]),
            Some((set, negated, len)) => match n.first() {
                Some(c) if in_class(*c, &set) != negated => matches(&n[1..], &p[len..]),
                _ => false,
            },
        },
        Some(c) => n.first() == Some(c) && matches(&n[1..], &p[1..]),
    }
}

/// Parses `[...]` at the start of `p`: (members, negated, length in chars).
fn class(p: &[char]) -> Option<(Vec<char>, bool, usize)> {
    let mut i = 1;
    let negated = p.get(i) == Some(&'!');
    if negated {
        i += 1;
    }
    let start = i;
    // a ']' right after '[' or '[!' is a member
    if p.get(i) == Some(&']') {
        i += 1;
    }
    while i < p.len() && p[i] != ']' {
        i += 1;
    }
    (i < p.len()).then(|| (p[start..i].to_vec(), negated, i + 1))
}

fn in_class(c: char, set: &[char]) -> bool {
    let mut i = 0;
    while i < set.len() {
        if i + 2 < set.len() && set[i + 1] == '-' {
            if set[i] <= c && c <= set[i + 2] {
                return true;
            }
            i += 3;
        } else {
            if set[i] == c {
                return true;
            }
            i += 1;
        }
    }
    false
}

/// True when `name` matches one of the comma separated globs.
pub fn any_match(name: &str, globs: &str) -> bool {
    globs.split(',').any(|g| fnmatch(name, g.trim()))
}

#[cfg(test)]
mod tests {
    use super::fnmatch;

    #[test]
    fn globs() {
        assert!(fnmatch("watch_fragment", "watch_*"));
        assert!(fnmatch("kv_txn_a", "kv_???_?"));
        assert!(fnmatch("lease_1", "lease_[0-9]"));
        assert!(!fnmatch("lease_x", "lease_[0-9]"));
        assert!(fnmatch("lease_x", "lease_[!0-9]"));
        assert!(!fnmatch("http_version2", "http_version"));
    }
}
