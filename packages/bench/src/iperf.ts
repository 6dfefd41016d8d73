// iperf3 as the traffic tool for throughput scenarios: installed on demand
// (Debian package), a one-off server per test, a client with JSON output.

import { execFile, execSync } from 'node:child_process';
import { ensureProgram } from '@mpx/testkit';
import { Child } from './procs.js';
import { startOnFreePort } from './servers.js';

export interface IperfAvailability {
  available: boolean;
  note: string;
}

/** iperf3 on PATH, or installed from its Debian package (`ensureProgram` of @mpx/testkit). */
export function ensureIperf3(log: (line: string) => void): IperfAvailability {
  const found = ensureProgram({ commands: ['iperf3'], debianPackage: 'iperf3', log });
  if (found.path !== undefined) return { available: true, note: found.note };
  return { available: false, note: `${found.note}: throughput measured with the built-in source/sink instead` };
}

export function iperfVersion(): string {
  try {
    return execSync('iperf3 --version', { encoding: 'utf8', shell: '/bin/sh' }).split('\n')[0]?.trim() ?? 'iperf3';
  } catch {
    return 'iperf3';
  }
}

/** `iperf3 -s` on a free port (serves one test after another); resolves once it listens. */
export function startIperfServer(): Promise<{ child: Child; port: number }> {
  return startOnFreePort(
    (port) => new Child('iperf3 server', 'iperf3', ['-s', '--forceflush', '-B', '127.0.0.1', '-p', String(port)]),
    /Server listening/,
  );
}

export interface IperfResult {
  /** Bytes the receiving side counted (after the omitted seconds). */
  bytes: number;
  seconds: number;
  /** Receiver's bytes per second. */
  bytesPerSecond: number;
  /** TCP retransmissions the sender's kernel saw (loopback: usually 0). */
  retransmits: number | null;
  /** The iperf3 client's 1-s intervals (receiver side with -R, sender side without): bytes/s, omitted or not. */
  intervals: Array<{ bytesPerSecond: number; omitted: boolean }>;
}

/** Extracts the receiver's totals from `iperf3 -J` output; throws with iperf3's error text. */
export function parseIperfJson(text: string): IperfResult {
  const j = JSON.parse(text) as {
    error?: string;
    end?: { sum_received?: { bytes?: number; seconds?: number; bits_per_second?: number }; sum_sent?: { retransmits?: number } };
    intervals?: Array<{ sum?: { bits_per_second?: number; omitted?: boolean } }>;
  };
  if (typeof j.error === 'string') throw new Error(`iperf3: ${j.error}`);
  const r = j.end?.sum_received;
  if (r === undefined || typeof r.bytes !== 'number' || typeof r.seconds !== 'number' || typeof r.bits_per_second !== 'number') {
    throw new Error('iperf3: no end.sum_received in the JSON output');
  }
  const retransmits = j.end?.sum_sent?.retransmits;
  const intervals = (j.intervals ?? []).map((i) => ({ bytesPerSecond: (i.sum?.bits_per_second ?? NaN) / 8, omitted: i.sum?.omitted === true }));
  return {
    bytes: r.bytes,
    seconds: r.seconds,
    bytesPerSecond: r.bits_per_second / 8,
    retransmits: typeof retransmits === 'number' ? retransmits : null,
    intervals,
  };
}

export interface IperfClientOptions {
  port: number;
  seconds: number;
  /** -R: the server sends (download through the tunnel). */
  reverse: boolean;
  /** -O: seconds omitted at the start (slow start). */
  omit: number;
}

/**
 * iperf3's errors when its server is still busy with the previous test: said
 * as such when the client reads the server's refusal, or a reset of the
 * control connection before the first control message when the refusal
 * comes through a tunnel or relay (the server closes the connection with the
 * client's cookie unread, so its kernel resets it, and the reset is passed on).
 */
const BUSY = /busy|unable to receive control message: Connection reset by peer/;

/** The error says the iperf3 server is still busy with the previous test (see BUSY): worth another try. */
export function serverBusy(err: unknown): boolean {
  return err instanceof Error && BUSY.test(err.message);
}

/**
 * Runs `iperf3 -c 127.0.0.1 -p port -t s [-R] [-O n] -J`; while the server is
 * still busy finishing the previous test (its streams closing through the
 * tunnel, or the previous tunnel's connections being torn down), retries
 * every 300 ms for up to 10 s.
 */
export async function runIperfClient(o: IperfClientOptions): Promise<IperfResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await runIperfOnce(o);
    } catch (err) {
      if (!serverBusy(err) || attempt >= 33) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

function runIperfOnce(o: IperfClientOptions): Promise<IperfResult> {
  const args = ['-c', '127.0.0.1', '-p', String(o.port), '-t', String(o.seconds), '-J', '--connect-timeout', '5000'];
  if (o.omit > 0) args.push('-O', String(o.omit));
  if (o.reverse) args.push('-R');
  return new Promise((resolve, reject) => {
    execFile('iperf3', args, { timeout: (o.seconds + o.omit + 20) * 1000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      try {
        resolve(parseIperfJson(stdout));
      } catch (parseErr) {
        reject(err ?? parseErr);
      }
    });
  });
}
