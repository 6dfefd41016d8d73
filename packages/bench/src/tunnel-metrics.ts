// What the bench reads from a tunnel's `--metrics` endpoint (apps/tunnel
// README, "Logs, stats and metrics"): open carriers, and per carrier group
// (on the client: one --server address) mean RTT and retransmissions (SPEC §9),
// closed carriers' retransmissions included. `tunnelMetrics` is pure; the
// fetch and the poll are the only I/O here.

import { setTimeout as sleep } from 'node:timers/promises';
import { parsePrometheus, type PromSample } from './prometheus.js';

const METRIC = {
  carriers: 'mpx_carriers',
  rttSeconds: 'mpx_carrier_rtt_seconds',
  retransmits: 'mpx_retransmits_total',
} as const;

interface CarrierGroup {
  /** The `carrier` label: the client's --server address. */
  label: string;
  rttMs?: number;
  /** Cumulative, closed carriers included. */
  retransmits?: number;
}

export interface TunnelMetrics {
  /** Open carriers. */
  carriers: number;
  /** Retransmissions summed over every group (0 when the tunnel reports none). */
  retransmits: number;
  groups: CarrierGroup[];
}

export function tunnelMetrics(samples: readonly PromSample[]): TunnelMetrics {
  const groups = new Map<string, CarrierGroup>();
  const group = (label: string): CarrierGroup => {
    const g = groups.get(label) ?? { label };
    groups.set(label, g);
    return g;
  };
  let carriers = 0;
  let retransmits = 0;
  for (const s of samples) {
    const label = s.labels['carrier'];
    if (s.name === METRIC.carriers) carriers = s.value;
    else if (s.name === METRIC.rttSeconds && label !== undefined) group(label).rttMs = s.value * 1000;
    else if (s.name === METRIC.retransmits && label !== undefined) {
      group(label).retransmits = s.value;
      retransmits += s.value;
    }
  }
  return { carriers, retransmits, groups: [...groups.values()] };
}

/** GET the endpoint once (`http://host:port/metrics`). */
export async function fetchMetrics(url: string, timeoutMs = 2000): Promise<TunnelMetrics> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return tunnelMetrics(parsePrometheus(await res.text()));
}

export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Stops the poll early with its error (e.g. the tunnel exited). */
  abort?: Promise<Error>;
}

/** Polls until `ok(metrics)`; resolves with those metrics, rejects after `timeoutMs` with the last reading. */
export async function pollMetrics(url: string, ok: (m: TunnelMetrics) => boolean, o: PollOptions = {}): Promise<TunnelMetrics> {
  const timeoutMs = o.timeoutMs ?? 15_000;
  const intervalMs = o.intervalMs ?? 20;
  let failed: Error | undefined;
  void o.abort?.then((err) => (failed = err));
  const deadline = performance.now() + timeoutMs;
  let last: TunnelMetrics | string = 'no reading';
  for (let round = 0; round <= timeoutMs / intervalMs && performance.now() < deadline; round++) {
    if (failed !== undefined) throw failed;
    try {
      last = await fetchMetrics(url);
      if (ok(last)) return last;
    } catch (err) {
      last = String(err);
    }
    await sleep(intervalMs);
  }
  if (failed !== undefined) throw failed;
  throw new Error(`${url}: timed out after ${timeoutMs} ms; last reading ${JSON.stringify(last)}`);
}
