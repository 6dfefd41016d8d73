// Counters shared by --stats and --metrics: bytes through the tunnel, carrier
// totals that survive the carriers (so counters never go down), and the
// periodic --stats lines with per-carrier throughput since the last print.
import { ByteCount } from '@mpx/core';
import type { LiveState } from './live-page.js';
import type { Logger } from './log.js';

/** The part of core's CarrierStats used here; RTT and retransmissions (SPEC §9) when the core reports them. */
export interface CarrierSample {
  readonly id: number;
  readonly label: string;
  readonly weight: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly rttMs?: number | undefined;
  readonly retransmits?: number | undefined;
  /** `handshake`, `open`, `closing` (core's CarrierState). */
  readonly state?: string | undefined;
  /** Bytes sent and not yet acknowledged. */
  readonly unackedBytes?: number | undefined;
  /** SPEC §8: `backup` carriers carry data only while no primary is usable. */
  readonly role?: 'primary' | 'backup' | undefined;
  /** SPEC §8: the data the carrier carries (`up`: client → server). */
  readonly direction?: 'both' | 'up' | 'down' | undefined;
}

/** ", backup, up only" for a carrier that is not a primary of both directions; '' otherwise. */
export function carrierUse(stats: Pick<CarrierSample, 'role' | 'direction'>): string {
  return `${stats.role === 'backup' ? ', backup' : ''}${stats.direction === undefined || stats.direction === 'both' ? '' : `, ${stats.direction} only`}`;
}

/** A live carrier and the group it is counted under (client: target label; server: listen address). */
export interface LiveCarrier {
  readonly group: string;
  /** The session's id (hex), for the live page. */
  readonly session?: string | undefined;
  readonly stats: CarrierSample;
}

/** What the server or client command exposes to --stats and --metrics. */
export interface TunnelView {
  liveCarriers(): LiveCarrier[];
  streams(): number;
  sessions(): number;
  /** Server: refused carriers and streams (absent on the client). */
  refusals?(): Refusals;
}

/**
 * Carriers refused in their handshake and streams refused at --max-streams,
 * counted by error code: every event, where the logs are rate-limited.
 */
export class Refusals {
  readonly carriers = new Map<string, number>();
  readonly streams = new Map<string, number>();

  add(kind: 'carriers' | 'streams', code: string): void {
    const counts = this[kind];
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
}

/** Application bytes through the tunnel: `in` arrived from the mpx peer, `out` was sent to it. */
export class Traffic {
  /** Counted per chunk, as small integers however many bytes pass (@mpx/core's ByteCount). */
  readonly in = new ByteCount();
  readonly out = new ByteCount();

  get bytesIn(): number {
    return this.in.value;
  }

  get bytesOut(): number {
    return this.out.value;
  }
}

export interface GroupTotals {
  readonly group: string;
  readonly up: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Mean RTT over the group's live carriers that report one. */
  readonly rttMs?: number;
  readonly retransmits?: number;
}

/** Totals per carrier group, closed carriers included. */
export class CarrierBook {
  readonly #closed = new Map<string, { bytesIn: number; bytesOut: number; retransmits?: number }>();

  /** Adds a closed carrier's final counters to its group. */
  closed(group: string, stats: CarrierSample): void {
    const totals = this.#closed.get(group) ?? { bytesIn: 0, bytesOut: 0 };
    totals.bytesIn += stats.bytesIn;
    totals.bytesOut += stats.bytesOut;
    if (stats.retransmits !== undefined) totals.retransmits = (totals.retransmits ?? 0) + stats.retransmits;
    this.#closed.set(group, totals);
  }

  totals(live: readonly LiveCarrier[]): GroupTotals[] {
    const groups = new Map<string, { up: number; bytesIn: number; bytesOut: number; rtt: number[]; retransmits?: number }>();
    for (const [group, t] of this.#closed) {
      groups.set(group, {
        up: 0,
        bytesIn: t.bytesIn,
        bytesOut: t.bytesOut,
        rtt: [],
        ...(t.retransmits === undefined ? {} : { retransmits: t.retransmits }),
      });
    }
    for (const { group, stats } of live) {
      const g = groups.get(group) ?? { up: 0, bytesIn: 0, bytesOut: 0, rtt: [] };
      g.up++;
      g.bytesIn += stats.bytesIn;
      g.bytesOut += stats.bytesOut;
      if (stats.rttMs !== undefined) g.rtt.push(stats.rttMs);
      if (stats.retransmits !== undefined) g.retransmits = (g.retransmits ?? 0) + stats.retransmits;
      groups.set(group, g);
    }
    return [...groups].map(([group, g]) => ({
      group,
      up: g.up,
      bytesIn: g.bytesIn,
      bytesOut: g.bytesOut,
      ...(g.rtt.length === 0 ? {} : { rttMs: g.rtt.reduce((a, b) => a + b, 0) / g.rtt.length }),
      ...(g.retransmits === undefined ? {} : { retransmits: g.retransmits }),
    }));
  }
}

/** 1234567 → "1.23 MB/s" (SI units, like iperf's bytes). */
export function formatRate(bytesPerSecond: number): string {
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
  let value = bytesPerSecond;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(2)} ${units[unit]}`;
}

/**
 * Builds the --stats lines from successive live states (live-page.ts, the
 * same figures GET /state serves): one per live carrier (throughput since the
 * last call, weight, RTT and retransmissions when the core reports them) and
 * a summary line. With --workers the primary feeds it the states of every
 * worker summed (workers.ts mergeStates): carriers then name their worker.
 */
export class StatsReporter {
  /** The state of the last print; before the first, nothing at the start time. */
  #prev: { time: number; bytesIn: number; bytesOut: number; carriers: Map<string, { bytesIn: number; bytesOut: number }> };

  constructor(now: () => number = Date.now) {
    this.#prev = { time: now(), bytesIn: 0, bytesOut: 0, carriers: new Map() };
  }

  lines(state: LiveState): string[] {
    const seconds = Math.max(state.time - this.#prev.time, 1) / 1000;
    // A carrier count that went down is a new carrier of a restarted worker under an id the old one had: it counts from 0.
    const rate = (now: number, before: number): string => formatRate((now >= before ? now - before : now) / seconds);
    const next = new Map<string, { bytesIn: number; bytesOut: number }>();
    const out: string[] = [];
    for (const c of state.carriers) {
      const key = `${c.worker ?? ''}/${c.id}`;
      const before = this.#prev.carriers.get(key) ?? { bytesIn: 0, bytesOut: 0 };
      next.set(key, { bytesIn: c.bytesIn, bytesOut: c.bytesOut });
      const parts = [
        `in ${rate(c.bytesIn, before.bytesIn)}`,
        `out ${rate(c.bytesOut, before.bytesOut)}`,
        `weight ${c.weight}${c.use === '' ? '' : `, ${c.use}`}`,
      ];
      if (c.rttMs !== null) parts.push(`rtt ${c.rttMs.toFixed(1)} ms`);
      if (c.retransmits !== null) parts.push(`retransmits ${c.retransmits}`);
      out.push(
        `stats carrier #${c.id} ${c.address}${c.worker === undefined ? '' : ` (worker ${c.worker}, session ${c.session})`}: ${parts.join(', ')}`,
      );
    }
    const workers = state.workers === undefined ? '' : `, ${state.workers.answered} of ${state.workers.total} workers`;
    out.push(
      `stats total: ${state.carriers.length} carriers, ${state.streams} streams, ${state.sessions} sessions, ` +
        `in ${rate(state.bytesIn, this.#prev.bytesIn)}, out ${rate(state.bytesOut, this.#prev.bytesOut)}${workers}`,
    );
    this.#prev = { time: state.time, bytesIn: state.bytesIn, bytesOut: state.bytesOut, carriers: next };
    return out;
  }

  /**
   * Logs the lines of `read()` every `seconds` at info level; returns a stop
   * function. A read that is still under way (the primary asking its
   * workers) makes the next tick wait for it rather than overlap.
   */
  start(seconds: number, log: Logger, read: () => LiveState | Promise<LiveState>): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void Promise.resolve(read())
        .then(
          (state) => {
            for (const line of this.lines(state)) log.info(line);
          },
          (err: unknown) => log.warn(`stats: ${String(err)}`),
        )
        .finally(() => (busy = false));
    }, seconds * 1000);
    timer.unref();
    return () => clearInterval(timer);
  }
}
