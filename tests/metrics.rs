//! `/metrics` as etcd 3.5.1 serves it: every family of the recorded page
//! with its type, text that parses as Prometheus exposition format 0.0.4,
//! and values that follow the world (revisions, leadership, elections,
//! partitions).

use std::collections::BTreeMap;
use std::path::Path;

use etcd_sim::world::{Config, HttpRequest, Output, World};
use serde_json::Value;

fn world() -> World {
    World::new(Config {
        members: 3,
        ..Config::default()
    })
}

/// A request to `member` answered within 10 s of virtual time: status,
/// content type and body (status 0: connection refused).
fn request(
    gw: &mut World,
    member: usize,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, String, String) {
    let req = HttpRequest {
        method: method.into(),
        path: path.into(),
        headers: vec![],
    };
    let t = gw.request(member, req, body.as_bytes());
    let limit = gw.now() + 10_000;
    gw.run_until_idle_or(limit);
    let mut answer = (0, String::new(), String::new());
    for o in gw.drain() {
        if let Output::Response { ticket, response } = o {
            if ticket == t {
                let ct = response
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                answer = (
                    response.status,
                    ct,
                    String::from_utf8_lossy(&response.body).into(),
                );
            }
        }
    }
    answer
}

fn metrics(gw: &mut World, member: usize) -> String {
    let (status, _, text) = request(gw, member, "GET", "/metrics", "");
    assert_eq!(status, 200, "member {member}: {text}");
    text
}

/// The value of the sample line `series` (name and labels as written).
fn sample(text: &str, series: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series}"))
        .to_string()
}

fn put(gw: &mut World, member: usize, key: &str) {
    let b64 = etcd_sim::gateway::jsonpb::base64_encode(key.as_bytes());
    let body = format!(r#"{{"key":"{b64}","value":"{b64}"}}"#);
    let (status, _, r) = request(gw, member, "POST", "/v3/kv/put", &body);
    assert_eq!(status, 200, "{r}");
}

fn sim(gw: &mut World, path: &str, body: &str) {
    let (status, _, r) = request(gw, 0, "POST", path, body);
    assert_eq!(status, 200, "{path}: {r}");
}

fn recorded() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/scenarios/http_metrics.json");
    let text = std::fs::read_to_string(&path).expect("the recorded scenario");
    let scenario: Value = serde_json::from_str(&text).expect("scenario JSON");
    scenario["steps"][0]["expect"].clone()
}

/// `# TYPE` lines: family name → type.
fn types(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect()
}

#[test]
fn every_recorded_family_is_served_with_its_recorded_type_and_content_type() {
    let mut gw = world();
    let (status, content_type, text) = request(&mut gw, 0, "GET", "/metrics", "");
    let expect = recorded();
    assert_eq!(status, 200);
    assert_eq!(content_type, expect["headers"]["content-type"]);
    let served = types(&text);
    let want = expect["metrics"].as_object().expect("metrics");
    assert_eq!(want.len(), 122);
    for (name, kind) in want {
        assert_eq!(
            served.get(name).map(String::as_str),
            kind.as_str(),
            "{name}"
        );
    }
}

#[test]
fn the_page_parses_as_prometheus_text_exposition() {
    let mut gw = world();
    put(&mut gw, 0, "k");
    let text = metrics(&mut gw, 1);
    let mut kinds: BTreeMap<&str, &str> = BTreeMap::new();
    let mut helped = Vec::new();
    // per histogram series (name and labels without `le`): bucket counts
    let mut buckets: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            helped.push(rest.split(' ').next().unwrap_or_default());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE line");
            assert_eq!(helped.last(), Some(&name), "HELP precedes TYPE");
            assert!(kinds.insert(name, kind).is_none(), "{name} declared twice");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample line");
        assert!(value.parse::<f64>().is_ok(), "{line}");
        let name = series.split('{').next().unwrap_or_default();
        let family = kinds
            .keys()
            .rev()
            .find(|f| {
                name == **f
                    || ["_bucket", "_sum", "_count"]
                        .iter()
                        .any(|s| name.strip_prefix(**f) == Some(s))
            })
            .unwrap_or_else(|| panic!("{line}: family not declared"));
        if kinds[family] != "histogram" {
            continue;
        }
        let labels = series
            .split_once('{')
            .map_or("", |(_, l)| l.trim_end_matches('}'));
        let v: u64 = value.parse().expect("whole count");
        if let Some((rest, le)) = labels.rsplit_once("le=") {
            let key = format!("{family}{{{}", rest.trim_end_matches(','));
            buckets
                .entry(key)
                .or_default()
                .push((le.trim_matches('"').to_string(), v));
        } else if name.ends_with("_count") {
            counts.insert(format!("{family}{{{labels}"), v);
        }
    }
    assert_eq!(kinds.len(), 122);
    let names: Vec<&&str> = kinds.keys().collect();
    let in_page: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert_eq!(
        in_page,
        names.into_iter().copied().collect::<Vec<_>>(),
        "sorted by name"
    );
    assert!(!buckets.is_empty());
    for (series, bs) in &buckets {
        assert!(
            bs.windows(2).all(|w| w[0].1 <= w[1].1),
            "{series}: cumulative"
        );
        let (le, last) = bs.last().expect("buckets");
        assert_eq!(le, "+Inf", "{series}");
        assert_eq!(
            Some(last),
            counts.get(series),
            "{series}: +Inf equals _count"
        );
    }
}

#[test]
fn the_current_revision_gauge_follows_the_puts() {
    let mut gw = world();
    let before: i64 = sample(&metrics(&mut gw, 0), "etcd_debugging_mvcc_current_revision")
        .parse()
        .expect("number");
    put(&mut gw, 0, "a");
    put(&mut gw, 0, "b");
    let text = metrics(&mut gw, 0);
    let after: i64 = sample(&text, "etcd_debugging_mvcc_current_revision")
        .parse()
        .expect("number");
    assert_eq!(after, before + 2);
    assert_eq!(sample(&text, "etcd_debugging_mvcc_keys_total"), "2");
    assert_eq!(sample(&text, "etcd_debugging_mvcc_compact_revision"), "-1");
    assert_eq!(
        sample(&text, "etcd_server_quota_backend_bytes"),
        "2.147483648e+09"
    );
}

#[test]
fn only_the_leader_says_it_leads_and_each_member_names_its_own_id() {
    let mut gw = world();
    let mut ids = Vec::new();
    for m in 0..3 {
        let text = metrics(&mut gw, m);
        let leads = if m == 0 { "1" } else { "0" };
        assert_eq!(sample(&text, "etcd_server_is_leader"), leads, "member {m}");
        assert_eq!(sample(&text, "etcd_server_has_leader"), "1");
        assert_eq!(sample(&text, "etcd_server_is_learner"), "0");
        assert_eq!(
            sample(&text, r#"etcd_server_version{server_version="3.5.1"}"#),
            "1"
        );
        assert_eq!(
            sample(&text, r#"etcd_cluster_version{cluster_version="3.5"}"#),
            "1"
        );
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("etcd_server_id{server_id=\""))
            .and_then(|l| l.strip_suffix("\"} 1"))
            .expect("etcd_server_id")
            .to_string();
        assert!(u64::from_str_radix(&id, 16).is_ok(), "{id}");
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 3);
}

#[test]
fn after_the_leader_crashes_the_survivors_count_a_leader_change() {
    let mut gw = world();
    let seen = |gw: &mut World, m| -> u64 {
        sample(&metrics(gw, m), "etcd_server_leader_changes_seen_total")
            .parse()
            .expect("number")
    };
    let before = [seen(&mut gw, 1), seen(&mut gw, 2)];
    assert!(
        before.iter().all(|n| *n >= 1),
        "the first leader counts: {before:?}"
    );
    sim(&mut gw, "/_sim/crash", r#"{"member": 0}"#);
    let t = gw.now();
    gw.advance_to(t + 5_000);
    assert_eq!(seen(&mut gw, 1), before[0] + 1);
    assert_eq!(seen(&mut gw, 2), before[1] + 1);
    let leaders: Vec<String> = (1..3)
        .map(|m| sample(&metrics(&mut gw, m), "etcd_server_is_leader"))
        .collect();
    assert_eq!(
        leaders.iter().filter(|l| *l == "1").count(),
        1,
        "{leaders:?}"
    );
    // a crashed member refuses the connection, for /metrics too
    assert_eq!(request(&mut gw, 0, "GET", "/metrics", "").0, 0);
}

#[test]
fn an_isolated_member_reports_no_leader() {
    let mut gw = world();
    sim(&mut gw, "/_sim/partition", r#"{"groups": [[0, 1], [2]]}"#);
    let t = gw.now();
    gw.advance_to(t + 5_000);
    assert_eq!(sample(&metrics(&mut gw, 2), "etcd_server_has_leader"), "0");
    assert_eq!(sample(&metrics(&mut gw, 0), "etcd_server_has_leader"), "1");
}

#[test]
fn promhttp_serves_any_method() {
    let mut gw = world();
    let (status, _, text) = request(&mut gw, 1, "POST", "/metrics", "");
    assert_eq!(status, 200);
    assert!(text.contains("# TYPE etcd_server_has_leader gauge\n"));
}
