// In-page throughput of the fetch shim, measured in one headless-Chromium
// page (issue 10's first rows): sequential puts/s on 3 and 1 members, 64
// concurrent puts/s on 3 members, and a no-op fetch interceptor in the same
// page as the anchor. A loop is `fetch(put)` then `r.json()`.
//
// Each figure is the median of its rounds, and the rounds of all figures
// take turns, so that a machine busy for a while weighs on all of them
// alike. Besides puts per second of wall time, each figure is given per
// second of the page's main-thread CPU time (Chromium's ThreadTime), which
// other work on a shared machine hardly changes.
//
// As a module: `openBenchPage()` gives a page that can import the package,
// `measureThroughput(bench)` the figures (`make bench` calls both). As a
// script it prints them:
//   node tests/browser/bench-page.mjs [--seconds 5] [--rounds 3] [--root DIR] [--members 3,1]
// `--root` serves another checkout's package (DIR/pkg/index.mjs): a
// before/after comparison in the same page setup.
// Benchmarks print; they never fail on a number.

import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { staticHandler } from '../../pkg/src/static.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAGE = '<!doctype html><meta charset="utf-8"><title>etcd-sim bench</title>';

/**
 * A headless-Chromium page served from `root` (whose `pkg/index.mjs` the
 * figures import). `close()` ends the browser and the server.
 * @param {{root?: string}} [options]
 */
export async function openBenchPage({ root = ROOT } = {}) {
  const files = staticHandler(root);
  const server = createServer((req, res) => {
    if (req.url === '/bench.html') res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
    else files(req, res);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const profile = await mkdtemp(join(tmpdir(), 'etcd-sim-bench-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/bench.html`);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  return {
    page,
    /** Seconds of CPU time the page's main thread has used so far. */
    async threadTime() {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((m) => m.name === 'ThreadTime').value;
    },
    async close() {
      await browser.close();
      server.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Puts per second of wall time and of main-thread CPU time, each the
 * median of `rounds` loops of `seconds`, every loop on a fresh cluster.
 * @param {Awaited<ReturnType<typeof openBenchPage>>} bench
 * @param {{seconds?: number, rounds?: number, members?: number[], concurrency?: number}} [options]
 * @returns {Promise<Record<string, {wall: number, cpu: number}>>} `noop`,
 *   `seq<N>` for each member count, `concurrent<C>x3`
 */
export async function measureThroughput(bench, { seconds = 5, rounds = 3, members = [3, 1], concurrency = 64 } = {}) {
  const { page } = bench;
  await page.evaluate(async () => {
    const { createCluster } = await import('/pkg/index.mjs');
    const url = 'http://localhost:2379/v3/kv/put';
    // 16-byte keys over 1,000 names, a 100-byte value: the load
    const value = btoa('v'.repeat(100));
    const put = (n) =>
      fetch(url, {
        method: 'POST',
        body: JSON.stringify({ key: btoa(`key-${String(n % 1000).padStart(12, '0')}`), value }),
      }).then((r) => r.json());
    let uninstall = () => {};
    window.bench = {
      // fetch answered by a fresh cluster of `n` members (0: the no-op
      // interceptor, a patched fetch answering a constant JSON Response)
      install(n) {
        if (n === 0) {
          const original = globalThis.fetch;
          const body = '{"header":{"revision":"1"}}';
          globalThis.fetch = async () => new Response(body, { headers: { 'Content-Type': 'application/json' } });
          uninstall = () => (globalThis.fetch = original);
          return;
        }
        // any origins beyond the default three; the loops talk to member 0
        const endpoints = Array.from({ length: n }, (_, i) => `http://localhost:${2379 + 10_000 * i}`);
        const cluster = createCluster({ members: n, endpoints });
        cluster.install();
        uninstall = () => cluster.uninstall();
      },
      uninstall: () => uninstall(),
      // `workers` loops of sequential puts for `seconds`: puts and wall ms
      async loop(workers, seconds) {
        let n = 0;
        const start = performance.now();
        const end = start + seconds * 1000;
        const worker = async () => {
          while (performance.now() < end) {
            const answer = await put(n++);
            if (!answer.header) throw new Error(`put failed: ${JSON.stringify(answer)}`);
          }
        };
        await Promise.all(Array.from({ length: workers }, worker));
        return { n, ms: performance.now() - start };
      },
    };
  });
  const figures = [
    ['noop', 0, 1],
    ...members.map((n) => [`seq${n}`, n, 1]),
    [`concurrent${concurrency}x3`, 3, concurrency],
  ];
  const runs = Object.fromEntries(figures.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, n, workers] of figures) {
      await page.evaluate((n) => window.bench.install(n), n);
      const cpu = await bench.threadTime();
      const { n: puts, ms } = await page.evaluate(([w, s]) => window.bench.loop(w, s), [workers, seconds]);
      const used = (await bench.threadTime()) - cpu;
      await page.evaluate(() => window.bench.uninstall());
      runs[name].push({ wall: (1000 * puts) / ms, cpu: puts / used });
    }
  }
  const median = (xs) => Math.round(xs.sort((a, b) => a - b)[xs.length >> 1]);
  return Object.fromEntries(
    Object.entries(runs).map(([name, rs]) => [
      name,
      { wall: median(rs.map((r) => r.wall)), cpu: median(rs.map((r) => r.cpu)) },
    ]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      root: { type: 'string', default: ROOT },
      members: { type: 'string', default: '3,1' },
    },
  });
  const bench = await openBenchPage({ root: values.root });
  try {
    const figures = await measureThroughput(bench, {
      seconds: Number(values.seconds),
      rounds: Number(values.rounds),
      members: values.members.split(',').map(Number),
    });
    const { noop } = figures;
    console.log(
      `${''.padEnd(16)} ${'puts/s'.padStart(8)} ${'of no-op'.padStart(9)}  ${'puts/CPU-s'.padStart(10)} ${'of no-op'.padStart(9)}`,
    );
    for (const [name, { wall, cpu }] of Object.entries(figures)) {
      const pct = (x, of) => `${((100 * x) / of).toFixed(1)}%`.padStart(9);
      console.log(
        `${name.padEnd(16)} ${String(wall).padStart(8)} ${pct(wall, noop.wall)}  ${String(cpu).padStart(10)} ${pct(cpu, noop.cpu)}`,
      );
    }
  } finally {
    await bench.close();
  }
}
