// The real core under a driver whose wall clock the test moves: requests
// are answered without waiting on the wall clock, and virtual time still
// keeps pace with it (a lease expires after its TTL of wall time).

import assert from 'node:assert/strict';
import test from 'node:test';
import { Driver, Sim } from '../../pkg/index.mjs';
import { FakeClock } from './fake-sim.mjs';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A driver of a fresh world of `members` on a fake wall clock. */
function world(members) {
  const clock = new FakeClock();
  const sim = new Sim(JSON.stringify({ members }));
  const driver = new Driver(sim, { clock });
  /** A unary request to `member`; its answer if it came within the call. */
  const call = (path, body, member = 0) => {
    let answer;
    const request = { method: 'POST', path, headers: [['content-type', 'application/json']] };
    driver.request(member, request, encoder.encode(JSON.stringify(body)), (o) => {
      answer = { status: o.status, body: JSON.parse(decoder.decode(o.body)) };
    });
    return answer;
  };
  return { clock, driver, call };
}

for (const members of [3, 5, 7]) {
  test(`${members} members answer a write at once, in no virtual time (loopback links)`, () => {
    const { clock, driver, call } = world(members);
    const start = driver.now();
    for (let i = 0; i < 100; i++) {
      // at the leader, and at a follower that forwards it
      const answer = call('/v3/kv/put', { key: btoa(`k${i}`), value: btoa('v') }, i % 2);
      assert.equal(answer?.status, 200, `put ${i}: ${JSON.stringify(answer)}`);
      assert.equal(answer.body.header.revision, String(i + 2));
    }
    assert.equal(driver.now(), start, 'virtual time did not move');
    assert.equal(clock.fired, 0, 'no wall-clock timer was waited for');
  });
}

test('a lease expires after its TTL of wall time however many writes are made meanwhile', () => {
  const { clock, driver, call } = world(3);
  const { ID } = call('/v3/lease/grant', { TTL: 3 }).body;
  call('/v3/kv/put', { key: btoa('leased'), value: btoa('v'), lease: ID });
  const start = clock.wall;
  let expiredAfter;
  for (let ms = 1; ms <= 5000 && expiredAfter === undefined; ms++) {
    clock.runTo(start + ms);
    // two writes every wall ms, each answered at once
    for (let i = 0; i < 2; i++) {
      assert.equal(call('/v3/kv/put', { key: btoa(`k${i}`), value: btoa(`${ms}`) })?.status, 200);
    }
    assert.ok(driver.now() <= clock.wall + 250, `virtual ${driver.now()} at wall ${clock.wall}`);
    if (ms % 10 === 0 && !call('/v3/kv/range', { key: btoa('leased') }).body.kvs) expiredAfter = ms;
  }
  assert.ok(expiredAfter >= 3000 && expiredAfter <= 4000, `expired after ${expiredAfter} ms of wall time`);
});
