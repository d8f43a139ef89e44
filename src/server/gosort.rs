//! Go 1.16's `sort.Sort`, which etcd 3.5.1 (built with Go 1.16) uses to sort
//! range results. It is not stable: keys that tie on the sort target come out
//! in the order this exact algorithm leaves them, so we run the same one.

/// Sorts `v` in place with the comparison `less`, exactly as Go 1.16's
/// `sort.Sort` orders a slice (quicksort with median-of-three pivots, Shell
/// pass and insertion sort for short runs, heapsort past the depth limit).
pub fn sort_by<T>(v: &mut [T], less: impl Fn(&T, &T) -> bool) {
    let n = v.len();
    let mut s = Sorter { v, less: &less };
    let mut depth = 0;
    let mut i = n;
    while i > 0 {
        depth += 1;
        i >>= 1;
    }
    s.quick_sort(0, n, depth * 2);
}

struct Sorter<'a, T, F: Fn(&T, &T) -> bool> {
    v: &'a mut [T],
    less: &'a F,
}

impl<T, F: Fn(&T, &T) -> bool> Sorter<'_, T, F> {
    fn less(&self, i: usize, j: usize) -> bool {
        (self.less)(&self.v[i], &self.v[j])
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.v.swap(i, j);
    }

    fn insertion_sort(&mut self, a: usize, b: usize) {
        for i in a + 1..b {
            let mut j = i;
            while j > a && self.less(j, j - 1) {
                self.swap(j, j - 1);
                j -= 1;
            }
        }
    }

    fn sift_down(&mut self, lo: usize, hi: usize, first: usize) {
        let mut root = lo;
        loop {
            let mut child = 2 * root + 1;
            if child >= hi {
                return;
            }
            if child + 1 < hi && self.less(first + child, first + child + 1) {
                child += 1;
            }
            if !self.less(first + root, first + child) {
                return;
            }
            self.swap(first + root, first + child);
            root = child;
        }
    }

    fn heap_sort(&mut self, a: usize, b: usize) {
        let first = a;
        let hi = b - a;
        let mut i = (hi as isize - 1) / 2;
        while i >= 0 {
            self.sift_down(i as usize, hi, first);
            i -= 1;
        }
        let mut i = hi as isize - 1;
        while i >= 0 {
            self.swap(first, first + i as usize);
            self.sift_down(0, i as usize, first);
            i -= 1;
        }
    }

    fn median_of_three(&mut self, m1: usize, m0: usize, m2: usize) {
        if self.less(m1, m0) {
            self.swap(m1, m0);
        }
        if self.less(m2, m1) {
            self.swap(m2, m1);
            if self.less(m1, m0) {
                self.swap(m1, m0);
            }
        }
    }

    fn do_pivot(&mut self, lo: usize, hi: usize) -> (usize, usize) {
        let m = (lo + hi) / 2;
        if hi - lo > 40 {
            let s = (hi - lo) / 8;
            self.median_of_three(lo, lo + s, lo + 2 * s);
            self.median_of_three(m, m - s, m + s);
            self.median_of_three(hi - 1, hi - 1 - s, hi - 1 - 2 * s);
        }
        self.median_of_three(lo, m, hi - 1);

        let pivot = lo;
        let (mut a, mut c) = (lo + 1, hi - 1);
        while a < c && self.less(a, pivot) {
            a += 1;
        }
        let mut b = a;
        loop {
            while b < c && !self.less(pivot, b) {
                b += 1;
            }
            while b < c && self.less(pivot, c - 1) {
                c -= 1;
            }
            if b >= c {
                break;
            }
            self.swap(b, c - 1);
            b += 1;
            c -= 1;
        }
        let mut protect = hi - c < 5;
        if !protect && hi - c < (hi - lo) / 4 {
            let mut dups = 0;
            if !self.less(pivot, hi - 1) {
                self.swap(c, hi - 1);
                c += 1;
                dups += 1;
            }
            if !self.less(b - 1, pivot) {
                b -= 1;
                dups += 1;
            }
            if !self.less(m, pivot) {
                self.swap(m, b - 1);
                b -= 1;
                dups += 1;
            }
            protect = dups > 1;
        }
        if protect {
            loop {
                while a < b && !self.less(b - 1, pivot) {
                    b -= 1;
                }
                while a < b && self.less(a, pivot) {
                    a += 1;
                }
                if a >= b {
                    break;
                }
                self.swap(a, b - 1);
                a += 1;
                b -= 1;
            }
        }
        self.swap(pivot, b - 1);
        (b - 1, c)
    }

    fn quick_sort(&mut self, mut a: usize, mut b: usize, mut max_depth: usize) {
        while b - a > 12 {
            if max_depth == 0 {
                self.heap_sort(a, b);
                return;
            }
            max_depth -= 1;
            let (mlo, mhi) = self.do_pivot(a, b);
            if mlo - a < b - mhi {
                self.quick_sort(a, mlo, max_depth);
                a = mhi;
            } else {
                self.quick_sort(mhi, b, max_depth);
                b = mlo;
            }
        }
        if b - a > 1 {
            for i in a + 6..b {
                if self.less(i, i - 6) {
                    self.swap(i, i - 6);
                }
            }
            self.insertion_sort(a, b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_any_sort_on_distinct_values() {
        let mut seed = 7u64;
        for n in 0..300 {
            let mut v: Vec<u64> = (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    seed >> 33
                })
                .collect();
            let mut want = v.clone();
            want.sort();
            sort_by(&mut v, |a, b| a < b);
            assert_eq!(v, want, "n={n}");
        }
    }

    #[test]
    fn short_runs_with_ties_follow_go_shell_pass() {
        // Go 1.16: for 7..=12 elements a gap-6 pass runs before insertion
        // sort, so equal elements can change order. Sorting pairs by the
        // first field only: (1,'a') at 0 and (0,'x') at 6 swap, moving
        // (1,'a') behind (1,'b').
        let mut v = vec![
            (1, 'a'),
            (1, 'b'),
            (2, 'c'),
            (2, 'd'),
            (2, 'e'),
            (2, 'f'),
            (0, 'x'),
        ];
        sort_by(&mut v, |a, b| a.0 < b.0);
        assert_eq!(
            v,
            vec![
                (0, 'x'),
                (1, 'b'),
                (1, 'a'),
                (2, 'c'),
                (2, 'd'),
                (2, 'e'),
                (2, 'f')
            ]
        );
    }
}
