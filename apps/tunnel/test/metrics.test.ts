// Prometheus metrics (read back by parsing the exposition text; the default
// process families checked against prom-client's, which wrote them before),
// the carrier totals behind them, and the --stats lines.
import { fullGc } from '@mpx/testkit';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { liveState } from '../src/live-page.js';
import { snapshotOf, TunnelMetrics, type MetricsSnapshot } from '../src/metrics.js';
import { parseExposition, valueOf, type Family } from './exposition.js';
import { CarrierBook, Refusals, StatsReporter, Traffic, formatRate, type CarrierSample, type LiveCarrier, type TunnelView } from '../src/stats.js';

function carrier(id: number, label: string, bytesIn: number, bytesOut: number, extra: Partial<CarrierSample> = {}): CarrierSample {
  return { id, label, weight: 1, bytesIn, bytesOut, ...extra };
}

function viewOf(live: LiveCarrier[], streams = 0, sessions = 0): TunnelView {
  return { liveCarriers: () => live, streams: () => streams, sessions: () => sessions };
}

const EMPTY: MetricsSnapshot = { carriers: 0, groups: [], streams: 0, sessions: 0, bytesIn: 0, bytesOut: 0 };

/** The sorted label names of a family's samples. */
function labelNamesOf(samples: ReadonlyArray<{ labels?: Readonly<Record<string, unknown>> }>): string[] {
  return [...new Set(samples.flatMap((s) => Object.keys(s.labels ?? {})))].sort();
}

/** Scrapes the families of `snapshot` (without the default process metrics) and parses the text. */
async function scrape(snapshot: MetricsSnapshot, options = { defaults: false, refusals: false }): Promise<Map<string, Family>> {
  return parseExposition(new TunnelMetrics(() => snapshot, options).metrics());
}

describe('TunnelMetrics', () => {
  it('exposes every tunnel family with HELP, TYPE and labelled samples', async () => {
    const families = await scrape({
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
    expect([...families.values()].map((f) => [f.name, f.type])).toEqual([
      ['mpx_carriers', 'gauge'],
      ['mpx_carrier_bytes_total', 'counter'],
      ['mpx_carrier_rtt_seconds', 'gauge'],
      ['mpx_retransmits_total', 'counter'],
      ['mpx_streams', 'gauge'],
      ['mpx_sessions', 'gauge'],
      ['mpx_bytes_total', 'counter'],
    ]);
    expect(families.get('mpx_carrier_bytes_total')?.help).toBe('Bytes carried by carriers, framing included.');
    expect(families.get('mpx_carrier_bytes_total')?.samples).toEqual([
      { name: 'mpx_carrier_bytes_total', labels: { direction: 'in', carrier: 'tcp://a:1' }, value: 100 },
      { name: 'mpx_carrier_bytes_total', labels: { direction: 'out', carrier: 'tcp://a:1' }, value: 200 },
      { name: 'mpx_carrier_bytes_total', labels: { direction: 'in', carrier: 'ws://b:80/x' }, value: 5 },
      { name: 'mpx_carrier_bytes_total', labels: { direction: 'out', carrier: 'ws://b:80/x' }, value: 6 },
    ]);
    expect(families.get('mpx_carrier_rtt_seconds')?.samples).toEqual([
      { name: 'mpx_carrier_rtt_seconds', labels: { carrier: 'tcp://a:1' }, value: 0.0125 },
    ]);
    expect(families.get('mpx_retransmits_total')?.samples).toEqual([{ name: 'mpx_retransmits_total', labels: { carrier: 'tcp://a:1' }, value: 4 }]);
    expect(valueOf(families, 'mpx_carriers')).toBe(3);
    expect(valueOf(families, 'mpx_streams')).toBe(7);
    expect(valueOf(families, 'mpx_sessions')).toBe(1);
    expect(valueOf(families, 'mpx_bytes_total', { direction: 'in' })).toBe(1000);
    expect(valueOf(families, 'mpx_bytes_total', { direction: 'out' })).toBe(2000);
  });

  it('has no RTT or retransmission samples when no carrier reports them', async () => {
    const families = await scrape(EMPTY);
    expect(families.get('mpx_carrier_rtt_seconds')?.samples ?? []).toEqual([]);
    expect(families.get('mpx_retransmits_total')?.samples ?? []).toEqual([]);
    expect(families.get('mpx_carrier_bytes_total')?.type).toBe('counter');
  });

  it('drops the samples of a group that is gone at the next scrape', async () => {
    let snapshot: MetricsSnapshot = { ...EMPTY, groups: [{ group: 'g', up: 1, bytesIn: 1, bytesOut: 1, rttMs: 5 }] };
    const metrics = new TunnelMetrics(() => snapshot, { defaults: false, refusals: false });
    expect(valueOf(parseExposition(metrics.metrics()), 'mpx_carrier_rtt_seconds', { carrier: 'g' })).toBe(0.005);
    snapshot = { ...snapshot, groups: [{ group: 'g', up: 0, bytesIn: 1, bytesOut: 1 }] };
    expect(valueOf(parseExposition(metrics.metrics()), 'mpx_carrier_rtt_seconds', { carrier: 'g' })).toBeUndefined();
  });

  it('counts refused carriers and streams by error code on the server only', async () => {
    const refusals = new Refusals();
    refusals.add('carriers', 'MPX_ERR_AUTH_FAILED');
    refusals.add('carriers', 'MPX_ERR_AUTH_FAILED');
    refusals.add('carriers', 'MPX_ERR_HANDSHAKE_TIMEOUT');
    refusals.add('streams', 'MPX_ERR_LIMIT_EXCEEDED');
    const families = await scrape({ ...EMPTY, refusals }, { defaults: false, refusals: true });
    expect(families.get('mpx_carriers_refused_total')?.type).toBe('counter');
    expect(valueOf(families, 'mpx_carriers_refused_total', { reason: 'MPX_ERR_AUTH_FAILED' })).toBe(2);
    expect(valueOf(families, 'mpx_carriers_refused_total', { reason: 'MPX_ERR_HANDSHAKE_TIMEOUT' })).toBe(1);
    expect(valueOf(families, 'mpx_streams_refused_total', { reason: 'MPX_ERR_LIMIT_EXCEEDED' })).toBe(1);
    expect([...(await scrape(EMPTY)).keys()].filter((name) => name.includes('refused'))).toEqual([]);
  });

  it('escapes backslash, double quote and newline in label values so they read back unchanged', async () => {
    const group = 'ws://h/a\\b"c\nd';
    const families = await scrape({ ...EMPTY, groups: [{ group, up: 1, bytesIn: 9, bytesOut: 0 }] });
    expect(valueOf(families, 'mpx_carrier_bytes_total', { direction: 'in', carrier: group })).toBe(9);
  });

  it('adds the default process metrics: CPU, resident memory, event-loop lag, garbage collection', async () => {
    const families = await scrape(EMPTY, { defaults: true, refusals: false });
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds']) {
      expect(families.get(name)?.type, name).toMatch(/^(counter|gauge|histogram)$/);
    }
    expect(valueOf(families, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it("has prom-client's default process families: names, HELP, types, label names, aggregators, in collectDefaultMetrics' order", async () => {
    const theirs = new Registry();
    collectDefaultMetrics({ register: theirs });
    const reference = (await theirs.getMetricsAsJSON()).map(({ name, help, type, aggregator, values }) => ({
      name,
      help,
      type: String(type),
      aggregator,
      labels: labelNamesOf(values),
    }));
    const ours = new TunnelMetrics(() => EMPTY, { defaults: true, refusals: false })
      .families()
      .filter(({ name }) => !name.startsWith('mpx_'))
      .map(({ name, help, type, aggregator = 'sum', samples }) => ({ name, help, type, aggregator, labels: labelNamesOf(samples) }));
    expect(ours.map(({ name }) => name)).toContain('process_cpu_seconds_total');
    // The GC histogram has samples once a collection was observed, which either registry may or may not have seen yet.
    const withoutGcLabels = <F extends { name: string; labels: string[] }>(list: F[]): F[] =>
      list.map((f) => (f.name === 'nodejs_gc_duration_seconds' ? { ...f, labels: [] } : f));
    expect(withoutGcLabels(ours)).toEqual(withoutGcLabels(reference));
    expect(reference.find((f) => f.name === 'nodejs_version_info')?.labels).toEqual(['major', 'minor', 'patch', 'version']);
    expect(reference.find((f) => f.name === 'nodejs_heap_space_size_used_bytes')?.labels).toEqual(['space']);
  });

  it('writes the version and heap-space samples prom-client writes', async () => {
    const theirs = new Registry();
    collectDefaultMetrics({ register: theirs });
    const reference = parseExposition(await theirs.metrics());
    const ours = parseExposition(new TunnelMetrics(() => EMPTY, { defaults: true, refusals: false }).metrics());
    expect(ours.get('nodejs_version_info')?.samples).toEqual(reference.get('nodejs_version_info')?.samples);
    const spaces = (families: Map<string, Family>): string[] | undefined =>
      families.get('nodejs_heap_space_size_total_bytes')?.samples.map((s) => s.labels.space ?? '');
    expect(spaces(ours)).toEqual(spaces(reference));
    expect(spaces(ours)).toContain('old');
  });

  it('counts every garbage collection in nodejs_gc_duration_seconds, however many the observer is handed at once', async () => {
    const metrics = new TunnelMetrics(() => EMPTY, { defaults: true, refusals: false });
    const majors = (): number => valueOf(parseExposition(metrics.metrics()), 'nodejs_gc_duration_seconds_count', { kind: 'major' }) ?? 0;
    const before = majors();
    for (let i = 0; i < 5; i++) fullGc();
    // The observer is handed the five entries together, a turn of the event loop later.
    for (let turn = 0; turn < 100 && majors() < before + 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(majors()).toBeGreaterThanOrEqual(before + 5);
  });

  it('counts user plus system CPU seconds as process_cpu_seconds_total', async () => {
    const families = await scrape(EMPTY, { defaults: true, refusals: false });
    const user = valueOf(families, 'process_cpu_user_seconds_total');
    const system = valueOf(families, 'process_cpu_system_seconds_total');
    expect(user).toBeGreaterThanOrEqual(0);
    expect(system).toBeGreaterThanOrEqual(0);
    expect(valueOf(families, 'process_cpu_seconds_total')).toBeCloseTo((user ?? NaN) + (system ?? NaN), 6);
  });

  it('takes one snapshot per scrape, shared by every family', async () => {
    let calls = 0;
    const metrics = new TunnelMetrics(
      () => {
        calls++;
        return EMPTY;
      },
      { defaults: false, refusals: true },
    );
    metrics.metrics();
    expect(calls).toBe(1);
  });
});

describe('CarrierBook', () => {
  it('keeps counters monotonic across carriers that close', () => {
    const book = new CarrierBook();
    const a = carrier(1, 'x', 10, 20, { retransmits: 1 });
    const b = carrier(2, 'x', 5, 5, { rttMs: 10 });
    expect(
      book.totals([
        { group: 'g', stats: a },
        { group: 'g', stats: b },
      ]),
    ).toEqual([{ group: 'g', up: 2, bytesIn: 15, bytesOut: 25, rttMs: 10, retransmits: 1 }]);
    book.closed('g', a);
    expect(book.totals([{ group: 'g', stats: b }])).toEqual([{ group: 'g', up: 1, bytesIn: 15, bytesOut: 25, rttMs: 10, retransmits: 1 }]);
    book.closed('g', b);
    expect(book.totals([])).toEqual([{ group: 'g', up: 0, bytesIn: 15, bytesOut: 25, retransmits: 1 }]);
  });

  it('feeds the snapshot with live carriers, streams, sessions and traffic', () => {
    const traffic = new Traffic();
    traffic.in.add(3);
    traffic.out.add(4);
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
    const view = viewOf(live, 2, 1);
    const reporter = new StatsReporter(() => now);
    now = 2000;
    live[0] = { group: 'g', stats: carrier(1, 'tcp://a:1', 4000, 2_000_000, { weight: 3, rttMs: 12.34, retransmits: 2 }) };
    traffic.in.add(3000);
    expect(reporter.lines(liveState(view, traffic, () => now))).toEqual([
      'stats carrier #1 tcp://a:1: in 2.00 kB/s, out 1.00 MB/s, weight 3, rtt 12.3 ms, retransmits 2',
      'stats total: 1 carriers, 2 streams, 1 sessions, in 1.50 kB/s, out 0 B/s',
    ]);
    now = 3000;
    expect(reporter.lines(liveState(view, traffic, () => now))[0]).toBe(
      'stats carrier #1 tcp://a:1: in 0 B/s, out 0 B/s, weight 3, rtt 12.3 ms, retransmits 2',
    );
  });

  it('names the backup role and the direction of a carrier that is not a primary of both', () => {
    const view = viewOf([{ group: 'g', stats: carrier(4, 'ws://b/x', 0, 0, { weight: 2, role: 'backup', direction: 'up' }) }]);
    expect(new StatsReporter(() => 0).lines(liveState(view, new Traffic(), () => 1000))[0]).toBe(
      'stats carrier #4 ws://b/x: in 0 B/s, out 0 B/s, weight 2, backup, up only',
    );
  });

  it('formats rates in SI units', () => {
    expect([999, 1000, 1_234_567, 5e9].map(formatRate)).toEqual(['999 B/s', '1.00 kB/s', '1.23 MB/s', '5.00 GB/s']);
  });
});

describe('liveState', () => {
  it('gives one row per carrier with its session cut to 8 hex digits, and null for figures the core does not report', () => {
    const traffic = new Traffic();
    traffic.out.add(7);
    const view = viewOf(
      [
        {
          group: 'g',
          session: '0123456789abcdef0123456789abcdef',
          stats: carrier(1, 'tcp://a:1', 10, 20, { weight: 2, state: 'open', rttMs: 3.5, unackedBytes: 100, retransmits: 1 }),
        },
        { group: 'g', stats: carrier(2, 'tcp://a:1', 0, 0, { role: 'backup', direction: 'up' }) },
      ],
      3,
      1,
    );
    expect(liveState(view, traffic, () => 1234)).toEqual({
      time: 1234,
      sessions: 1,
      streams: 3,
      bytesIn: 0,
      bytesOut: 7,
      carriers: [
        {
          session: '01234567',
          id: 1,
          address: 'tcp://a:1',
          group: 'g',
          weight: 2,
          use: '',
          state: 'open',
          rttMs: 3.5,
          inFlight: 100,
          retransmits: 1,
          bytesIn: 10,
          bytesOut: 20,
        },
        {
          session: '',
          id: 2,
          address: 'tcp://a:1',
          group: 'g',
          weight: 1,
          use: 'backup, up only',
          state: 'open',
          rttMs: null,
          inFlight: null,
          retransmits: null,
          bytesIn: 0,
          bytesOut: 0,
        },
      ],
    });
  });
});
