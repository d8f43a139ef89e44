// The package in a real browser (Debian's Chromium): the page imports
// pkg/index.mjs, installs the shim and runs etcd.io's gateway examples
// through plain fetch().

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { staticHandler } from '../../pkg/src/static.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let server;
let browser;
let page;
let profile;
const pageErrors = [];

before(async () => {
  server = createServer(staticHandler(ROOT)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  profile = await mkdtemp(join(tmpdir(), 'etcd-sim-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(err));
  await page.goto(`http://127.0.0.1:${server.address().port}/tests/browser/page.html`);
  await page.waitForFunction(() => window.ready, null, { timeout: 15_000 });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** fetch() inside the page; the answer's status and parsed JSON body. */
function pageFetch(url, body) {
  return page.evaluate(
    async ([url, body]) => {
      const res = await fetch(url, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
      const text = await res.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return { status: res.status, text, json };
    },
    [url, body],
  );
}

test('cold start and wasm size', async () => {
  const wasm = await readFile(join(ROOT, 'pkg/wasm/etcd_sim_bg.wasm'));
  const coldStart = await page.evaluate(() => window.coldStartMs);
  console.log(
    `wasm: ${wasm.length} bytes, ${gzipSync(wasm, { level: 9 }).length} gzipped; cold start ${Math.round(coldStart)} ms`,
  );
  assert.deepEqual(pageErrors, []);
});

test('GET /version is answered in the page', async () => {
  const res = await pageFetch('http://localhost:2379/version');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { etcdserver: '3.5.1', etcdcluster: '3.5.0' });
});

// etcd.io "Using gRPC gateway": put, range, prefix range (seeds/001).
const KV = { key: 'Zm9v', create_revision: '2', mod_revision: '2', version: '1', value: 'YmFy' };

test('curl example: put', async () => {
  const res = await pageFetch('http://localhost:2379/v3/kv/put', { key: 'Zm9v', value: 'YmFy' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.header.revision, '2');
});

test('curl example: range', async () => {
  const res = await pageFetch('http://localhost:2379/v3/kv/range', { key: 'Zm9v' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.header.revision, '2');
  for (const [field, value] of Object.entries(KV)) assert.equal(res.json.kvs?.[0]?.[field], value, field);
  assert.equal(res.json.count, '1');
});

test('curl example: prefix range', async () => {
  const res = await pageFetch('http://localhost:2379/v3/kv/range', { key: 'Zm9v', range_end: 'Zm9w' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.header.revision, '2');
  for (const [field, value] of Object.entries(KV)) assert.equal(res.json.kvs?.[0]?.[field], value, field);
  assert.equal(res.json.count, '1');
});

test("a member's Response reads as a plain one, in any order of reads", async () => {
  const mismatches = await page.evaluate(async () => {
    const reads = {
      json: (r) => r.json(),
      text: (r) => r.text(),
      arrayBuffer: async (r) => new TextDecoder().decode(await r.arrayBuffer()),
      blob: async (r) => (await r.blob()).text(),
      clone: async (r) => r.clone().text(),
      stream: async (r) => new Response(r.body).text(),
      ...(typeof Response.prototype.bytes === 'function' && {
        bytes: async (r) => new TextDecoder().decode(await r.bytes()),
      }),
    };
    const outcome = async (read, r) => {
      try {
        return JSON.stringify({ value: await read(r), used: r.bodyUsed, locked: r.body?.locked });
      } catch (err) {
        // the error's kind, not its text: Chromium's own json() words the
        // same SyntaxError with or without a "Failed to execute" prefix
        // depending on how the body is held
        return JSON.stringify({ error: err.constructor.name, used: r.bodyUsed, locked: r.body?.locked });
      }
    };
    const calls = [
      ['http://localhost:2379/v3/kv/range', { method: 'POST', body: '{"key":"Zm9v"}' }],
      ['http://localhost:2379/nowhere', {}],
    ];
    const out = [];
    for (const [url, init] of calls) {
      for (const first of Object.keys(reads)) {
        for (const second of Object.keys(reads)) {
          const ours = await fetch(url, init);
          const plain = new Response(await ours.clone().arrayBuffer(), { status: ours.status });
          const got = [await outcome(reads[first], ours), await outcome(reads[second], ours)];
          const want = [await outcome(reads[first], plain), await outcome(reads[second], plain)];
          if (!(ours instanceof Response) || got.join() !== want.join()) out.push({ url, first, second, got, want });
        }
      }
    }
    return out;
  });
  assert.deepEqual(mismatches, []);
});

test('other URLs pass through to the real network', async () => {
  const res = await pageFetch('/tests/browser/page.html');
  assert.equal(res.status, 200);
  assert.match(res.text, /etcd-sim browser test/);
});

test('XMLHttpRequest to a member is answered in the page', async () => {
  const res = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.onload = () =>
          resolve({ status: xhr.status, text: xhr.responseText, type: xhr.getResponseHeader('content-type') });
        xhr.onerror = () => resolve({ status: 'error' });
        xhr.open('GET', 'http://127.0.0.1:22379/version');
        xhr.send();
      }),
  );
  assert.deepEqual(res, {
    status: 200,
    text: '{"etcdserver":"3.5.1","etcdcluster":"3.5.0"}',
    type: 'application/json',
  });
});

/** The number of watchers the cluster holds (inspection under /_sim/). */
async function watcherCount() {
  const res = await pageFetch('http://localhost:2379/_sim/state');
  return res.json.members.reduce((n, m) => n + m.watchers, 0);
}

test('a watch opened with fetch streams the events of puts and a delete', async () => {
  const messages = await page.evaluate(async () => {
    const b64 = (s) => btoa(s);
    const post = (path, body) =>
      fetch(`http://localhost:2379${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
    const res = await fetch('http://localhost:22379/v3/watch', {
      method: 'POST',
      body: JSON.stringify({ create_request: { key: b64('w/'), range_end: b64('w0') } }),
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const out = [];
    let buf = '';
    const read = async (n) => {
      while (out.length < n) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          out.push(JSON.parse(buf.slice(0, i)).result);
          buf = buf.slice(i + 1);
        }
      }
    };
    await read(1);
    await post('/v3/kv/put', { key: b64('w/a'), value: b64('1') });
    await post('/v3/kv/put', { key: b64('w/b'), value: b64('2') });
    await post('/v3/kv/deleterange', { key: b64('w/a') });
    await read(4);
    await reader.cancel();
    return out;
  });
  assert.equal(messages[0].created, true);
  const events = messages.slice(1).map((m) => m.events[0]);
  assert.deepEqual(
    events.map((e) => [e.type ?? 'PUT', atob(e.kv.key)]),
    [
      ['PUT', 'w/a'],
      ['PUT', 'w/b'],
      ['DELETE', 'w/a'],
    ],
  );
  assert.equal(atob(events[1].kv.value), '2');
});

test('aborting a watch fetch frees its watcher', async () => {
  const before = await watcherCount();
  await page.evaluate(async () => {
    window.watchAbort = new AbortController();
    const res = await fetch('http://localhost:2379/v3/watch', {
      method: 'POST',
      body: JSON.stringify({ create_request: { key: btoa('abort-me') } }),
      signal: window.watchAbort.signal,
    });
    window.watchReader = res.body.getReader();
    await window.watchReader.read(); // the created message
  });
  assert.equal(await watcherCount(), before + 1);
  await page.evaluate(() => window.watchAbort.abort());
  assert.equal(await watcherCount(), before);
});

test('a lease with TTL 3 expires with its key after 3 to 4 real seconds', async () => {
  const elapsed = await page.evaluate(async () => {
    const post = (body, path) =>
      fetch(`http://localhost:2379${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
    // from before the grant: the TTL runs from when the leader grants it,
    // which the answer reaches the page after
    const start = performance.now();
    const grant = await post({ TTL: 3 }, '/v3/lease/grant');
    await post({ key: btoa('leased'), value: btoa('v'), lease: grant.ID }, '/v3/kv/put');
    for (;;) {
      const r = await post({ key: btoa('leased') }, '/v3/kv/range');
      if (!r.kvs) return performance.now() - start;
      if (performance.now() - start > 10_000) return -1;
      await new Promise((res) => setTimeout(res, 50));
    }
  });
  // virtual time counts whole ms, taken from the wall clock rounded down:
  // the grant's instant, and so the expiry, may fall up to 1 ms early (a
  // run-ahead past its bound would show as far more)
  assert.ok(elapsed >= 2998 && elapsed <= 4000, `expired after ${Math.round(elapsed)} ms`);
});

/** A new page on the playground, once its table shows the 3 members; the page's errors. */
async function openPlayground() {
  const pg = await browser.newPage();
  const errors = [];
  pg.on('pageerror', (err) => errors.push(err));
  await pg.goto(`http://127.0.0.1:${server.address().port}/pkg/www/index.html`);
  const rows = '#members tbody tr';
  await pg.waitForFunction((sel) => document.querySelectorAll(sel).length === 3, rows, { timeout: 15_000 });
  return { pg, errors, rows };
}

test('the playground panel shows the members and breaks, pauses, steps, saves and loads the cluster', async () => {
  const { pg, errors, rows } = await openPlayground();
  const roles = () => pg.$$eval(rows, (trs) => trs.map((tr) => tr.className));
  assert.deepEqual(await roles(), ['leader', 'follower', 'follower']);

  // crash the leader: it is down, another is elected within a few seconds
  await pg.click(`${rows}:nth-child(1) button[data-act=crash]`);
  await pg.waitForFunction(
    (sel) => {
      const r = [...document.querySelectorAll(sel)].map((tr) => tr.className);
      return r[0] === 'down' && r.includes('leader');
    },
    rows,
    { timeout: 10_000 },
  );
  const events = await pg.$$eval('#events li', (lis) => lis.map((li) => li.textContent));
  assert.ok(
    events.some((e) => e.endsWith('m0 crashed')),
    events.join('\n'),
  );
  assert.ok(
    events.some((e) => e.includes('becomes leader in term')),
    events.join('\n'),
  );

  // pause: the clock stands still; step moves it
  await pg.click('[data-act=pause]');
  await pg.waitForFunction(() => document.querySelector('[data-act=pause]').textContent === 'Resume');
  const clock = () => pg.$eval('#clock', (el) => el.textContent);
  const paused = await clock();
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.equal(await clock(), paused);
  await pg.click('[data-act=step]');
  await pg.waitForFunction((before) => document.querySelector('#clock').textContent !== before, paused);

  // save (a download), restart m0, load: m0 is down again, the world paused
  const [download] = await Promise.all([pg.waitForEvent('download'), pg.click('[data-act=save]')]);
  const file = await download.path();
  const world = JSON.parse(await readFile(file, 'utf8'));
  assert.equal(world.format, 'etcd-sim world');
  await pg.click(`${rows}:nth-child(1) button[data-act=restart]`);
  await pg.waitForFunction((sel) => document.querySelector(sel).className !== 'down', rows);
  await pg.setInputFiles('#load', file);
  await pg.waitForFunction((sel) => document.querySelector(sel).className === 'down', rows);
  assert.equal(await pg.$eval('[data-act=pause]', (b) => b.textContent), 'Resume');
  assert.equal(await pg.$eval('#status', (el) => el.textContent), '');
  assert.deepEqual(errors, []);
  await pg.close();
});

test("the playground's event list tells the election that follows a leader crash", async () => {
  const { pg, errors, rows } = await openPlayground();
  await pg.click(`${rows}:nth-child(1) button[data-act=crash]`);
  // the table shows the new leader and its term; the list has caught up with it
  const [leader, term] = await pg
    .waitForFunction(
      (sel) => {
        const row = document.querySelector(`${sel}.leader`);
        if (!row) return null;
        const [name, , term] = [...row.cells].map((td) => td.textContent);
        // until the table has redrawn after the crash, it still names m0
        if (name === 'm0') return null;
        const told = [...document.querySelectorAll('#events li')].some((li) =>
          li.textContent.endsWith(`${name} becomes leader in term ${term}`),
        );
        return told && [name, term];
      },
      rows,
      { timeout: 10_000 },
    )
    .then((handle) => handle.jsonValue());
  // newest first: read it oldest first, without the times
  const told = await pg.$$eval('#events li', (lis) => lis.map((li) => li.textContent.replace(/^[\d.]+ s {2}/, '')));
  told.reverse();
  const follower = ['m1', 'm2'].find((m) => m !== leader);
  const story = [
    'm0 crashed',
    `${leader} becomes pre-candidate and asks for pre-votes for term ${term}`,
    `${follower} grants ${leader} a pre-vote for term ${term}`,
    `${leader} becomes candidate in term ${term}`,
    `${follower} votes for ${leader} in term ${term}`,
    `${leader} becomes leader in term ${term}`,
  ];
  const at = story.map((line) => told.indexOf(line));
  assert.ok(
    at.every((i, n) => i >= 0 && (n === 0 || i > at[n - 1])),
    `${story.join('\n')}\n  in order among\n${told.join('\n')}`,
  );
  assert.deepEqual(errors, []);
  await pg.close();
});

test("the playground's links setting slows a write down to its round trips", async () => {
  const { pg, errors } = await openPlayground();
  const put = () =>
    pg.evaluate(async () => {
      const start = performance.now();
      const r = await fetch('http://localhost:2379/v3/kv/put', {
        method: 'POST',
        body: '{"key":"Zm9v","value":"YmFy"}',
      });
      await r.json();
      return performance.now() - start;
    });
  // loopback: at once
  assert.ok((await put()) < 500);
  await pg.selectOption('#links', '500,100');
  await pg.waitForFunction(() =>
    [...document.querySelectorAll('#events li')].some((li) =>
      li.textContent.endsWith('every link: 500 ms latency, up to 100 ms more, 0% loss'),
    ),
  );
  // the leader's append and its acknowledgement take at least 1 s of
  // virtual time, which runs at most 250 ms ahead of the wall clock
  const ms = await put();
  assert.ok(ms >= 700, `a put over 500 ms links took ${ms} ms`);
  assert.deepEqual(errors, []);
  await pg.close();
});
