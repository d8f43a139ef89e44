// The CLI as a user starts it: real HTTP on client URLs, the playground.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { BIN, start } from './cli-server.mjs';

// The recorded answer of a real etcd 3.5.1 (CI clones the repo with shared/ beside it).
const RECORDED = JSON.parse(
  readFileSync(new URL('../../../shared/conformance/scenarios/http_version.json', import.meta.url)),
).steps[0].expect;

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
