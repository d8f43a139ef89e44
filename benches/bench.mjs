// `make bench`: every figure of issue 10's table, measured now beside the
// issue's ("today", 2026-11-23's build), each with the ratio to its anchor
// measured in the same run, then the native benches' own output. Prints;
// never fails on a number (only when a measurement cannot be made).
//
//   node benches/bench.mjs [--seconds 5] [--rounds 3] [--puts 100000] [--long-puts 200000]
//
// In order: the wasm's size; the native benches (cargo bench); memory under
// Node (benches/memory.mjs, one process per figure) and a real etcd's RSS
// for the same puts; cold start in headless Chromium; puts/s in one page
// (benches/page.mjs) against the shim, a no-op interceptor and a real etcd
// 3.5.1 over loopback (benches/real-etcd.mjs, on free ports).

import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { staticHandler } from '../pkg/src/static.mjs';
import { etcdBinary, rssOf, startEtcd } from './real-etcd.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WASM = join(ROOT, 'pkg/wasm/etcd_sim_bg.wasm');

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    puts: { type: 'string', default: '100000' },
    'long-puts': { type: 'string', default: '200000' },
  },
});
const SECONDS = Number(opts.seconds);
const ROUNDS = Number(opts.rounds);
const PUTS = Number(opts.puts);
const LONG_PUTS = Number(opts['long-puts']);
// a put's payload: a 16-byte key and a 100-byte value
const PAYLOAD = PUTS * (16 + 100);

// Issue 10's table, measured on 2026-11-23's build (same machine class: 2
// cores; same page, loops and loads as here).
const TODAY = {
  sim3: 215,
  sim3x64: 1457,
  sim1: 5321,
  etcd: 296,
  etcdx64: 466,
  noop: 45716,
  mem1: 227e6,
  etcdMem1: 111e6,
  mem3: 447e6,
  longPuts: 200_000,
  longStart: 67e6,
  longEnd: 383e6,
  saveBytes: 78.7 * 2 ** 20,
  saveMs: 1800,
  saveGrowth: 160e6,
  coldWarm: 53,
  coldEmpty: 130,
  gzip: 193.7e3,
  cardGzip: 38.7e3,
};

// Every process started here goes when this one does, even on Ctrl-C.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const log = (...args) => console.error('bench:', ...args);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const failures = [];

/** Runs one part; a part that cannot be measured leaves its figures empty. */
async function part(name, f) {
  log(name);
  try {
    return await f();
  } catch (err) {
    failures.push(`${name}: ${err.stack ?? err}`);
    log(`${name} failed: ${err.message ?? err}`);
    return undefined;
  }
}

// ---- the wasm's size

function sizes() {
  const wasm = readFileSync(WASM);
  const gzip9 = Number(execFileSync('bash', ['-c', `gzip -9c '${WASM}' | wc -c`], { encoding: 'utf8' }));
  // tests/browser's own measure
  const zlib9 = gzipSync(wasm, { level: 9 }).length;
  return { raw: wasm.length, gzip9, zlib9 };
}

// ---- native benches

function native() {
  const r = spawnSync('cargo', ['bench', '--bench', 'simulation', '--bench', 'scale'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`cargo bench exited with ${r.status}`);
  return r.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Running'));
}

// ---- memory under Node, and a real etcd's for the same puts

function memory(...args) {
  const r = spawnSync(process.execPath, ['--expose-gc', join(ROOT, 'benches/memory.mjs'), ...args.map(String)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`memory.mjs ${args.join(' ')} exited with ${r.status}`);
  return JSON.parse(r.stdout);
}

/** `count` puts like memory.mjs's, 64 in flight, over HTTP to `url`. */
async function putsOverHttp(url, count) {
  const { hostname, port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const value = btoa('v'.repeat(100));
  const put = (i) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ key: btoa(`key-${String(i).padStart(12, '0')}`), value });
      const req = request({ hostname, port, path: '/v3/kv/put', method: 'POST', agent }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`put: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  const client = async () => {
    while (next < count) await put(next++);
  };
  try {
    await Promise.all(Array.from({ length: 64 }, client));
  } finally {
    agent.destroy();
  }
}

/** A real etcd of `members` members: its processes' RSS growth for PUTS puts. */
async function etcdMemory(binary, members) {
  // fsync off: the data held is the same, the load takes a third of the time
  const etcd = await startEtcd(members, binary, { fsync: false });
  try {
    const rss = () => etcd.pids.map(rssOf).reduce((a, b) => a + b, 0);
    const before = rss();
    await putsOverHttp(etcd.urls[0], PUTS);
    return rss() - before;
  } finally {
    await etcd.stop();
  }
}

// ---- in the browser

// The cold start anchor's module: one function, `answer`, that returns 42.
// prettier-ignore
const TRIVIAL_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type: () -> i32
  0x03, 0x02, 0x01, 0x00, // function 0 of type 0
  0x07, 0x0a, 0x01, 0x06, 0x61, 0x6e, 0x73, 0x77, 0x65, 0x72, 0x00, 0x00, // export "answer"
  0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b, // i32.const 42
]);

/** The repo over HTTP, cacheable (the warm-cache cold start needs it), and the anchor's module. */
async function serve() {
  const files = staticHandler(ROOT, { cacheControl: 'max-age=3600' });
  const server = createServer((req, res) => {
    if (req.url !== '/benches/trivial.wasm') return files(req, res);
    res.writeHead(200, { 'Content-Type': 'application/wasm', 'Cache-Control': 'max-age=3600' }).end(TRIVIAL_WASM);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-sync'],
  });
}

async function coldStartOf(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.coldStartMs !== undefined);
  return page.evaluate(() => window.coldStartMs);
}

/** Median cold start of `url`: reloaded in one context after two loads, or each in a fresh context. */
async function coldStart(browser, url, warm, samples = 5) {
  const ms = [];
  if (warm) {
    const context = await browser.newContext();
    const page = await context.newPage();
    for (let i = 0; i < samples + 2; i++) {
      const t = await coldStartOf(page, url);
      if (i >= 2) ms.push(t);
    }
    await context.close();
  } else {
    for (let i = 0; i < samples; i++) {
      const context = await browser.newContext();
      ms.push(await coldStartOf(await context.newPage(), url));
      await context.close();
    }
  }
  return median(ms);
}

const FIGURES = [
  { id: 'sim3', target: 'sim', members: 3, inflight: 1 },
  { id: 'sim3x64', target: 'sim', members: 3, inflight: 64 },
  { id: 'sim1', target: 'sim', members: 1, inflight: 1 },
  { id: 'noop', target: 'noop', inflight: 1 },
  { id: 'etcd', target: 'etcd', inflight: 1 },
  { id: 'etcdx64', target: 'etcd', inflight: 64 },
];

/** Puts/s of every figure, the median of ROUNDS rounds (rounds interleaved). */
async function throughput(browser, base, etcdUrl) {
  const page = await browser.newPage();
  await page.goto(`${base}/benches/page.html`);
  await page.waitForFunction(() => window.ready);
  const runs = Object.fromEntries(FIGURES.map((f) => [f.id, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const f of FIGURES) {
      if (f.target === 'etcd' && !etcdUrl) continue;
      const rate = await page.evaluate((o) => window.measure(o), { ...f, url: etcdUrl, seconds: SECONDS });
      log(`round ${round + 1}: ${f.id} ${Math.round(rate)} puts/s`);
      runs[f.id].push(rate);
    }
  }
  await page.close();
  return Object.fromEntries(Object.entries(runs).map(([id, rs]) => [id, rs.length ? median(rs) : undefined]));
}

// ---- the table

const n = (x) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
const mb = (x) => (x === undefined ? '—' : `${(x / 1e6).toFixed(1)} MB`);
const mib = (x) => (x === undefined ? '—' : `${(x / 2 ** 20).toFixed(1)} MiB`);
const kb = (x) => (x === undefined ? '—' : `${(x / 1e3).toFixed(1)} KB`);
const msec = (x) => (x === undefined ? '—' : `${Math.round(x)} ms`);
const times = (a, b) => {
  if (a === undefined || b === undefined || b === 0) return '—';
  const r = a / b;
  return r >= 10 ? `${Math.round(r)}×` : `${r.toFixed(2)}×`;
};
const percent = (a, b) => (a === undefined || b === undefined ? '—' : `${Math.round((100 * a) / b)}%`);

function table(m) {
  const t = TODAY;
  const { mem1, mem3, long, etcdMem1, etcdMem3, size, rate = {}, cold = {} } = m;
  const grow = (r) => r && r.wasmAfter - r.wasmBefore;
  const rssGrow = (r) => r && r.rssAfter - r.rssBefore;
  const half = long?.along[Math.floor((long.along.length - 1) / 2)];
  const rows = [
    ['figure', 'today', 'now', 'anchor, measured now', 'now ÷ anchor (today)', 'goal'],
    [
      '3 members (the default), sequential puts/s',
      n(t.sim3),
      n(rate.sim3),
      `real etcd 3.5.1 over loopback: ${n(rate.etcd)}`,
      `${times(rate.sim3, rate.etcd)} (${times(t.sim3, t.etcd)})`,
      '≥ 50×',
    ],
    [
      '3 members, 64 concurrent puts/s',
      n(t.sim3x64),
      n(rate.sim3x64),
      `real etcd, 64 concurrent: ${n(rate.etcdx64)}`,
      `${times(rate.sim3x64, rate.etcdx64)} (${times(t.sim3x64, t.etcdx64)})`,
      '≥ 50×',
    ],
    [
      '1 member, sequential puts/s',
      n(t.sim1),
      n(rate.sim1),
      `no-op interceptor: ${n(rate.noop)}`,
      `${percent(rate.sim1, rate.noop)} (${percent(t.sim1, t.noop)})`,
      '≥ 50%',
    ],
    [
      `memory growth, ${n(PUTS)} puts of 16-byte keys and 100-byte values, Node, 1 member (wasm memory)`,
      mb(t.mem1),
      `${mb(grow(mem1))} (process RSS +${mb(rssGrow(mem1))})`,
      `real etcd's RSS growth: ${mb(etcdMem1)}; payload: ${mb(PAYLOAD)}`,
      `${times(grow(mem1), etcdMem1)} (${times(t.mem1, t.etcdMem1)}); ${times(grow(mem1), PAYLOAD)} of payload`,
      '≤ 1× real etcd',
    ],
    [
      'the same with 3 members',
      mb(t.mem3),
      `${mb(grow(mem3))} (process RSS +${mb(rssGrow(mem3))})`,
      `real etcd, 3 members, RSS growth of all 3: ${mb(etcdMem3)}`,
      `${times(grow(mem3), etcdMem3)}; ${times(grow(mem3), PAYLOAD)} of payload`,
      '≤ 3× real etcd',
    ],
    [
      `${n(long?.puts ?? LONG_PUTS)} puts over 1,000 keys, compaction every 10,000 revisions, 3 members: wasm memory`,
      `${mb(t.longStart)} → ${mb(t.longEnd)} (${n(t.longPuts)} puts), still growing`,
      long ? `${mb(long.wasmStart)} → ${mb(half?.[1])} (${n(half?.[0])} puts) → ${mb(long.wasmEnd)}` : '—',
      'real etcd: flat (defrag returns the space)',
      long ? `second half: +${mb(long.wasmEnd - half[1])}` : '—',
      'flat once compaction runs',
    ],
    ['the same: saved world', mib(t.saveBytes), mib(long?.saveBytes), '—', '—', 'follows the data'],
    [
      'the same: save()',
      `${(t.saveMs / 1000).toFixed(1)} s, +${mb(t.saveGrowth)}`,
      long ? `${(long.saveMs / 1000).toFixed(2)} s, +${mb(long.wasmAfterSave - long.wasmEnd)}` : '—',
      '—',
      '—',
      '',
    ],
    [
      'cold start to the first answered put, warm HTTP cache (3 members)',
      msec(t.coldWarm),
      msec(cold.warm),
      `trivial wasm module: ${msec(cold.anchorWarm)}`,
      times(cold.warm, cold.anchorWarm),
      '≤ 30 ms',
    ],
    [
      'the same, empty cache',
      msec(t.coldEmpty),
      msec(cold.empty),
      `trivial wasm module: ${msec(cold.anchorEmpty)}`,
      times(cold.empty, cold.anchorEmpty),
      '≤ 60 ms',
    ],
    [
      'wasm gzipped (gzip -9)',
      kb(t.gzip),
      size ? `${kb(size.gzip9)} (zlib level 9: ${kb(size.zlib9)}; raw ${kb(size.raw)})` : '—',
      `the card's crates alone: ${kb(t.cardGzip)} (issue's figure)`,
      `${times(size?.gzip9, t.cardGzip)} (${times(t.gzip, t.cardGzip)})`,
      '≤ 150 KB',
    ],
  ];
  return rows.map((r, i) => `| ${r.join(' | ')} |${i === 0 ? `\n|${' --- |'.repeat(r.length)}` : ''}`).join('\n');
}

// ---- the run

const m = {};
m.size = await part('wasm size', sizes);
m.native = await part('native benches (cargo bench --bench simulation --bench scale)', native);
m.mem1 = await part(`memory: ${PUTS} puts, 1 member`, () => memory('load', 1, PUTS));
m.mem3 = await part(`memory: ${PUTS} puts, 3 members`, () => memory('load', 3, PUTS));
m.long = await part(`memory: long run of ${LONG_PUTS} puts`, () => memory('longrun', LONG_PUTS));
const binary = await part('real etcd 3.5.1 (tests/differential/real_etcd.py fetch)', etcdBinary);
if (binary) {
  m.etcdMem1 = await part(`real etcd memory: ${PUTS} puts, 1 member`, () => etcdMemory(binary, 1));
  m.etcdMem3 = await part(`real etcd memory: ${PUTS} puts, 3 members`, () => etcdMemory(binary, 3));
}
const server = await serve();
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await part('chromium', launch);
if (browser) {
  m.cold = await part('cold start', async () => ({
    warm: await coldStart(browser, `${base}/benches/cold.html`, true),
    empty: await coldStart(browser, `${base}/benches/cold.html`, false),
    anchorWarm: await coldStart(browser, `${base}/benches/cold.html?anchor`, true),
    anchorEmpty: await coldStart(browser, `${base}/benches/cold.html?anchor`, false),
  }));
  const etcd = binary && (await part('real etcd 3.5.1, 3 members, for the page', () => startEtcd(3, binary)));
  m.rate = await part(`puts/s in the page (${ROUNDS} rounds of ${SECONDS} s)`, () =>
    throughput(browser, base, etcd?.urls[0]),
  );
  await etcd?.stop();
  await browser.close();
}
server.close();

console.log(`
## make bench (today = issue 10's figures, measured on 2026-11-23's build)

${table(m)}

Page figures: headless Chromium, one page, ${SECONDS} s loops of \`fetch(put)\` then \`r.json()\`, median of ${ROUNDS} rounds; real etcd 3.5.1 on free loopback ports, member 0 the leader, fetched cross-origin from the page (the browser's 6 connections per host apply to it). Memory: Node, an in-process cluster (\`benches/memory.mjs\`), puts 64 in flight to member 0, one process per figure; real etcd's load is the same puts over HTTP with \`--unsafe-no-fsync\`. Cold start: from the page script's start to the first answered put, pages served with \`Cache-Control: max-age=3600\`; warm = reloads after two loads in one browser context, empty = a fresh context each, median of 5.

### native (cargo bench --bench simulation --bench scale)

${(m.native ?? ['—']).join('\n')}
`);
if (failures.length) {
  console.error(`bench: not measured:\n${failures.join('\n')}`);
  process.exit(1);
}
