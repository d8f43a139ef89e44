//! Raft consensus as a pure state machine (in the manner of etcd-io/raft).
//! Being written: for now a cluster of one member commits its own entries.
