// The CLI as a user starts it: real HTTP on client URLs, the playground.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { BIN, start } from './cli-server.mjs';

// The recorded answer of a real etcd 3.5.1 (tests/conformance/scenarios/).
const RECORDED = JSON.parse(readFileSync(new URL('../conformance/scenarios/http_version.json', import.meta.url)))
  .steps[0].expect;

test('prints ready and answers GET /version with the recorded body and headers', async (t) => {
  const { urls } = await start(t);
  for (const url of urls) {
    const res = await fetch(`${url}/version`);
    assert.equal(res.status, RECORDED.status);
    assert.equal(res.headers.get('content-type'), RECORDED.headers['content-type']);
    assert.equal(res.headers.get('content-length'), RECORDED.headers['content-length']);
    assert.equal(await res.text(), RECORDED.body_raw);
  }
});

test("answers with etcd's CORS headers", async (t) => {
  const { urls } = await start(t);
  const res = await fetch(`${urls[0]}/version`);
  for (const [name, value] of Object.entries(RECORDED.headers)) {
    if (name.startsWith('access-control-')) assert.equal(res.headers.get(name), value, name);
  }
});

test('POST /_sim/reset answers 200; a member beyond the new size refuses', async (t) => {
  const { urls } = await start(t);
  const res = await fetch(`${urls[0]}/_sim/reset`, { method: 'POST', body: '{"members":1}' });
  assert.equal(res.status, 200, await res.text());
  await assert.rejects(fetch(`${urls[2]}/version`), TypeError);
});

test('the playground serves the page, the package and the wasm', async (t) => {
  const { playground } = await start(t, 1);
  const home = await fetch(`${playground}/`);
  assert.equal(home.status, 200);
  assert.equal(home.url, `${playground}/www/`);
  assert.match(await home.text(), /<html/i);
  const types = {
    '/index.mjs': 'text/javascript; charset=utf-8',
    '/wasm/etcd_sim_bg.wasm': 'application/wasm',
  };
  for (const [path, type] of Object.entries(types)) {
    const res = await fetch(playground + path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-type'), type, path);
  }
  assert.equal((await fetch(`${playground}/..%2Fpackage.json`)).status, 404);
});

test('fewer client URLs than members is refused at start', async () => {
  const child = spawn(
    process.execPath,
    [BIN.pathname, '--members', '2', '--listen-client-urls', 'http://127.0.0.1:1'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(err, /2 members need 2/);
});

test('a world saved over HTTP starts again with --load, and loads over HTTP on any member', async (t) => {
  const { urls } = await start(t);
  const put = (url, value) =>
    fetch(`${url}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: btoa('k'), value: btoa(value) }) });
  assert.equal((await put(urls[1], 'saved')).status, 200);
  await fetch(`${urls[0]}/_sim/crash`, { method: 'POST', body: '{"member":2}' });
  const saved = await (await fetch(`${urls[2]}/_sim/save`)).text();
  assert.equal(JSON.parse(saved).format, 'etcd-sim world');
  assert.equal((await put(urls[0], 'later')).status, 200);

  // over HTTP, on the crashed member's URL (control answers there too)
  const res = await fetch(`${urls[2]}/_sim/load`, { method: 'POST', body: saved });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).members[2].crashed, true);
  const range = (url) =>
    fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: btoa('k') }) }).then((r) => r.json());
  assert.equal(atob((await range(urls[0])).kvs[0].value), 'saved');
  await assert.rejects(fetch(`${urls[2]}/version`), TypeError);

  // from a file at start
  const dir = mkdtempSync(join(tmpdir(), 'etcd-sim-'));
  t.after(() => rmSync(dir, { recursive: true }));
  const file = join(dir, 'world.json');
  writeFileSync(file, saved);
  const second = await start(t, 1, ['--load', file]);
  assert.equal(atob((await range(second.urls[1])).kvs[0].value), 'saved');
  const state = await (await fetch(`${second.urls[0]}/_sim/state`)).json();
  assert.equal(state.members.length, 3);
});

test('--load with a file that is not a saved world is refused at start', async () => {
  const child = spawn(process.execPath, [BIN.pathname, '--load', BIN.pathname, '--playground', 'off'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(err, /--load .*: \{"error":/);
});
