// Drives one wasm `Sim`: maps wall time onto virtual time and hands every
// output of the core to the handler of its ticket. Shared by the fetch/XHR
// shim and the Node server; knows nothing of HTTP or etcd.

const FINAL = new Set(['response', 'end', 'refused']);

// Real-time mode lets virtual time run at most this far ahead of the wall
// clock while answering: quick requests answer at once, a request that takes
// long in etcd (a timeout, an election) takes about as long here.
const RUN_AHEAD_MS = 250;

export class Driver {
  #sim;
  #mode;
  #handlers = new Map();
  #timer = null;
  // Real-time mode: virtual time = #anchorVirtual + (wall - #anchorWall) * speed,
  // the speed set under /_sim/speed.
  #anchorWall = 0;
  #anchorVirtual = 0;
  // The core's clock epoch: it changes when the clock jumps or stops
  // outside the driver (reset, load, /_sim/pause, resume, step).
  #epoch;

  /**
   * @param {import('../wasm/etcd_sim.js').Sim} sim
   * @param {{mode?: 'realtime' | 'controlled'}} [options]
   */
  constructor(sim, { mode = 'realtime' } = {}) {
    if (mode !== 'realtime' && mode !== 'controlled') {
      throw new TypeError(`unknown mode ${JSON.stringify(mode)}`);
    }
    this.#sim = sim;
    this.#mode = mode;
    this.#epoch = sim.epoch();
    this.#anchor();
  }

  /** 'realtime' or 'controlled'. */
  get mode() {
    return this.#mode;
  }

  get members() {
    return this.#sim.members();
  }

  /** Virtual time in milliseconds. */
  now() {
    return this.#sim.now();
  }

  /** Starts a request; `onOutput` receives every output of its ticket. */
  submit(member, { method, path, headers }, onOutput) {
    const ticket = this.#sim.submit(member, method, path, headers);
    this.#handlers.set(ticket, onOutput);
    this.#pump();
    return ticket;
  }

  body(ticket, data) {
    this.#sim.body(ticket, data);
    this.#pump();
  }

  finish(ticket) {
    this.#sim.finish(ticket);
    this.#pump();
  }

  /** The client went away: the core drops the ticket, nothing more is delivered. */
  cancel(ticket) {
    this.#handlers.delete(ticket);
    this.#sim.cancel(ticket);
    this.#pump();
  }

  /** Controlled mode: virtual time moves `ms` forward. */
  advance(ms) {
    this.#sim.advance_to(this.#sim.now() + ms);
    this.#dispatch();
  }

  /** Controlled mode: virtual time jumps to the next due timer; returns it, or undefined. */
  step() {
    const due = this.#sim.next_due();
    if (due !== undefined) {
      this.#sim.advance_to(due);
      this.#dispatch();
    }
    return due;
  }

  /** Runs until every request that can be answered has been answered. */
  runUntilIdle() {
    this.#sim.run_until_idle();
    this.#dispatch();
  }

  /** Switches to controlled mode: virtual time stops. */
  pause() {
    this.#mode = 'controlled';
    this.#clearTimer();
  }

  /** Switches to real-time mode: virtual time follows the wall clock from where it is. */
  resume() {
    this.#mode = 'realtime';
    this.#anchor();
    this.#pump();
  }

  #speed = 1;

  #anchor() {
    this.#anchorWall = performance.now();
    this.#anchorVirtual = this.#sim.now();
    this.#speed = this.#sim.speed();
  }

  #wallVirtual() {
    return this.#anchorVirtual + (performance.now() - this.#anchorWall) * this.#speed;
  }

  // Real-time mode: catch up with the wall clock, let the world run until
  // idle (virtual time may run ahead of the wall clock meanwhile), deliver,
  // and sleep until the next timer of the core.
  #pump() {
    const epoch = this.#sim.epoch();
    if (epoch !== this.#epoch) {
      this.#epoch = epoch;
      this.#anchor();
    }
    // a world paused under /_sim/ moves only by /_sim/step
    if (this.#mode !== 'realtime' || this.#sim.paused()) {
      this.#clearTimer();
      this.#dispatch();
      return;
    }
    const wall = this.#wallVirtual();
    this.#sim.advance_to(Math.max(this.#sim.now(), wall));
    // slowed down, the world runs ahead as little: a student sees a write travel
    this.#sim.run_until_idle_or(wall + RUN_AHEAD_MS * Math.min(1, this.#speed));
    this.#dispatch();
    this.#schedule();
  }

  #schedule() {
    this.#clearTimer();
    const due = this.#sim.next_due();
    if (due === undefined) return;
    const delay = Math.max(0, (due - this.#wallVirtual()) / this.#speed);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pump();
    }, delay);
    // Under Node, a timer keeps the process alive only while a client waits.
    if (this.#handlers.size === 0) this.#timer.unref?.();
  }

  #clearTimer() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #dispatch() {
    for (let outputs = this.#sim.drain(); outputs.length > 0; outputs = this.#sim.drain()) {
      for (const output of outputs) {
        const handler = this.#handlers.get(output.ticket);
        if (FINAL.has(output.kind)) this.#handlers.delete(output.ticket);
        handler?.(output);
      }
    }
  }
}
