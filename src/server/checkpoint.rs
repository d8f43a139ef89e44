//! A member as part of a checkpoint (see `crate::checkpoint`): its process
//! flags, Raft node, waits, recipes, state machine and watch hub.

use super::{EtcdServer, InternalRaftRequest, Request, StateSnapshot};
use crate::auth::AuthRequest;
use crate::checkpoint::record;
use crate::pb::Rpc;

record!(InternalRaftRequest { id, request, auth });

record!(StateSnapshot {
    kv,
    lessor,
    alarms,
    membership,
    cluster_version,
    conf_accepted,
    downgrade_enabled,
    auth,
    applied_index,
});

record!(EtcdServer {
    id,
    cfg,
    raft,
    crashed,
    removed,
    published,
    last_leader,
    lead_elected_at,
    leader_changes_seen,
    no_leader_checks,
    w,
    services,
    service_events,
    out,
    kv,
    lessor,
    alarms,
    membership,
    cluster_version,
    conf_accepted,
    downgrade_enabled,
    auth,
    tokens,
    watch_tokens,
    watches,
    watch_out,
    applied_index,
    ids,
});

/// The `&'static str` the server names request `name` with (`put`,
/// `cluster_version_set`), for a trace read back from a checkpoint.
pub fn request_name(name: &str) -> Option<&'static str> {
    let own = [
        Request::ClusterVersionSet {
            version: String::new(),
        },
        Request::MemberAttrSet {
            id: 0,
            name: String::new(),
            client_urls: Vec::new(),
        },
        Request::DowngradeInfoSet { enabled: false },
        Request::Auth(AuthRequest::InternalAuthenticate {
            name: String::new(),
            simple_token: String::new(),
        }),
    ];
    Rpc::ALL
        .iter()
        .map(|r| r.info().name)
        .chain(own.iter().map(Request::name))
        .find(|n| *n == name)
}
