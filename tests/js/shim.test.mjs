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

test('save and load the in-page world; a load cuts the clients of the moment', async () => {
  const cluster = createCluster();
  const put = (key, value) =>
    cluster.fetch('http://localhost:2379/v3/kv/put', {
      method: 'POST',
      body: JSON.stringify({ key: btoa(key), value: btoa(value) }),
    });
  const get = async (key) => {
    const r = await cluster.fetch('http://localhost:22379/v3/kv/range', {
      method: 'POST',
      body: JSON.stringify({ key: btoa(key) }),
    });
    return (await r.json()).kvs?.map((kv) => atob(kv.value));
  };
  assert.equal((await put('a', '1')).status, 200);
  await cluster.sim.crash(2);
  const world = await cluster.sim.save();
  assert.equal(world.format, 'etcd-sim world');

  await put('a', '2');
  await cluster.reset({ members: 1 });
  const controller = new AbortController();
  const watch = await cluster.fetch('http://localhost:2379/v3/watch', {
    method: 'POST',
    body: JSON.stringify({ create_request: { key: btoa('a') } }),
    signal: controller.signal,
  });
  const reader = watch.body.getReader();
  await reader.read(); // created

  const state = await cluster.sim.load(JSON.stringify(world));
  assert.equal(state.members.length, 3);
  assert.equal(state.members[2].crashed, true);
  assert.ok((await reader.read()).done, 'the watch of the old world ended');
  assert.deepEqual(await get('a'), ['1']);
  // real time goes on in the loaded world: writes commit
  assert.equal((await put('a', '3')).status, 200);
  assert.deepEqual(await get('a'), ['3']);
  await assert.rejects(cluster.sim.load({ format: 'nope' }), /400/);
});

test('a paused world answers nothing until stepped; resume lets it run', async () => {
  const cluster = createCluster();
  let state = await cluster.sim.pause();
  assert.equal(state.paused, true);
  let answered = false;
  const put = cluster
    .fetch('http://localhost:2379/v3/kv/put', {
      method: 'POST',
      body: JSON.stringify({ key: btoa('k'), value: btoa('v') }),
    })
    .then((r) => {
      answered = true;
      return r;
    });
  const before = state.now;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(answered, false, 'a paused world does not commit');
  state = await cluster.sim.state();
  assert.equal(state.now, before, 'virtual time stood still');
  for (let i = 0; i < 50 && !answered; i++) {
    state = await cluster.sim.step();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  assert.ok(answered, 'stepping event by event commits the put');
  assert.equal((await put).status, 200);
  assert.equal(state.now, before, 'over the default loopback links a put takes no virtual time');
  state = await cluster.sim.resume();
  assert.equal(state.paused, false);
  const r = await cluster.fetch('http://localhost:2379/v3/kv/range', {
    method: 'POST',
    body: JSON.stringify({ key: btoa('k') }),
  });
  assert.equal((await r.json()).count, '1');
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

test("sim.mvcc shows a member's MVCC store: generations, tombstones, the backend's revisions", async () => {
  const cluster = createCluster();
  const call = (path, body) =>
    cluster.fetch(`http://localhost:2379/v3/kv/${path}`, { method: 'POST', body: JSON.stringify(body) });
  for (const [path, body] of [
    ['put', { key: btoa('foo'), value: btoa('1') }],
    ['deleterange', { key: btoa('foo') }],
    ['put', { key: btoa('foo'), value: btoa('2') }],
    ['put', { key: btoa('zoo'), value: btoa('z') }],
  ]) {
    assert.equal((await call(path, body)).status, 200);
  }
  // 'fo' is Zm8= in base64: the = is escaped on the way
  const view = await cluster.sim.mvcc(0, { prefix: btoa('fo'), limit: 1 });
  assert.equal(view.revision, 5);
  assert.equal(view.more, false);
  // etcd's keyIndex notation: foo's generations {2, 3(t)} {4}
  const generations = view.keys.map((k) =>
    k.generations.map((g) => g.revisions.map((r) => `${r.main}${r.tombstone ? '(t)' : ''}`).join(', ')),
  );
  assert.equal(view.keys[0].key_text, 'foo');
  assert.deepEqual(generations, [['2, 3(t)', '4']]);
  assert.deepEqual(
    view.revisions.map((r) => r.main),
    [2, 3, 4],
  );
  await assert.rejects(cluster.sim.mvcc(99), /^Error: mvcc\?member=99: 400 /);
});
