// The page of `make bench`'s throughput figures (benches/bench.mjs drives
// it): the same loop of `fetch(put)` then `r.json()` against the shim with
// 3 members and with 1, a no-op interceptor, and a real etcd over loopback.

import { createCluster } from '/pkg/index.mjs';

const MEMBER = 'http://localhost:2379';
// 1,000 keys over and over, so that a loop's world stays about the same size
const BODIES = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ key: btoa(`bench-${i}`), value: btoa('bar') }));

// The anchor: a patched fetch that answers a constant JSON Response at once.
const NOOP_ANSWER = '{"header":{"cluster_id":"1","member_id":"2","revision":"3","raft_term":"4"}}';
async function noopFetch() {
  return new Response(NOOP_ANSWER, { headers: { 'Content-Type': 'application/json' } });
}

const clusters = {};

/** The cluster of `members`, created on first use; paused while not measured. */
function cluster(members) {
  clusters[members] ??= createCluster({ members });
  return clusters[members];
}

/** `inflight` clients each putting one after the other for `seconds`; puts/s. */
async function loop(url, seconds, inflight) {
  const start = performance.now();
  const end = start + seconds * 1000;
  let done = 0;
  const client = async (c) => {
    for (let i = c; performance.now() < end; i += inflight) {
      const r = await fetch(url, { method: 'POST', body: BODIES[i % BODIES.length] });
      await r.json();
      if (!r.ok) throw new Error(`${url}: ${r.status}`);
      done++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, (_, c) => client(c)));
  return done / ((performance.now() - start) / 1000);
}

/**
 * One figure: `target` is 'sim' (with `members`), 'noop' or 'etcd' (at `url`).
 * @returns {Promise<number>} puts per second
 */
async function measure({ target, members, url, seconds, inflight }) {
  const original = globalThis.fetch;
  if (target === 'etcd') return loop(`${url}/v3/kv/put`, seconds, inflight);
  if (target === 'noop') {
    globalThis.fetch = noopFetch;
    try {
      return await loop(`${MEMBER}/v3/kv/put`, seconds, inflight);
    } finally {
      globalThis.fetch = original;
    }
  }
  const sim = cluster(members);
  sim.driver.resume();
  sim.install();
  try {
    return await loop(`${MEMBER}/v3/kv/put`, seconds, inflight);
  } finally {
    sim.uninstall();
    sim.driver.pause();
  }
}

window.measure = measure;
window.ready = true;
