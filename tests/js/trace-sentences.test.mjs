// The playground's sentences for trace events (www/trace-sentences.mjs):
// one per kind, from the typed fields; then every event of a real run.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import test from 'node:test';
import { createCluster } from '../../pkg/index.mjs';
import { sentence } from '../../www/trace-sentences.mjs';

const at = { seq: 1, at: 0 };
const message = { ...at, id: 9, from: 0, to: 1 };

// One example of every kind, and what a student reads.
const EXAMPLES = [
  [
    { ...message, kind: 'send', type: 'App', term: 2, log_term: 1, index: 3, commit: 3, entries: 1, reject: false },
    'm0 sends App to m1 (term 2, 1 entry)',
  ],
  [
    {
      ...message,
      from: 1,
      to: 0,
      kind: 'send',
      type: 'VoteResp',
      term: 3,
      log_term: 0,
      index: 0,
      commit: 0,
      entries: 0,
      reject: true,
    },
    'm1 sends VoteResp to m0 (term 3, rejecting)',
  ],
  [{ ...message, kind: 'deliver', type: 'App' }, 'm1 receives App from m0'],
  [
    { ...message, kind: 'drop', type: 'Heartbeat', reason: 'blocked' },
    'Heartbeat from m0 to m1 is lost: the link is cut',
  ],
  [{ ...message, kind: 'drop', type: 'App', reason: 'loss' }, 'App from m0 to m1 is lost: the link lost it'],
  [{ ...message, kind: 'drop', type: 'Vote', reason: 'down' }, 'Vote from m0 to m1 is lost: the receiver is down'],
  [{ ...message, kind: 'drop', type: 'AppResp', reason: 'crash' }, 'AppResp from m0 to m1 is lost: cut by a crash'],
  [{ ...message, kind: 'drop', type: 'App', reason: 'removed' }, 'App from m0 to m1 is lost: cut by a removal'],
  [{ ...at, kind: 'became_follower', member: 2, term: 3 }, 'm2 becomes follower in term 3'],
  [{ ...at, kind: 'became_follower', member: 2, term: 3, leader: 1 }, 'm2 becomes follower in term 3 (leader m1)'],
  [
    { ...at, kind: 'became_pre_candidate', member: 1, term: 2 },
    'm1 becomes pre-candidate and asks for pre-votes for term 3',
  ],
  [{ ...at, kind: 'became_candidate', member: 1, term: 3 }, 'm1 becomes candidate in term 3'],
  [{ ...at, kind: 'became_leader', member: 0, term: 2 }, 'm0 becomes leader in term 2'],
  [
    { ...at, kind: 'vote', member: 1, candidate: 0, term: 2, pre_vote: false, granted: true },
    'm1 votes for m0 in term 2',
  ],
  [
    { ...at, kind: 'vote', member: 1, candidate: 2, term: 4, pre_vote: false, granted: false },
    'm1 refuses to vote for m2 in term 4',
  ],
  [
    { ...at, kind: 'vote', member: 2, candidate: 1, term: 3, pre_vote: true, granted: true },
    'm2 grants m1 a pre-vote for term 3',
  ],
  [
    { ...at, kind: 'vote', member: 2, candidate: 1, term: 3, pre_vote: true, granted: false },
    'm2 refuses m1 a pre-vote for term 3',
  ],
  [
    { ...at, kind: 'vote_ignored', member: 1, candidate: 2, term: 5 },
    "m1 ignores m2's vote request for term 5: its leader is alive",
  ],
  [{ ...at, kind: 'commit', member: 0, index: 7 }, 'm0 commits up to index 7'],
  [
    { ...at, kind: 'conf_change_refused', member: 0, index: 9 },
    'm0 refuses the conf change at index 9: another one is pending',
  ],
  [
    { ...at, kind: 'snapshot_restored', member: 3, index: 100, term: 2 },
    'm3 replaces its log with a snapshot at index 100 (term 2)',
  ],
  [{ ...at, kind: 'transfer_started', member: 0, to: 2 }, 'm0 starts handing leadership to m2'],
  [{ ...at, kind: 'transfer_aborted', member: 0, to: 2 }, 'm0 stops handing leadership to m2'],
  [{ ...at, kind: 'check_quorum_failed', member: 0, term: 2 }, 'm0 steps down in term 2: no quorum answers it'],
  [
    { ...at, kind: 'apply', member: 0, index: 7, term: 2, entry: 'put', revision: 5 },
    'm0 applied put at index 7 (revision 5)',
  ],
  [{ ...at, kind: 'apply', member: 0, index: 8, term: 2, entry: 'txn' }, 'm0 applied txn at index 8'],
  [
    { ...at, kind: 'apply', member: 1, index: 4, term: 2, entry: 'empty' },
    "m1 applied the new leader's empty entry at index 4",
  ],
  [
    {
      ...at,
      kind: 'apply',
      member: 0,
      index: 20,
      term: 3,
      entry: 'conf_change',
      change: 'add_learner_node',
      node: 3,
      node_id: '42',
    },
    'm0 applied add_learner_node m3 at index 20',
  ],
  [
    { ...at, kind: 'apply', member: 0, index: 21, term: 3, entry: 'conf_change', change: 'add_node', node_id: '42' },
    'm0 applied add_node 42 at index 21',
  ],
  [{ ...at, kind: 'apply_snapshot', member: 3, index: 100, term: 2 }, 'm3 loads a snapshot of the state at index 100'],
  [{ ...at, kind: 'snapshot', member: 0, index: 100 }, 'm0 snapshots its state at index 100 and compacts its log'],
  [{ ...at, kind: 'request', member: 0, request: 'put', ticket: 12 }, 'a client sends put to m0'],
  [{ ...at, kind: 'cluster_started', members: 3 }, 'a cluster of 3 members started'],
  [{ ...at, kind: 'cluster_started', members: 1 }, 'a cluster of 1 member started'],
  [{ ...at, kind: 'crash', member: 2 }, 'm2 crashed'],
  [{ ...at, kind: 'restart', member: 2 }, 'm2 restarted'],
  [{ ...at, kind: 'partition', groups: [[0], [1, 2]] }, 'the network is partitioned: m0 | m1 m2'],
  [{ ...at, kind: 'block', from: 0, to: 1 }, 'm0 can no longer send to m1'],
  [{ ...at, kind: 'heal' }, 'the network is healed'],
  [
    { ...at, kind: 'link', from: 1, to: 2, latency_ms: 50, jitter_ms: 10, loss: 0.1 },
    'link m1 → m2: 50 ms latency, up to 10 ms more, 10% loss',
  ],
  [{ ...at, kind: 'link', latency_ms: 2, jitter_ms: 1, loss: 0 }, 'every link: 2 ms latency, up to 1 ms more, 0% loss'],
  [{ ...at, kind: 'transfer', to: 2 }, 'leadership transfer to m2 requested'],
  [{ ...at, kind: 'add_member', member: 3, learner: true }, 'm3 added as a learner'],
  [{ ...at, kind: 'add_member', member: 3, learner: false }, 'm3 added'],
  [{ ...at, kind: 'start_member', member: 3 }, 'm3 started, empty'],
  [{ ...at, kind: 'remove_member', member: 3 }, 'removal of m3 proposed'],
  [{ ...at, kind: 'pause' }, 'time paused'],
  [{ ...at, kind: 'resume' }, 'time resumed'],
];

test('each kind of event reads as a sentence made of its fields', () => {
  for (const [event, want] of EXAMPLES) assert.equal(sentence(event), want, JSON.stringify(event));
});

test('every kind that pkg/index.d.ts declares has an example', async () => {
  const types = await readFile(new URL('../../pkg/index.d.ts', import.meta.url), 'utf8');
  const union = types.slice(types.indexOf('export type TraceEvent'), types.indexOf('export interface SimLog'));
  const declared = new Set([...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]));
  for (const kind of EXAMPLES.map(([e]) => e.kind)) assert.ok(declared.has(kind), `${kind} is not declared`);
  const kinds = new Set(EXAMPLES.map(([e]) => e.kind));
  const reasons = ['loss', 'blocked', 'down', 'crash', 'removed'];
  const changes = ['add_node', 'add_learner_node', 'remove_node', 'update_node'];
  for (const kind of declared) {
    if (reasons.includes(kind) || changes.includes(kind)) continue;
    assert.ok(kinds.has(kind), `no example of ${kind}`);
  }
});

test('every event of a real election reads as a sentence', async () => {
  const cluster = createCluster({ mode: 'controlled' });
  const { next } = await cluster.sim.trace();
  await cluster.sim.crash(0);
  cluster.driver.advance(3000);
  const { events } = await cluster.sim.trace(next);
  assert.ok(events.length > 20);
  const text = events.map(sentence);
  for (const [i, s] of text.entries()) {
    assert.ok(s !== events[i].kind && !/undefined|NaN/.test(s), `${JSON.stringify(events[i])}: ${s}`);
  }
  const state = await cluster.sim.state();
  const leader = `m${state.leader}`;
  const term = state.members[state.leader].term;
  assert.ok(text.includes('m0 crashed'), text.join('\n'));
  assert.ok(text.includes(`${leader} becomes candidate in term ${term}`), text.join('\n'));
  assert.ok(text.includes(`${leader} becomes leader in term ${term}`), text.join('\n'));
  assert.ok(
    text.some((s) => s.endsWith(`votes for ${leader} in term ${term}`)),
    text.join('\n'),
  );
});
