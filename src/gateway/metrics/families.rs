//! The metric families etcd 3.5.1 registers, as `/metrics` lists them:
//! sorted by name (the Go client's order), with etcd's help texts
//! (`server/*/metrics.go` at v3.5.1), those of the Go client's collectors
//! (`go_*`, `process_*`, `promhttp_*`) and of go-grpc-prometheus
//! (`grpc_server_*`). What the simulator knows is read from the member's
//! state; the rest stays at zero or at a plausible constant.

use super::{Kind, Samples, Value};

/// etcd's default `--quota-backend-bytes` (`DefaultQuotaBytes`, 2 GiB).
const DEFAULT_QUOTA_BYTES: i64 = 2 * 1024 * 1024 * 1024;
/// The descriptor limit `/debug/vars` reports too.
const FD_LIMIT: i64 = 20000;
const FDS_USED: i64 = 40;

/// A family: name, type, help text, samples.
pub type Family = (&'static str, Kind, &'static str, Samples);

/// `ExponentialBuckets(0.001, 2, 14)`: the backend commit, WAL fsync and
/// snapshot save latencies.
const COMMIT_SECONDS: [&str; 14] = [
    "0.001", "0.002", "0.004", "0.008", "0.016", "0.032", "0.064", "0.128", "0.256", "0.512",
    "1.024", "2.048", "4.096", "8.192",
];

/// `etcd_debugging_lease_ttl_total`
const LEASE_TTL: [&str; 24] = [
    "1",
    "2",
    "4",
    "8",
    "16",
    "32",
    "64",
    "128",
    "256",
    "512",
    "1024",
    "2048",
    "4096",
    "8192",
    "16384",
    "32768",
    "65536",
    "131072",
    "262144",
    "524288",
    "1.048576e+06",
    "2.097152e+06",
    "4.194304e+06",
    "8.388608e+06",
];

/// `etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds`
const COMPACTION_PAUSE_MS: [&str; 13] = [
    "1", "2", "4", "8", "16", "32", "64", "128", "256", "512", "1024", "2048", "4096",
];

/// `etcd_debugging_mvcc_db_compaction_total_duration_milliseconds`
const COMPACTION_TOTAL_MS: [&str; 14] = [
    "100", "200", "400", "800", "1600", "3200", "6400", "12800", "25600", "51200", "102400",
    "204800", "409600", "819200",
];

/// `etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds`
const INDEX_COMPACTION_PAUSE_MS: [&str; 14] = [
    "0.5", "1", "2", "4", "8", "16", "32", "64", "128", "256", "512", "1024", "2048", "4096",
];

/// `etcd_disk_backend_defrag_duration_seconds`
const DEFRAG_SECONDS: [&str; 13] = [
    "0.1", "0.2", "0.4", "0.8", "1.6", "3.2", "6.4", "12.8", "25.6", "51.2", "102.4", "204.8",
    "409.6",
];

/// `etcd_disk_backend_snapshot_duration_seconds`
const BACKEND_SNAPSHOT_SECONDS: [&str; 17] = [
    "0.01", "0.02", "0.04", "0.08", "0.16", "0.32", "0.64", "1.28", "2.56", "5.12", "10.24",
    "20.48", "40.96", "81.92", "163.84", "327.68", "655.36",
];

/// `etcd_mvcc_hash_duration_seconds`, `etcd_mvcc_hash_rev_duration_seconds`
const HASH_SECONDS: [&str; 15] = [
    "0.01", "0.02", "0.04", "0.08", "0.16", "0.32", "0.64", "1.28", "2.56", "5.12", "10.24",
    "20.48", "40.96", "81.92", "163.84",
];

/// `etcd_server_apply_duration_seconds`
const APPLY_SECONDS: [&str; 20] = [
    "0.0001", "0.0002", "0.0004", "0.0008", "0.0016", "0.0032", "0.0064", "0.0128", "0.0256",
    "0.0512", "0.1024", "0.2048", "0.4096", "0.8192", "1.6384", "3.2768", "6.5536", "13.1072",
    "26.2144", "52.4288",
];

/// `etcd_snap_db_save_total_duration_seconds`
const SNAP_DB_SAVE_SECONDS: [&str; 10] = [
    "0.1", "0.2", "0.4", "0.8", "1.6", "3.2", "6.4", "12.8", "25.6", "51.2",
];

pub static FAMILIES: [Family; 122] = [
    (
        "etcd_cluster_version",
        Kind::Gauge,
        "Which version is running. 1 for 'cluster_version' label with current cluster version",
        Samples::Own("cluster_version", |s| s.cluster_version.clone()),
    ),
    (
        "etcd_debugging_auth_revision",
        Kind::Gauge,
        "The current revision of auth store.",
        Samples::One(Value::Of(|s| s.auth_revision)),
    ),
    (
        "etcd_debugging_disk_backend_commit_rebalance_duration_seconds",
        Kind::Histogram,
        "The latency distributions of commit.rebalance called by bboltdb backend.",
        Samples::Histogram("", &COMMIT_SECONDS),
    ),
    (
        "etcd_debugging_disk_backend_commit_spill_duration_seconds",
        Kind::Histogram,
        "The latency distributions of commit.spill called by bboltdb backend.",
        Samples::Histogram("", &COMMIT_SECONDS),
    ),
    (
        "etcd_debugging_disk_backend_commit_write_duration_seconds",
        Kind::Histogram,
        "The latency distributions of commit.write called by bboltdb backend.",
        Samples::Histogram("", &COMMIT_SECONDS),
    ),
    (
        "etcd_debugging_lease_granted_total",
        Kind::Counter,
        "The total number of granted leases.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_lease_renewed_total",
        Kind::Counter,
        "The number of renewed leases seen by the leader.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_lease_revoked_total",
        Kind::Counter,
        "The total number of revoked leases.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_lease_ttl_total",
        Kind::Histogram,
        "Bucketed histogram of lease TTLs.",
        Samples::Histogram("", &LEASE_TTL),
    ),
    (
        "etcd_debugging_mvcc_compact_revision",
        Kind::Gauge,
        "The revision of the last compaction in store.",
        Samples::One(Value::Of(|s| s.compact_revision)),
    ),
    (
        "etcd_debugging_mvcc_current_revision",
        Kind::Gauge,
        "The current revision of store.",
        Samples::One(Value::Of(|s| s.revision)),
    ),
    (
        "etcd_debugging_mvcc_db_compaction_keys_total",
        Kind::Counter,
        "Total number of db keys compacted.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_mvcc_db_compaction_last",
        Kind::Gauge,
        "The unix time of the last db compaction. Resets to 0 on start.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds",
        Kind::Histogram,
        "Bucketed histogram of db compaction pause duration.",
        Samples::Histogram("", &COMPACTION_PAUSE_MS),
    ),
    (
        "etcd_debugging_mvcc_db_compaction_total_duration_milliseconds",
        Kind::Histogram,
        "Bucketed histogram of db compaction total duration.",
        Samples::Histogram("", &COMPACTION_TOTAL_MS),
    ),
    (
        "etcd_debugging_mvcc_events_total",
        Kind::Counter,
        "Total number of events sent by this member.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds",
        Kind::Histogram,
        "Bucketed histogram of index compaction pause duration.",
        Samples::Histogram("", &INDEX_COMPACTION_PAUSE_MS),
    ),
    (
        "etcd_debugging_mvcc_keys_total",
        Kind::Gauge,
        "Total number of keys.",
        Samples::One(Value::Of(|s| s.keys)),
    ),
    (
        "etcd_debugging_mvcc_pending_events_total",
        Kind::Gauge,
        "Total number of pending events to be sent.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_mvcc_range_total",
        Kind::Counter,
        "Total number of ranges seen by this member.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_mvcc_slow_watcher_total",
        Kind::Gauge,
        "Total number of unsynced slow watchers.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_mvcc_total_put_size_in_bytes",
        Kind::Gauge,
        "The total size of put kv pairs seen by this member.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_mvcc_watch_stream_total",
        Kind::Gauge,
        "Total number of watch streams.",
        Samples::One(Value::Of(|s| s.watch_streams)),
    ),
    (
        "etcd_debugging_mvcc_watcher_total",
        Kind::Gauge,
        "Total number of watchers.",
        Samples::One(Value::Of(|s| s.watchers)),
    ),
    (
        "etcd_debugging_server_lease_expired_total",
        Kind::Counter,
        "The total number of expired leases.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_snap_save_marshalling_duration_seconds",
        Kind::Histogram,
        "The marshalling cost distributions of save called by snapshot.",
        Samples::Histogram("", &COMMIT_SECONDS),
    ),
    (
        "etcd_debugging_snap_save_total_duration_seconds",
        Kind::Histogram,
        "The total latency distributions of save called by snapshot.",
        Samples::Histogram("", &COMMIT_SECONDS),
    ),
    (
        "etcd_debugging_store_expires_total",
        Kind::Counter,
        "Total number of expired keys.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_store_reads_total",
        Kind::Counter,
        "Total number of reads action by (get/getRecursive), local to this member.",
        Samples::Labeled(&[(r#"action="getRecursive""#, Value::Zero)]),
    ),
    (
        "etcd_debugging_store_watch_requests_total",
        Kind::Counter,
        "Total number of incoming watch requests (new or reestablished).",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_store_watchers",
        Kind::Gauge,
        "Count of currently active watchers.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_debugging_store_writes_total",
        Kind::Counter,
        "Total number of writes (e.g. set/compareAndDelete) seen by this member.",
        Samples::Labeled(&[(r#"action="create""#, Value::Zero), (r#"action="set""#, Value::Zero)]),
    ),
    (
        "etcd_disk_backend_commit_duration_seconds",
        Kind::Histogram,
        "The latency distributions of commit called by backend.",
        Samples::Histogram("", &COMMIT_SECONDS),
    ),
    (
        "etcd_disk_backend_defrag_duration_seconds",
        Kind::Histogram,
        "The latency distribution of backend defragmentation.",
        Samples::Histogram("", &DEFRAG_SECONDS),
    ),
    (
        "etcd_disk_backend_snapshot_duration_seconds",
        Kind::Histogram,
        "The latency distribution of backend snapshots.",
        Samples::Histogram("", &BACKEND_SNAPSHOT_SECONDS),
    ),
    (
        // not in the v3.5.1 sources but on the recorded page: the help text
        // of the etcd release that added it
        "etcd_disk_defrag_inflight",
        Kind::Gauge,
        "Whether or not defrag is active on the member. 1 means active, 0 means not.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_disk_wal_fsync_duration_seconds",
        Kind::Histogram,
        "The latency distributions of fsync called by WAL.",
        Samples::Histogram("", &COMMIT_SECONDS),
    ),
    (
        "etcd_disk_wal_write_bytes_total",
        Kind::Gauge,
        "Total number of bytes written in WAL.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_grpc_proxy_cache_hits_total",
        Kind::Gauge,
        "Total number of cache hits",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_grpc_proxy_cache_keys_total",
        Kind::Gauge,
        "Total number of keys/ranges cached",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_grpc_proxy_cache_misses_total",
        Kind::Gauge,
        "Total number of cache misses",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_grpc_proxy_events_coalescing_total",
        Kind::Counter,
        "Total number of events coalescing",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_grpc_proxy_watchers_coalescing_total",
        Kind::Gauge,
        "Total number of current watchers coalescing",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_mvcc_db_open_read_transactions",
        Kind::Gauge,
        "The number of currently open read transactions",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_mvcc_db_total_size_in_bytes",
        Kind::Gauge,
        "Total size of the underlying database physically allocated in bytes.",
        Samples::One(Value::Of(|s| s.db_size)),
    ),
    (
        "etcd_mvcc_db_total_size_in_use_in_bytes",
        Kind::Gauge,
        "Total size of the underlying database logically in use in bytes.",
        Samples::One(Value::Of(|s| s.db_size_in_use)),
    ),
    (
        "etcd_mvcc_delete_total",
        Kind::Counter,
        "Total number of deletes seen by this member.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_mvcc_hash_duration_seconds",
        Kind::Histogram,
        "The latency distribution of storage hash operation.",
        Samples::Histogram("", &HASH_SECONDS),
    ),
    (
        "etcd_mvcc_hash_rev_duration_seconds",
        Kind::Histogram,
        "The latency distribution of storage hash by revision operation.",
        Samples::Histogram("", &HASH_SECONDS),
    ),
    (
        "etcd_mvcc_put_total",
        Kind::Counter,
        "Total number of puts seen by this member.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_mvcc_range_total",
        Kind::Counter,
        "Total number of ranges seen by this member.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_mvcc_txn_total",
        Kind::Counter,
        "Total number of txns seen by this member.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_network_client_grpc_received_bytes_total",
        Kind::Counter,
        "The total number of bytes received from grpc clients.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_network_client_grpc_sent_bytes_total",
        Kind::Counter,
        "The total number of bytes sent to grpc clients.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_server_apply_duration_seconds",
        Kind::Histogram,
        "The latency distributions of v2 apply called by backend.",
        Samples::Histogram(r#"op="Range",success="true",version="v3""#, &APPLY_SECONDS),
    ),
    (
        "etcd_server_client_requests_total",
        Kind::Counter,
        "The total number of client requests per client version.",
        Samples::Labeled(&[(r#"client_api_version="3.5",type="unary""#, Value::Zero)]),
    ),
    (
        "etcd_server_go_version",
        Kind::Gauge,
        "Which Go version server is running with. 1 for 'server_go_version' label with current version.",
        Samples::Labeled(&[(r#"server_go_version="go1.16.3""#, Value::Fixed(1))]),
    ),
    (
        "etcd_server_has_leader",
        Kind::Gauge,
        "Whether or not a leader exists. 1 is existence, 0 is not.",
        Samples::One(Value::Of(|s| s.has_leader)),
    ),
    (
        "etcd_server_health_failures",
        Kind::Counter,
        "The total number of failed health checks",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_server_health_success",
        Kind::Counter,
        "The total number of successful health checks",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_server_heartbeat_send_failures_total",
        Kind::Counter,
        "The total number of leader heartbeat send failures (likely overloaded from slow disk).",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_server_id",
        Kind::Gauge,
        "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.",
        Samples::Own("server_id", |s| Some(format!("{:x}", s.server_id))),
    ),
    (
        "etcd_server_is_leader",
        Kind::Gauge,
        "Whether or not this member is a leader. 1 if is, 0 otherwise.",
        Samples::One(Value::Of(|s| s.is_leader)),
    ),
    (
        "etcd_server_is_learner",
        Kind::Gauge,
        "Whether or not this member is a learner. 1 if is, 0 otherwise.",
        Samples::One(Value::Of(|s| s.is_learner)),
    ),
    (
        "etcd_server_leader_changes_seen_total",
        Kind::Counter,
        "The number of leader changes seen.",
        Samples::One(Value::Of(|s| s.leader_changes_seen)),
    ),
    (
        "etcd_server_learner_promote_successes",
        Kind::Counter,
        "The total number of successful learner promotions while this member is leader.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_server_proposals_applied_total",
        Kind::Gauge,
        "The total number of consensus proposals applied.",
        Samples::One(Value::Of(|s| s.applied)),
    ),
    (
        "etcd_server_proposals_committed_total",
        Kind::Gauge,
        "The total number of consensus proposals committed.",
        Samples::One(Value::Of(|s| s.committed)),
    ),
    (
        "etcd_server_proposals_failed_total",
        Kind::Counter,
        "The total number of failed proposals seen.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_server_proposals_pending",
        Kind::Gauge,
        "The current number of pending proposals to commit.",
        Samples::One(Value::Of(|s| s.proposals_pending)),
    ),
    (
        "etcd_server_quota_backend_bytes",
        Kind::Gauge,
        "Current backend storage quota size in bytes.",
        Samples::One(Value::Fixed(DEFAULT_QUOTA_BYTES)),
    ),
    (
        "etcd_server_read_indexes_failed_total",
        Kind::Counter,
        "The total number of failed read indexes seen.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_server_slow_apply_total",
        Kind::Counter,
        "The total number of slow apply requests (likely overloaded from slow disk).",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_server_slow_read_indexes_total",
        Kind::Counter,
        "The total number of pending read indexes not in sync with leader's or timed out read index requests.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_server_snapshot_apply_in_progress_total",
        Kind::Gauge,
        "1 if the server is applying the incoming snapshot. 0 if none.",
        Samples::One(Value::Zero),
    ),
    (
        "etcd_server_version",
        Kind::Gauge,
        "Which version is running. 1 for 'server_version' label with current version.",
        Samples::Labeled(&[(r#"server_version="3.5.1""#, Value::Fixed(1))]),
    ),
    (
        "etcd_snap_db_fsync_duration_seconds",
        Kind::Histogram,
        "The latency distributions of fsyncing .snap.db file",
        Samples::Histogram("", &COMMIT_SECONDS),
    ),
    (
        "etcd_snap_db_save_total_duration_seconds",
        Kind::Histogram,
        "The total latency distributions of v3 snapshot save",
        Samples::Histogram("", &SNAP_DB_SAVE_SECONDS),
    ),
    (
        "etcd_snap_fsync_duration_seconds",
        Kind::Histogram,
        "The latency distributions of fsync called by snap.",
        Samples::Histogram("", &COMMIT_SECONDS),
    ),
    (
        "go_gc_duration_seconds",
        Kind::Summary,
        "A summary of the pause duration of garbage collection cycles.",
        Samples::GcSummary,
    ),
    (
        "go_goroutines",
        Kind::Gauge,
        "Number of goroutines that currently exist.",
        Samples::One(Value::Fixed(120)),
    ),
    (
        "go_info",
        Kind::Gauge,
        "Information about the Go environment.",
        Samples::Labeled(&[(r#"version="go1.16.3""#, Value::Fixed(1))]),
    ),
    (
        "go_memstats_alloc_bytes",
        Kind::Gauge,
        "Number of bytes allocated and still in use.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_alloc_bytes_total",
        Kind::Counter,
        "Total number of bytes allocated, even if freed.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_buck_hash_sys_bytes",
        Kind::Gauge,
        "Number of bytes used by the profiling bucket hash table.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_frees_total",
        Kind::Counter,
        "Total number of frees.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_gc_cpu_fraction",
        Kind::Gauge,
        "The fraction of this program's available CPU time used by the GC since the program started.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_gc_sys_bytes",
        Kind::Gauge,
        "Number of bytes used for garbage collection system metadata.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_heap_alloc_bytes",
        Kind::Gauge,
        "Number of heap bytes allocated and still in use.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_heap_idle_bytes",
        Kind::Gauge,
        "Number of heap bytes waiting to be used.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_heap_inuse_bytes",
        Kind::Gauge,
        "Number of heap bytes that are in use.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_heap_objects",
        Kind::Gauge,
        "Number of allocated objects.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_heap_released_bytes",
        Kind::Gauge,
        "Number of heap bytes released to OS.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_heap_sys_bytes",
        Kind::Gauge,
        "Number of heap bytes obtained from system.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_last_gc_time_seconds",
        Kind::Gauge,
        "Number of seconds since 1970 of last garbage collection.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_lookups_total",
        Kind::Counter,
        "Total number of pointer lookups.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_mallocs_total",
        Kind::Counter,
        "Total number of mallocs.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_mcache_inuse_bytes",
        Kind::Gauge,
        "Number of bytes in use by mcache structures.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_mcache_sys_bytes",
        Kind::Gauge,
        "Number of bytes used for mcache structures obtained from system.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_mspan_inuse_bytes",
        Kind::Gauge,
        "Number of bytes in use by mspan structures.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_mspan_sys_bytes",
        Kind::Gauge,
        "Number of bytes used for mspan structures obtained from system.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_next_gc_bytes",
        Kind::Gauge,
        "Number of heap bytes when next garbage collection will take place.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_other_sys_bytes",
        Kind::Gauge,
        "Number of bytes used for other system allocations.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_stack_inuse_bytes",
        Kind::Gauge,
        "Number of bytes in use by the stack allocator.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_stack_sys_bytes",
        Kind::Gauge,
        "Number of bytes obtained from system for stack allocator.",
        Samples::One(Value::Zero),
    ),
    (
        "go_memstats_sys_bytes",
        Kind::Gauge,
        "Number of bytes obtained from system.",
        Samples::One(Value::Zero),
    ),
    (
        "go_threads",
        Kind::Gauge,
        "Number of OS threads created.",
        Samples::One(Value::Fixed(12)),
    ),
    (
        "grpc_server_handled_total",
        Kind::Counter,
        "Total number of RPCs completed on the server, regardless of success or failure.",
        Samples::Grpc { per_code: true },
    ),
    (
        "grpc_server_msg_received_total",
        Kind::Counter,
        "Total number of RPC stream messages received on the server.",
        Samples::Grpc { per_code: false },
    ),
    (
        "grpc_server_msg_sent_total",
        Kind::Counter,
        "Total number of gRPC stream messages sent by the server.",
        Samples::Grpc { per_code: false },
    ),
    (
        "grpc_server_started_total",
        Kind::Counter,
        "Total number of RPCs started on the server.",
        Samples::Grpc { per_code: false },
    ),
    (
        "os_fd_limit",
        Kind::Gauge,
        "The file descriptor limit.",
        Samples::One(Value::Fixed(FD_LIMIT)),
    ),
    (
        "os_fd_used",
        Kind::Gauge,
        "The number of used file descriptors.",
        Samples::One(Value::Fixed(FDS_USED)),
    ),
    (
        "process_cpu_seconds_total",
        Kind::Counter,
        "Total user and system CPU time spent in seconds.",
        Samples::One(Value::Zero),
    ),
    (
        "process_max_fds",
        Kind::Gauge,
        "Maximum number of open file descriptors.",
        Samples::One(Value::Fixed(FD_LIMIT)),
    ),
    (
        "process_open_fds",
        Kind::Gauge,
        "Number of open file descriptors.",
        Samples::One(Value::Fixed(FDS_USED)),
    ),
    (
        "process_resident_memory_bytes",
        Kind::Gauge,
        "Resident memory size in bytes.",
        Samples::One(Value::Zero),
    ),
    (
        "process_start_time_seconds",
        Kind::Gauge,
        "Start time of the process since unix epoch in seconds.",
        Samples::One(Value::Zero),
    ),
    (
        "process_virtual_memory_bytes",
        Kind::Gauge,
        "Virtual memory size in bytes.",
        Samples::One(Value::Zero),
    ),
    (
        "process_virtual_memory_max_bytes",
        Kind::Gauge,
        "Maximum amount of virtual memory available in bytes.",
        Samples::One(Value::Zero),
    ),
    (
        "promhttp_metric_handler_requests_in_flight",
        Kind::Gauge,
        "Current number of scrapes being served.",
        Samples::One(Value::Fixed(1)),
    ),
    (
        "promhttp_metric_handler_requests_total",
        Kind::Counter,
        "Total number of scrapes by HTTP status code.",
        Samples::Labeled(&[(r#"code="200""#, Value::Zero), (r#"code="500""#, Value::Zero), (r#"code="503""#, Value::Zero)]),
    ),
];

/// gRPC status codes as `grpc_code` spells them, sorted.
pub static GRPC_CODES: [&str; 17] = [
    "Aborted",
    "AlreadyExists",
    "Canceled",
    "DataLoss",
    "DeadlineExceeded",
    "FailedPrecondition",
    "Internal",
    "InvalidArgument",
    "NotFound",
    "OK",
    "OutOfRange",
    "PermissionDenied",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
];
