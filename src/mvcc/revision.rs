//! A revision names one change of the key-value space (etcd `revision.go`).

/// `main` is the revision of the write transaction (the store revision it
/// produced); `sub` numbers the changes inside that transaction from 0, so
/// that several changes of one transaction stay ordered. Ordered by `main`,
/// then `sub` (field order makes the derived `Ord` do exactly that).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Revision {
    pub main: i64,
    pub sub: i64,
}

impl Revision {
    pub fn new(main: i64, sub: i64) -> Self {
        Revision { main, sub }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_order_by_main_then_sub() {
        assert!(Revision::new(2, 0) > Revision::new(1, 5));
        assert!(Revision::new(2, 1) > Revision::new(2, 0));
        assert_eq!(Revision::new(3, 3), Revision::new(3, 3));
    }
}
