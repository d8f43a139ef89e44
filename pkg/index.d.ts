// Types of the etcd-sim package (index.mjs, src/driver.mjs).

import type { Sim } from './wasm/etcd_sim.js';

export { Sim };

/** A name/value pair, in the order sent or received. */
export type HeaderPair = [name: string, value: string];

/** One output of the core, as `Sim.drain()` returns it. */
export type Output =
  | { kind: 'response'; ticket: number; status: number; headers: HeaderPair[]; body: Uint8Array }
  | { kind: 'head'; ticket: number; status: number; headers: HeaderPair[] }
  | { kind: 'chunk'; ticket: number; data: Uint8Array }
  | { kind: 'end'; ticket: number }
  | { kind: 'refused'; ticket: number };

/**
 * `realtime`: virtual time follows the wall clock (and runs ahead of it, by
 * 250 ms at most, while a request is in flight). `controlled`: time moves
 * only through `advance`, `step` and `runUntilIdle`.
 */
export type Mode = 'realtime' | 'controlled';

/** The wall clock a driver follows and its timers (tests give a fake one). */
export interface WallClock {
  /** Milliseconds, as `performance.now()`. */
  now(): number;
  setTimeout(f: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

/** Runs a `Sim` in time and hands each output to the handler of its ticket. */
export class Driver {
  /** `clock` defaults to `performance.now()` and `setTimeout`. */
  constructor(sim: Sim, options?: { mode?: Mode; clock?: WallClock });
  readonly mode: Mode;
  /** Current number of members of the cluster. */
  readonly members: number;
  /** Virtual time in milliseconds. */
  now(): number;
  /** Starts a request; `path` includes the query string. Returns its ticket. */
  submit(
    member: number,
    request: { method: string; path: string; headers: HeaderPair[] },
    onOutput: (output: Output) => void,
  ): number;
  /** A whole request at once: `submit`, its body (bytes, maybe empty, or a string sent as UTF-8) and `finish`, in one run of the world. Returns its ticket. */
  request(
    member: number,
    request: { method: string; path: string; headers: HeaderPair[] },
    body: Uint8Array | string,
    onOutput: (output: Output) => void,
  ): number;
  /** More request body for `ticket`. Returns whether the core still reads it: once not, the rest need not be handed over (only `finish` still counts). */
  body(ticket: number, data: Uint8Array): boolean;
  /** The request body of `ticket` is complete. */
  finish(ticket: number): void;
  /** The client went away: nothing more is delivered for `ticket`. */
  cancel(ticket: number): void;
  /** Moves virtual time `ms` forward. */
  advance(ms: number): void;
  /** Moves virtual time to the next due timer and returns it (undefined: nothing due). */
  step(): number | undefined;
  /** Runs until every request that can be answered has been answered. */
  runUntilIdle(): void;
  /** Switches to controlled mode. */
  pause(): void;
  /** Switches to real-time mode, continuing from the current virtual time. */
  resume(): void;
}

export interface ClusterOptions {
  /** Number of members (default 3). */
  members?: number;
  /** Seed of every random choice of the simulation. */
  seed?: number;
  /**
   * Where each member answers, member 0 first: one base URL (origin) or a list
   * of aliases per member; at least `members` of them. Default: member i at
   * `http://localhost:P` and `http://127.0.0.1:P` with P = 2379, 22379, 32379.
   */
  endpoints?: (string | string[])[];
  /** Default `realtime`. */
  mode?: Mode;
}

export interface Cluster {
  readonly driver: Driver;
  /**
   * The first base URL of each endpoint, member 0 first. There may be more
   * than members: the core refuses requests to a member it does not have.
   */
  readonly urls: string[];
  /**
   * Answers member URLs in-process without patching anything; every other
   * URL goes to the original `fetch`.
   */
  fetch: typeof globalThis.fetch;
  /** The XMLHttpRequest class that `install()` puts in place. */
  XMLHttpRequest: typeof globalThis.XMLHttpRequest;
  /** Replaces `globalThis.fetch` and `globalThis.XMLHttpRequest`. */
  install(): void;
  /** Puts the originals back. */
  uninstall(): void;
  /** `POST /_sim/reset` to member 0: a fresh cluster, e.g. `{ members: 1 }`. */
  reset(options?: {
    members?: number;
    seed?: number;
    watch_progress_notify_interval_ms?: number;
    initial_cluster_token?: string;
    snapshot_count?: number;
  }): Promise<void>;
  /**
   * Control and inspection of the simulated world (`/_sim/`); each control answers with the new state.
   * A control given bad input (a member index that does not exist, a number out of range, an unknown
   * field) rejects with the core's 400 `{"error"}` and changes nothing.
   */
  sim: {
    state(): Promise<SimState>;
    /** `/_sim/trace?since=N`: the events numbered `since` and on still held, and the number of the next one (docs/trace.md). */
    trace(since?: number): Promise<SimTrace>;
    /** Member `member`'s Raft log, from index `from` on, at most `limit` entries (default 1000, at most 10000). */
    log(member: number, options?: { from?: number; limit?: number }): Promise<SimLog>;
    /** Member `member`'s MVCC store: the keys starting with `prefix` (base64), at most `limit` of them (default 1000, at most 10000). */
    mvcc(member: number, options?: { prefix?: string; limit?: number }): Promise<SimMvcc>;
    leases(): Promise<unknown>;
    watches(): Promise<unknown>;
    crash(member: number): Promise<SimState>;
    restart(member: number): Promise<SimState>;
    partition(groups: number[][]): Promise<SimState>;
    block(from: number, to: number): Promise<SimState>;
    heal(): Promise<SimState>;
    /** One link (`from` and `to` both, different members) or all: delays in whole ms up to 60000, loss from 0 to 1. */
    link(link: {
      from?: number;
      to?: number;
      latency_ms?: number;
      jitter_ms?: number;
      loss?: number;
    }): Promise<SimState>;
    transfer(member: number): Promise<SimState>;
    addMember(learner?: boolean): Promise<SimState>;
    removeMember(member: number): Promise<SimState>;
    /** Stops virtual time (for every front door); only `step` moves it until `resume`. */
    pause(): Promise<SimState>;
    resume(): Promise<SimState>;
    /** While paused: `ms` forward (a day at most), or (no `ms`) to the next moment something is due. */
    step(ms?: number): Promise<SimState>;
    /** Virtual time per wall time in real-time mode, from 0.01 (slow motion) to 100. */
    speed(speed: number): Promise<SimState>;
    /** The whole world (a journal of its inputs); `load(save())` behaves exactly as the world saved. */
    save(): Promise<SavedWorld>;
    /** Replaces the world with a saved one; clients connected now are cut off. */
    load(world: SavedWorld | string): Promise<SimState>;
  };
}

/** Member i answers at these origins by default (etcd's local-cluster ports). */
export const DEFAULT_ENDPOINTS: string[][];

export function createCluster(options?: ClusterOptions): Cluster;

/** `/_sim/save`: a world as `/_sim/load` takes it back. */
export interface SavedWorld {
  format: 'etcd-sim world';
  format_version: number;
  sim_version: string;
  now: number;
  members: number;
  inputs: unknown[];
  [field: string]: unknown;
}

/** `/_sim/state`: the world as inspection shows it. */
export interface SimState {
  now: number;
  /** Stopped by `/_sim/pause`. */
  paused: boolean;
  /** Set by `/_sim/speed`. */
  speed: number;
  /** When something is next due (virtual ms), if anything is. */
  next_due: number | null;
  leader: number | null;
  cluster_id: string;
  members: {
    index: number;
    id: string;
    name: string;
    role: 'leader' | 'follower' | 'candidate' | 'pre-candidate' | 'down';
    term: number;
    vote: string;
    leader_id: string;
    commit: number;
    applied: number;
    crashed: boolean;
    removed: boolean;
    revision: number;
    watchers: number;
    log: { first: number; last: number };
  }[];
  blocked: [number, number][];
  messages_in_flight: number;
}

/** `/_sim/trace`: the last events (up to 20 000) from `since` on, and the number of the next one. */
export interface SimTrace {
  events: TraceEvent[];
  next: number;
}

/** Raft message types, etcd's `raftpb` names without `Msg`. */
export type MessageType =
  | 'App'
  | 'AppResp'
  | 'Heartbeat'
  | 'HeartbeatResp'
  | 'Vote'
  | 'VoteResp'
  | 'PreVote'
  | 'PreVoteResp'
  | 'Snap'
  | 'Prop'
  | 'ReadIndex'
  | 'ReadIndexResp'
  | 'TransferLeader'
  | 'TimeoutNow';

/** Fields every event has: its number in the run and its virtual time (ms). */
interface TraceBase {
  seq: number;
  at: number;
}

/** A message's envelope: follow it by `id` from `send` to `deliver` or `drop`. Members are indices. */
interface TraceMessage extends TraceBase {
  id: number;
  from: number;
  to: number;
  type: MessageType;
}

/** One event of the trace, discriminated by `kind`; docs/trace.md describes each. Members are indices. */
export type TraceEvent =
  // messages
  | (TraceMessage & {
      kind: 'send';
      term: number;
      log_term: number;
      index: number;
      commit: number;
      entries: number;
      reject: boolean;
    })
  | (TraceMessage & { kind: 'deliver' })
  | (TraceMessage & { kind: 'drop'; reason: 'loss' | 'blocked' | 'down' | 'crash' | 'removed' })
  // Raft transitions of `member`
  | (TraceBase & { kind: 'became_follower'; member: number; term: number; /** absent: none known */ leader?: number })
  | (TraceBase & {
      kind: 'became_pre_candidate' | 'became_candidate' | 'became_leader' | 'check_quorum_failed';
      member: number;
      term: number;
    })
  | (TraceBase & { kind: 'vote'; member: number; candidate: number; term: number; pre_vote: boolean; granted: boolean })
  | (TraceBase & { kind: 'vote_ignored'; member: number; candidate: number; term: number })
  | (TraceBase & { kind: 'commit' | 'conf_change_refused'; member: number; index: number })
  | (TraceBase & { kind: 'snapshot_restored'; member: number; index: number; term: number })
  | (TraceBase & {
      kind: 'transfer_started' | 'transfer_aborted';
      member: number;
      /** absent: a node without a process */ to?: number;
    })
  // applying
  | (TraceBase & {
      kind: 'apply';
      member: number;
      index: number;
      term: number;
      /** `empty`, `conf_change`, or the request: `put`, `delete_range`, `txn`, `compaction`, `lease_grant`, ... */
      entry: string;
      /** The MVCC revision the entry produced; absent when it left the store alone. */
      revision?: number;
      /** `conf_change` only. */
      change?: 'add_node' | 'add_learner_node' | 'remove_node' | 'update_node';
      /** `conf_change` only: the member changed, when it has a process. */
      node?: number;
      /** `conf_change` only: its Raft id. */
      node_id?: string;
    })
  | (TraceBase & { kind: 'apply_snapshot'; member: number; index: number; term: number })
  | (TraceBase & { kind: 'snapshot'; member: number; index: number })
  // client requests
  | (TraceBase & { kind: 'request'; member: number; request: string; ticket: number })
  // control
  | (TraceBase & { kind: 'cluster_started'; members: number })
  | (TraceBase & { kind: 'crash' | 'restart' | 'start_member' | 'remove_member'; member: number })
  | (TraceBase & { kind: 'add_member'; member: number; learner: boolean })
  | (TraceBase & { kind: 'partition'; groups: number[][] })
  | (TraceBase & { kind: 'block'; from: number; to: number })
  | (TraceBase & { kind: 'link'; from?: number; to?: number; latency_ms: number; jitter_ms: number; loss: number })
  | (TraceBase & { kind: 'transfer'; to: number })
  | (TraceBase & { kind: 'heal' | 'pause' | 'resume' });

/** `/_sim/log`: one member's Raft log, each entry with its term. */
export interface SimLog {
  member: number;
  id: string;
  term: number;
  commit: number;
  applied: number;
  /** First index still held as an entry; those before it are in the snapshot. */
  first: number;
  last: number;
  snapshot: { index: number; term: number };
  entries: {
    index: number;
    term: number;
    type: 'normal' | 'conf_change';
    /** `empty` (a new leader's entry), the request (`put`, `txn`, `member_attr_set`, ...), or `add_node <id>`, `remove_node <id>`, ... */
    what: string;
  }[];
}

/** A revision: `main` is the store revision a write transaction made, `sub` numbers the changes inside it from 0. */
export interface SimRevision {
  main: number;
  sub: number;
}

/**
 * `/_sim/mvcc`: one member's MVCC store (a crashed or removed member's too: it is durable).
 * Keys and values are base64; `key_text` / `value_text` give them as text when they are UTF-8.
 */
export interface SimMvcc {
  member: number;
  /** The store's current revision. */
  revision: number;
  /** The last compaction revision, 0 if none. */
  compact_revision: number;
  /** The index (etcd's keyIndex), in key order. */
  keys: {
    key: string;
    key_text?: string;
    /** The key's last change. */
    modified: SimRevision;
    /**
     * A generation runs from the put that creates the key to the tombstone that deletes it; the last one is
     * open (empty, without `created`, while the key is deleted). Compaction drops the revisions at or below the
     * compaction revision except the key's latest one then, and generations whose tombstone is at or below it.
     */
    generations: {
      created?: SimRevision;
      /** Changes in the generation, tombstone included, compacted ones too. */
      version: number;
      revisions: (SimRevision & {
        tombstone: boolean;
        /** What the backend stores under this revision; absent for a tombstone. */
        value?: string;
        value_text?: string;
        /** The lease the key was put with, if any. */
        lease?: string;
      })[];
    }[];
  }[];
  /** More keys match than `limit` let through. */
  more: boolean;
  /** The backend in revision order: every revision stored for the keys listed. */
  revisions: (SimRevision & { key: string; key_text?: string; tombstone: boolean })[];
}
