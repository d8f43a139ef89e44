//! The simulated world: members, virtual clock. Being written.
