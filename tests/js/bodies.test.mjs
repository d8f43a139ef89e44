// A request body is never held beyond what its answer needs (issue 10):
// three 300 MB junk bodies, streamed to a CLI server from a generator, get
// their answers while the server stays under 300 MB of RSS.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { start } from './cli-server.mjs';

const MB = 1 << 20;
const PIECE = new Uint8Array(64 << 10).fill('x'.charCodeAt(0));

/** `size` bytes of junk, 64 KB at a time (never allocated whole). */
function* junk(size) {
  for (let left = size; left > 0; left -= PIECE.length) yield PIECE.subarray(0, Math.min(left, PIECE.length));
}

/** POSTs `body` (bytes or a generator of pieces, sent chunked) to `url`: its status and body text. */
async function post(url, body) {
  const req = request(url, { method: 'POST' });
  const answered = new Promise((resolve, reject) => {
    req.on('response', async (res) => {
      let text = '';
      for await (const chunk of res) text += chunk;
      resolve({ status: res.statusCode, body: text });
    });
    req.on('error', reject);
  });
  await pipeline(Readable.from(body instanceof Uint8Array ? [body] : body), req);
  return answered;
}

/** The resident set of process `pid`, in bytes (Linux). */
function rss(pid) {
  const kb = /VmRSS:\s*(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(kb[1]) * 1024;
}

test('three 300 MB junk bodies get their answers and leave the server under 300 MB RSS', async (t) => {
  const { urls, pid } = await start(t, 1);
  const [url] = urls;
  const small = new TextEncoder().encode('xxx');
  // the decode error a small junk body gets today
  const want = await post(`${url}/v3/kv/put`, small);
  assert.equal(want.status, 400);
  assert.match(want.body, /invalid character 'x' looking for beginning of value/);

  let most = rss(pid);
  const watch = setInterval(() => (most = Math.max(most, rss(pid))), 20);
  t.after(() => clearInterval(watch));
  const load = await post(`${url}/_sim/load`, junk(300 * MB));
  const put = await post(`${url}/v3/kv/put`, junk(300 * MB));
  const reset = await post(`${url}/_sim/reset`, junk(300 * MB));
  clearInterval(watch);
  most = Math.max(most, rss(pid));

  // past their caps, the controls change nothing (README, "/_sim/")
  assert.deepEqual(load, { status: 413, body: `{"error":"request body larger than ${64 * MB} bytes"}` });
  assert.deepEqual(put, want);
  assert.deepEqual(reset, { status: 413, body: '{"error":"request body larger than 65536 bytes"}' });
  assert.ok(most < 300 * MB, `RSS reached ${(most / MB).toFixed(0)} MB`);

  // and the server goes on answering
  const ok = await post(`${url}/v3/kv/put`, new TextEncoder().encode('{"key":"Zm9v","value":"YmFy"}'));
  assert.equal(ok.status, 200, ok.body);
  assert.match(ok.body, /"revision":"2"/);
});
