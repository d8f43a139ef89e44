//! One etcd member: Raft node, applier and state machine. Being written.
