//! Input generation for `gateway_props.rs`: a small seeded PRNG and random
//! HTTP requests aimed at the gateway (valid paths and near-misses, odd
//! headers, and bodies built from the corpus' real request bodies).

use serde_json::Value;
use std::path::Path;

/// SplitMix64: tiny, seedable, good enough to spread test inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// One generated request.
#[derive(Clone, Debug)]
pub struct Input {
    pub member: usize,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How the body is handed over: the sizes of the `body()` pieces.
    pub pieces: Vec<usize>,
    /// The client goes away before finishing the body.
    pub cancel_early: bool,
}

/// The gateway paths of etcd 3.5.1 (docs/etcd-behaviour.md §11, src route table) plus the
/// plain handlers.
pub const GATEWAY_PATHS: &[&str] = &[
    "/v3/kv/range",
    "/v3/kv/put",
    "/v3/kv/deleterange",
    "/v3/kv/txn",
    "/v3/kv/compaction",
    "/v3/watch",
    "/v3/lease/grant",
    "/v3/lease/revoke",
    "/v3/kv/lease/revoke",
    "/v3/lease/keepalive",
    "/v3/lease/timetolive",
    "/v3/kv/lease/timetolive",
    "/v3/lease/leases",
    "/v3/kv/lease/leases",
    "/v3/cluster/member/add",
    "/v3/cluster/member/remove",
    "/v3/cluster/member/update",
    "/v3/cluster/member/list",
    "/v3/cluster/member/promote",
    "/v3/maintenance/alarm",
    "/v3/maintenance/status",
    "/v3/maintenance/defragment",
    "/v3/maintenance/hash",
    "/v3/maintenance/snapshot",
    "/v3/maintenance/transfer-leadership",
    "/v3/maintenance/downgrade",
    "/v3/auth/enable",
    "/v3/auth/disable",
    "/v3/auth/status",
    "/v3/auth/authenticate",
    "/v3/auth/user/add",
    "/v3/auth/user/get",
    "/v3/auth/user/list",
    "/v3/auth/user/delete",
    "/v3/auth/user/changepw",
    "/v3/auth/user/grant",
    "/v3/auth/user/revoke",
    "/v3/auth/role/add",
    "/v3/auth/role/get",
    "/v3/auth/role/list",
    "/v3/auth/role/delete",
    "/v3/auth/role/grant",
    "/v3/auth/role/revoke",
    "/v3/lock/lock",
    "/v3/lock/unlock",
    "/v3/election/campaign",
    "/v3/election/proclaim",
    "/v3/election/leader",
    "/v3/election/observe",
    "/v3/election/resign",
    "/version",
    "/health",
    "/metrics",
    "/debug/vars",
];

/// Paths outside the table: other prefixes and well-known near-misses.
const OTHER_PATHS: &[&str] = &[
    "",
    "/",
    "*",
    "/v3",
    "/v3/",
    "/v3/kv",
    "/v3/kv/",
    "/V3/kv/range",
    "/v3alpha/kv/range",
    "/v3/maintenance/hashkv",
    "/v2/keys/foo",
    "/readyz",
    "/livez",
    "/v3/kv/lease/grant",
    "/v3/kv/lease/keepalive",
];

const METHODS: &[&str] = &[
    "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "CONNECT", "TRACE", "post", "", "P O S T",
    "BREW",
];

/// Random method: mostly POST, as the gateway only serves POST.
pub fn method(rng: &mut Rng) -> String {
    if rng.chance(70) {
        "POST".into()
    } else {
        rng.pick(METHODS).to_string()
    }
}

/// Random path; never one of the simulator's `/_sim/` control paths (they
/// reset the world, which is not what is tested here).
pub fn path(rng: &mut Rng) -> String {
    loop {
        let p = raw_path(rng);
        if !p.contains("_sim") {
            return p;
        }
    }
}

fn raw_path(rng: &mut Rng) -> String {
    let base = if rng.chance(85) {
        rng.pick(GATEWAY_PATHS)
    } else {
        rng.pick(OTHER_PATHS)
    }
    .to_string();
    match rng.below(14) {
        0..=5 => base,
        6 => base.replacen("/v3/", "/v3beta/", 1),
        7 => format!("{base}?{}", query(rng)),
        8 => format!("{base}/"),
        9 => base.replacen('/', "//", 1 + rng.below(2)),
        10 => base.replacen("/v3/", "/v3/kv/../", 1),
        11 => mutate_text(rng, &base),
        12 => {
            let n = 1 + rng.below(5000);
            format!("/{}", "a/".repeat(n))
        }
        _ => {
            let n = 1 + rng.below(40);
            garbage_text(rng, n)
        }
    }
}

fn query(rng: &mut Rng) -> String {
    let qs = [
        "key=Zm9v",
        "x",
        "",
        "a=1&b=2",
        "%zz",
        "key=%00&range_end=AA==",
        "?",
        "#frag",
    ];
    rng.pick(&qs).to_string()
}

/// Random printable and unprintable characters, including non-ASCII.
fn garbage_text(rng: &mut Rng, n: usize) -> String {
    let alphabet = [
        '/', 'a', 'v', '3', '.', '%', '?', '#', ' ', '\t', '\0', '\u{7f}', 'é', '\u{fffd}', '😀',
        '\\',
    ];
    (0..n).map(|_| *rng.pick(&alphabet)).collect()
}

/// Deletes, duplicates or replaces one character.
fn mutate_text(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return garbage_text(rng, 3);
    }
    let i = rng.below(chars.len());
    match rng.below(4) {
        0 => {
            chars.remove(i);
        }
        1 => chars.insert(i, chars[i]),
        2 => chars[i] = chars[i].to_ascii_uppercase(),
        _ => chars[i] = *rng.pick(&['-', '_', '.', '/', 'x', '%']),
    }
    chars.into_iter().collect()
}

/// Random headers: real ones with odd values, and nonsense.
pub fn headers(rng: &mut Rng) -> Vec<(String, String)> {
    let mut h = vec![("Host".to_string(), "127.0.0.1:2379".to_string())];
    for _ in 0..rng.below(4) {
        let (k, v) = match rng.below(8) {
            0 => (
                "Content-Type",
                rng.pick(&["application/json", "text/plain", "application/grpc", ""])
                    .to_string(),
            ),
            1 => (
                "Authorization",
                rng.pick(&["", "Bearer x", "abcdefghijklmnop.5", "\u{0}\u{ff}"])
                    .to_string(),
            ),
            2 => (
                "Content-Length",
                rng.pick(&["0", "-1", "99999999999999999999", "abc"])
                    .to_string(),
            ),
            3 => ("Transfer-Encoding", "chunked".to_string()),
            4 => ("Connection", "close".to_string()),
            5 => ("X-Junk", "v".repeat(rng.below(10_000))),
            6 => ("", garbage_text(rng, 5)),
            _ => ("aUtHoRiZaTiOn", garbage_text(rng, 8)),
        };
        h.push((k.to_string(), v));
    }
    h
}

/// Random body: corpus bodies (intact, truncated or mutated), random bytes
/// and the classic parser killers.
pub fn body(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    match rng.below(16) {
        0 => Vec::new(),
        1..=4 => rng.pick(corpus).clone(),
        5 | 6 => {
            let b = rng.pick(corpus).clone();
            let cut = rng.below(b.len() + 1);
            b[..cut].to_vec()
        }
        7 | 8 => {
            let b = rng.pick(corpus).clone();
            mutate_bytes(rng, b)
        }
        9 => {
            let n = rng.below(300);
            rng.bytes(n)
        }
        10 => nested(rng),
        11 => huge_number(rng),
        12 => invalid_utf8(rng),
        13 => invalid_base64(rng),
        14 => concatenated(rng, corpus),
        _ => odd_json(rng),
    }
}

fn mutate_bytes(rng: &mut Rng, mut b: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + rng.below(3) {
        if b.is_empty() {
            b.push(b'{');
            continue;
        }
        let i = rng.below(b.len());
        let special = *rng.pick(b"{}[]\":,\\0-e.n\xff\x00 ");
        match rng.below(4) {
            0 => b[i] = special,
            1 => b.insert(i, special),
            2 => {
                b.remove(i);
            }
            _ => b[i] ^= 1 << rng.below(8),
        }
    }
    b
}

fn nested(rng: &mut Rng) -> Vec<u8> {
    let depth = *rng.pick(&[200, 1000, 10_000, 100_000]);
    match rng.below(3) {
        0 => "[".repeat(depth).into_bytes(),
        1 => format!("{}1{}", "[".repeat(depth), "]".repeat(depth)).into_bytes(),
        _ => format!("{{\"key\":\"Zm9v\",\"x\":{}", "{\"a\":".repeat(depth)).into_bytes(),
    }
}

fn huge_number(rng: &mut Rng) -> Vec<u8> {
    let n = rng.pick(&[
        "1e400",
        "-1e400",
        "99999999999999999999999999999",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "1.5",
        "-0",
        "0x10",
        "NaN",
        "Infinity",
    ]);
    let field = rng.pick(&[
        "limit",
        "lease",
        "revision",
        "TTL",
        "ID",
        "sort_order",
        "watch_id",
        "start_revision",
    ]);
    format!("{{\"key\":\"Zm9v\",\"{field}\":{n}}}").into_bytes()
}

fn invalid_utf8(rng: &mut Rng) -> Vec<u8> {
    let mut b = b"{\"key\":\"".to_vec();
    let bad: [&[u8]; 4] = [b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"Zm9v\x80"];
    let tail: &&[u8] = rng.pick(&bad);
    b.extend_from_slice(tail);
    b.extend_from_slice(b"\",\"value\":\"YmFy\"}");
    b
}

fn invalid_base64(rng: &mut Rng) -> Vec<u8> {
    let v = rng.pick(&[
        "Zm9v!", "Zm9vYg", "-_-_", "=", "Zm9v====", "Z", "\\u0000", "\\ud800",
    ]);
    let field = rng.pick(&["key", "value", "range_end"]);
    format!("{{\"key\":\"Zm9v\",\"{field}\":\"{v}\"}}").into_bytes()
}

fn concatenated(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut b = rng.pick(corpus).clone();
    let glue: [&[u8]; 5] = [b"\n", b" trailing", b"{}", b"}", b"\x00"];
    let between: &&[u8] = rng.pick(&glue);
    b.extend_from_slice(between);
    let second: &Vec<u8> = rng.pick(corpus);
    b.extend_from_slice(second);
    b
}

fn odd_json(rng: &mut Rng) -> Vec<u8> {
    let texts = [
        "null",
        "[]",
        "\"str\"",
        "true",
        "1",
        "{\"key\":null}",
        "{\"key\":\"Zm9v\",\"key\":\"YmFy\"}",
        "{\"request_put\":{\"request_put\":{}}}",
        "{\"success\":[{}],\"failure\":[{}]}",
        "{\"sort_order\":\"SIDEWAYS\",\"key\":\"Zm9v\"}",
        "{\"sort_order\":7,\"key\":\"Zm9v\"}",
        "{\"key\":\"Zm9v\",\"keys_only\":\"true\"}",
        "{\"create_request\":{\"key\":\"Zm9v\",\"start_revision\":\"-5\"}}",
        "{\"\\u006bey\":\"Zm9v\"}",
        "\u{feff}{\"key\":\"Zm9v\"}",
    ];
    rng.pick(&texts).as_bytes().to_vec()
}

/// Sizes in which `len` body bytes are handed to `World::body`.
pub fn pieces(rng: &mut Rng, len: usize) -> Vec<usize> {
    if len == 0 || rng.chance(60) {
        return vec![len];
    }
    let mut out = Vec::new();
    let mut left = len;
    while left > 0 {
        let n = 1 + rng.below(left.min(64));
        out.push(n);
        left -= n;
    }
    out
}

/// Request bodies found in the corpus, with templates filled in
/// (`{{repeat:T:N}}` capped so cases stay fast, names replaced by "1").
pub fn corpus_bodies(dir: &Path) -> Vec<Vec<u8>> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "conformance corpus not found at {}: {e} (the property test takes its bodies from it)",
            dir.display()
        )
    });
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort(); // read_dir order is not stable; the seeds must mean the same inputs
    for f in files
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
    {
        let sc: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap_or_default())
            .unwrap_or(Value::Null);
        for step in sc
            .get("steps")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(b) = step
                .get("body")
                .and_then(Value::as_str)
                .filter(|b| !b.is_empty())
            {
                bodies.push(fill_templates(b).into_bytes());
            }
        }
    }
    bodies.sort();
    bodies.dedup();
    assert!(
        !bodies.is_empty(),
        "no request bodies found in {}",
        dir.display()
    );
    bodies
}

fn fill_templates(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = &rest[start + 2..start + end];
        match name.strip_prefix("repeat:").and_then(|r| r.split_once(':')) {
            Some((text, n)) => {
                out.push_str(&text.repeat(n.parse::<usize>().unwrap_or(1).min(4096)))
            }
            None => out.push('1'),
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}
