// Drives one wasm `Sim`: maps wall time onto virtual time and hands every
// output of the core to the handler of its ticket. Shared by the fetch/XHR
// shim and the Node server; knows nothing of HTTP or etcd.

const FINAL = new Set(['response', 'end', 'refused']);

// A long string body goes to the core in pieces of this many bytes.
const TEXT_PIECE = 1 << 16;
const encoder = new TextEncoder();

// Real-time mode lets virtual time run at most this far ahead of the wall
// clock while answering: quick requests answer at once, a request that takes
// long in etcd (a timeout, an election) takes about as long here. Over the
// default loopback links a write takes no virtual time at all, so however
// many requests come, virtual time keeps pace with the wall clock and a
// lease expires after its TTL of wall time.
const RUN_AHEAD_MS = 250;

/** The wall clock and its timers: `performance.now()` and `setTimeout`. */
const WALL = {
  now: () => performance.now(),
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (t) => clearTimeout(t),
};

export class Driver {
  #sim;
  #mode;
  #clock;
  #handlers = new Map();
  // The one wall-clock timer, and the wall time it fires at.
  #timer = null;
  #timerAt = Infinity;
  // Real-time mode: virtual time = #anchorVirtual + (wall - #anchorWall) * speed,
  // the speed set under /_sim/speed.
  #anchorWall = 0;
  #anchorVirtual = 0;
  // The core's clock epoch: it changes when the clock jumps or stops
  // outside the driver (reset, load, /_sim/pause, resume, step).
  #epoch;

  /**
   * @param {import('../wasm/etcd_sim.js').Sim} sim
   * @param {{mode?: 'realtime' | 'controlled', clock?: typeof WALL}} [options]
   *   `clock`: the wall clock and its timers (tests give a fake one)
   */
  constructor(sim, { mode = 'realtime', clock = WALL } = {}) {
    if (mode !== 'realtime' && mode !== 'controlled') {
      throw new TypeError(`unknown mode ${JSON.stringify(mode)}`);
    }
    this.#sim = sim;
    this.#mode = mode;
    this.#clock = clock;
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

  /**
   * A whole request at once: `submit`, its `body` (bytes, maybe none, or a
   * string sent as UTF-8) and `finish`, then one run of the world.
   */
  request(member, { method, path, headers }, body, onOutput) {
    const ticket = this.#sim.submit(member, method, path, headers);
    this.#handlers.set(ticket, onOutput);
    if (typeof body === 'string') this.#sendText(ticket, body);
    else if (body.length > 0) this.#sim.body(ticket, body);
    this.#sim.finish(ticket);
    this.#pump();
    return ticket;
  }

  /**
   * More request body for `ticket`. Returns whether the core still reads
   * it: once not, the rest changes nothing and need not be handed over
   * (only `finish` still counts).
   */
  body(ticket, data) {
    const reading = this.#sim.body(ticket, data);
    this.#pump();
    return reading;
  }

  // A string body, encoded a piece at a time and no further than the core
  // reads it: a huge body the core refuses is never encoded whole.
  #sendText(ticket, text) {
    if (text.length <= TEXT_PIECE / 3) {
      if (text.length > 0) this.#sim.body(ticket, encoder.encode(text));
      return;
    }
    const piece = new Uint8Array(TEXT_PIECE);
    for (let rest = text; rest.length > 0;) {
      // encodeInto writes whole characters only, never half a surrogate pair
      const { read, written } = encoder.encodeInto(rest, piece);
      if (!this.#sim.body(ticket, piece.subarray(0, written))) return;
      rest = rest.slice(read);
    }
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
    this.#anchorWall = this.#clock.now();
    this.#anchorVirtual = this.#sim.now();
    this.#speed = this.#sim.speed();
  }

  #wallVirtual() {
    return this.#anchorVirtual + (this.#clock.now() - this.#anchorWall) * this.#speed;
  }

  // Real-time mode: catch up with the wall clock, let the world run until
  // every request it can answer is answered (virtual time may run ahead of
  // the wall clock meanwhile, by RUN_AHEAD_MS at most), deliver, and sleep
  // until the next timer of the core. Nothing in between waits on a wall
  // clock timer: what is due in virtual time while requests wait is done at
  // once, in this call.
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
    if (wall > this.#sim.now()) this.#sim.advance_to(wall);
    // slowed down, the world runs ahead as little: a student sees a write travel
    this.#sim.run_until_idle_or(wall + RUN_AHEAD_MS * Math.min(1, this.#speed));
    this.#dispatch();
    this.#schedule();
  }

  // One timer, for the next thing due in the core; one already set that
  // fires no later is kept (setting timers costs more than a wake-up for
  // nothing).
  #schedule() {
    const due = this.#sim.next_due();
    if (due === undefined) {
      this.#clearTimer();
      return;
    }
    const now = this.#clock.now();
    const at = now + Math.max(0, (due - this.#wallVirtual()) / this.#speed);
    if (this.#timer === null || at < this.#timerAt) {
      this.#clearTimer();
      this.#timerAt = at;
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = null;
        this.#timerAt = Infinity;
        this.#pump();
      }, at - now);
    }
    // Under Node, a timer keeps the process alive only while a client waits.
    if (this.#handlers.size === 0) this.#timer.unref?.();
    else this.#timer.ref?.();
  }

  #clearTimer() {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
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
