// --metrics: Prometheus text exposition format at GET /metrics, written by
// prom-client. The tunnel's own families:
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
// plus prom-client's default process metrics (process_cpu_seconds_total,
// process_resident_memory_bytes, nodejs_eventloop_lag_seconds,
// nodejs_gc_duration_seconds, ...). `carrier` is the carrier group: on the
// client the --server address, on the server the --listen address the carrier
// came in on.
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

// The parts of prom-client the tunnel uses, from their own files: its
// index also loads the Pushgateway (node:https, node:tls, node:zlib) and
// more, ~0.5 MB of the idle RSS of a process with --metrics
// (docs/decisions/0006-idle-memory.md). The version is pinned
// (package.json), and the tests read every family through these.
const load = createRequire(import.meta.url);
const Registry = load('prom-client/lib/registry') as typeof PromClient.Registry;
const Counter = load('prom-client/lib/counter') as typeof PromClient.Counter;
const Gauge = load('prom-client/lib/gauge') as typeof PromClient.Gauge;

/**
 * prom-client's default metrics after its CPU counters, in the order its
 * lib/defaultMetrics.js registers them, each from its own file. The CPU
 * counters are made here (processCpuTotal below): prom-client's own file
 * loads @opentelemetry/api (45 modules) for exemplars, which the tunnel never
 * enables (docs/decisions/0007-start-up-code.md).
 */
const DEFAULT_METRICS = [
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'eventLoopLag',
  'processResources',
  'processHandles',
  'processRequests',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
  'gc',
] as const;

/** prom-client's collectDefaultMetrics({ register }), with the CPU counters of processCpuTotal. */
function collectDefaultMetrics(registry: PromClient.Registry): void {
  processCpuTotal(registry);
  const config = { register: registry, eventLoopMonitoringPrecision: 10 };
  for (const name of DEFAULT_METRICS) {
    const register = load(`prom-client/lib/metrics/${name}`) as (registry: PromClient.Registry, config: object) => void;
    register(registry, config);
  }
}

/** process_cpu_user_seconds_total, process_cpu_system_seconds_total and process_cpu_seconds_total, as prom-client's lib/metrics/processCpuTotal.js counts them. */
function processCpuTotal(registry: PromClient.Registry): void {
  const registers = [registry];
  let last = process.cpuUsage();
  const user = new Counter({
    name: 'process_cpu_user_seconds_total',
    help: 'Total user CPU time spent in seconds.',
    registers,
    // One collect sets all three, as prom-client's does.
    collect() {
      const now = process.cpuUsage();
      const userMicros = now.user - last.user;
      const systemMicros = now.system - last.system;
      last = now;
      user.inc(userMicros / 1e6);
      system.inc(systemMicros / 1e6);
      total.inc((userMicros + systemMicros) / 1e6);
    },
  });
  const system = new Counter({ name: 'process_cpu_system_seconds_total', help: 'Total system CPU time spent in seconds.', registers });
  const total = new Counter({ name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', registers });
}
import type { CarrierBook, GroupTotals, Refusals, TunnelView, Traffic } from './stats.js';

/** One registry's scrape as JSON (what AggregatorRegistry.aggregate sums). */
export type ScrapedMetrics = Array<MetricObjectWithValues<MetricValue<string>>>;

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

/** The samples of one family, read from the scrape's snapshot. */
type Samples<L extends string> = (s: MetricsSnapshot) => Array<[Partial<Record<L, string>>, number]>;

/**
 * A registry whose tunnel families read one snapshot per scrape: `metrics()`
 * takes it, then every family's `collect` reads it, so the families of one
 * scrape agree with each other. Counters are set from totals that never go
 * down (CarrierBook keeps closed carriers' bytes).
 */
export class TunnelMetrics {
  readonly registry = new Registry();
  readonly #snapshot: () => MetricsSnapshot;
  #current: MetricsSnapshot | undefined;

  /** `defaults`: also collect prom-client's process metrics (off in unit tests, which compare exact text). */
  constructor(snapshot: () => MetricsSnapshot, options: { defaults: boolean; refusals: boolean }) {
    this.#snapshot = snapshot;
    if (options.defaults) collectDefaultMetrics(this.registry);
    const registers = [this.registry];
    const now = (): MetricsSnapshot => this.#current ?? this.#snapshot();
    const family = <L extends string>(kind: 'counter' | 'gauge', name: string, help: string, labelNames: readonly L[], samples: Samples<L>): void => {
      const refill = (reset: () => void, put: (labels: Partial<Record<L, string>>, value: number) => void): void => {
        reset();
        for (const [labels, value] of samples(now())) put(labels, value);
      };
      const config = { name, help, labelNames, registers };
      if (kind === 'counter')
        new Counter<L>({
          ...config,
          collect() {
            refill(
              () => this.reset(),
              (l, v) => this.inc(l, v),
            );
          },
        });
      else
        new Gauge<L>({
          ...config,
          collect() {
            refill(
              () => this.reset(),
              (l, v) => this.set(l, v),
            );
          },
        });
    };
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[], samples: Samples<L>): void =>
      family('counter', name, help, labelNames, samples);
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], samples: Samples<L>): void =>
      family('gauge', name, help, labelNames, samples);
    gauge('mpx_carriers', 'Open carriers.', [], (s) => [[{}, s.carriers]]);
    counter('mpx_carrier_bytes_total', 'Bytes carried by carriers, framing included.', ['direction', 'carrier'], (s) =>
      s.groups.flatMap((g): Array<[Record<'direction' | 'carrier', string>, number]> => [
        [{ direction: 'in', carrier: g.group }, g.bytesIn],
        [{ direction: 'out', carrier: g.group }, g.bytesOut],
      ]),
    );
    gauge('mpx_carrier_rtt_seconds', 'Mean round-trip time of the open carriers.', ['carrier'], (s) =>
      s.groups.flatMap((g): Array<[Record<'carrier', string>, number]> => (g.rttMs === undefined ? [] : [[{ carrier: g.group }, g.rttMs / 1000]])),
    );
    counter('mpx_retransmits_total', 'Frames retransmitted.', ['carrier'], (s) =>
      s.groups.flatMap((g): Array<[Record<'carrier', string>, number]> =>
        g.retransmits === undefined ? [] : [[{ carrier: g.group }, g.retransmits]],
      ),
    );
    gauge('mpx_streams', 'Open streams.', [], (s) => [[{}, s.streams]]);
    gauge('mpx_sessions', 'Open sessions.', [], (s) => [[{}, s.sessions]]);
    counter('mpx_bytes_total', 'Application bytes through the tunnel (in: from the mpx peer, out: to it).', ['direction'], (s) => [
      [{ direction: 'in' }, s.bytesIn],
      [{ direction: 'out' }, s.bytesOut],
    ]);
    if (options.refusals) {
      const byReason =
        (kind: 'carriers' | 'streams') =>
        (s: MetricsSnapshot): Array<[Record<'reason', string>, number]> =>
          [...(s.refusals?.[kind] ?? [])].map(([reason, n]) => [{ reason }, n]);
      counter('mpx_carriers_refused_total', 'Carriers refused in their handshake, by error code.', ['reason'], byReason('carriers'));
      counter('mpx_streams_refused_total', 'Streams refused at the open-stream limit, by error code.', ['reason'], byReason('streams'));
    }
  }

  /** The exposition text of one scrape. */
  metrics(): Promise<string> {
    return this.#scrape(() => this.registry.metrics());
  }

  /** One scrape as JSON, for the primary of --workers to aggregate. */
  json(): Promise<ScrapedMetrics> {
    return this.#scrape(() => this.registry.getMetricsAsJSON());
  }

  async #scrape<T>(read: () => Promise<T>): Promise<T> {
    this.#current = this.#snapshot();
    try {
      return await read();
    } finally {
      this.#current = undefined;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
