// Path: a TCP forwarder on 127.0.0.1:<port> that emulates a network path to a
// target: per-connection and shared per-path rate caps (each direction), one-way
// delay and its jitter, connection setup delay, a bounded queue in front of the shared cap,
// caps and delay changed at run time, and faults on command (reset, stall,
// down — stalled or refusing).

import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Connection } from './connection.js';
import type { ConnectionLink, ConnectionStats } from './connection.js';
import { DelayJitter, checkJitter } from './jitter.js';
import type { JitterOptions } from './jitter.js';
import { PathQueue, checkQueueBound } from './path-queue.js';
import type { QueueBound } from './path-queue.js';
import type { PumpLink } from './pump.js';
import { SharedBucket } from './shared-bucket.js';
import { checkRate } from './token-bucket.js';

/** Default per-direction buffer bound of a connection (see PathOptions.maxBufferedBytes). */
export const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024;
/** Ceiling for the bandwidth-delay-product scaling of the buffer bound. */
export const MAX_AUTO_BUFFERED_BYTES = 64 * 1024 * 1024;

export interface PathOptions {
  /** Default 127.0.0.1. */
  listenHost?: string;
  /** Default 0 (ephemeral). */
  listenPort?: number;
  target: { host: string; port: number };
  /** Bytes/second per direction for each connection; default uncapped. */
  perConnectionRate?: number;
  /** Bytes/second per direction shared by all connections of the path; default uncapped. */
  pathRate?: number;
  /** One-way delay in ms, applied in each direction (RTT adds 2×). Default 0. */
  delayMs?: number;
  /**
   * Extra one-way delay that varies over time (jitter.ts), drawn for each
   * direction on its own, on top of `delayMs`; bytes of a connection stay in
   * order. Default: none.
   */
  jitter?: JitterOptions;
  /**
   * Bound of the queue in front of `pathRate` (per direction, all connections
   * together): bytes, or ms of the path rate (2 × RTT = 2 bandwidth-delay
   * products). Connections keep being read while the queue is below it, so a
   * deep bound lets queueing delay build up as in a deep-buffered router.
   * Default: none (a connection stops being read while any of its bytes wait
   * for tokens; the kernel's socket buffers are the only queue).
   */
  pathQueue?: QueueBound;
  /** Delay in ms before each new connection's upstream is connected. Default 0. */
  setupDelayMs?: number;
  /**
   * Bound on bytes the emulator holds per connection per direction (waiting for
   * tokens or in the delay line); the source is paused at the bound, so the real
   * maximum is bound − 1 + one read chunk (≤ 64 KiB). Default: max(256 KiB,
   * bandwidth-delay product of the effective rate, the delay counted with the
   * jitter's largest), at most 64 MiB. With no rate
   * cap and a delay, throughput per connection is limited to bound / delay, as a
   * receive window would limit it.
   */
  maxBufferedBytes?: number;
  /** Clock in ms for rate and delay logic; default performance.now. */
  clock?: () => number;
}

/** A rate change: a number sets the cap, null removes it, absent leaves it as is. */
export interface RateChange {
  perConnectionRate?: number | null;
  pathRate?: number | null;
}

export interface PathStats {
  address: string;
  /** Bytes delivered client → target. */
  bytesUp: number;
  /** Bytes delivered target → client. */
  bytesDown: number;
  /** Connections accepted since start. */
  connections: number;
  /** Connections currently open (including those in setup). */
  active: number;
  stalled: boolean;
  down: boolean;
  perConnectionRate: number;
  pathRate: number;
  delayMs: number;
  /** Largest extra one-way delay of the jitter, ms (0: none). */
  jitterMs: number;
  /** Bytes waiting for the path's tokens, client → target and back. */
  queuedUp: number;
  queuedDown: number;
  /** The path queue's bound in bytes now, if one was set. */
  queueLimit: number | undefined;
  /** Down and refusing: new connections are reset at once. */
  refusing: boolean;
  perConnection: ConnectionStats[];
}

/**
 * Events: 'connection' (id) when a client is accepted; 'connectionOpen' (id) when
 * its upstream is connected and bytes flow; 'connectionClosed' (id, error?) ;
 * 'upstreamError' (error, id) when the target cannot be reached; 'error' (error)
 * for listening-socket errors, only if a listener is attached.
 */
export class Path extends EventEmitter {
  readonly port: number;
  /** "host:port" to connect to (IPv6 hosts in brackets). */
  readonly address: string;

  readonly #server: Server;
  readonly #target: { host: string; port: number };
  #delayMs: number;
  readonly #jitterMs: number;
  readonly #setupDelayMs: number;
  readonly #maxBuffered: number | undefined;
  readonly #now: () => number;
  readonly #sharedUp: SharedBucket;
  readonly #sharedDown: SharedBucket;
  readonly #queueUp: PathQueue;
  readonly #queueDown: PathQueue;
  readonly #conns: Connection[] = [];
  readonly #link: ConnectionLink;
  #perConnectionRate: number;
  #nextId = 0;
  #bytesUp = 0;
  #bytesDown = 0;
  #stalled = false;
  #down = false;
  #refusing = false;
  #downTimer: ReturnType<typeof setTimeout> | null = null;
  #closing: Promise<void> | null = null;

  static async start(options: PathOptions): Promise<Path> {
    checkOptions(options);
    // noDelay: an emulated path adds its own delay; Nagle's algorithm would add
    // another ~40 ms to small writes behind the peer's delayed ACK.
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true });
    const host = options.listenHost ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listenPort ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new Path(server, host, options);
  }

  private constructor(server: Server, host: string, o: PathOptions) {
    super();
    this.#server = server;
    const addr = server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    this.address = host.includes(':') ? `[${host}]:${this.port}` : `${host}:${this.port}`;
    this.#target = { host: o.target.host, port: o.target.port };
    this.#delayMs = o.delayMs ?? 0;
    this.#setupDelayMs = o.setupDelayMs ?? 0;
    this.#maxBuffered = o.maxBufferedBytes;
    this.#now = o.clock ?? (() => performance.now());
    this.#perConnectionRate = o.perConnectionRate ?? Infinity;
    this.#sharedUp = new SharedBucket(o.pathRate ?? Infinity, this.#now);
    this.#sharedDown = new SharedBucket(o.pathRate ?? Infinity, this.#now);
    this.#queueUp = new PathQueue(o.pathQueue, () => this.#sharedUp.bucket.rate);
    this.#queueDown = new PathQueue(o.pathQueue, () => this.#sharedDown.bucket.rate);
    this.#jitterMs = o.jitter?.ms ?? 0;
    const now = this.#now;
    const pumpLink = (shared: SharedBucket, queue: PathQueue, count: (n: number) => void): PumpLink => {
      const jitter = o.jitter === undefined || o.jitter.ms === 0 ? undefined : new DelayJitter(o.jitter);
      const delayMs = jitter === undefined ? () => this.#delayMs : () => this.#delayMs + jitter.extraAt(now());
      return {
        now,
        get delayMs() {
          return delayMs();
        },
        shared,
        queue,
        frozen: () => this.#stalled || this.#down,
        bound: () => this.#bound(),
        delivered: count,
      };
    };
    this.#link = {
      target: this.#target,
      setupDelayMs: this.#setupDelayMs,
      up: pumpLink(this.#sharedUp, this.#queueUp, (n) => (this.#bytesUp += n)),
      down: pumpLink(this.#sharedDown, this.#queueDown, (n) => (this.#bytesDown += n)),
      perConnectionRate: () => this.#perConnectionRate,
      isDown: () => this.#down,
      opened: (conn) => this.emit('connectionOpen', conn.id),
      closed: (conn, error) => {
        const i = this.#conns.indexOf(conn);
        if (i >= 0) this.#conns.splice(i, 1);
        this.emit('connectionClosed', conn.id, error);
      },
      upstreamError: (conn, error) => this.emit('upstreamError', error, conn.id),
    };
    server.on('connection', (socket: Socket) => this.#accept(socket));
    server.on('error', (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
  }

  /** Destroys every current connection abruptly (RST on both sockets). */
  resetConnections(): void {
    for (const c of [...this.#conns]) c.reset();
  }

  /** Resets the i-th currently open connection (in accept order). False if there is none. */
  resetOne(i: number): boolean {
    const c = this.#conns[i];
    if (c === undefined) return false;
    c.reset();
    return true;
  }

  /** Blackhole: stop forwarding in both directions; sockets stay open, nothing is lost. */
  stall(): void {
    this.#stalled = true;
    this.#refresh();
  }

  unstall(): void {
    this.#stalled = false;
    this.#refresh();
  }

  /**
   * The whole path is down. 'stall' (default): existing connections stall and
   * new ones are accepted but not connected upstream until up. 'refuse':
   * existing connections are reset and new ones are reset as soon as they are
   * accepted (the dialer sees ECONNRESET at once, as behind a router that
   * answers with RST). With `ms`, comes back up by itself.
   */
  down(ms?: number, mode: 'stall' | 'refuse' = 'stall'): void {
    if (ms !== undefined && !(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`down(ms): ms must be >= 0, got ${ms}`);
    this.#clearDownTimer();
    this.#down = true;
    this.#refusing = mode === 'refuse';
    if (this.#refusing) this.resetConnections();
    if (ms !== undefined) this.#downTimer = setTimeout(() => this.up(), ms);
    this.#refresh();
  }

  up(): void {
    this.#clearDownTimer();
    this.#down = false;
    this.#refusing = false;
    this.#refresh();
  }

  /** Changes caps while traffic flows (a number sets, null removes, absent keeps). */
  setRate(r: RateChange): void {
    const per = r.perConnectionRate === null ? Infinity : r.perConnectionRate;
    const shared = r.pathRate === null ? Infinity : r.pathRate;
    if (per !== undefined) checkRate('perConnectionRate', per);
    if (shared !== undefined) checkRate('pathRate', shared);
    if (per !== undefined) {
      this.#perConnectionRate = per;
      for (const c of this.#conns) c.setRate(per);
    }
    if (shared !== undefined) {
      this.#sharedUp.setRate(shared);
      this.#sharedDown.setRate(shared);
    }
    this.#refresh();
  }

  /**
   * Changes the one-way delay while traffic flows. Bytes already in the delay
   * line keep their release time; later bytes get the new delay, so a drop in
   * delay never reorders bytes of a connection (the delay line is released in
   * order) and a rise leaves a gap of the difference.
   */
  setDelay(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`delayMs must be a finite number >= 0, got ${ms}`);
    this.#delayMs = ms;
    this.#refresh();
  }

  stats(): PathStats {
    return {
      address: this.address,
      bytesUp: this.#bytesUp,
      bytesDown: this.#bytesDown,
      connections: this.#nextId,
      active: this.#conns.length,
      stalled: this.#stalled,
      down: this.#down,
      perConnectionRate: this.#perConnectionRate,
      pathRate: this.#sharedUp.bucket.rate,
      delayMs: this.#delayMs,
      jitterMs: this.#jitterMs,
      queuedUp: this.#queueUp.queued,
      queuedDown: this.#queueDown.queued,
      queueLimit: this.#queueUp.limit,
      refusing: this.#refusing,
      perConnection: this.#conns.map((c) => c.stats()),
    };
  }

  /** Stops listening, resets every connection and releases the port. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#clearDownTimer();
      this.#server.close(() => resolve());
      this.resetConnections();
      this.#sharedUp.close();
      this.#sharedDown.close();
    });
    return this.#closing;
  }

  #accept(socket: Socket): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    if (this.#refusing) {
      socket.resetAndDestroy();
      return;
    }
    const conn = new Connection(this.#nextId++, socket, this.#link);
    this.#conns.push(conn);
    this.emit('connection', conn.id);
    conn.begin();
  }

  #bound(): number {
    if (this.#maxBuffered !== undefined) return this.#maxBuffered;
    const rate = Math.min(this.#perConnectionRate, this.#sharedUp.bucket.rate);
    if (rate === Infinity) return DEFAULT_MAX_BUFFERED_BYTES;
    const bdp = Math.ceil((rate * (this.#delayMs + this.#jitterMs)) / 1000);
    return Math.min(MAX_AUTO_BUFFERED_BYTES, Math.max(DEFAULT_MAX_BUFFERED_BYTES, bdp));
  }

  #refresh(): void {
    for (const c of [...this.#conns]) c.refresh();
  }

  #clearDownTimer(): void {
    if (this.#downTimer !== null) clearTimeout(this.#downTimer);
    this.#downTimer = null;
  }
}

/** Starts several paths; if one fails, the ones already started are closed. */
export async function startPaths(list: PathOptions[]): Promise<Path[]> {
  const results = await Promise.allSettled(list.map((o) => Path.start(o)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.close()] : [])));
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<Path>).value);
}

function checkOptions(o: PathOptions): void {
  const t = o?.target;
  if (!t || typeof t.host !== 'string' || !Number.isInteger(t.port) || t.port <= 0 || t.port > 65535) {
    throw new TypeError('target must be { host: string, port: 1..65535 }');
  }
  if (o.listenPort !== undefined && !(Number.isInteger(o.listenPort) && o.listenPort >= 0 && o.listenPort <= 65535)) {
    throw new RangeError(`listenPort must be 0..65535, got ${o.listenPort}`);
  }
  if (o.perConnectionRate !== undefined) checkRate('perConnectionRate', o.perConnectionRate);
  if (o.pathRate !== undefined) checkRate('pathRate', o.pathRate);
  for (const k of ['delayMs', 'setupDelayMs'] as const) {
    const v = o[k];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new RangeError(`${k} must be a finite number >= 0, got ${v}`);
  }
  if (o.pathQueue !== undefined) checkQueueBound(o.pathQueue);
  if (o.jitter !== undefined) checkJitter(o.jitter);
  const m = o.maxBufferedBytes;
  if (m !== undefined && !(Number.isInteger(m) && m >= 1)) throw new RangeError(`maxBufferedBytes must be an integer >= 1, got ${m}`);
}
