import assert from 'node:assert/strict';
import test from 'node:test';
import { Driver } from '../../pkg/src/driver.mjs';
import { memberFetch } from '../../pkg/src/fetch.mjs';
import { bytes, FakeSim } from './fake-sim.mjs';

const ORIGIN = 'http://sim.test:2379';

function setup(answer) {
  const sim = new FakeSim();
  sim.onFinish = (t) => answer?.(sim, t);
  const passed = [];
  const fetch = memberFetch(
    new Driver(sim),
    (url) => (url.origin === ORIGIN ? 0 : undefined),
    () => async (input) => {
      passed.push(String(input));
      return new Response('elsewhere');
    },
  );
  return { sim, fetch, passed };
}

const unary = (status, body) => (sim, t) =>
  sim.push({ kind: 'response', ticket: t, status, headers: [['Content-Type', 'application/json']], body: bytes(body) });

test('a unary answer becomes a Response with status, headers and body', async () => {
  const { sim, fetch } = setup(unary(200, '{"ok":true}'));
  const res = await fetch(`${ORIGIN}/v3/kv/range?x=1`, { method: 'POST', headers: { 'X-A': 'b' }, body: '{}' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.equal(res.url, `${ORIGIN}/v3/kv/range?x=1`);
  assert.deepEqual(await res.json(), { ok: true });
  const [[, member, method, path, headers]] = sim.of('submit');
  assert.deepEqual([member, method, path], [0, 'POST', '/v3/kv/range?x=1']);
  assert.ok(headers.some(([k, v]) => k === 'x-a' && v === 'b'));
});

// Whatever a unary answer's Response is read with, and in whatever order,
// it gives what a plain Response with the same body gives.
const READS = {
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

async function outcome(read, response) {
  try {
    return { value: await read(response), used: response.bodyUsed, locked: response.body?.locked };
  } catch (err) {
    return { error: err.constructor.name, used: response.bodyUsed, locked: response.body?.locked };
  }
}

for (const body of ['{"ok":true}', '404 page not found\n', '']) {
  test(`a unary answer's Response reads as a plain one: ${JSON.stringify(body)}`, async () => {
    for (const first of Object.keys(READS)) {
      for (const second of Object.keys(READS)) {
        const { fetch } = setup(unary(200, body));
        const ours = await fetch(`${ORIGIN}/v3/kv/range`, { method: 'POST', body: '{}' });
        const plain = new Response(bytes(body), { status: 200 });
        assert.ok(ours instanceof Response);
        const got = [await outcome(READS[first], ours), await outcome(READS[second], ours)];
        const want = [await outcome(READS[first], plain), await outcome(READS[second], plain)];
        assert.deepEqual(got, want, `${first} then ${second}`);
      }
    }
  });
}

test('other URLs go to the original fetch untouched', async () => {
  const { sim, fetch, passed } = setup();
  assert.equal(await (await fetch('http://sim.test:9999/x')).text(), 'elsewhere');
  assert.deepEqual(passed, ['http://sim.test:9999/x']);
  assert.deepEqual(sim.calls, []);
});

for (const [kind, make] of [
  ['string', () => '{"key":"Zm9v"}'],
  ['ArrayBuffer', () => bytes('{"key":"Zm9v"}').buffer],
  ['Uint8Array', () => bytes('{"key":"Zm9v"}')],
  ['Blob', () => new Blob(['{"key":', '"Zm9v"}'])],
  ['URLSearchParams', () => new URLSearchParams({ key: 'Zm9v' })],
]) {
  test(`a ${kind} request body reaches the core before finish`, async () => {
    const { sim, fetch } = setup(unary(200, '{}'));
    await fetch(`${ORIGIN}/v3/kv/put`, { method: 'POST', body: make() });
    const sent = sim
      .of('body')
      .map(([, text]) => text)
      .join('');
    assert.equal(sent, kind === 'URLSearchParams' ? 'key=Zm9v' : '{"key":"Zm9v"}');
    assert.equal(sim.calls.at(-1)[0], 'finish');
  });
}

test('a ReadableStream request body is fed chunk by chunk as it is written', async () => {
  const { sim, fetch } = setup(unary(200, '{}'));
  let controller;
  const body = new ReadableStream({ start: (c) => (controller = c) });
  const pending = fetch(`${ORIGIN}/v3/watch`, { method: 'POST', body, duplex: 'half' });
  controller.enqueue(bytes('{"create_request":{}}'));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(
    sim.of('body').map(([, t]) => t),
    ['{"create_request":{}}'],
  );
  assert.equal(sim.of('finish').length, 0);
  controller.enqueue(bytes('{"progress_request":{}}'));
  controller.close();
  await pending;
  assert.deepEqual(
    sim.of('body').map(([, t]) => t),
    ['{"create_request":{}}', '{"progress_request":{}}'],
  );
  assert.equal(sim.of('finish').length, 1);
});

test('a streaming answer is a Response whose body yields the chunks', async () => {
  const { sim, fetch } = setup((sim, t) => {
    sim.push({ kind: 'head', ticket: t, status: 200, headers: [['Content-Type', 'application/json']] });
    sim.push({ kind: 'chunk', ticket: t, data: bytes('{"result":{"created":true}}\n') });
    sim.push({ kind: 'chunk', ticket: t, data: bytes('{"result":{"events":[]}}\n') });
    sim.push({ kind: 'end', ticket: t });
  });
  const res = await fetch(`${ORIGIN}/v3/watch`, { method: 'POST', body: '{}' });
  const chunks = [];
  for await (const chunk of res.body) chunks.push(new TextDecoder().decode(chunk));
  assert.deepEqual(chunks, ['{"result":{"created":true}}\n', '{"result":{"events":[]}}\n']);
});

test('abort before the answer rejects with AbortError and cancels the ticket', async () => {
  const { sim, fetch } = setup();
  const abort = new AbortController();
  const pending = fetch(`${ORIGIN}/v3/kv/put`, { method: 'POST', body: '{}', signal: abort.signal });
  await new Promise((resolve) => setTimeout(resolve, 5));
  abort.abort();
  await assert.rejects(pending, { name: 'AbortError' });
  assert.deepEqual(sim.of('cancel'), [[1]]);
});

test('abort during a stream errors the body and cancels the ticket', async () => {
  const { sim, fetch } = setup((sim, t) => {
    sim.push({ kind: 'head', ticket: t, status: 200, headers: [] });
    sim.push({ kind: 'chunk', ticket: t, data: bytes('{"result":{}}\n') });
  });
  const abort = new AbortController();
  const res = await fetch(`${ORIGIN}/v3/watch`, { method: 'POST', body: '{}', signal: abort.signal });
  const reader = res.body.getReader();
  await reader.read();
  abort.abort();
  await assert.rejects(reader.read(), { name: 'AbortError' });
  assert.deepEqual(sim.of('cancel'), [[1]]);
});

test('cancelling the response body cancels the ticket', async () => {
  const { sim, fetch } = setup((sim, t) => sim.push({ kind: 'head', ticket: t, status: 200, headers: [] }));
  const res = await fetch(`${ORIGIN}/v3/watch`, { method: 'POST', body: '{}' });
  await res.body.cancel();
  assert.deepEqual(sim.of('cancel'), [[1]]);
});

test('a refused connection rejects like an unreachable host', async () => {
  const { fetch } = setup((sim, t) => sim.push({ kind: 'refused', ticket: t }));
  await assert.rejects(fetch(`${ORIGIN}/version`), { name: 'TypeError', message: 'Failed to fetch' });
});

// What the core is handed for one call: submit's method, path and headers,
// the body bytes as text, and finish.
async function handed(input, init) {
  const { sim, fetch } = setup(unary(200, '{}'));
  await fetch(input, init);
  return sim.calls.map(([kind, , ...rest]) => [kind, ...rest]);
}

for (const [name, init] of [
  ['a string body', { method: 'POST', body: '{"key":"Zm9v"}' }],
  ['no init', undefined],
  ['a lower-case method', { method: 'post', body: '{}' }],
  ['an empty body', { method: 'PUT', body: '' }],
  ['a body beyond ASCII', { method: 'POST', body: '{"k":"é✓\uD800"}' }],
  ['a content type of its own', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }],
  [
    'a token and gRPC metadata',
    {
      method: 'POST',
      headers: [
        ['Authorization', ' t0k '],
        ['Grpc-Metadata-Hasleader', 'true'],
      ],
      body: '{}',
    },
  ],
  ['a signal', { method: 'DELETE', signal: new AbortController().signal }],
]) {
  test(`a plain call with ${name} hands the core what the Request would, without one`, async () => {
    const url = `${ORIGIN}/v3/kv/put?x=1`;
    let plain = 0;
    const original = Driver.prototype.request;
    Driver.prototype.request = function (...args) {
      plain++;
      return original.apply(this, args);
    };
    try {
      const direct = await handed(url, init);
      assert.equal(plain, 1, 'the plain call went straight to the driver');
      assert.deepEqual(await handed(new Request(url, init)), direct);
      assert.deepEqual(await handed(new URL(url), init), direct);
      assert.equal(plain, 2, 'a Request takes the general path');
    } finally {
      Driver.prototype.request = original;
    }
  });
}

for (const [name, init] of [
  ['a method Request keeps as given', { method: 'patch', body: '{}' }],
  ['a header a browser may drop', { method: 'POST', headers: { Host: 'x', 'X-A': 'b' }, body: '{}' }],
  ['a body that is not a string', { method: 'POST', body: bytes('{}') }],
  ['another init member', { method: 'POST', body: '{}', mode: 'cors' }],
]) {
  test(`a call with ${name} goes the general path, through Request`, async () => {
    let plain = 0;
    const original = Driver.prototype.request;
    Driver.prototype.request = function (...args) {
      plain++;
      return original.apply(this, args);
    };
    try {
      const calls = await handed(`${ORIGIN}/v3/kv/put`, init);
      assert.equal(plain, 0);
      assert.deepEqual(calls, await handed(new Request(`${ORIGIN}/v3/kv/put`, init)));
    } finally {
      Driver.prototype.request = original;
    }
  });
}

test('a plain call still throws what Request throws', async () => {
  const { fetch } = setup(unary(200, '{}'));
  await assert.rejects(fetch(`${ORIGIN}/v3/kv/range`, { method: 'GET', body: '{}' }), TypeError);
  await assert.rejects(fetch(`http://u:p@sim.test:2379/v3/kv/range`), TypeError);
  const abort = new AbortController();
  abort.abort(new Error('gone'));
  await assert.rejects(fetch(`${ORIGIN}/v3/kv/range`, { method: 'POST', body: '{}', signal: abort.signal }), /gone/);
});

test('a long string body goes to the core in pieces of whole characters, the same bytes', async () => {
  const { sim, fetch } = setup(unary(200, '{}'));
  const text = `{"key":"${'é€😀x'.repeat(40_000)}"}`;
  const res = await fetch(`${ORIGIN}/v3/kv/put`, { method: 'POST', body: text });
  assert.equal(res.status, 200);
  const pieces = sim.of('body').map(([, piece]) => piece);
  assert.ok(pieces.length > 1, `${pieces.length} pieces`);
  assert.ok(pieces.join('') === text, 'the pieces make the text');
  assert.equal(sim.of('finish').length, 1);
});

test('a string body is not encoded past what the core reads; the answer still comes', async () => {
  const { sim, fetch } = setup(unary(400, '{"error":"no"}'));
  sim.readLimit = 1;
  const res = await fetch(`${ORIGIN}/v3/kv/put`, { method: 'POST', body: 'x'.repeat(10 << 20) });
  assert.equal(res.status, 400);
  const pieces = sim.of('body');
  assert.equal(pieces.length, 1);
  assert.ok(pieces[0][1].length <= 1 << 16, `${pieces[0][1].length} bytes encoded`);
  assert.equal(sim.of('finish').length, 1);
});

test('a streamed body is read to its end but not handed over once the core reads no more', async () => {
  const { sim, fetch } = setup(unary(400, '{"error":"no"}'));
  sim.readLimit = 1;
  let pulled = 0;
  const body = new ReadableStream({
    pull(c) {
      if (++pulled > 5) c.close();
      else c.enqueue(new Uint8Array(1000).fill(120));
    },
  });
  const res = await fetch(`${ORIGIN}/v3/kv/put`, { method: 'POST', body, duplex: 'half' });
  assert.equal(res.status, 400);
  assert.equal(sim.of('body').length, 1);
  assert.equal(pulled, 6, 'the body is read to its end');
});
