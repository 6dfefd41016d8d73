import { describe, expect, it } from 'vitest';
import { BenchToolError, parseCurlWriteOut, parseRedisBenchmarkCsv, parseSha256sum, parseWrkOutput } from '../src/client-output.js';

// Output of redis-benchmark 7.0.15 (Debian 12), `-c 50 -n 20000 -t set,get --csv`.
const REDIS_CSV = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","152671.77","0.205","0.064","0.199","0.303","0.455","1.527"
"GET","157480.31","0.199","0.064","0.199","0.295","0.375","1.143"
`;

// wrk 4.1.0 summary with errors.
const WRK = `Running 3s test @ http://127.0.0.1:40123/small.bin
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.45ms    1.02ms  20.00ms   90.00%
    Req/Sec     9.00k   500.00    10.00k    70.00%
  53412 requests in 3.00s, 122.50MB read
  Socket errors: connect 0, read 2, write 1, timeout 4
  Non-2xx or 3xx responses: 10
Requests/sec:  17800.12
Transfer/sec:     40.83MB
`;

describe('parseRedisBenchmarkCsv', () => {
  it('reads the request rate and latencies of each test by the header names', () => {
    expect(parseRedisBenchmarkCsv(REDIS_CSV)).toEqual([
      { test: 'SET', requestsPerSecond: 152671.77, avgLatencyMs: 0.205, p99LatencyMs: 0.455 },
      { test: 'GET', requestsPerSecond: 157480.31, avgLatencyMs: 0.199, p99LatencyMs: 0.375 },
    ]);
  });

  it('reads redis 6 output without a header, latencies unknown', () => {
    expect(parseRedisBenchmarkCsv('"SET","20700.00"\n')).toEqual([{ test: 'SET', requestsPerSecond: 20700, avgLatencyMs: NaN, p99LatencyMs: NaN }]);
  });

  it('refuses output with no result lines, with a stable code', () => {
    expect(() => parseRedisBenchmarkCsv('Could not connect to Redis at 127.0.0.1:1: Connection refused\n')).toThrow(BenchToolError);
    expect(() => parseRedisBenchmarkCsv('')).toThrow(expect.objectContaining({ code: 'BENCH_ERR_TOOL_OUTPUT' }));
  });
});

describe('parseWrkOutput', () => {
  it('reads requests, duration, rate, bytes and errors', () => {
    expect(parseWrkOutput(WRK)).toEqual({
      requests: 53412,
      seconds: 3,
      requestsPerSecond: 17800.12,
      bytesRead: Math.round(122.5 * 1024 ** 2),
      socketErrors: 7,
      badResponses: 10,
    });
  });

  it('counts no errors when wrk printed no error lines', () => {
    const clean = WRK.replace(/ {2}Socket errors.*\n/, '').replace(/ {2}Non-2xx.*\n/, '');
    expect(parseWrkOutput(clean)).toMatchObject({ socketErrors: 0, badResponses: 0 });
  });

  it('converts a run reported in minutes', () => {
    expect(parseWrkOutput(WRK.replace('in 3.00s', 'in 1.00m')).seconds).toBe(60);
  });

  it('refuses output without a summary', () => {
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n')).toThrow(/wrk: no summary/);
  });
});

describe('parseCurlWriteOut', () => {
  it("takes the last '<bytes> <seconds>' line after curl's own messages", () => {
    expect(parseCurlWriteOut('some warning\n200000000 1.734512\n')).toEqual({ bytes: 200000000, seconds: 1.734512 });
  });

  it('refuses stderr without the -w line', () => {
    expect(() => parseCurlWriteOut('curl: (7) Failed to connect to 127.0.0.1 port 1\n')).toThrow(/curl: no/);
  });
});

describe('parseSha256sum', () => {
  it('takes the hex digest of the "<hex>  -" line', () => {
    const hex = 'ab'.repeat(32);
    expect(parseSha256sum(`${hex}  -\n`)).toBe(hex);
  });

  it('refuses a line without a digest', () => {
    expect(() => parseSha256sum('sha256sum: -: read error\n')).toThrow(/no digest/);
  });
});
