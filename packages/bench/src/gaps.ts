// Delivery timeline of one receiver: bytes and arrival times, the longest gap
// between two arrivals, and every gap above a threshold (so that a fault's
// effect can be located in time, e.g. how soon delivery resumed after an
// outage ended). Times are wall-clock milliseconds (see wallNow).

import { performance } from 'node:perf_hooks';

/** Wall-clock ms with sub-ms precision, comparable across processes on one host. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface Gap {
  /** Arrival before the gap. */
  from: number;
  /** Arrival after the gap. */
  to: number;
}

export interface TimelineSummary {
  bytes: number;
  firstAt: number | null;
  lastAt: number | null;
  longestGapMs: number;
  longestGap: Gap | null;
  /** Gaps of at least the threshold, in time order. */
  gaps: Gap[];
}

export class DeliveryTimeline {
  readonly thresholdMs: number;
  #bytes = 0;
  #first: number | null = null;
  #last: number | null = null;
  #longest: Gap | null = null;
  readonly #gaps: Gap[] = [];

  /** Gaps shorter than thresholdMs (default 50 ms) only count toward the longest gap. */
  constructor(thresholdMs = 50) {
    this.thresholdMs = thresholdMs;
  }

  /** Records `bytes` arriving at `at` (ms). Arrivals must come in time order. */
  record(at: number, bytes: number): void {
    if (bytes <= 0) return;
    const last = this.#last;
    if (last !== null) {
      const gap = at - last;
      if (this.#longest === null || gap > this.#longest.to - this.#longest.from) this.#longest = { from: last, to: at };
      if (gap >= this.thresholdMs) this.#gaps.push({ from: last, to: at });
    } else {
      this.#first = at;
    }
    this.#last = Math.max(at, last ?? at);
    this.#bytes += bytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  summary(): TimelineSummary {
    const longest = this.#longest;
    return {
      bytes: this.#bytes,
      firstAt: this.#first,
      lastAt: this.#last,
      longestGapMs: longest === null ? 0 : longest.to - longest.from,
      longestGap: longest,
      gaps: [...this.#gaps],
    };
  }
}

/**
 * How long after `at` delivery resumed: the end of the gap that spans `at`
 * minus `at`; 0 when no recorded gap spans it (delivery was flowing, within
 * the threshold). A gap spans `at` when from ≤ at < to.
 */
export function resumedAfter(gaps: readonly Gap[], at: number): number {
  for (const g of gaps) if (g.from <= at && at < g.to) return g.to - at;
  return 0;
}

/** Bytes per second between the first and last arrival (0 when undefined). */
export function throughputOf(s: Pick<TimelineSummary, 'bytes' | 'firstAt' | 'lastAt'>): number {
  if (s.firstAt === null || s.lastAt === null || s.lastAt <= s.firstAt) return 0;
  return s.bytes / ((s.lastAt - s.firstAt) / 1000);
}
