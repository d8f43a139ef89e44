// Memory of the core under Node, in-process: one measurement per process,
// since wasm memory never shrinks. Prints one JSON line; `make bench`
// (benches/bench.mjs) runs it and puts the figures in its table.
//
//   node --expose-gc benches/memory.mjs load MEMBERS PUTS
//     PUTS puts of 16-byte keys and 100-byte values, 64 in flight, to a
//     fresh cluster of MEMBERS: wasm memory and process RSS before and after.
//   node --expose-gc benches/memory.mjs longrun PUTS [SAVE_EVERY]
//     PUTS puts over 1,000 keys to 3 members, a compaction every 10,000
//     revisions: wasm memory along the way (and the save's size every
//     SAVE_EVERY puts, if given), then save() (size, time, growth).

import { readFile } from 'node:fs/promises';
import { Sim } from '../pkg/index.mjs';
import { initSync } from '../pkg/wasm/etcd_sim.js';

// The instance pkg/index.mjs loaded (initSync hands back the one it has).
const wasm = initSync({ module: await readFile(new URL('../pkg/wasm/etcd_sim_bg.wasm', import.meta.url)) });

const INFLIGHT = 64;
const VALUE = btoa('v'.repeat(100));
const encoder = new TextEncoder();

const wasmBytes = () => wasm.memory.buffer.byteLength;

function rss() {
  globalThis.gc?.();
  return process.memoryUsage().rss;
}

/** A 16-byte key, base64. */
const key = (i) => btoa(`key-${String(i).padStart(12, '0')}`);

/** One request of a client, answered as soon as the world can. */
function submit(sim, method, path, body) {
  const ticket = sim.submit(0, method, path, []);
  if (body !== undefined) sim.body(ticket, encoder.encode(JSON.stringify(body)));
  sim.finish(ticket);
  return ticket;
}

/** Runs the world until the requests submitted are answered; their answers. */
function answers(sim) {
  sim.run_until_idle();
  const out = [];
  for (const o of sim.drain()) {
    if (o.kind !== 'response') continue;
    if (o.status !== 200) throw new Error(`status ${o.status}: ${new TextDecoder().decode(o.body)}`);
    out.push(o);
  }
  return out;
}

/** Puts keys `keyOf(from)`... `keyOf(to - 1)`, INFLIGHT at a time; the last revision. */
function puts(sim, from, to, keyOf) {
  let revision = 0;
  for (let i = from; i < to; i += INFLIGHT) {
    for (let j = i; j < Math.min(to, i + INFLIGHT); j++) {
      submit(sim, 'POST', '/v3/kv/put', { key: keyOf(j), value: VALUE });
    }
    for (const o of answers(sim)) {
      revision = Math.max(revision, Number(JSON.parse(new TextDecoder().decode(o.body)).header.revision));
    }
  }
  return revision;
}

function load(members, count) {
  const sim = new Sim(JSON.stringify({ members }));
  sim.run_until_idle();
  const before = { wasm: wasmBytes(), rss: rss() };
  const start = performance.now();
  puts(sim, 0, count, key);
  const seconds = (performance.now() - start) / 1000;
  return {
    members,
    puts: count,
    seconds,
    wasmBefore: before.wasm,
    wasmAfter: wasmBytes(),
    rssBefore: before.rss,
    rssAfter: rss(),
  };
}

/** The world saved (`/_sim/save`): its bytes. */
function save(sim) {
  submit(sim, 'GET', '/_sim/save');
  const [saved] = answers(sim);
  return saved.body;
}

function longrun(count, saveEvery) {
  const sim = new Sim(JSON.stringify({ members: 3 }));
  sim.run_until_idle();
  const wasmStart = wasmBytes();
  const start = performance.now();
  const along = [];
  const saves = [];
  let compacted = 0;
  const step = 10_000;
  for (let done = 0; done < count; done += step) {
    const revision = puts(sim, done, Math.min(count, done + step), (i) => key(i % 1000));
    if (revision - compacted >= 10_000) {
      submit(sim, 'POST', '/v3/kv/compaction', { revision: String(revision) });
      answers(sim);
      compacted = revision;
    }
    along.push([Math.min(count, done + step), wasmBytes()]);
    // the save along the way (a checkpoint and the inputs since it), when
    // asked: saving costs wasm memory of its own
    if (saveEvery && (done + step) % saveEvery === 0) saves.push([done + step, save(sim).length]);
  }
  const seconds = (performance.now() - start) / 1000;
  const wasmEnd = wasmBytes();
  const saveStart = performance.now();
  const saved = save(sim);
  const saveMs = performance.now() - saveStart;
  return {
    puts: count,
    seconds,
    wasmStart,
    wasmEnd,
    along,
    saveBytes: saved.length,
    saves,
    saveMs,
    wasmAfterSave: wasmBytes(),
  };
}

const [mode, ...args] = process.argv.slice(2);
const result =
  mode === 'load'
    ? load(Number(args[0]), Number(args[1]))
    : mode === 'longrun'
      ? longrun(Number(args[0]), Number(args[1] ?? 0))
      : null;
if (result === null) {
  console.error('usage: memory.mjs load MEMBERS PUTS | longrun PUTS [SAVE_EVERY]');
  process.exit(2);
}
console.log(JSON.stringify(result));
