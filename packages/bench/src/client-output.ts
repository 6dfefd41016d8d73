// Pure parsers of the real clients' output: `redis-benchmark --csv`,
// `wrk`'s summary, `curl -w` and `sha256sum`. Each throws a BenchToolError
// (code BENCH_ERR_TOOL_OUTPUT) naming what it could not find.

export class BenchToolError extends Error {
  readonly code = 'BENCH_ERR_TOOL_OUTPUT';
  constructor(message: string) {
    super(message);
    this.name = 'BenchToolError';
  }
}

export interface RedisBenchmarkRow {
  /** "SET", "GET", … as redis-benchmark names the test. */
  test: string;
  requestsPerSecond: number;
  avgLatencyMs: number;
  p99LatencyMs: number;
}

/**
 * Rows of `redis-benchmark --csv` (redis 7: a header line
 * `"test","rps","avg_latency_ms",…` then one quoted line per test). Columns
 * are found by the header's names; redis 6 (no header, two columns) gives
 * NaN latencies.
 */
export function parseRedisBenchmarkCsv(text: string): RedisBenchmarkRow[] {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('"'));
  const cells = (line: string): string[] => line.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  let header = ['test', 'rps'];
  const rows: RedisBenchmarkRow[] = [];
  for (const line of lines) {
    const c = cells(line);
    if (c[0] === 'test') {
      header = c;
      continue;
    }
    const at = (name: string): number => {
      const i = header.indexOf(name);
      return i < 0 ? NaN : Number(c[i]);
    };
    const test = c[0] ?? '';
    const rps = at('rps');
    if (test === '' || !Number.isFinite(rps)) throw new BenchToolError(`redis-benchmark: no request rate in '${line}'`);
    rows.push({ test, requestsPerSecond: rps, avgLatencyMs: at('avg_latency_ms'), p99LatencyMs: at('p99_latency_ms') });
  }
  if (rows.length === 0) throw new BenchToolError('redis-benchmark: no result lines in the CSV output');
  return rows;
}

export interface WrkSummary {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  bytesRead: number;
  /** connect + read + write + timeout socket errors. */
  socketErrors: number;
  /** Responses other than 2xx or 3xx. */
  badResponses: number;
}

const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** wrk's summary ("N requests in 5.00s, 190.00MB read", "Requests/sec: …", error lines when any). */
export function parseWrkOutput(text: string): WrkSummary {
  const total = /(\d+) requests in ([\d.]+)(ms|s|m), ([\d.]+)([KMGT]?B) read/.exec(text);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (total === null || rate === null) throw new BenchToolError(`wrk: no summary in its output: ${text.trim().split('\n').slice(-3).join(' | ')}`);
  const scale = total[3] === 'ms' ? 1e-3 : total[3] === 'm' ? 60 : 1;
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const bad = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return {
    requests: Number(total[1]),
    seconds: Number(total[2]) * scale,
    requestsPerSecond: Number(rate[1]),
    bytesRead: Math.round(Number(total[4]) * (UNITS[total[5] ?? 'B'] ?? 1)),
    socketErrors: errors === null ? 0 : errors.slice(1).reduce((sum, n) => sum + Number(n), 0),
    badResponses: bad === null ? 0 : Number(bad[1]),
  };
}

export interface CurlTransfer {
  bytes: number;
  seconds: number;
}

/** The last `<size_download> <time_total>` line that `curl -w '%{stderr}%{size_download} %{time_total}\n'` wrote. */
export function parseCurlWriteOut(text: string): CurlTransfer {
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    const m = /^(\d+) (\d+(?:\.\d+)?)$/.exec(line.trim());
    if (m !== null) return { bytes: Number(m[1]), seconds: Number(m[2]) };
  }
  throw new BenchToolError(`curl: no '<bytes> <seconds>' line in: ${text.trim().split('\n').slice(-2).join(' | ')}`);
}

/** The hex digest of `sha256sum`'s "<hex>  -" line. */
export function parseSha256sum(text: string): string {
  const m = /^([0-9a-f]{64})\s/m.exec(text);
  if (m === null) throw new BenchToolError(`sha256sum: no digest in '${text.trim()}'`);
  return m[1] as string;
}
