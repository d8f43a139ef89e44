// A throw-away real etcd 3.5.1 cluster on free ports of 127.0.0.1, for the
// benchmarks' anchors. The binary is the differential test's
// (tests/differential/real_etcd.py fetch downloads it once); the ports are
// free ones, not etcd's usual 2379..., which other tests use. Every start
// has fresh data dirs; stop() kills the processes and removes them.

import { execFileSync, spawn } from 'node:child_process';
import { openSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const START_TIMEOUT_MS = 30_000;

/** The path of etcd 3.5.1, downloaded into .tools/ the first time. */
export function etcdBinary() {
  const out = execFileSync('python3', [join(ROOT, 'tests/differential/real_etcd.py'), 'fetch'], { encoding: 'utf8' });
  return out.trim().split('\n').at(-1);
}

/** A port nobody listens on now. */
async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

/** Each running cluster's processes and data dir, gone when this process ends however it ends. */
const running = new Map();
process.on('exit', () => {
  for (const [procs, data] of running) {
    for (const p of procs) p.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  }
});

/**
 * Starts `members` etcd 3.5.1 members; member 0 is the leader once this
 * resolves (as the simulator's member 0 is on a fresh cluster). `fsync:
 * false` starts them with `--unsafe-no-fsync`.
 * @returns {Promise<{urls: string[], pids: number[], stop: () => Promise<void>}>}
 */
export async function startEtcd(members, binary = etcdBinary(), { fsync = true } = {}) {
  const data = await mkdtemp(join(tmpdir(), 'etcd-bench-'));
  const ports = [];
  for (let i = 0; i < 2 * members; i++) ports.push(await freePort());
  const peer = (i) => `http://127.0.0.1:${ports[2 * i + 1]}`;
  const urls = [...Array(members).keys()].map((i) => `http://127.0.0.1:${ports[2 * i]}`);
  const initial = urls.map((_, i) => `m${i}=${peer(i)}`).join(',');
  const procs = urls.map((url, i) => {
    const log = openSync(join(data, `m${i}.log`), 'w');
    // prettier-ignore
    const args = [
      '--name', `m${i}`, '--data-dir', join(data, `m${i}`),
      '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', peer(i), '--initial-advertise-peer-urls', peer(i),
      '--initial-cluster', initial, '--initial-cluster-token', 'bench',
      '--initial-cluster-state', 'new', '--log-level', 'warn',
      ...(fsync ? [] : ['--unsafe-no-fsync']),
    ];
    return spawn(binary, args, { stdio: ['ignore', log, log] });
  });
  running.set(procs, data);
  const stop = async () => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', resolve);
            p.kill('SIGKILL');
          }),
      ),
    );
    running.delete(procs);
    rmSync(data, { recursive: true, force: true });
  };
  try {
    await serving(urls, procs, data);
    await leaderIsFirst(urls);
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls, pids: procs.map((p) => p.pid), stop };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until every member answers a linearizable read. */
async function serving(urls, procs, data) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (const url of urls) {
    for (;;) {
      try {
        await post(`${url}/v3/kv/range`, { key: 'AA==' });
        break;
      } catch {
        if (procs.some((p) => p.exitCode !== null)) throw new Error(`an etcd exited at start (logs: ${data})`);
        if (Date.now() > deadline) throw new Error(`${url} not serving after ${START_TIMEOUT_MS} ms`);
        await sleep(100);
      }
    }
  }
}

/** Whoever won the first election hands leadership over to member 0. */
async function leaderIsFirst(urls) {
  const status = (url) => post(`${url}/v3/maintenance/status`, {});
  const ids = new Map();
  for (const url of urls) ids.set((await status(url)).header.member_id, url);
  const first = (await status(urls[0])).header.member_id;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const leaders = await Promise.all(urls.map((url) => status(url).then((s) => s.leader)));
    if (leaders.every((l) => l === first)) return;
    if (Date.now() > deadline) throw new Error('member 0 did not become the leader');
    const leader = ids.get(leaders[0]);
    if (leader && leaders[0] !== first) {
      await post(`${leader}/v3/maintenance/transfer-leadership`, { targetID: first }).catch(() => {});
    }
    await sleep(200);
  }
}

/** A process's resident set (VmRSS), in bytes. */
export function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kb * 1024;
}
