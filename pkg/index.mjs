// etcd-sim: a simulated etcd 3.5 cluster answering etcd's HTTP/JSON gateway
// in-process, through fetch() and XMLHttpRequest (browser and Node).

import { Driver } from './src/driver.mjs';
import { memberFetch } from './src/fetch.mjs';
import { memberXMLHttpRequest } from './src/xhr.mjs';
import init, { initSync, Sim } from './wasm/etcd_sim.js';

// The core, loaded once per JS realm: from the file next to this module
// under Node, over the network in a browser (compiled as it streams in).
// Here rather than in a module of its own: a page fetches the module graph
// level by level, and the wasm only once the graph is in.
const wasmUrl = new URL('./wasm/etcd_sim_bg.wasm', import.meta.url);
if (globalThis.process?.versions?.node) {
  const { readFile } = await import('node:fs/promises');
  initSync({ module: await readFile(wasmUrl) });
} else {
  await init({ module_or_path: wasmUrl });
}

export { Driver, Sim };

/** etcd's local-cluster convention: member i answers at these origins. */
export const DEFAULT_ENDPOINTS = [2379, 22379, 32379].map((port) => [
  `http://localhost:${port}`,
  `http://127.0.0.1:${port}`,
]);

/**
 * @param {import('./index.d.ts').ClusterOptions} [options]
 * @returns {import('./index.d.ts').Cluster}
 */
export function createCluster({ members = 3, seed, endpoints, mode } = {}) {
  // Every endpoint answers, also those of members beyond the current count:
  // after a reset to fewer members the core itself refuses them.
  const perMember = (endpoints ?? DEFAULT_ENDPOINTS).map((e) => [e].flat());
  if (perMember.length < members) {
    throw new RangeError(`${members} members need ${members} endpoints, got ${perMember.length}`);
  }
  const origins = new Map();
  perMember.forEach((bases, member) => bases.forEach((base) => origins.set(new URL(base).origin, member)));
  const memberOf = (url) => origins.get(url.origin);

  const driver = new Driver(new Sim(JSON.stringify({ members, seed })), { mode });
  const urls = perMember.map((bases) => new URL(bases[0]).origin);
  // The globals that install() replaced, while installed.
  let saved = null;
  const fetch = memberFetch(driver, memberOf, () => (saved ? saved.fetch : globalThis.fetch));
  const XMLHttpRequest = memberXMLHttpRequest(
    fetch,
    (url) => memberOf(url) !== undefined,
    () => (saved ? saved.XMLHttpRequest : globalThis.XMLHttpRequest),
  );

  return {
    driver,
    urls,
    fetch,
    XMLHttpRequest,
    install() {
      if (saved) return;
      saved = { fetch: globalThis.fetch, XMLHttpRequest: globalThis.XMLHttpRequest };
      globalThis.fetch = fetch;
      globalThis.XMLHttpRequest = XMLHttpRequest;
    },
    uninstall() {
      if (!saved) return;
      globalThis.fetch = saved.fetch;
      if (saved.XMLHttpRequest === undefined) delete globalThis.XMLHttpRequest;
      else globalThis.XMLHttpRequest = saved.XMLHttpRequest;
      saved = null;
    },
    // The core answers /_sim/ control paths itself; JS only carries the call.
    async reset(opts = {}) {
      await control('reset', opts);
    },
    /** Control and inspection of the simulated world (see README, "Break the cluster"). */
    sim: {
      state: () => control('state'),
      trace: (since = 0) => control(`trace?since=${since}`),
      log: (member, { from, limit } = {}) => control(`log?${listing({ member, from, limit })}`),
      mvcc: (member, { prefix, limit } = {}) => control(`mvcc?${listing({ member, prefix, limit })}`),
      leases: () => control('leases'),
      watches: () => control('watches'),
      crash: (member) => control('crash', { member }),
      restart: (member) => control('restart', { member }),
      partition: (groups) => control('partition', { groups }),
      block: (from, to) => control('block', { from, to }),
      heal: () => control('heal', {}),
      link: (link) => control('link', link),
      transfer: (member) => control('transfer', { member }),
      addMember: (learner = false) => control('add_member', { learner }),
      removeMember: (member) => control('remove_member', { member }),
      pause: () => control('pause', {}),
      resume: () => control('resume', {}),
      step: (ms) => control('step', ms === undefined ? {} : { ms }),
      speed: (speed) => control('speed', { speed }),
      /** The whole world as a JSON-able object; `load` gives it back exactly. */
      save: () => control('save'),
      load: (world) => control('load', typeof world === 'string' ? JSON.parse(world) : world),
    },
  };

  /** The query of a `/_sim/` listing: the parameters given, escaped. */
  function listing(params) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
    return query;
  }

  /** A `/_sim/` call: POST with `body`, GET without; the parsed answer. */
  async function control(path, body) {
    const init = body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) };
    const response = await fetch(`${urls[0]}/_sim/${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  }
}
