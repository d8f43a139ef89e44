//! What one member is started with (etcd's `ServerConfig`: name, URLs,
//! `--initial-cluster`, `--initial-cluster-token`, `--snapshot-count`, the
//! Raft timing) and the timeouts etcd's server derives from them.

use crate::pb::Member;
use crate::raft;

/// etcd's heartbeat interval: one Raft tick.
pub const TICK_MS: u64 = 100;

/// etcd's election timeout: ten ticks.
pub const ELECTION_MS: u64 = 10 * TICK_MS;

/// etcd's request timeout: 5 s plus two election timeouts.
pub const REQUEST_TIMEOUT_MS: u64 = 7_000;

/// etcd's `HealthInterval`: strict reconfiguration checks want peers
/// connected for this long.
pub const HEALTH_INTERVAL_MS: u64 = 5_000;

/// etcd retries revoking an expired lease after this long.
pub const LEASE_REVOKE_RETRY_MS: u64 = 3_000;

/// Largest message the gRPC server accepts: `--max-request-bytes` + 512 KiB.
pub const MAX_RECV_BYTES: usize = super::MAX_REQUEST_BYTES + 512 * 1024;

#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// `--name`, published with the client URLs once a leader is known.
    pub name: String,
    /// `--advertise-client-urls`.
    pub client_urls: Vec<String>,
    pub cluster_id: u64,
    /// `--initial-cluster`: the bootstrap conf changes name only their
    /// member's id; the member comes from here.
    pub initial_cluster: Vec<Member>,
    /// `--initial-cluster-token`: ids of members added later derive from it.
    pub initial_cluster_token: String,
    /// The simulated wall clock (Unix ms) at virtual time 0.
    pub wall_start_ms: u64,
    /// `--snapshot-count` (0 = never snapshot).
    pub snapshot_count: u64,
    /// `--experimental-watch-progress-notify-interval` in ms (0 = never).
    pub progress_interval_ms: u64,
    /// The Raft node's id, timing and seed of its election timeouts.
    pub raft: raft::Config,
}

impl ServerConfig {
    /// Member `id` of no cluster yet, never snapshotting.
    pub fn new(id: u64) -> Self {
        ServerConfig {
            name: String::new(),
            client_urls: Vec::new(),
            cluster_id: 0,
            initial_cluster: Vec::new(),
            initial_cluster_token: String::new(),
            wall_start_ms: 0,
            snapshot_count: 0,
            progress_interval_ms: 0,
            raft: raft::Config::new(id),
        }
    }
}

/// As part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::ServerConfig;
    use crate::checkpoint::record;

    record!(ServerConfig {
        name,
        client_urls,
        cluster_id,
        initial_cluster,
        initial_cluster_token,
        wall_start_ms,
        snapshot_count,
        progress_interval_ms,
        raft,
    });
}
