// Open-ended bulk streams for time-bounded scenarios: a download from the
// bench source or an upload to its sink that runs until stopped, counting the
// bytes the application received (download) or handed to the socket
// (upload), with a delivery timeline (gaps, first arrival after a moment).
// An upload's socket count runs ahead of delivery while the tunnel's buffers
// fill (seconds, with deep queues), so rates of uploads are read from the
// paths instead (deliveredBytes).

import { connect } from 'node:net';
import type { Path } from '@mpx/netem';
import type { Socket } from 'node:net';
import { Pattern } from './data.js';
import { DeliveryTimeline, wallNow } from './gaps.js';
import { encodeHeader } from './protocol.js';

/** Longer than any run: the source never ends by itself. */
const ENDLESS = 2 ** 50;
const CHUNK = 64 * 1024;

export interface Bulk {
  readonly dir: 'up' | 'down';
  /** Bytes so far (see the file comment). */
  bytes(): number;
  /** Arrivals (download) or accepted writes (upload), with their gaps. */
  readonly timeline: DeliveryTimeline;
  /** The first socket error, if any. */
  error(): string | undefined;
  stop(): void;
}

export function startBulk(port: number, dir: 'up' | 'down', seed: number): Bulk {
  const socket: Socket = connect({ port, host: '127.0.0.1', noDelay: true });
  const timeline = new DeliveryTimeline(20);
  let error: string | undefined;
  socket.on('error', (err: NodeJS.ErrnoException) => (error ??= err.code ?? err.message));
  if (dir === 'down') {
    socket.write(encodeHeader({ mode: 'source', id: seed, seed, length: ENDLESS }));
    socket.on('data', (chunk: Buffer) => timeline.record(wallNow(), chunk.length));
  } else {
    socket.write(encodeHeader({ mode: 'sink', id: seed, seed, length: ENDLESS }));
    // One pattern chunk sent again and again: the sink's digest is not checked
    // here, and generating fresh bytes would cost the bench's CPU.
    const chunk = new Pattern(seed).next(CHUNK);
    const pump = (): void => {
      while (!socket.destroyed) {
        timeline.record(wallNow(), chunk.length);
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.once('connect', pump);
  }
  return {
    dir,
    bytes: () => timeline.bytes,
    timeline,
    error: () => error,
    stop: () => void socket.destroy(),
  };
}

/**
 * Bytes the bulk stream got across so far: a download's bytes at the
 * receiver; for an upload, the bytes that crossed the paths' caps upwards
 * (mpx framing and any retransmission included, a fraction of a percent
 * when nothing is lost), since the sink's count is not visible live.
 */
export function deliveredBytes(bulk: Bulk, paths: readonly Path[]): () => number {
  if (bulk.dir === 'down') return () => bulk.bytes();
  return () => paths.reduce((n, p) => n + p.stats().bytesUp, 0);
}

/**
 * Samples byte counters every `everyMs` (wall clock) so that rates over any
 * window can be read afterwards. I/O-free apart from the timer; `add` can be
 * fed by hand in tests.
 */
export class RateSampler {
  readonly #samples: Array<{ at: number; values: number[] }> = [];
  #timer: ReturnType<typeof setInterval> | null = null;

  start(read: () => number[], everyMs = 100): void {
    this.add(wallNow(), read());
    this.#timer = setInterval(() => this.add(wallNow(), read()), everyMs);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  add(at: number, values: number[]): void {
    this.#samples.push({ at, values: [...values] });
  }

  /**
   * Rates (units/s) of counter `i` over windows of `windowMs` that start at
   * `from`, `from + stepMs`, … and end by `to`.
   */
  windows(i: number, from: number, to: number, windowMs: number, stepMs = windowMs): Array<{ start: number; rate: number }> {
    const out: Array<{ start: number; rate: number }> = [];
    for (let t = from; t + windowMs <= to + 1e-6; t += stepMs) out.push({ start: t, rate: this.rate(i, t, t + windowMs) });
    return out;
  }

  /** Rate of counter `i` between the samples nearest to `from` and `to`. */
  rate(i: number, from: number, to: number): number {
    const a = this.#nearest(from);
    const b = this.#nearest(to);
    if (a === undefined || b === undefined || b.at <= a.at) return 0;
    return (((b.values[i] ?? 0) - (a.values[i] ?? 0)) * 1000) / (b.at - a.at);
  }

  #nearest(at: number): { at: number; values: number[] } | undefined {
    let best: { at: number; values: number[] } | undefined;
    for (const s of this.#samples) if (best === undefined || Math.abs(s.at - at) < Math.abs(best.at - at)) best = s;
    return best;
  }
}

/**
 * Runs `once` `reps` times and returns every run and the worst by `score`
 * (higher is worse).
 */
export async function worstOf<T>(reps: number, once: (i: number) => Promise<T>, score: (r: T) => number): Promise<{ runs: T[]; worst: T }> {
  const runs: T[] = [];
  for (let i = 0; i < reps; i++) runs.push(await once(i));
  const worst = runs.reduce((a, b) => (score(b) > score(a) ? b : a));
  return { runs, worst };
}

/** The first time ≥ `after` from which the rate over `windowMs` stays ≥ `floor` for one window; null if never. */
export function recoveredAt(s: RateSampler, i: number, after: number, until: number, floor: number, windowMs = 500, stepMs = 100): number | null {
  for (const w of s.windows(i, after, until, windowMs, stepMs)) if (w.rate >= floor) return w.start + windowMs;
  return null;
}
