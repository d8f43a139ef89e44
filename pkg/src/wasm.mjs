// Loads the core once per JS realm: from the file next to this package under
// Node, over the network (fetch) in a browser.

import init, { initSync, Sim } from '../wasm/etcd_sim.js';

const wasmUrl = new URL('../wasm/etcd_sim_bg.wasm', import.meta.url);

if (globalThis.process?.versions?.node) {
  const { readFile } = await import('node:fs/promises');
  initSync({ module: await readFile(wasmUrl) });
} else {
  await init({ module_or_path: wasmUrl });
}

export { Sim };
