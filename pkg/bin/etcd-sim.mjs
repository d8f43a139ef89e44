#!/usr/bin/env node
// etcd-sim: a simulated etcd 3.5 cluster on etcd's client ports, plus the playground.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Driver, Sim } from '../index.mjs';
import { gatewayHandler } from '../src/node-server.mjs';
import { staticHandler } from '../src/static.mjs';

const USAGE = `Usage: etcd-sim [options]

  --members N                 members of the cluster (default 3)
  --listen-client-urls URLS   comma separated, one per member, member 0 first
                              (default http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379)
  --seed N                    seed of every random choice of the simulation
  --playground PORT|off       serve the playground on http://127.0.0.1:PORT/ (default 8080)
  --load FILE                 start from a saved world (GET /_sim/save); its
                              members are served on the client URLs
  --help
`;

function fail(message) {
  process.stderr.write(`etcd-sim: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function integer(name, text) {
  if (!/^\d+$/.test(text)) fail(`--${name} wants a number, got ${JSON.stringify(text)}`);
  return Number(text);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      members: { type: 'string', default: '3' },
      'listen-client-urls': {
        type: 'string',
        default: 'http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379',
      },
      seed: { type: 'string' },
      playground: { type: 'string', default: '8080' },
      load: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  fail(err.message);
}
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const members = integer('members', args.members);
const seed = args.seed === undefined ? undefined : integer('seed', args.seed);
const urls = args['listen-client-urls']
  .split(',')
  .map((u) => u.trim())
  .filter(Boolean);
if (urls.length < members) fail(`${members} members need ${members} --listen-client-urls, got ${urls.length}`);

const driver = new Driver(new Sim(JSON.stringify({ members, seed })));
if (args.load !== undefined) load(args.load);

// Loads a saved world as POST /_sim/load does (the core answers at once).
function load(file) {
  let saved;
  try {
    saved = readFileSync(file);
  } catch (err) {
    fail(`--load: ${err.message}`);
  }
  const ticket = driver.submit(0, { method: 'POST', path: '/_sim/load', headers: [] }, (output) => {
    if (output.kind !== 'response' || output.status !== 200) {
      fail(`--load ${file}: ${output.body ? new TextDecoder().decode(output.body) : output.kind}`);
    }
  });
  driver.body(ticket, saved);
  driver.finish(ticket);
}

// Every URL listens, also those of members beyond the current count: after a
// /_sim/reset to fewer members the core itself refuses them.
const servers = urls.map((u, member) => {
  const url = new URL(u);
  if (url.protocol !== 'http:' || !url.port) fail(`--listen-client-urls: want http://HOST:PORT, got ${u}`);
  const server = createServer({ requestTimeout: 0 }, gatewayHandler(driver, member));
  return listen(server, url.hostname.replace(/^\[|\]$/g, ''), Number(url.port), u);
});
let playground = null;
if (args.playground !== 'off') {
  const port = integer('playground', args.playground);
  const root = fileURLToPath(new URL('..', import.meta.url));
  servers.push(listen(createServer(staticHandler(root, { home: '/www/' })), '127.0.0.1', port, 'playground'));
  playground = `http://127.0.0.1:${port}/`;
}

function listen(server, host, port, what) {
  return new Promise((resolve) => {
    server.once('error', (err) => {
      process.stderr.write(`etcd-sim: cannot listen for ${what}: ${err.message}\n`);
      process.exit(1);
    });
    server.listen(port, host, () => resolve(server));
  });
}

await Promise.all(servers);
const serving = driver.members; // a loaded world brings its own
process.stdout.write(
  `etcd-sim ready: ${serving} members at ${urls.slice(0, serving).join(', ')}` +
    (playground ? `; playground at ${playground}` : '') +
    '\n',
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
