// Descriptor headroom: a flood of connections, even ones refused in their
// handshake, holds a file descriptor each while it lasts. Without a reserve
// the server's descriptors run out, and then what fails is not the flood but
// the target connections of sessions already logged in (EMFILE). So the
// server refuses new connections while open descriptors are within a reserve
// of the process limit (`ulimit -n`), keeping that reserve for target dials.
//
// Linux only (/proc/self/limits, /proc/self/fd); elsewhere there is no check.
// Counting /proc/self/fd costs a directory read, so it is done rarely: at
// most every REFRESH_MS, or every REMEASURE_MS while near the mark, with an
// upper bound (last count + connections let in since) in between.
import { readdirSync, readFileSync } from 'node:fs';
import { systemClock, type Clock } from '@mpx/core';

/** Rationale: a burst of accepts between two counts adds at most what was let in, which the estimate includes. */
const REFRESH_MS = 1000;
/** Rationale: near the mark, closes are noticed within this; at most 50 directory reads a second. */
const REMEASURE_MS = 20;

/**
 * The descriptors kept for target connections of existing sessions: one
 * eighth of the limit, at least 32 and at most 1024.
 * Rationale: 1024 of a 8192+ limit is a burst of 1024 new streams at once;
 * with `ulimit -n 256`, 32 still leaves 224 for carriers and streams.
 */
export function defaultReserve(limit: number): number {
  return Math.min(1024, Math.max(32, Math.floor(limit / 8)));
}

/** The soft limit on open files of this process, or undefined when unknown or unlimited. */
export function descriptorLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)\s/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Descriptors this process has open, or undefined when it cannot tell. */
function openDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

export interface HeadroomOptions {
  /** Default: descriptorLimit(). */
  readonly limit?: number | undefined;
  /** Default: defaultReserve(limit). */
  readonly reserve?: number;
  /** Default: openDescriptors(). */
  readonly count?: () => number | undefined;
  readonly clock?: Clock;
}

export class DescriptorHeadroom {
  /** The process limit, undefined when there is none to keep. */
  readonly limit: number | undefined;
  readonly reserve: number;
  readonly #count: () => number | undefined;
  readonly #clock: Clock;
  #counted = 0;
  #letIn = 0;
  #countedAt = Number.NEGATIVE_INFINITY;

  constructor(options: HeadroomOptions = {}) {
    this.limit = 'limit' in options ? options.limit : descriptorLimit();
    this.reserve = options.reserve ?? (this.limit === undefined ? 0 : defaultReserve(this.limit));
    this.#count = options.count ?? openDescriptors;
    this.#clock = options.clock ?? systemClock;
  }

  /** Open descriptors at the last count (0 before the first). */
  get open(): number {
    return this.#counted;
  }

  /** Call for each new connection: false when it would eat into the reserve (refuse it). */
  allows(): boolean {
    if (this.limit === undefined) return true;
    const mark = this.limit - this.reserve;
    const now = this.#clock.now();
    const since = now - this.#countedAt;
    if (since >= REFRESH_MS || (this.#counted + this.#letIn >= mark && since >= REMEASURE_MS)) {
      const counted = this.#count();
      this.#countedAt = now;
      if (counted === undefined) return true;
      this.#counted = counted;
      this.#letIn = 0;
    }
    if (this.#counted + this.#letIn >= mark) return false;
    this.#letIn++;
    return true;
  }
}
