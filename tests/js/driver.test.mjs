import assert from 'node:assert/strict';
import test from 'node:test';
import { Driver } from '../../pkg/src/driver.mjs';
import { bytes, FakeClock, FakeSim } from './fake-sim.mjs';

test('outputs reach the handler of their ticket, and none after the final one', () => {
  const sim = new FakeSim();
  sim.onFinish = (t) => {
    sim.push({ kind: 'head', ticket: t, status: 200, headers: [] });
    sim.push({ kind: 'chunk', ticket: t, data: new Uint8Array([1]) });
    sim.push({ kind: 'end', ticket: t });
    sim.push({ kind: 'chunk', ticket: t, data: new Uint8Array([2]) });
  };
  const driver = new Driver(sim);
  const seen = { a: [], b: [] };
  const a = driver.submit(0, { method: 'GET', path: '/a', headers: [] }, (o) => seen.a.push(o.kind));
  driver.submit(1, { method: 'GET', path: '/b', headers: [] }, (o) => seen.b.push(o.kind));
  driver.finish(a);
  assert.deepEqual(seen, { a: ['head', 'chunk', 'end'], b: [] });
});

test('real-time mode: virtual time follows the wall clock and one timer waits for next_due', async () => {
  const sim = new FakeSim();
  const driver = new Driver(sim);
  sim.due = [40];
  const t = driver.submit(0, { method: 'POST', path: '/v3/watch', headers: [] }, () => {});
  assert.ok(sim.now() < 40);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.ok(sim.now() >= 40, `virtual time ${sim.now()} should have passed the timer at 40`);
  driver.cancel(t);
});

test('controlled mode: time moves only by advance, step and runUntilIdle', async () => {
  const sim = new FakeSim();
  const driver = new Driver(sim, { mode: 'controlled' });
  sim.due = [250, 1000];
  driver.submit(0, { method: 'GET', path: '/version', headers: [] }, () => {});
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(driver.now(), 0);
  driver.advance(100);
  assert.equal(driver.now(), 100);
  assert.equal(driver.step(), 250);
  assert.equal(driver.now(), 250);
  assert.equal(driver.step(), 1000);
  assert.equal(driver.step(), undefined);
});

test('pause stops virtual time, resume continues from where it stopped', async () => {
  const sim = new FakeSim();
  const driver = new Driver(sim);
  driver.pause();
  assert.equal(driver.mode, 'controlled');
  const before = driver.now();
  await new Promise((resolve) => setTimeout(resolve, 30));
  driver.resume();
  assert.equal(driver.mode, 'realtime');
  assert.ok(driver.now() - before < 25, 'the paused time is not made up');
});

test('a world paused in the core stays put; a new clock epoch re-anchors real time', async () => {
  const sim = new FakeSim();
  const driver = new Driver(sim);
  sim.due = [10, 20, 30];
  sim.isPaused = true;
  sim.epochValue = 1;
  const t = driver.submit(0, { method: 'POST', path: '/v3/watch', headers: [] }, () => {});
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(sim.now(), 0, 'paused: the driver moved no time');
  // a step inside the core moved the clock far ahead, then the world resumed
  sim.advance_to(5000);
  sim.isPaused = false;
  sim.epochValue = 2;
  sim.due = [5040];
  driver.body(t, new Uint8Array([123]));
  assert.ok(sim.now() >= 5000 && sim.now() < 5040, `now ${sim.now()}: time goes on from 5000`);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.ok(sim.now() >= 5040, `now ${sim.now()}: the timer at 5040 fired in real time`);
  driver.cancel(t);
});

test('the speed set in the core scales how fast virtual time follows the wall clock', async () => {
  const sim = new FakeSim();
  const driver = new Driver(sim);
  sim.speedValue = 10;
  sim.epochValue = 1;
  const t = driver.submit(0, { method: 'POST', path: '/v3/watch', headers: [] }, () => {});
  await new Promise((resolve) => setTimeout(resolve, 100));
  driver.body(t, new Uint8Array([1]));
  assert.ok(sim.now() >= 900, `10x: ${sim.now()} virtual ms after 100 wall ms`);
  const fast = sim.now();
  sim.speedValue = 0.1;
  sim.epochValue = 2;
  driver.body(t, new Uint8Array([2]));
  await new Promise((resolve) => setTimeout(resolve, 100));
  driver.body(t, new Uint8Array([3]));
  assert.ok(sim.now() - fast < 30, `0.1x: ${sim.now() - fast} virtual ms after 100 wall ms`);
  driver.cancel(t);
});

const put = { method: 'POST', path: '/v3/kv/put', headers: [] };

test('with a request in flight, work due in virtual time is done at once, not waited for on a wall timer', () => {
  const sim = new FakeSim();
  const clock = new FakeClock();
  const driver = new Driver(sim, { clock });
  // the answer needs 40 ms of virtual time (a round trip over slow links)
  sim.onFinish = (t) => sim.answerAt(40, { kind: 'response', ticket: t, status: 200, headers: [], body: bytes('{}') });
  const seen = [];
  driver.request(0, put, bytes('{}'), (o) => seen.push(o.kind));
  assert.deepEqual(seen, ['response'], 'answered in the same call');
  assert.equal(sim.now(), 40);
  assert.equal(clock.wall, 0, 'no wall time passed');
  assert.equal(clock.fired, 0, 'no timer fired');
});

test('virtual time runs ahead of the wall clock by 250 ms at most, then waits for it', () => {
  const sim = new FakeSim();
  const clock = new FakeClock();
  const driver = new Driver(sim, { clock });
  // Raft ticks every 100 ms, and an answer that takes 1 s of virtual time
  // (an election, say)
  sim.due = Array.from({ length: 30 }, (_, i) => 100 * (i + 1));
  sim.onFinish = (t) =>
    sim.answerAt(1000, { kind: 'response', ticket: t, status: 200, headers: [], body: bytes('{}') });
  let answeredAt;
  driver.request(0, put, bytes('{}'), () => (answeredAt = clock.wall));
  assert.equal(sim.now(), 200, 'ran ahead to the last tick within 250 ms');
  for (let wall = 0; answeredAt === undefined && wall < 2000; wall += 10) {
    clock.runTo(wall);
    assert.ok(sim.now() <= clock.wall + 250, `virtual ${sim.now()} at wall ${clock.wall}`);
  }
  assert.ok(answeredAt >= 750 && answeredAt < 1000, `answered at wall ${answeredAt}`);
  assert.ok(clock.fired <= 10, `${clock.fired} wake-ups: the driver sleeps between the core's timers`);
});

test('however many requests are answered, a timer of the core fires at its wall time', () => {
  const sim = new FakeSim();
  const clock = new FakeClock();
  const driver = new Driver(sim, { clock });
  sim.due = [3000]; // a lease expiring 3 s from now
  sim.onFinish = (t) => sim.push({ kind: 'response', ticket: t, status: 200, headers: [], body: bytes('{}') });
  let answered = 0;
  for (let wall = 0; wall <= 3100; wall += 1) {
    for (let i = 0; i < 10; i++) driver.request(0, put, bytes('{}'), () => answered++);
    const expired = sim.due.length === 0;
    assert.equal(expired, wall >= 3000, `at wall ${wall}, virtual ${sim.now()}`);
    clock.runTo(wall + 1);
  }
  assert.equal(answered, 31_010);
});
