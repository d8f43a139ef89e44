// In-page throughput of the fetch shim, measured in one headless-Chromium
// page (issue 10's first rows): sequential puts/s on 3 and 1 members, 64
// concurrent puts/s on 3 members, and a no-op fetch interceptor in the same
// page as the anchor. A loop is `fetch(put)` then `r.json()`.
//
// As a module: `openBenchPage()` gives a page that can import the package,
// `measureThroughput(page)` the figures (`make bench` calls both). As a
// script it prints them:
//   node tests/browser/bench-page.mjs [--seconds 5] [--rounds 3] [--root DIR] [--members 3,1,5,7]
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
  return {
    page,
    async close() {
      await browser.close();
      server.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Puts per second, each figure the median of `rounds` loops of `seconds`,
 * every round on a fresh cluster.
 * @param {import('playwright-core').Page} page from `openBenchPage`
 * @param {{seconds?: number, rounds?: number, members?: number[], concurrency?: number}} [options]
 * @returns {Promise<Record<string, number>>} `noop`, `seq<N>` for each member count, `concurrent<C>x3`
 */
export async function measureThroughput(page, { seconds = 5, rounds = 3, members = [3, 1], concurrency = 64 } = {}) {
  return page.evaluate(
    async ({ seconds, rounds, members, concurrency }) => {
      const { createCluster } = await import('/pkg/index.mjs');
      const url = 'http://localhost:2379/v3/kv/put';
      // 16-byte keys over 1,000 names, a 100-byte value: the load
      const value = btoa('v'.repeat(100));
      const put = (n) =>
        fetch(url, {
          method: 'POST',
          body: JSON.stringify({ key: btoa(`key-${String(n % 1000).padStart(12, '0')}`), value }),
        }).then((r) => r.json());
      // `workers` loops of sequential puts for `seconds`: puts per second
      const loop = async (workers) => {
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
        return n / ((performance.now() - start) / 1000);
      };
      const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
      // `rounds` rounds of `loop(workers)` with fetch replaced by `install()`
      const rate = async (install, workers) => {
        const rates = [];
        for (let r = 0; r < rounds; r++) {
          const uninstall = install();
          try {
            rates.push(await loop(workers));
          } finally {
            uninstall();
          }
        }
        return Math.round(median(rates));
      };
      const cluster = (n) => () => {
        // any origins beyond the default three; the loops talk to member 0
        const endpoints = Array.from({ length: n }, (_, i) => `http://localhost:${2379 + 10_000 * i}`);
        const c = createCluster({ members: n, endpoints });
        c.install();
        return () => c.uninstall();
      };
      // the anchor: a patched fetch answering a constant JSON Response at once
      const noop = () => {
        const original = globalThis.fetch;
        const body = '{"header":{"revision":"1"}}';
        globalThis.fetch = async () => new Response(body, { headers: { 'Content-Type': 'application/json' } });
        return () => {
          globalThis.fetch = original;
        };
      };
      const figures = { noop: await rate(noop, 1) };
      for (const n of members) figures[`seq${n}`] = await rate(cluster(n), 1);
      figures[`concurrent${concurrency}x3`] = await rate(cluster(3), concurrency);
      return figures;
    },
    { seconds, rounds, members, concurrency },
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
    const figures = await measureThroughput(bench.page, {
      seconds: Number(values.seconds),
      rounds: Number(values.rounds),
      members: values.members.split(',').map(Number),
    });
    for (const [name, rate] of Object.entries(figures)) {
      const ratio = name === 'noop' ? '' : `  (${((100 * rate) / figures.noop).toFixed(1)}% of no-op)`;
      console.log(`${name.padEnd(16)} ${String(rate).padStart(8)} puts/s${ratio}`);
    }
  } finally {
    await bench.close();
  }
}
