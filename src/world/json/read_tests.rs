//! The reader against serde_json itself (a dev-dependency): on generated
//! texts, good and broken, both take the same ones, read the same values
//! and refuse the rest with the same message, position included.

use super::parse;
use crate::gateway::Config;

/// Numbers, strings and literals, good and bad, as the generator's atoms.
const ATOMS: &[&str] = &[
    "0",
    "1",
    "7",
    "-1",
    "-0",
    "-0.0",
    "1.0",
    "0.5",
    "1e2",
    "1E-2",
    "1e+2",
    "0.01",
    "100.5",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234",
    "1.7976931348623157e308",
    "1e309",
    "-1e400",
    "1e-400",
    "0e999999999999",
    "1e999999999999",
    "1e-999999999999",
    "0.3333333333333333",
    "2.5e-3",
    "12345678901234567890.123456789e-5",
    "1.000000000000000000001",
    "0.0000000000000000000000000001",
    "01",
    "1.",
    ".5",
    "-",
    "1e",
    "1e+",
    "-a",
    "1.e3",
    "true",
    "false",
    "null",
    "nul",
    "tru",
    "fals",
    "nulll",
    "\"x\"",
    "\"\"",
    "\"a\\\"b\\\\c\\/\"",
    "\"\\b\\f\\n\\r\\t\"",
    "\"\\u00e9\\u00E9\"",
    "\"\\ud83d\\ude00\"",
    "\"\\ud800\"",
    "\"\\udc00\"",
    "\"\\ud800x\"",
    "\"\\ud800\\n\"",
    "\"\\ud800\\ud800\"",
    "\"\\q\"",
    "\"\\u12\"",
    "\"\\u12g4\"",
    "\"tab\there\"",
    "\"é\"",
    "\"\u{1}\"",
    "\"\u{7f}\"",
    "\"\\\"",
    "[]",
    "{}",
    "[1,2]",
    "[[0],[1,2]]",
    "[1,]",
    "[,]",
    "[1 2]",
    "{\"a\":1,}",
    "{\"a\" 1}",
    "{1:2}",
    "{\"a\":1 \"b\":2}",
    "{\"a\":1,\"a\":2}",
    "{\"b\":1,\"a\":[true,null]}",
];
const KEYS: &[&str] = &[
    "members",
    "seed",
    "watch_progress_notify_interval_ms",
    "initial_cluster_token",
    "snapshot_count",
    "bogus",
    "",
    "é",
    "members\\u0000",
    "se\\u0065d",
];
const SPACE: &[&str] = &["", " ", "\n", "\t", "\r\n  ", "\u{c}"];

/// splitmix64
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

fn text(r: &mut Rng, depth: u32) -> String {
    let space = |r: &mut Rng| r.pick(SPACE).to_string();
    match r.below(if depth > 2 { 3 } else { 5 }) {
        0..=2 => r.pick(ATOMS).to_string(),
        3 => {
            let members: Vec<String> = (0..r.below(4))
                .map(|_| {
                    let (a, b) = (space(r), space(r));
                    format!("{a}\"{}\"{b}:{}", r.pick(KEYS), text(r, depth + 1))
                })
                .collect();
            format!("{{{}{}}}", members.join(","), space(r))
        }
        _ => {
            let items: Vec<String> = (0..r.below(4)).map(|_| text(r, depth + 1)).collect();
            format!("[{}{}]", items.join(","), space(r))
        }
    }
}

/// The generated texts, a third of them damaged (a byte dropped, added or
/// changed, or the text cut short), and some texts made by hand.
fn corpus() -> Vec<Vec<u8>> {
    let mut r = Rng(7);
    let mut texts: Vec<Vec<u8>> = ATOMS.iter().map(|a| a.as_bytes().to_vec()).collect();
    for depth in [126, 127, 128] {
        texts.push(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes());
        texts.push(format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)).into_bytes());
    }
    texts.extend([
        b"\"\xff\"".to_vec(),
        b"\"ok\xc3\"".to_vec(),
        b"\"\\n\xe9\"".to_vec(),
        b"\xef\xbb\xbf{}".to_vec(),
        b"{} x".to_vec(),
        b"".to_vec(),
        b"  \n ".to_vec(),
    ]);
    for _ in 0..20_000 {
        let mut b = text(&mut r, 0).into_bytes();
        if r.below(3) == 0 && !b.is_empty() {
            let i = r.below(b.len());
            match r.below(4) {
                0 => drop(b.remove(i)),
                1 => b.insert(i, b"{}[]\",:x\n\\0-.e\xff"[r.below(15)]),
                2 => b.truncate(i),
                _ => b[i] = b"{}[]\",: 1"[r.below(9)],
            }
        }
        texts.push(b);
    }
    texts
}

#[test]
fn json_text_is_taken_and_refused_as_serde_json_did() {
    for t in corpus() {
        let want = serde_json::from_slice::<serde_json::Value>(&t)
            .map(|v| v.to_string())
            .map_err(|e| e.to_string());
        let got = parse(&t).map(|v| v.to_json());
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&t));
    }
}

/// The config as serde's derive read it before.
#[derive(serde::Deserialize, Default, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct ConfigJson {
    members: Option<usize>,
    seed: Option<u64>,
    watch_progress_notify_interval_ms: Option<u64>,
    initial_cluster_token: Option<String>,
    snapshot_count: Option<u64>,
}

#[test]
fn configs_are_taken_and_refused_as_serdes_derive_did() {
    let base = Config {
        members: 3,
        initial_cluster_token: "t".into(),
        ..Config::default()
    };
    let mut texts = corpus();
    texts.extend(
        [
            "[3]",
            "[null, 5]",
            "[1,2,3,\"x\",4]",
            "[1,2,3,\"x\",4,5]",
            "[1,2,3,\"x\",4,]",
            "{\"members\":5,\"members\":5}",
            "{\"seed\":null,\"seed\":1}",
            "{\"members\":8}",
            "{\"members\":-1}",
            "{\"members\":1.0}",
            "{\"members\":true}",
            "{\"members\":[1]}",
            "{\"seed\":18446744073709551616}",
            "{\"initial_cluster_token\":5}",
            "{\"initial_cluster_token\":\"é\\n\"}",
            "{\"bogus\" : 1}",
            "{\"bogus\"}",
            "5",
            "null",
            "\"x\"",
            "{\"members\":5}}",
            "{\"members\":",
        ]
        .map(|t| t.as_bytes().to_vec()),
    );
    for t in texts {
        let want = if t.iter().all(u8::is_ascii_whitespace) {
            Ok(ConfigJson::default())
        } else {
            serde_json::from_slice::<ConfigJson>(&t).map_err(|e| e.to_string())
        };
        let want = want.and_then(|j| {
            let c = Config {
                members: j.members.unwrap_or(base.members),
                seed: j.seed.unwrap_or(base.seed),
                watch_progress_notify_interval_ms: j
                    .watch_progress_notify_interval_ms
                    .unwrap_or(base.watch_progress_notify_interval_ms),
                initial_cluster_token: j
                    .initial_cluster_token
                    .unwrap_or_else(|| base.initial_cluster_token.clone()),
                snapshot_count: j.snapshot_count.unwrap_or(base.snapshot_count),
            };
            match c.members {
                1..=7 => Ok(c),
                _ => Err("members must be between 1 and 7".to_string()),
            }
        });
        let got = Config::overlay(&base, &t);
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&t));
    }
}
