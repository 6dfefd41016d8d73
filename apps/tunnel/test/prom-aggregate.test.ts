// The primary of --workers merges its workers' families: by each family's
// aggregator, per sample name and label set, as prom-client 15's
// AggregatorRegistry.aggregate did (checked against it), and the families
// cross the JSON IPC channel with NaN and infinities intact.
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TunnelMetrics, type MetricsSnapshot } from '../src/metrics.js';
import { LastingCounters, aggregate, toWire, type WireFamily } from '../src/prom-aggregate.js';
import { Histogram } from '../src/prom-histogram.js';
import { exposition, labelled, single, type Family } from '../src/prom-text.js';

/** As the IPC channel hands it over: JSON and back. */
function overIpc(families: readonly Family[]): WireFamily[] {
  return JSON.parse(JSON.stringify(toWire(families))) as WireFamily[];
}

function valuesOf(families: readonly Family[], name: string): Array<[Readonly<Record<string, string>>, number]> {
  return (families.find((f) => f.name === name)?.samples ?? []).map((s) => [s.labels, s.value]);
}

describe('aggregate', () => {
  it('sums counters and gauges per label set, label sets in the order first seen, whatever their labels’ order', () => {
    const worker0 = [labelled('b_total', 'B.', 'counter', [[{ direction: 'in', carrier: 'x' }, 1]]), single('g', 'G.', 'gauge', 2)];
    const worker1 = [
      labelled('b_total', 'B.', 'counter', [
        [{ direction: 'out', carrier: 'x' }, 10],
        [{ carrier: 'x', direction: 'in' }, 20],
      ]),
      single('g', 'G.', 'gauge', 3),
    ];
    const merged = aggregate([overIpc(worker0), overIpc(worker1)]);
    expect(merged.map((f) => [f.name, f.type])).toEqual([
      ['b_total', 'counter'],
      ['g', 'gauge'],
    ]);
    expect(valuesOf(merged, 'b_total')).toEqual([
      [{ direction: 'in', carrier: 'x' }, 21],
      [{ direction: 'out', carrier: 'x' }, 10],
    ]);
    expect(valuesOf(merged, 'g')).toEqual([[{}, 5]]);
  });

  it('takes the first, the mean, the minimum or the maximum where the family says so, and leaves out an omitted family', () => {
    const worker = (v: number): Family[] => [
      single('first', 'F.', 'gauge', v, 'first'),
      single('mean', 'M.', 'gauge', v, 'average'),
      single('least', 'L.', 'gauge', v, 'min'),
      single('most', 'X.', 'gauge', v, 'max'),
      single('start', 'S.', 'gauge', v, 'omit'),
    ];
    const merged = aggregate([worker(4), worker(1), worker(7)].map(overIpc));
    expect(merged.map((f) => [f.name, f.samples[0]?.value])).toEqual([
      ['first', 4],
      ['mean', 4],
      ['least', 1],
      ['most', 7],
    ]);
  });

  it('adds histogram buckets, sums and counts per kind', () => {
    const worker = (observations: ReadonlyArray<readonly [string, number]>): Family[] => {
      const h = new Histogram('gc_seconds', 'GC.', [0.01, 1]);
      for (const [kind, value] of observations) h.observe({ kind }, value);
      return [h.family()];
    };
    const merged = aggregate([
      overIpc(
        worker([
          ['minor', 0.001],
          ['major', 2],
        ]),
      ),
      overIpc(worker([['minor', 0.5]])),
    ]);
    expect(exposition(merged).split('\n').slice(2, 7)).toEqual([
      'gc_seconds_bucket{le="0.01",kind="minor"} 1',
      'gc_seconds_bucket{le="1",kind="minor"} 2',
      'gc_seconds_bucket{le="+Inf",kind="minor"} 2',
      'gc_seconds_sum{kind="minor"} 0.501',
      'gc_seconds_count{kind="minor"} 2',
    ]);
  });

  it('keeps NaN and infinities across the JSON channel', () => {
    const worker = [single('nan', 'N.', 'gauge', Number.NaN, 'average'), single('inf', 'I.', 'gauge', Number.POSITIVE_INFINITY, 'max')];
    expect(JSON.stringify(worker)).toContain('null');
    const merged = aggregate([overIpc(worker)]);
    expect(merged.map((f) => f.samples[0]?.value)).toEqual([Number.NaN, Number.POSITIVE_INFINITY]);
  });

  it('merges two workers’ scrapes, default process metrics included, into the text prom-client’s AggregatorRegistry writes', async () => {
    const snapshot: MetricsSnapshot = {
      carriers: 2,
      groups: [{ group: 'tcp://127.0.0.1:7000', up: 2, bytesIn: 10, bytesOut: 20, rttMs: 3, retransmits: 1 }],
      streams: 1,
      sessions: 1,
      bytesIn: 5,
      bytesOut: 6,
    };
    const gc = new Histogram('nodejs_gc_duration_seconds', 'GC.', [0.001, 0.01]);
    gc.observe({ kind: 'minor' }, 0.002);
    const scrapes = [0, 1].map(() => [...new TunnelMetrics(() => snapshot, { defaults: true, refusals: true }).families(), gc.family()]);
    const reference = AggregatorRegistry.aggregate(
      scrapes.map(
        (families) =>
          families.map((f) => ({
            name: f.name,
            help: f.help,
            type: f.type,
            aggregator: f.aggregator ?? 'sum',
            values: f.samples.map((s) => ({ metricName: s.name, labels: { ...s.labels }, value: s.value })),
          })) as unknown as Array<MetricObjectWithValues<MetricValue<string>>>,
      ),
    );
    const theirs = (await reference.metrics()).replace(/ Nan$/gm, ' NaN');
    expect(exposition(aggregate(scrapes.map(overIpc)))).toBe(theirs);
    expect(theirs).not.toContain('process_start_time_seconds');
    expect(theirs).toContain('nodejs_version_info{');
  });
});

describe('LastingCounters', () => {
  const scrape = (bytes: number, open: number, carrier?: string): WireFamily[] =>
    toWire([
      single('mpx_bytes_total', 'bytes', 'counter', bytes),
      single('mpx_streams_open', 'open streams', 'gauge', open),
      ...(carrier === undefined ? [] : [labelled('mpx_carrier_bytes_total', 'per carrier', 'counter', [[{ carrier }, bytes]])]),
    ]);
  const value = (families: Family[], name: string): number | undefined => families.find((f) => f.name === name)?.samples[0]?.value;

  it('keeps summed counters from going down when a worker is forked again, and gauges as they are', () => {
    const lasting = new LastingCounters();
    const at = (parts: Parameters<LastingCounters['apply']>[0]): Family[] => aggregate(lasting.apply(parts));
    let merged = at([
      { worker: 0, generation: 1, families: scrape(2_000, 3) },
      { worker: 1, generation: 2, families: scrape(500, 1) },
    ]);
    expect([value(merged, 'mpx_bytes_total'), value(merged, 'mpx_streams_open')]).toEqual([2_500, 4]);
    // Worker 0 died: it does not answer, its last answer counts.
    merged = at([{ worker: 1, generation: 2, families: scrape(600, 1) }]);
    expect([value(merged, 'mpx_bytes_total'), value(merged, 'mpx_streams_open')]).toEqual([2_600, 4]);
    // Forked again (generation 3): it counts from 0, on top of what the old fork had counted.
    merged = at([
      { worker: 0, generation: 3, families: scrape(40, 0) },
      { worker: 1, generation: 2, families: scrape(700, 1) },
    ]);
    expect([value(merged, 'mpx_bytes_total'), value(merged, 'mpx_streams_open')]).toEqual([2_740, 1]);
    merged = at([
      { worker: 0, generation: 3, families: scrape(100, 2) },
      { worker: 1, generation: 2, families: scrape(700, 1) },
    ]);
    expect(value(merged, 'mpx_bytes_total')).toBe(2_800);
  });

  it('ends the base of a series the new fork does not have', () => {
    const lasting = new LastingCounters();
    lasting.apply([{ worker: 0, generation: 1, families: scrape(1_000, 0, 'tcp://a') }]);
    const merged = aggregate(lasting.apply([{ worker: 0, generation: 2, families: scrape(10, 0, 'tcp://b') }]));
    expect(merged.find((f) => f.name === 'mpx_carrier_bytes_total')?.samples).toEqual([
      { name: 'mpx_carrier_bytes_total', labels: { carrier: 'tcp://b' }, value: 10 },
    ]);
    expect(value(merged, 'mpx_bytes_total')).toBe(1_010);
  });
});
