//! `make test-conformance`: replays the scenarios listed in
//! `tests/conformance/passing.txt` against the Node server
//! (`node pkg/bin/etcd-sim.mjs --members 3`, started here on free ports)
//! over real sockets, with the same runner and comparison rules as the
//! in-process replay (`tests/conformance.rs`, docs/conformance.md). The
//! cluster is reset to the kind each scenario asks for through
//! `POST /_sim/reset`.
//!
//! `cargo test` only builds it (it needs `make build` and Node): run it with
//! `cargo run --example conformance_node`. After the replay it proves it can fail:
//! one scenario replayed with an altered recording must fail. The last line
//! is `N passed, N failed`; the exit status is non-zero on any failure.
//!
//! Environment: `CONFORMANCE_SCENARIO=glob[,glob]` replays a subset of the
//! listed scenarios; `CONFORMANCE_VERBOSE=1` prints every diff.

#[path = "../support/mod.rs"]
mod support;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::corpus::{self, name_of};
use support::glob::{any_match, fnmatch};
use support::http::HttpTransport;
use support::runner::{ClusterKind, Request, Runner, Transport, INITIAL_CLUSTER_TOKEN};

const MEMBERS: usize = 3;
/// How long the server may take to print `ready`.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The Node server, killed when dropped.
struct Server {
    child: Child,
    members: Vec<SocketAddr>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ports free right now: bound, read, released. Another process could take
/// one before the server binds it; the server then fails to start, loudly.
fn free_ports(n: usize) -> Result<Vec<SocketAddr>, String> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("no free port: {e}"))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map_err(|e| e.to_string()))
        .collect()
}

fn start_server() -> Result<Server, String> {
    let members = free_ports(MEMBERS)?;
    let urls: Vec<String> = members.iter().map(|a| format!("http://{a}")).collect();
    let child = Command::new("node")
        .current_dir(corpus::root())
        .args(["pkg/bin/etcd-sim.mjs", "--members", &MEMBERS.to_string()])
        .args([
            "--listen-client-urls",
            &urls.join(","),
            "--playground",
            "off",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let mut server = Server { child, members };
    let stdout = server.child.stdout.take().ok_or("no stdout of node")?;
    // the server's output goes on to stderr, so that a full pipe never
    // stops it; the first line that says `ready` is passed on here
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("ready") {
                let _ = ready_tx.send(line.clone());
            }
            eprintln!("{line}");
        }
    });
    match ready_rx.recv_timeout(START_TIMEOUT) {
        Ok(_) => Ok(server),
        Err(_) => {
            let status = server.child.try_wait().ok().flatten();
            Err(format!(
                "the server did not print ready within {START_TIMEOUT:?} (exit status: {status:?})"
            ))
        }
    }
}

/// Brings the server back to a fresh cluster of the scenario's kind.
fn reset(transport: &mut HttpTransport, cluster: &str) -> Result<(), String> {
    let kind = ClusterKind::of(cluster)?;
    let mut config = json!({
        "members": kind.members,
        "seed": 1,
        "initial_cluster_token": INITIAL_CLUSTER_TOKEN,
    });
    if let Some(ms) = kind.progress_notify_interval_ms {
        config["watch_progress_notify_interval_ms"] = json!(ms);
    }
    let body = config.to_string().into_bytes();
    let request = Request {
        method: "POST".into(),
        path: "/_sim/reset".into(),
        headers: vec![
            ("Host".into(), transport.host(0)),
            ("Content-Length".into(), body.len().to_string()),
            ("Connection".into(), "close".into()),
        ],
    };
    let answer = transport
        .unary(0, request, Some(body), 10_000)
        .map_err(|_| format!("reset {cluster}: no answer"))?;
    match &answer.head {
        Some((200, _)) => Ok(()),
        head => Err(format!(
            "reset {cluster}: {:?} {}",
            head.as_ref().map(|h| h.0),
            String::from_utf8_lossy(&answer.body())
        )),
    }
}

/// Resets the cluster and replays one scenario; returns its diffs.
fn replay(server: &Server, scenario: &Value) -> Vec<String> {
    let mut transport = HttpTransport::new(server.members.clone());
    let cluster = scenario
        .get("cluster")
        .and_then(Value::as_str)
        .unwrap_or("single");
    if let Err(e) = reset(&mut transport, cluster) {
        return vec![e];
    }
    Runner::new(transport).run(scenario)
}

/// The first scenario with a recorded status, that status made impossible.
fn altered(scenarios: &[Value]) -> Option<Value> {
    scenarios.iter().find_map(|sc| {
        let mut sc = sc.clone();
        let steps = sc.get_mut("steps")?.as_array_mut()?;
        let expect = steps
            .iter_mut()
            .find_map(|s| s.get_mut("expect").filter(|e| e.get("status").is_some()))?;
        expect["status"] = json!(599);
        Some(sc)
    })
}

fn main() -> ExitCode {
    let wasm = corpus::root().join("pkg/wasm/etcd_sim_bg.wasm");
    if !wasm.exists() {
        eprintln!(
            "conformance_node: {} is missing: run `make build` first",
            wasm.display()
        );
        return ExitCode::from(2);
    }
    let corpus = corpus::load(&corpus::scenarios_dir());
    let passing = corpus::passing();
    let dead = corpus::dead_globs(&passing, &corpus);
    if !dead.is_empty() {
        eprintln!("conformance_node: passing.txt entries matching no scenario: {dead:?}");
        return ExitCode::from(2);
    }
    let subset = std::env::var("CONFORMANCE_SCENARIO")
        .ok()
        .filter(|s| !s.trim().is_empty());
    let verbose = std::env::var("CONFORMANCE_VERBOSE").is_ok_and(|v| !v.is_empty() && v != "0");
    let selected: Vec<Value> = corpus
        .into_iter()
        .filter(|sc| passing.iter().any(|g| fnmatch(&name_of(sc), g)))
        .filter(|sc| subset.as_deref().is_none_or(|g| any_match(&name_of(sc), g)))
        .collect();
    if selected.is_empty() {
        eprintln!("conformance_node: CONFORMANCE_SCENARIO={subset:?} selects no listed scenario");
        return ExitCode::from(2);
    }

    let server = match start_server() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("conformance_node: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut passed, mut failed) = (0, 0);
    for sc in &selected {
        let t0 = Instant::now();
        let diffs = replay(&server, sc);
        support::report(&name_of(sc), &diffs, t0.elapsed().as_secs_f64(), verbose);
        if diffs.is_empty() {
            passed += 1;
        } else {
            failed += 1;
        }
    }

    // the comparison must be able to fail over this path too
    let mut broken_check = false;
    if let Some(sc) = altered(&selected) {
        let diffs = replay(&server, &sc);
        let caught = diffs.iter().any(|d| d.contains("status: expected 599"));
        println!(
            "check: {} replayed with an impossible status {}",
            name_of(&sc),
            if caught {
                "fails, as it must"
            } else {
                "PASSED: the comparison is broken"
            }
        );
        broken_check = !caught;
    }
    drop(server);
    println!("{passed} passed, {failed} failed");
    if failed > 0 || broken_check {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
