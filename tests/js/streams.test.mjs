// Streams through the Node server: a watch over real HTTP, and a client
// that goes away frees its watchers.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import test from 'node:test';
import { start } from './cli-server.mjs';

const b64 = (s) => Buffer.from(s).toString('base64');

async function watchers(url) {
  const res = await fetch(`${url}/_sim/state`);
  const state = await res.json();
  return state.members.reduce((n, m) => n + m.watchers, 0);
}

async function until(cond, ms = 5000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Opens a watch over raw HTTP; resolves with the request and a message queue. */
function openWatch(url, body) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v3/watch`, { method: 'POST' }, (res) => {
      const messages = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          messages.push(JSON.parse(buf.slice(0, i)).result);
          buf = buf.slice(i + 1);
        }
      });
      res.on('error', () => {});
      resolve({ req, res, messages });
    });
    req.on('error', reject);
    req.write(JSON.stringify(body));
  });
}

test('a watch over HTTP streams the events of later puts', async (t) => {
  const { urls } = await start(t);
  const w = await openWatch(urls[0], { create_request: { key: b64('k') } });
  await until(() => w.messages.length === 1);
  assert.equal(w.messages[0].created, true);
  const put = await fetch(`${urls[1]}/v3/kv/put`, {
    method: 'POST',
    body: JSON.stringify({ key: b64('k'), value: b64('v') }),
  });
  assert.equal(put.status, 200);
  await until(() => w.messages.length === 2);
  assert.equal(w.messages[1].events[0].kv.value, b64('v'));
  w.req.destroy();
});

test('a client that disconnects frees its watchers', async (t) => {
  const { urls } = await start(t);
  const before = await watchers(urls[0]);
  const w = await openWatch(urls[0], { create_request: { key: b64('k') } });
  await until(() => w.messages.length === 1);
  assert.equal(await watchers(urls[0]), before + 1);
  w.req.destroy();
  await until(async () => (await watchers(urls[0])) === before);
});
