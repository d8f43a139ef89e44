// Starts the CLI (pkg/bin/etcd-sim.mjs) on free ports for a test.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

export const BIN = new URL('../../pkg/bin/etcd-sim.mjs', import.meta.url);
export async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}

/** Starts the CLI on free ports; resolves once it printed `ready`, with its URLs and process id. */
export async function start(t, members = 3, extra = []) {
  const ports = [await freePort(), await freePort(), await freePort()];
  const playground = await freePort();
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const child = spawn(
    process.execPath,
    [
      BIN.pathname,
      '--members',
      String(members),
      '--listen-client-urls',
      urls.join(','),
      '--playground',
      String(playground),
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => child.kill());
  let out = '';
  for await (const data of child.stdout) {
    out += data;
    if (out.includes('ready')) break;
  }
  assert.match(out, /ready/);
  return { urls, playground: `http://127.0.0.1:${playground}`, pid: child.pid };
}
