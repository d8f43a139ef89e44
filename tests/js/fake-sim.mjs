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

  body(ticket, data) {
    this.calls.push(['body', ticket, new TextDecoder().decode(data)]);
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
  }

  next_due() {
    return this.due.length ? Math.min(...this.due) : undefined;
  }

  run_until_idle() {}

  run_until_idle_or() {}

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
