// Prometheus text format, the carrier totals behind it, and the --stats lines.
import { describe, expect, it } from 'vitest';
import { escapeLabel, renderMetrics, snapshotOf } from '../src/metrics.js';
import { CarrierBook, Refusals, StatsReporter, Traffic, formatRate, type CarrierSample, type LiveCarrier, type TunnelView } from '../src/stats.js';

function carrier(id: number, label: string, bytesIn: number, bytesOut: number, extra: Partial<CarrierSample> = {}): CarrierSample {
  return { id, label, weight: 1, bytesIn, bytesOut, ...extra };
}

function viewOf(live: LiveCarrier[], streams = 0, sessions = 0): TunnelView {
  return { liveCarriers: () => live, streams: () => streams, sessions: () => sessions };
}

describe('renderMetrics', () => {
  it('renders every family with HELP, TYPE and labelled samples', () => {
    const text = renderMetrics({
      carriers: 3,
      groups: [
        { group: 'tcp://a:1', up: 2, bytesIn: 100, bytesOut: 200, rttMs: 12.5, retransmits: 4 },
        { group: 'ws://b:80/x', up: 1, bytesIn: 5, bytesOut: 6 },
      ],
      streams: 7,
      sessions: 1,
      bytesIn: 1000,
      bytesOut: 2000,
    });
    expect(text).toBe(
      [
        '# HELP mpx_carriers Open carriers.',
        '# TYPE mpx_carriers gauge',
        'mpx_carriers 3',
        '# HELP mpx_carrier_bytes_total Bytes carried by carriers, framing included.',
        '# TYPE mpx_carrier_bytes_total counter',
        'mpx_carrier_bytes_total{direction="in",carrier="tcp://a:1"} 100',
        'mpx_carrier_bytes_total{direction="out",carrier="tcp://a:1"} 200',
        'mpx_carrier_bytes_total{direction="in",carrier="ws://b:80/x"} 5',
        'mpx_carrier_bytes_total{direction="out",carrier="ws://b:80/x"} 6',
        '# HELP mpx_carrier_rtt_seconds Mean round-trip time of the open carriers.',
        '# TYPE mpx_carrier_rtt_seconds gauge',
        'mpx_carrier_rtt_seconds{carrier="tcp://a:1"} 0.0125',
        '# HELP mpx_retransmits_total Frames retransmitted.',
        '# TYPE mpx_retransmits_total counter',
        'mpx_retransmits_total{carrier="tcp://a:1"} 4',
        '# HELP mpx_streams Open streams.',
        '# TYPE mpx_streams gauge',
        'mpx_streams 7',
        '# HELP mpx_sessions Open sessions.',
        '# TYPE mpx_sessions gauge',
        'mpx_sessions 1',
        '# HELP mpx_bytes_total Application bytes through the tunnel (in: from the mpx peer, out: to it).',
        '# TYPE mpx_bytes_total counter',
        'mpx_bytes_total{direction="in"} 1000',
        'mpx_bytes_total{direction="out"} 2000',
        '',
      ].join('\n'),
    );
  });

  it('leaves out RTT and retransmissions when no carrier reports them', () => {
    const text = renderMetrics({ carriers: 0, groups: [], streams: 0, sessions: 0, bytesIn: 0, bytesOut: 0 });
    expect(text).not.toContain('mpx_carrier_rtt_seconds');
    expect(text).not.toContain('mpx_retransmits_total');
    expect(text).toContain('# TYPE mpx_carrier_bytes_total counter\n');
  });

  it('counts refused carriers and streams by error code on the server only', () => {
    const refusals = new Refusals();
    refusals.add('carriers', 'MPX_ERR_AUTH_FAILED');
    refusals.add('carriers', 'MPX_ERR_AUTH_FAILED');
    refusals.add('carriers', 'MPX_ERR_HANDSHAKE_TIMEOUT');
    refusals.add('streams', 'MPX_ERR_LIMIT_EXCEEDED');
    const base = { carriers: 0, groups: [], streams: 0, sessions: 0, bytesIn: 0, bytesOut: 0 };
    const text = renderMetrics({ ...base, refusals });
    expect(text).toContain('# TYPE mpx_carriers_refused_total counter\n');
    expect(text).toMatch(/^mpx_carriers_refused_total\{reason="MPX_ERR_AUTH_FAILED"\} 2$/m);
    expect(text).toMatch(/^mpx_carriers_refused_total\{reason="MPX_ERR_HANDSHAKE_TIMEOUT"\} 1$/m);
    expect(text).toMatch(/^mpx_streams_refused_total\{reason="MPX_ERR_LIMIT_EXCEEDED"\} 1$/m);
    expect(renderMetrics(base)).not.toContain('refused');
  });

  it('escapes backslash, double quote and newline in label values', () => {
    expect(escapeLabel('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });
});

describe('CarrierBook', () => {
  it('keeps counters monotonic across carriers that close', () => {
    const book = new CarrierBook();
    const a = carrier(1, 'x', 10, 20, { retransmits: 1 });
    const b = carrier(2, 'x', 5, 5, { rttMs: 10 });
    expect(book.totals([{ group: 'g', stats: a }, { group: 'g', stats: b }])).toEqual([
      { group: 'g', up: 2, bytesIn: 15, bytesOut: 25, rttMs: 10, retransmits: 1 },
    ]);
    book.closed('g', a);
    expect(book.totals([{ group: 'g', stats: b }])).toEqual([{ group: 'g', up: 1, bytesIn: 15, bytesOut: 25, rttMs: 10, retransmits: 1 }]);
    book.closed('g', b);
    expect(book.totals([])).toEqual([{ group: 'g', up: 0, bytesIn: 15, bytesOut: 25, retransmits: 1 }]);
  });

  it('feeds the snapshot with live carriers, streams, sessions and traffic', () => {
    const traffic = new Traffic();
    traffic.bytesIn = 3;
    traffic.bytesOut = 4;
    const view = viewOf([{ group: 'g', stats: carrier(1, 'x', 1, 2) }], 5, 1);
    expect(snapshotOf(view, new CarrierBook(), traffic)).toEqual({
      carriers: 1,
      groups: [{ group: 'g', up: 1, bytesIn: 1, bytesOut: 2 }],
      streams: 5,
      sessions: 1,
      bytesIn: 3,
      bytesOut: 4,
    });
  });
});

describe('StatsReporter', () => {
  it('prints throughput since the last print per carrier, with RTT and retransmissions when known', () => {
    let now = 0;
    const live: LiveCarrier[] = [{ group: 'g', stats: carrier(1, 'tcp://a:1', 0, 0) }];
    const traffic = new Traffic();
    const reporter = new StatsReporter(viewOf(live, 2, 1), traffic, () => now);
    now = 2000;
    live[0] = { group: 'g', stats: carrier(1, 'tcp://a:1', 4000, 2_000_000, { weight: 3, rttMs: 12.34, retransmits: 2 }) };
    traffic.bytesIn = 3000;
    expect(reporter.lines()).toEqual([
      'stats carrier #1 tcp://a:1: in 2.00 kB/s, out 1.00 MB/s, weight 3, rtt 12.3 ms, retransmits 2',
      'stats total: 1 carriers, 2 streams, 1 sessions, in 1.50 kB/s, out 0 B/s',
    ]);
    now = 3000;
    expect(reporter.lines()[0]).toBe('stats carrier #1 tcp://a:1: in 0 B/s, out 0 B/s, weight 3, rtt 12.3 ms, retransmits 2');
  });

  it('formats rates in SI units', () => {
    expect([999, 1000, 1_234_567, 5e9].map(formatRate)).toEqual(['999 B/s', '1.00 kB/s', '1.23 MB/s', '5.00 GB/s']);
  });
});
