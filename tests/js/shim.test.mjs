// The real core behind install(): member URLs are answered in-process,
// everything else reaches the original fetch.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import test from 'node:test';
import { createCluster } from '../../pkg/index.mjs';

const VERSION = '{"etcdserver":"3.5.1","etcdcluster":"3.5.0"}';

test('install() answers member URLs in-process and passes other URLs to the original fetch', async (t) => {
  const server = createServer((req, res) => res.end(`real server saw ${req.url}`));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());

  const original = globalThis.fetch;
  const passed = [];
  const spy = (input, init) => {
    passed.push(String(input));
    return original(input, init);
  };
  globalThis.fetch = spy;
  t.after(() => (globalThis.fetch = original));

  const cluster = createCluster();
  cluster.install();
  try {
    assert.notEqual(globalThis.fetch, spy);
    for (const url of [
      'http://localhost:2379/version',
      'http://127.0.0.1:22379/version',
      new URL('http://localhost:32379/version'),
    ]) {
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(await res.text(), VERSION);
    }
    const res = await fetch(new Request('http://localhost:2379/nope', { method: 'POST', body: '{}' }));
    assert.equal(res.status, 404);
    assert.deepEqual(passed, [], 'member URLs never reach the original fetch');

    const other = `http://127.0.0.1:${server.address().port}/hello?x=1`;
    assert.equal(await (await fetch(other)).text(), 'real server saw /hello?x=1');
    assert.deepEqual(passed, [other]);
  } finally {
    cluster.uninstall();
  }
  assert.equal(globalThis.fetch, spy, 'uninstall() restores the original fetch');
  assert.equal(globalThis.XMLHttpRequest, undefined, 'uninstall() removes the XMLHttpRequest Node never had');
});

test('cluster.fetch answers without patching the globals', async () => {
  const before = globalThis.fetch;
  const cluster = createCluster({ members: 1, endpoints: ['http://etcd.test:2379'] });
  assert.deepEqual(cluster.urls, ['http://etcd.test:2379']);
  assert.equal(await (await cluster.fetch('http://etcd.test:2379/version')).text(), VERSION);
  assert.equal(globalThis.fetch, before);
});

test('more members than endpoints is an error', () => {
  assert.throws(() => createCluster({ members: 5 }), RangeError);
});

test('XMLHttpRequest shim answers member URLs', async () => {
  const cluster = createCluster();
  const xhr = new cluster.XMLHttpRequest();
  const states = [];
  xhr.onreadystatechange = () => states.push(xhr.readyState);
  const loaded = new Promise((resolve) => xhr.addEventListener('loadend', resolve));
  xhr.open('GET', 'http://localhost:2379/version');
  xhr.responseType = 'json';
  xhr.send();
  await loaded;
  assert.equal(xhr.status, 200);
  assert.deepEqual(xhr.response, JSON.parse(VERSION));
  assert.equal(xhr.responseText, VERSION);
  assert.equal(xhr.getResponseHeader('Content-Type'), 'application/json');
  assert.equal(
    xhr.getAllResponseHeaders(),
    'access-control-allow-headers: accept, content-type, authorization\r\n' +
      'access-control-allow-methods: POST, GET, OPTIONS, PUT, DELETE\r\n' +
      'access-control-allow-origin: *\r\n' +
      'content-type: application/json\r\n',
  );
  assert.equal(xhr.responseURL, 'http://localhost:2379/version');
  assert.deepEqual(states, [1, 2, 3, 4]);
});

test('XMLHttpRequest shim: abort() fires abort and loadend, status 0', async () => {
  const cluster = createCluster({ mode: 'controlled' });
  const xhr = new cluster.XMLHttpRequest();
  const events = [];
  for (const type of ['abort', 'load', 'loadend']) xhr.addEventListener(type, () => events.push(type));
  xhr.open('POST', 'http://localhost:2379/v3/kv/put');
  xhr.send('{"key":"Zm9v"}');
  xhr.abort();
  assert.deepEqual(events, ['abort', 'loadend']);
  assert.equal(xhr.status, 0);
  assert.equal(xhr.readyState, 0);
});

test('reset() reaches the core at POST /_sim/reset', async () => {
  const cluster = createCluster();
  await cluster.reset({ members: 1 });
});

test('sim controls break and heal the in-page cluster', async () => {
  const cluster = createCluster({ mode: 'controlled' });
  let state = await cluster.sim.state();
  assert.equal(state.leader, 0);
  state = await cluster.sim.crash(0);
  assert.equal(state.members[0].crashed, true);
  await assert.rejects(cluster.fetch('http://localhost:2379/version'), TypeError);
  cluster.driver.advance(3000);
  state = await cluster.sim.state();
  assert.ok(state.leader === 1 || state.leader === 2, JSON.stringify(state));
  state = await cluster.sim.restart(0);
  assert.equal(state.members[0].crashed, false);
});

test("sim.log lists a member's Raft log, paged with from and limit", async () => {
  const cluster = createCluster({ mode: 'controlled' });
  const log = await cluster.sim.log(1);
  assert.equal(log.member, 1);
  assert.equal(log.entries.length, log.last - log.first + 1);
  const page = await cluster.sim.log(1, { from: 4, limit: 2 });
  assert.deepEqual(
    page.entries.map((e) => [e.index, e.term, e.type, e.what]),
    [
      [4, 2, 'normal', 'empty'],
      [5, 2, 'normal', 'member_attr_set'],
    ],
  );
  await assert.rejects(cluster.sim.log(99), /^Error: log\?member=99: 400 /);
});
