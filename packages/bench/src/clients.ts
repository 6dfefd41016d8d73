// The real clients of the real-clients scenario, run to completion against a
// loopback port: redis-benchmark, wrk, and curl piped into sha256sum (in a
// shell, so no Node process sits between them). Output is parsed by
// client-output.ts; the programs come from Debian's packages.

import { execFile } from 'node:child_process';
import { parseCurlWriteOut, parseRedisBenchmarkCsv, parseSha256sum, parseWrkOutput } from './client-output.js';
import type { CurlTransfer, RedisBenchmarkRow, WrkSummary } from './client-output.js';

/** Runs a program; resolves with stdout and stderr, rejects with both when it fails. */
function run(file: string, args: readonly string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${file} failed: ${err.message.split('\n')[0] ?? ''}; ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** `redis-benchmark -h 127.0.0.1 -p port -c clients -n requests -t tests --csv`. */
export async function runRedisBenchmark(port: number, clients: number, requests: number, tests: readonly string[]): Promise<RedisBenchmarkRow[]> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', String(clients), '-n', String(requests), '-t', tests.join(','), '--csv'];
  const { stdout } = await run('redis-benchmark', args, 600_000);
  return parseRedisBenchmarkCsv(stdout);
}

/**
 * `wrk -t 2 -c connections -d seconds http://127.0.0.1:port/path` (HTTP/1.1 keep-alive; one thread for one connection).
 * `headers`: extra request headers ("Name: value"), e.g. `Connection: close` for a new connection per request.
 */
export async function runWrk(port: number, path: string, connections: number, seconds: number, headers: readonly string[] = []): Promise<WrkSummary> {
  const threads = Math.min(2, connections);
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s'];
  for (const header of headers) args.push('-H', header);
  args.push(`http://127.0.0.1:${port}${path}`);
  const { stdout } = await run('wrk', args, (seconds + 30) * 1000);
  return parseWrkOutput(stdout);
}

export interface CurlResult extends CurlTransfer {
  sha256: string;
}

/** `curl -sS --fail http://127.0.0.1:port/path | sha256sum` under bash's pipefail; curl's size and time from -w. */
export async function runCurlSha256(port: number, path: string): Promise<CurlResult> {
  const script = `set -o pipefail; curl -sS --fail -o - -w '%{stderr}%{size_download} %{time_total}\\n' "$1" | sha256sum`;
  const { stdout, stderr } = await run('bash', ['-c', script, 'bash', `http://127.0.0.1:${port}${path}`], 600_000);
  return { ...parseCurlWriteOut(stderr), sha256: parseSha256sum(stdout) };
}
