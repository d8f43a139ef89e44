//! `GET /metrics`: a member's Prometheus page in text format 0.0.4, as
//! etcd 3.5.1 serves it through promhttp (any method; docs/etcd-behaviour.md #61). The
//! families and their help texts are in [`families`]; this module reads
//! the member's state into a [`Scrape`] and writes the text. Numbers are
//! written as Go's `strconv.FormatFloat(v, 'g', -1, 64)` would write whole
//! values, without floats (they would cost the wasm a formatter).

mod families;

use std::fmt::Write;

use super::Gateway;
use crate::pb::Rpc;
use families::{FAMILIES, GRPC_CODES};

/// promhttp's content type for the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
            Kind::Summary => "summary",
        }
    }
}

/// A sample's value.
#[derive(Clone, Copy)]
pub enum Value {
    Zero,
    /// A plausible constant where the simulator has nothing to measure.
    Fixed(i64),
    /// Read from the member.
    Of(fn(&Scrape) -> i64),
}

/// The samples of a family.
pub enum Samples {
    One(Value),
    /// One sample per label set (label pairs sorted by name, sets in Go's
    /// order).
    Labeled(&'static [(&'static str, Value)]),
    /// A histogram without observations: its label pairs (or none) and
    /// bucket bounds as Go writes them.
    Histogram(&'static str, &'static [&'static str]),
    /// `go_gc_duration_seconds`, without observations.
    GcSummary,
    /// One sample with value 1 whose label carries the member's value
    /// (no sample while there is none, as etcd before it is set).
    Own(&'static str, fn(&Scrape) -> Option<String>),
    /// One zero sample per gRPC method (and per status code for
    /// `grpc_server_handled_total`).
    Grpc {
        per_code: bool,
    },
}

/// What the page shows of one member.
#[derive(Clone, Debug, Default)]
pub struct Scrape {
    pub server_id: u64,
    pub has_leader: i64,
    pub is_leader: i64,
    pub is_learner: i64,
    pub leader_changes_seen: i64,
    pub committed: i64,
    pub applied: i64,
    pub proposals_pending: i64,
    pub revision: i64,
    /// -1 before the first compaction (etcd's `compactMainRev`).
    pub compact_revision: i64,
    pub keys: i64,
    pub db_size: i64,
    pub db_size_in_use: i64,
    pub watchers: i64,
    pub watch_streams: i64,
    pub auth_revision: i64,
    /// `major.minor`, once the cluster version is decided.
    pub cluster_version: Option<String>,
}

/// Reads member `member`'s state (a member that does not exist reads as
/// zeroes; the gateway refuses it before).
pub fn scrape(gw: &Gateway, member: usize) -> Scrape {
    let cluster = &gw.cluster;
    let Some(server) = cluster.member(member) else {
        return Scrape::default();
    };
    let kv = server.kv();
    let commit = cluster.members().get(member).map_or(0, |m| m.commit as i64);
    Scrape {
        server_id: server.id,
        has_leader: cluster.has_leader(member).into(),
        is_leader: (cluster.leader() == Some(member)).into(),
        is_learner: cluster.is_learner(member).into(),
        leader_changes_seen: cluster.leader_changes_seen(member) as i64,
        committed: commit,
        applied: server.applied_index() as i64,
        proposals_pending: cluster.proposals_pending(member) as i64,
        revision: kv.current_revision(),
        compact_revision: kv.first_rev(),
        keys: kv
            .index()
            .count_revisions(&[0], &[0], kv.current_revision()),
        db_size: kv.db_size(),
        db_size_in_use: kv.db_size_in_use(),
        watchers: server.watches().watcher_count() as i64,
        watch_streams: server.watches().stream_count() as i64,
        auth_revision: server.auth().revision() as i64,
        cluster_version: server.cluster_version().map(major_minor),
    }
}

/// etcd labels the cluster version `major.minor` (`version.Cluster`).
fn major_minor(v: &str) -> String {
    let mut parts = v.splitn(3, '.');
    let major = parts.next().unwrap_or_default();
    let minor = parts.next().unwrap_or_default();
    format!("{major}.{minor}")
}

/// The page of member `member`.
pub fn page(gw: &Gateway, member: usize) -> String {
    render(&scrape(gw, member))
}

/// The page for a scrape.
pub fn render(s: &Scrape) -> String {
    let mut out = String::with_capacity(96 * 1024);
    for (name, kind, help, samples) in &FAMILIES {
        let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} {}\n", kind.name());
        match samples {
            Samples::One(v) => sample(&mut out, name, "", "", value(*v, s)),
            Samples::Labeled(sets) => {
                for (labels, v) in *sets {
                    sample(&mut out, name, "", labels, value(*v, s));
                }
            }
            Samples::Histogram(labels, bounds) => histogram(&mut out, name, labels, bounds),
            Samples::GcSummary => {
                for q in ["0", "0.25", "0.5", "0.75", "1"] {
                    let _ = writeln!(out, "{name}{{quantile=\"{q}\"}} 0");
                }
                sample(&mut out, name, "_sum", "", 0);
                sample(&mut out, name, "_count", "", 0);
            }
            Samples::Own(label, of) => {
                if let Some(v) = of(s) {
                    let _ = writeln!(out, "{name}{{{label}=\"{v}\"}} 1");
                }
            }
            Samples::Grpc { per_code } => grpc(&mut out, name, *per_code),
        }
    }
    out
}

fn value(v: Value, s: &Scrape) -> i64 {
    match v {
        Value::Zero => 0,
        Value::Fixed(n) => n,
        Value::Of(of) => of(s),
    }
}

/// One sample line: `name[suffix][{labels}] value`.
fn sample(out: &mut String, name: &str, suffix: &str, labels: &str, v: i64) {
    out.push_str(name);
    out.push_str(suffix);
    if !labels.is_empty() {
        let _ = write!(out, "{{{labels}}}");
    }
    out.push(' ');
    go_float(out, v);
    out.push('\n');
}

/// A histogram with no observations: every bucket, `+Inf`, sum and count
/// at zero.
fn histogram(out: &mut String, name: &str, labels: &str, bounds: &[&str]) {
    let sep = if labels.is_empty() { "" } else { "," };
    for le in bounds.iter().chain(&["+Inf"]) {
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} 0");
    }
    sample(out, name, "_sum", labels, 0);
    sample(out, name, "_count", labels, 0);
}

/// etcd's gRPC methods as `(method, service, grpc_type)`, by method then
/// service (the order of their label values): `grpc_prometheus.Register`
/// starts every family at zero for each RPC of the table.
fn grpc_methods() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut methods: Vec<_> = Rpc::ALL
        .iter()
        .map(|rpc| {
            let (service, method) = rpc.service_and_method();
            (method, service, rpc.kind().label())
        })
        .collect();
    crate::sort::sort(&mut methods);
    methods
}

fn grpc(out: &mut String, name: &str, per_code: bool) {
    let codes: &[&str] = if per_code { &GRPC_CODES } else { &[""] };
    let methods = grpc_methods();
    for code in codes {
        for (method, service, kind) in &methods {
            out.push_str(name);
            out.push('{');
            if !code.is_empty() {
                let _ = write!(out, "grpc_code=\"{code}\",");
            }
            let _ = writeln!(
                out,
                "grpc_method=\"{method}\",grpc_service=\"{service}\",grpc_type=\"{kind}\"}} 0"
            );
        }
    }
}

/// A whole number as Go's `FormatFloat(v, 'g', -1, 64)` writes it: plain
/// below a million, else in exponent form (`2.147483648e+09`).
fn go_float(out: &mut String, v: i64) {
    let digits = v.unsigned_abs().to_string();
    if digits.len() <= 6 {
        let _ = write!(out, "{v}");
        return;
    }
    if v < 0 {
        out.push('-');
    }
    let mantissa = digits.trim_end_matches('0');
    out.push_str(&mantissa[..1]);
    if mantissa.len() > 1 {
        out.push('.');
        out.push_str(&mantissa[1..]);
    }
    let _ = write!(out, "e+{:02}", digits.len() - 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(v: i64) -> String {
        let mut s = String::new();
        go_float(&mut s, v);
        s
    }

    #[test]
    fn whole_numbers_are_written_as_go_formats_floats() {
        assert_eq!(go(0), "0");
        assert_eq!(go(-1), "-1");
        assert_eq!(go(999_999), "999999");
        assert_eq!(go(1_000_000), "1e+06");
        assert_eq!(go(1_048_576), "1.048576e+06");
        assert_eq!(go(2_147_483_648), "2.147483648e+09");
    }

    #[test]
    fn families_are_sorted_by_name_as_the_go_client_writes_them() {
        assert!(FAMILIES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn grpc_label_values_are_every_rpc_of_the_table_in_go_order() {
        let methods = grpc_methods();
        assert!(methods.windows(2).all(|w| w[0] < w[1]));
        assert!(GRPC_CODES.windows(2).all(|w| w[0] < w[1]));
        // etcd 3.5.1's page: 50 methods, from Maintenance's Alarm to the
        // Watch of etcd's and of gRPC's health service
        assert_eq!(methods.len(), 50);
        assert_eq!(methods[0], ("Alarm", "etcdserverpb.Maintenance", "unary"));
        assert_eq!(
            methods[48..],
            [
                ("Watch", "etcdserverpb.Watch", "bidi_stream"),
                ("Watch", "grpc.health.v1.Health", "server_stream"),
            ]
        );
    }
}
