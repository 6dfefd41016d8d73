import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePrometheus } from '../src/prometheus.js';
import { fetchMetrics, pollMetrics, tunnelMetrics } from '../src/tunnel-metrics.js';

const PAGE = `mpx_carriers 3
mpx_carrier_rtt_seconds{carrier="127.0.0.1:7001"} 0.0031
mpx_carrier_rtt_seconds{carrier="127.0.0.1:7002"} 0.0105
mpx_retransmits_total{carrier="127.0.0.1:7001"} 4
mpx_retransmits_total{carrier="127.0.0.1:7002"} 7
mpx_streams 2
`;

describe('tunnelMetrics', () => {
  it('reads open carriers, and RTT in ms and retransmissions per carrier group, summed over groups', () => {
    const m = tunnelMetrics(parsePrometheus(PAGE));
    expect(m.carriers).toBe(3);
    expect(m.retransmits).toBe(11);
    expect(m.groups).toEqual([
      { label: '127.0.0.1:7001', rttMs: expect.closeTo(3.1, 9), retransmits: 4 },
      { label: '127.0.0.1:7002', rttMs: expect.closeTo(10.5, 9), retransmits: 7 },
    ]);
  });

  it('reports no retransmissions and no groups when the tunnel has no RTT or retransmission samples yet', () => {
    expect(tunnelMetrics(parsePrometheus('mpx_carriers 0\nmpx_streams 0\n'))).toEqual({ carriers: 0, retransmits: 0, groups: [] });
  });
});

describe('fetchMetrics and pollMetrics against a /metrics endpoint on 127.0.0.1', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((done) => server?.close(done));
    server = undefined;
  });

  /** Serves `pages[n]` on the n-th request (the last one after that); returns the URL. */
  async function serve(pages: readonly string[], status = 200): Promise<{ url: string; requests: () => number }> {
    let n = 0;
    server = createServer((_req, res) => {
      const page = pages[Math.min(n++, pages.length - 1)] ?? '';
      res.writeHead(status, { 'content-type': 'text/plain; version=0.0.4' }).end(page);
    });
    await new Promise<void>((ready) => server?.listen(0, '127.0.0.1', ready));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, requests: () => n };
  }

  it('fetches and reads one page', async () => {
    const { url } = await serve([PAGE]);
    expect((await fetchMetrics(url)).retransmits).toBe(11);
  });

  it('rejects on an HTTP error status', async () => {
    const { url } = await serve([''], 404);
    await expect(fetchMetrics(url)).rejects.toThrow(/HTTP 404/);
  });

  it('polls until the condition holds and returns that reading', async () => {
    const { url, requests } = await serve(['mpx_carriers 0\n', 'mpx_carriers 1\n', 'mpx_carriers 4\n']);
    const m = await pollMetrics(url, (r) => r.carriers >= 4, { intervalMs: 1 });
    expect(m.carriers).toBe(4);
    expect(requests()).toBe(3);
  });

  it('stops with the abort error (e.g. the tunnel exited) instead of polling on', async () => {
    const { url } = await serve(['mpx_carriers 0\n']);
    await expect(pollMetrics(url, () => false, { intervalMs: 1, abort: Promise.resolve(new Error('mpx client: exited (1)')) })).rejects.toThrow(
      'mpx client: exited (1)',
    );
  });

  it('gives up after its timeout with the last reading in the error', async () => {
    const { url } = await serve(['mpx_carriers 1\n']);
    await expect(pollMetrics(url, (r) => r.carriers >= 2, { intervalMs: 5, timeoutMs: 20 })).rejects.toThrow(
      /timed out after 20 ms; last reading .*"carriers":1/,
    );
  });
});
