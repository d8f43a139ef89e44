//! Tests of the raft module, named after the rule each one defends (as in
//! etcd-io/raft's `raft_paper_test.go` and `raft_test.go`).

mod features;
pub(super) mod network;
mod paper;
mod random;
