// What scenarios share: the context (quick mode, iperf3 or not, the target
// process), emulated paths, an mpx rig (server, netem paths, client whose
// every carrier address is one path), and throughput runs (iperf3, or the
// built-in source/sink when iperf3 is missing).

import { startPaths } from '@mpx/netem';
import { tlsFixturePath } from '@mpx/testkit';
import type { Path, PathOptions } from '@mpx/netem';
import { patternSha256 } from './data.js';
import { mbit } from './format.js';
import { runIperfClient, startIperfServer } from './iperf.js';
import { startTunnelClient, startTunnelServer, stopAll } from './procs.js';
import type { Child, TunnelClient, TunnelServer } from './procs.js';
import type { Recorder } from './results.js';
import { download, upload } from './transfer.js';

export interface Context {
  quick: boolean;
  /** iperf3 is usable. */
  iperf: boolean;
  /** Port of the shared bench target process (sink/source/echo). */
  targetPort: number;
  log: (line: string) => void;
}

export interface Scenario {
  name: string;
  title: string;
  run(ctx: Context, rec: Recorder): Promise<void>;
}

/** A path's emulation, without its target. */
export type PathSpec = Omit<PathOptions, 'target'>;

export function pathsTo(port: number, specs: readonly PathSpec[]): Promise<Path[]> {
  return startPaths(specs.map((s) => ({ ...s, target: { host: '127.0.0.1', port } })));
}

export interface MpxRig {
  server: TunnelServer;
  client: TunnelClient;
  paths: Path[];
  /** Local port of the mpx client: connect here. */
  port: number;
  stop(): Promise<void>;
}

export interface RigOptions {
  targetPort: number;
  /** One netem path per carrier address; none: the client dials the server directly. */
  paths?: readonly PathSpec[];
  /** Weight per address (default 1 each). */
  weights?: readonly number[];
  /** Further --server entry options per address, e.g. 'backup', 'up', 'down' ('' for none). */
  entryOptions?: readonly string[];
  /** -p (default 1). */
  carriers?: number;
  /**
   * Carrier scheme: 'tcp' (default), 'ws' (the server listens on ws://…/mpx,
   * the client dials it) or 'tls' (tls://, with @mpx/testkit's self-signed
   * localhost certificate).
   */
  scheme?: 'tcp' | 'ws' | 'tls';
  clientExtra?: string[];
  serverExtra?: string[];
}

/** What --listen, the --server addresses and each side's extra flags are for a carrier scheme. */
function schemeSettings(scheme: RigOptions['scheme']): { listen: string; address: (hostPort: string) => string; server: string[]; client: string[] } {
  if (scheme === 'ws') return { listen: 'ws://127.0.0.1:0/mpx', address: (a) => `ws://${a}/mpx`, server: [], client: [] };
  if (scheme === 'tls') {
    const cert = tlsFixturePath('localhost-cert.pem');
    return {
      listen: 'tls://127.0.0.1:0',
      address: (a) => `tls://${a}`,
      server: ['--tls-cert', cert, '--tls-key', tlsFixturePath('localhost-key.pem')],
      client: ['--tls-ca', cert],
    };
  }
  return { listen: '127.0.0.1:0', address: (a) => a, server: [], client: [] };
}

export async function startRig(o: RigOptions): Promise<MpxRig> {
  const scheme = schemeSettings(o.scheme);
  const server = await startTunnelServer(o.targetPort, { listen: [scheme.listen], extra: [...scheme.server, ...(o.serverExtra ?? [])] });
  const port = server.ports[0] as number;
  let paths: Path[] = [];
  let client: TunnelClient | undefined;
  try {
    paths = o.paths === undefined ? [] : await pathsTo(port, o.paths);
    const hostPorts = paths.length === 0 ? [`127.0.0.1:${port}`] : paths.map((p) => p.address);
    const addresses = hostPorts.map(scheme.address);
    const options = (i: number): string => (o.entryOptions?.[i] ? `|${o.entryOptions[i]}` : '');
    const servers = addresses.map((a, i) => `${a}|${o.weights?.[i] ?? 1}${options(i)}`).join(',');
    client = await startTunnelClient({ servers, carriers: o.carriers ?? 1, extra: [...scheme.client, ...(o.clientExtra ?? [])] });
  } catch (err) {
    await Promise.all(paths.map((p) => p.close()));
    await stopAll([server.child, client?.child]);
    throw err;
  }
  const c = client;
  return {
    server,
    client: c,
    paths,
    port: c.port,
    async stop() {
      await stopAll([c.child, server.child]);
      await Promise.all(paths.map((p) => p.close()));
    },
  };
}

/** Where throughput runs send to: an iperf3 server per scenario, or the bench target. */
export interface ThroughputSink {
  port: number;
  tool: 'iperf3' | 'built-in';
  child?: Child;
  stop(): Promise<void>;
}

export async function startThroughputSink(ctx: Context): Promise<ThroughputSink> {
  if (!ctx.iperf) return { port: ctx.targetPort, tool: 'built-in', stop: async () => {} };
  const { child, port } = await startIperfServer();
  return { port, tool: 'iperf3', child, stop: () => child.stop() };
}

export interface Throughput {
  bytesPerSecond: number;
  bytes: number;
  seconds: number;
  /** iperf3 only: the client's 1-s intervals in bytes/s, omitted ones included (receiver side for downloads). */
  intervals?: number[];
}

/** Seconds left out at the start of every iperf3 run, plain and mpx alike (slow start, pool warm-up). */
export const OMIT_SECONDS = 2;

/**
 * One stream through `port` for `seconds` after `omit` seconds left out
 * (iperf3 -t -O; the receiver's byte count), upload or download. The built-in
 * fallback moves `fallbackRate × (omit + seconds)` verified bytes and times
 * them end to end, start-up included.
 */
export async function measureThroughput(
  sink: ThroughputSink,
  port: number,
  dir: 'up' | 'down',
  seconds: number,
  omit: number,
  fallbackRate: number,
): Promise<Throughput> {
  if (sink.tool === 'iperf3') {
    const r = await runIperfClient({ port, seconds, reverse: dir === 'down', omit });
    return { bytesPerSecond: r.bytesPerSecond, bytes: r.bytes, seconds: r.seconds, intervals: r.intervals.map((i) => i.bytesPerSecond) };
  }
  const length = Math.max(1e6, Math.round(fallbackRate * (seconds + omit)));
  const seed = 1000 + Math.round(seconds);
  const r =
    dir === 'up'
      ? await upload({ port, id: 1, seed, length })
      : await download({ port, id: 1, seed, length, expectedSha256: patternSha256(seed, length) });
  if (!r.ok) throw new Error(`built-in ${dir}load failed: ${r.error ?? 'unknown'}`);
  const s = (r.doneAt - r.startAt) / 1000;
  return { bytesPerSecond: r.bytes / s, bytes: r.bytes, seconds: s };
}

/**
 * The plain-TCP baseline of a run over several paths: one connection through
 * one path of `spec` to the sink, upload then download (`what` names that path
 * in the log), in bytes/s by direction; the path is closed afterwards.
 */
export async function plainThroughput(
  ctx: Context,
  sink: ThroughputSink,
  spec: PathSpec,
  what: string,
  seconds: number,
  omit: number,
  fallbackRate: number,
): Promise<Record<'up' | 'down', number>> {
  const [path] = await pathsTo(sink.port, [spec]);
  const plain = { up: 0, down: 0 };
  try {
    for (const dir of ['up', 'down'] as const) {
      ctx.log(`plain TCP ${dir}load through ${what}, ${seconds} s`);
      plain[dir] = (await measureThroughput(sink, path!.port, dir, seconds, omit, fallbackRate)).bytesPerSecond;
    }
  } finally {
    await path!.close();
  }
  return plain;
}

/** Bytes each path carried in one direction since `before` (from netem stats). */
export function pathBytes(paths: readonly Path[], dir: 'up' | 'down'): number[] {
  return paths.map((p) => (dir === 'up' ? p.stats().bytesUp : p.stats().bytesDown));
}

export function diff(after: readonly number[], before: readonly number[]): number[] {
  return after.map((a, i) => a - (before[i] ?? 0));
}

/** Shares of a total, e.g. [0.33, 0.67]. */
export function shares(values: readonly number[]): number[] {
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((v) => (total === 0 ? 0 : v / total));
}

/**
 * A note when the receiver's first seconds (left out of the measurement) ran
 * below 0.9 of `capacity`: how the pool warmed up. Null otherwise.
 */
export function startupNote(label: string, intervals: readonly number[] | undefined, omit: number, capacity: number): string | null {
  const first = (intervals ?? []).slice(0, omit);
  if (first.length === 0 || first.every((v) => v >= 0.9 * capacity)) return null;
  const mbits = (intervals ?? []).slice(0, omit + 2).map((v) => ((v * 8) / 1e6).toFixed(0));
  return `${label}: start-up, receiver's first 1-s intervals ${mbits.join(', ')} Mbit/s of ${((capacity * 8) / 1e6).toFixed(0)} (the first ${omit} s are left out of the measurement)`;
}

/** Queue in front of a `bottleneck` cap, in round trips of its delay (4 × RTT = 4 BDP: a deep buffer). */
export const BOTTLENECK_QUEUE_RTTS = 4;

/**
 * A path capped `rateMbit` in total (every connection on it shares the cap)
 * with a deep queue in front of the cap, as a home router or a cellular link:
 * BOTTLENECK_QUEUE_RTTS round trips of the rate.
 */
export function bottleneck(rateMbit: number, delayMs: number): PathSpec {
  return { pathRate: mbit(rateMbit), delayMs, pathQueue: { ms: BOTTLENECK_QUEUE_RTTS * 2 * delayMs } };
}

/** Starts a rig, runs `fn` with it, and stops it whatever happens. */
export async function withRig<T>(o: RigOptions, fn: (rig: MpxRig) => Promise<T>): Promise<T> {
  const rig = await startRig(o);
  try {
    return await fn(rig);
  } finally {
    await rig.stop();
  }
}
