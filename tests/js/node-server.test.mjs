// The Node front door on its own (a scripted core): request bodies stream in
// as they arrive, answers go out unchanged, one HTTP chunk per stream chunk.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import test from 'node:test';
import { Driver } from '../../pkg/src/driver.mjs';
import { gatewayHandler } from '../../pkg/src/node-server.mjs';
import { bytes, FakeSim } from './fake-sim.mjs';

async function serve(t, sim, member = 1) {
  const server = createServer(gatewayHandler(new Driver(sim), member));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { host: '127.0.0.1', port: server.address().port };
}

/** Resolves once `check()` is true; polls, as the server works on its own schedule. */
async function until(check) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(check(), 'condition not reached within 2 s');
}

test('a unary answer has an explicit Content-Length and the core headers as given', async (t) => {
  const sim = new FakeSim();
  sim.onFinish = (tk) =>
    sim.push({
      kind: 'response',
      ticket: tk,
      status: 201,
      headers: [
        ['X-Etcd', 'a'],
        ['X-Etcd', 'b'],
      ],
      body: bytes('hello'),
    });
  const res = await fetch(`http://127.0.0.1:${(await serve(t, sim)).port}/v3/kv/put?q=1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{"k":1}',
  });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('content-length'), '5');
  assert.equal(res.headers.get('x-etcd'), 'a, b');
  assert.equal(await res.text(), 'hello');
  const [[, member, method, path, headers]] = sim.of('submit');
  assert.deepEqual([member, method, path], [1, 'POST', '/v3/kv/put?q=1']);
  assert.ok(
    headers.some(([k, v]) => k === 'Content-Type' && v === 'application/json'),
    'raw header names',
  );
  assert.deepEqual(sim.of('body'), [[1, '{"k":1}']]);
});

test('request body chunks reach the core as they arrive, finish at the end', async (t) => {
  const sim = new FakeSim();
  sim.onFinish = (tk) => sim.push({ kind: 'response', ticket: tk, status: 200, headers: [], body: bytes('') });
  const req = request({ ...(await serve(t, sim)), method: 'POST', path: '/v3/watch' });
  req.write('{"a":1}');
  await until(() => sim.of('body').length > 0);
  assert.deepEqual(sim.of('body'), [[1, '{"a":1}']]);
  assert.equal(sim.of('finish').length, 0);
  req.end('{"b":2}');
  const [res] = await once(req, 'response');
  res.resume();
  assert.deepEqual(sim.of('body'), [
    [1, '{"a":1}'],
    [1, '{"b":2}'],
  ]);
  assert.equal(sim.of('finish').length, 1);
});

test('a stream is sent chunked, one HTTP chunk per core chunk', async (t) => {
  const sim = new FakeSim();
  sim.onFinish = (tk) => {
    sim.push({ kind: 'head', ticket: tk, status: 200, headers: [['Content-Type', 'application/json']] });
    sim.push({ kind: 'chunk', ticket: tk, data: bytes('{"result":{"created":true}}\n') });
    sim.push({ kind: 'chunk', ticket: tk, data: bytes('{"result":{}}\n') });
    sim.push({ kind: 'end', ticket: tk });
  };
  const { port } = await serve(t, sim);
  const socket = connect(port, '127.0.0.1');
  socket.end('POST /v3/watch HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
  let raw = '';
  for await (const data of socket) raw += data;
  const split = raw.indexOf('\r\n\r\n');
  const [head, body] = [raw.slice(0, split), raw.slice(split + 4)];
  assert.match(head, /^HTTP\/1\.1 200 OK/);
  assert.match(head, /Transfer-Encoding: chunked/i);
  assert.equal(body, '1c\r\n{"result":{"created":true}}\n\r\ne\r\n{"result":{}}\n\r\n0\r\n\r\n');
});

test('a client that disconnects mid-stream cancels its ticket', async (t) => {
  const sim = new FakeSim();
  sim.onFinish = (tk) => sim.push({ kind: 'head', ticket: tk, status: 200, headers: [] });
  const req = request({ ...(await serve(t, sim)), method: 'POST', path: '/v3/watch' });
  req.on('error', () => {});
  req.end('{}');
  await once(req, 'response');
  req.destroy();
  await until(() => sim.of('cancel').length > 0);
  assert.deepEqual(sim.of('cancel'), [[1]]);
});

test('a client that disconnects mid-body cancels its ticket and the server lives on', async (t) => {
  const sim = new FakeSim();
  const { port } = await serve(t, sim);
  const socket = connect(port, '127.0.0.1');
  socket.write('POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"key"');
  await until(() => sim.of('body').length > 0);
  socket.destroy();
  await until(() => sim.of('cancel').length > 0);
  assert.deepEqual(sim.of('finish'), []);
  sim.onFinish = (tk) => sim.push({ kind: 'response', ticket: tk, status: 200, headers: [], body: bytes('ok') });
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/version`)).text(), 'ok');
});

test('refused: the connection is closed without an answer', async (t) => {
  const sim = new FakeSim();
  sim.onFinish = (tk) => sim.push({ kind: 'refused', ticket: tk });
  const { port } = await serve(t, sim);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/version`), TypeError);
  assert.deepEqual(sim.of('cancel'), []);
});
