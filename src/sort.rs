//! One stable sort for every list the simulator sorts (members' URLs and
//! ids, Raft match indexes, leases, a range's revisions, a role's
//! permissions). The standard library's sort is generic code of about
//! 3.5 KB of wasm for each element type; this is one merge sort of
//! positions, comparing through a function reference, plus a few lines per
//! element type to move the elements.
//! (Range results use [`gosort`](crate::server::gosort): etcd's order for
//! ties is Go's unstable one.)

/// Sorts `v` stably so that no element is `less` than one before it, as
/// `slice::sort_by` does.
pub fn sort_by<T>(v: &mut Vec<T>, less: impl Fn(&T, &T) -> bool) {
    let order = stable_order(v.len(), &|a, b| less(&v[a], &v[b]));
    let mut items: Vec<Option<T>> = std::mem::take(v).into_iter().map(Some).collect();
    v.extend(order.into_iter().filter_map(|i| items[i].take()));
}

/// Sorts `v` in ascending order, as `slice::sort` does.
pub fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, |a, b| a < b);
}

/// The positions `0..n` in the order that sorts them stably by `less`:
/// bottom-up merge sort, runs of 1, 2, 4... merged pairwise.
fn stable_order(n: usize, less: &dyn Fn(usize, usize) -> bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut merged = Vec::with_capacity(n);
    let mut run = 1;
    while run < n {
        merged.clear();
        for start in (0..n).step_by(2 * run) {
            let mid = (start + run).min(n);
            let end = (start + 2 * run).min(n);
            let (mut i, mut j) = (start, mid);
            while i < mid && j < end {
                // the right run's element goes first only if strictly less
                if less(order[j], order[i]) {
                    merged.push(order[j]);
                    j += 1;
                } else {
                    merged.push(order[i]);
                    i += 1;
                }
            }
            merged.extend_from_slice(&order[i..mid]);
            merged.extend_from_slice(&order[j..end]);
        }
        std::mem::swap(&mut order, &mut merged);
        run *= 2;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_as_the_standard_stable_sort() {
        let mut seed = 1u64;
        for n in 0..200 {
            let mut v: Vec<(u8, usize)> = (0..n)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 59) as u8, i)
                })
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|e| e.0);
            sort_by(&mut v, |a, b| a.0 < b.0);
            assert_eq!(v, want, "n = {n}");
        }
    }
}
