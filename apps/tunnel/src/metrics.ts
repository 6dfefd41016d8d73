// --metrics: Prometheus text exposition format 0.0.4 at GET /metrics.
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
// `carrier` is the carrier group: on the client the --server address, on the
// server the --listen address the carrier came in on.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostPort } from './address.js';
import type { CommonConfig } from './config.js';
import { StatsReporter, type CarrierBook, type GroupTotals, type Refusals, type TunnelView, type Traffic } from './stats.js';

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

/** Label values escape backslash, double quote and newline. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

type Sample = readonly [labels: Readonly<Record<string, string>>, value: number];

function family(name: string, type: 'gauge' | 'counter', help: string, samples: readonly Sample[]): string {
  let text = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  for (const [labels, value] of samples) {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    text += `${name}${pairs.length === 0 ? '' : `{${pairs.join(',')}}`} ${formatValue(value)}\n`;
  }
  return text;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}

export function renderMetrics(s: MetricsSnapshot): string {
  const withRtt = s.groups.filter((g) => g.rttMs !== undefined);
  const withRetransmits = s.groups.filter((g) => g.retransmits !== undefined);
  return [
    family('mpx_carriers', 'gauge', 'Open carriers.', [[{}, s.carriers]]),
    family(
      'mpx_carrier_bytes_total',
      'counter',
      'Bytes carried by carriers, framing included.',
      s.groups.flatMap((g): Sample[] => [
        [{ direction: 'in', carrier: g.group }, g.bytesIn],
        [{ direction: 'out', carrier: g.group }, g.bytesOut],
      ]),
    ),
    withRtt.length === 0
      ? ''
      : family('mpx_carrier_rtt_seconds', 'gauge', 'Mean round-trip time of the open carriers.', withRtt.map((g) => [{ carrier: g.group }, (g.rttMs as number) / 1000])),
    withRetransmits.length === 0
      ? ''
      : family('mpx_retransmits_total', 'counter', 'Frames retransmitted.', withRetransmits.map((g) => [{ carrier: g.group }, g.retransmits as number])),
    family('mpx_streams', 'gauge', 'Open streams.', [[{}, s.streams]]),
    family('mpx_sessions', 'gauge', 'Open sessions.', [[{}, s.sessions]]),
    family('mpx_bytes_total', 'counter', 'Application bytes through the tunnel (in: from the mpx peer, out: to it).', [
      [{ direction: 'in' }, s.bytesIn],
      [{ direction: 'out' }, s.bytesOut],
    ]),
    s.refusals === undefined
      ? ''
      : family('mpx_carriers_refused_total', 'counter', 'Carriers refused in their handshake, by error code.', [...s.refusals.carriers].map(([reason, n]) => [{ reason }, n])) +
        family('mpx_streams_refused_total', 'counter', 'Streams refused at the open-stream limit, by error code.', [...s.refusals.streams].map(([reason, n]) => [{ reason }, n])),
  ].join('');
}

export interface MetricsServer {
  /** `http://host:port/metrics` with the bound port. */
  readonly url: string;
  close(): Promise<void>;
}

export function startMetricsServer(host: string, port: number, snapshot: () => MetricsSnapshot): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const body = renderMetrics(snapshot());
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: host === '' ? undefined : host, port }, () => {
      server.removeListener('error', reject);
      server.on('error', () => {});
      const bound = server.address() as AddressInfo;
      resolve({
        url: `http://${hostPort(bound.address, bound.port)}/metrics`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Starts --stats and --metrics as configured; returns a function that stops both. */
export async function startObservers(config: CommonConfig, view: TunnelView, book: CarrierBook, traffic: Traffic): Promise<() => Promise<void>> {
  const stopStats = config.statsSeconds === undefined ? () => {} : new StatsReporter(view, traffic).start(config.statsSeconds, config.log);
  let metrics: MetricsServer | undefined;
  if (config.metrics !== undefined) {
    metrics = await startMetricsServer(config.metrics.host, config.metrics.port, () => snapshotOf(view, book, traffic));
    config.log.info(`metrics on ${metrics.url}`);
  }
  return async () => {
    stopStats();
    await metrics?.close();
  };
}
