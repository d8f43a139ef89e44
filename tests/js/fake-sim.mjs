// A stand-in for the wasm Sim with the same methods: records every call and
// answers what the test scripts, so the JS layer is tested on its own.

export class FakeSim {
  calls = [];
  #now = 0;
  #next = 1;
  #outputs = [];
  /** Virtual times at which the test wants to be woken up. */
  due = [];
  /** Called on finish(ticket): the test pushes the outputs it wants. */
  onFinish = () => {};

  /** What the core's clock controls (/_sim/pause, reset, load) set. */
  isPaused = false;
  epochValue = 0;

  members() {
    return 3;
  }

  paused() {
    return this.isPaused;
  }

  epoch() {
    return this.epochValue;
  }

  speedValue = 1;

  speed() {
    return this.speedValue;
  }

  submit(member, method, path, headers) {
    const ticket = this.#next++;
    this.calls.push(['submit', ticket, member, method, path, headers]);
    return ticket;
  }

  /** The core reads a body no further than this many bytes (then `body` answers false). */
  readLimit = Infinity;
  #read = new Map();

  body(ticket, data) {
    this.calls.push(['body', ticket, new TextDecoder().decode(data)]);
    const read = (this.#read.get(ticket) ?? 0) + data.length;
    this.#read.set(ticket, read);
    return read < this.readLimit;
  }

  finish(ticket) {
    this.calls.push(['finish', ticket]);
    this.onFinish(ticket);
  }

  cancel(ticket) {
    this.calls.push(['cancel', ticket]);
  }

  now() {
    return this.#now;
  }

  advance_to(ms) {
    this.#now = Math.max(this.#now, ms);
    this.due = this.due.filter((t) => t > this.#now);
    for (const [at, output] of this.#waiting.filter(([at]) => at <= this.#now)) this.push(output);
    this.#waiting = this.#waiting.filter(([at]) => at > this.#now);
    this.advanced.push(this.#now);
  }

  /** Every time advance_to moved the clock to. */
  advanced = [];

  next_due() {
    const all = [...this.due, ...this.#waiting.map(([at]) => at)];
    return all.length ? Math.min(...all) : undefined;
  }

  /** Outputs that come out once virtual time reaches their time, `[at, output]`. */
  #waiting = [];

  /** `output` comes out at virtual time `at` (a request that takes time to answer). */
  answerAt(at, output) {
    this.#waiting.push([at, output]);
  }

  run_until_idle() {
    this.run_until_idle_or(Infinity);
  }

  // As the core: runs from one thing due to the next while a request
  // waits, never past `limit`.
  run_until_idle_or(limit) {
    while (this.#waiting.length > 0) {
      const at = this.next_due();
      if (at > limit) break;
      this.advance_to(at);
    }
  }

  push(output) {
    this.#outputs.push(output);
  }

  drain() {
    return this.#outputs.splice(0);
  }

  /** The calls of one kind, without the kind. */
  of(kind) {
    return this.calls.filter((c) => c[0] === kind).map((c) => c.slice(1));
  }
}

export const bytes = (text) => new TextEncoder().encode(text);

/** A wall clock the test moves by hand, with its timers (the driver's `clock`). */
export class FakeClock {
  wall = 0;
  #timers = new Map();
  #next = 1;
  /** How many timers fired so far. */
  fired = 0;

  now() {
    return this.wall;
  }

  setTimeout(f, ms) {
    const id = this.#next++;
    this.#timers.set(id, [this.wall + ms, f]);
    return id;
  }

  clearTimeout(id) {
    this.#timers.delete(id);
  }

  /** The wall time the next timer fires at, or undefined. */
  nextTimer() {
    const ats = [...this.#timers.values()].map(([at]) => at);
    return ats.length ? Math.min(...ats) : undefined;
  }

  /** Moves the wall clock to `to`, firing each timer due on the way at its time. */
  runTo(to) {
    for (let at = this.nextTimer(); at !== undefined && at <= to; at = this.nextTimer()) {
      const [id, [, f]] = [...this.#timers].find(([, [when]]) => when === at);
      this.#timers.delete(id);
      this.wall = Math.max(this.wall, at);
      this.fired++;
      f();
    }
    this.wall = Math.max(this.wall, to);
  }
}
