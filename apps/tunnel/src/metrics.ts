// --metrics: Prometheus text exposition format at GET /metrics (prom-text.ts).
// The tunnel's own families:
//
//   mpx_carriers                                   gauge   open carriers
//   mpx_carrier_bytes_total{direction,carrier}     counter carrier bytes (frames included), in/out
//   mpx_carrier_rtt_seconds{carrier}               gauge   mean RTT of the group's carriers (when known)
//   mpx_retransmits_total{carrier}                 counter retransmitted frames (when known)
//   mpx_streams                                    gauge   open streams
//   mpx_sessions                                   gauge   open sessions
//   mpx_bytes_total{direction}                     counter application bytes through the tunnel
//   mpx_carriers_refused_total{reason}             counter server: carriers refused in the handshake, by error code
//   mpx_streams_refused_total{reason}              counter server: streams refused at --max-streams, by error code
//
// after the default process metrics prom-client's collectDefaultMetrics gave
// (process_cpu_seconds_total, process_resident_memory_bytes,
// nodejs_eventloop_lag_seconds, nodejs_gc_duration_seconds, ...;
// prom-process.ts, prom-node.ts), with the same names, HELP, types and labels.
// `carrier` is the carrier group: on the client the --server address, on the
// server the --listen address the carrier came in on.
import { nodeMetrics } from './prom-node.js';
import { processMetrics } from './prom-process.js';
import { toWire, type WireFamily } from './prom-aggregate.js';
import { CONTENT_TYPE, exposition, labelled, single, type Family } from './prom-text.js';
import type { CarrierBook, GroupTotals, Refusals, TunnelView, Traffic } from './stats.js';

/** One scrape as a worker of --workers sends it to the primary, which merges them (prom-aggregate.ts). */
export type ScrapedMetrics = WireFamily[];

export interface MetricsSnapshot {
  readonly carriers: number;
  readonly groups: readonly GroupTotals[];
  readonly streams: number;
  readonly sessions: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Server only. */
  readonly refusals?: Refusals;
}

export function snapshotOf(view: TunnelView, book: CarrierBook, traffic: Traffic): MetricsSnapshot {
  const live = view.liveCarriers();
  return {
    carriers: live.length,
    groups: book.totals(live),
    streams: view.streams(),
    sessions: view.sessions(),
    bytesIn: traffic.bytesIn,
    bytesOut: traffic.bytesOut,
    ...(view.refusals === undefined ? {} : { refusals: view.refusals() }),
  };
}

/** The tunnel's families of one snapshot; counters read totals that never go down (CarrierBook keeps closed carriers' bytes). */
function tunnelFamilies(s: MetricsSnapshot, refusals: boolean): Family[] {
  const families = [
    single('mpx_carriers', 'Open carriers.', 'gauge', s.carriers),
    labelled(
      'mpx_carrier_bytes_total',
      'Bytes carried by carriers, framing included.',
      'counter',
      s.groups.flatMap((g) => [
        [{ direction: 'in', carrier: g.group }, g.bytesIn] as const,
        [{ direction: 'out', carrier: g.group }, g.bytesOut] as const,
      ]),
    ),
    labelled(
      'mpx_carrier_rtt_seconds',
      'Mean round-trip time of the open carriers.',
      'gauge',
      s.groups.flatMap((g) => (g.rttMs === undefined ? [] : [[{ carrier: g.group }, g.rttMs / 1000] as const])),
    ),
    labelled(
      'mpx_retransmits_total',
      'Frames retransmitted.',
      'counter',
      s.groups.flatMap((g) => (g.retransmits === undefined ? [] : [[{ carrier: g.group }, g.retransmits] as const])),
    ),
    single('mpx_streams', 'Open streams.', 'gauge', s.streams),
    single('mpx_sessions', 'Open sessions.', 'gauge', s.sessions),
    labelled('mpx_bytes_total', 'Application bytes through the tunnel (in: from the mpx peer, out: to it).', 'counter', [
      [{ direction: 'in' }, s.bytesIn],
      [{ direction: 'out' }, s.bytesOut],
    ]),
  ];
  if (!refusals) return families;
  const byReason = (kind: 'carriers' | 'streams'): Array<readonly [Record<string, string>, number]> =>
    [...(s.refusals?.[kind] ?? [])].map(([reason, n]) => [{ reason }, n] as const);
  return [
    ...families,
    labelled('mpx_carriers_refused_total', 'Carriers refused in their handshake, by error code.', 'counter', byReason('carriers')),
    labelled('mpx_streams_refused_total', 'Streams refused at the open-stream limit, by error code.', 'counter', byReason('streams')),
  ];
}

/**
 * The families of a client or server (or a worker of --workers): each scrape
 * takes one snapshot, which every tunnel family reads, so the families of one
 * scrape agree with each other.
 */
export class TunnelMetrics {
  readonly contentType = CONTENT_TYPE;
  readonly #snapshot: () => MetricsSnapshot;
  readonly #defaults: ReadonlyArray<() => Family[]>;
  readonly #refusals: boolean;

  /** `defaults`: also the default process metrics (off in unit tests, which compare exact values); `refusals`: the server's refusal counters. */
  constructor(snapshot: () => MetricsSnapshot, options: { defaults: boolean; refusals: boolean }) {
    this.#snapshot = snapshot;
    this.#defaults = options.defaults ? [processMetrics(), nodeMetrics()] : [];
    this.#refusals = options.refusals;
  }

  /** The families of one scrape, in the order they are exposed. */
  families(): Family[] {
    return [...this.#defaults.flatMap((collect) => collect()), ...tunnelFamilies(this.#snapshot(), this.#refusals)];
  }

  /** The exposition text of one scrape. */
  metrics(): string {
    return exposition(this.families());
  }

  /** One scrape as a worker sends it to the primary of --workers. */
  json(): ScrapedMetrics {
    return toWire(this.families());
  }
}
