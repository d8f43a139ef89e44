//! Go's expvar page (`/debug/vars`): the command line and memory statistics
//! of a Go process; ours describes the simulated member.

use crate::cluster::Cluster;

pub fn page(cluster: &Cluster, member: usize) -> String {
    format!(
        concat!(
            r#"{{"cmdline":["etcd","--name","m{}","--initial-cluster-state","new"],"#,
            r#""etcd_sim":{{"members":{},"now_ms":{}}},"file_descriptor_limit":20000,"#,
            r#""memstats":{{"Alloc":0,"NumGC":0,"Sys":0,"TotalAlloc":0}}}}"#
        ),
        member,
        cluster.member_count(),
        cluster.now()
    )
}
