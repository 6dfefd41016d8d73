// The exposition text (format 0.0.4) and the histogram: exact lines, and the
// same text prom-client 15 writes for the same families (it wrote /metrics
// before; dashboards read what it wrote).
import { Counter, Gauge, Histogram as PromHistogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Histogram } from '../src/prom-histogram.js';
import { CONTENT_TYPE, exposition, formatValue, labelled, single, type Family } from '../src/prom-text.js';
import { parseExposition } from './exposition.js';

const GROUP = 'ws://h/a\\b"c\nd';
/** Durations by kind, below, on and above the bounds 0.001, 0.01 and 1. */
const GC_OBSERVATIONS = [
  ['minor', 0.0005],
  ['major', 0.02],
  ['minor', 0.001],
  ['minor', 3],
] as const;

/** A counter with escaped label values, a gauge and a labelled histogram, written by prom-client. */
async function promClientText(): Promise<string> {
  const registry = new Registry();
  const registers = [registry];
  const bytes = new Counter({
    name: 'mpx_carrier_bytes_total',
    help: 'Bytes with \\ and\nnewline "quoted".',
    labelNames: ['direction', 'carrier'],
    registers,
  });
  bytes.inc({ direction: 'in', carrier: GROUP }, 5);
  bytes.inc({ direction: 'out', carrier: 'tcp://a:1' }, 0);
  new Gauge({ name: 'mpx_streams', help: 'Open streams.', registers }).set(7);
  new Gauge({ name: 'mpx_empty', help: 'No samples.', labelNames: ['x'], registers });
  const h = new PromHistogram({ name: 'nodejs_gc_duration_seconds', help: 'GC.', labelNames: ['kind'], buckets: [0.001, 0.01, 1], registers });
  for (const [kind, value] of GC_OBSERVATIONS) h.observe({ kind }, value);
  return registry.metrics();
}

/** The same families, written by the tunnel. */
function ourText(): string {
  const h = new Histogram('nodejs_gc_duration_seconds', 'GC.', [0.001, 0.01, 1]);
  for (const [kind, value] of GC_OBSERVATIONS) h.observe({ kind }, value);
  return exposition([
    labelled('mpx_carrier_bytes_total', 'Bytes with \\ and\nnewline "quoted".', 'counter', [
      [{ direction: 'in', carrier: GROUP }, 5],
      [{ direction: 'out', carrier: 'tcp://a:1' }, 0],
    ]),
    single('mpx_streams', 'Open streams.', 'gauge', 7),
    labelled('mpx_empty', 'No samples.', 'gauge', []),
    h.family(),
  ]);
}

describe('exposition', () => {
  it('writes HELP, TYPE and samples per family, an empty line between families and a newline at the end', () => {
    const families: Family[] = [
      single('a_total', 'A.', 'counter', 3),
      labelled('b', 'B.', 'gauge', [
        [{ x: '1', y: '2' }, 0.5],
        [{ x: '3', y: '4' }, -2],
      ]),
    ];
    expect(exposition(families)).toBe(
      '# HELP a_total A.\n# TYPE a_total counter\na_total 3\n\n# HELP b B.\n# TYPE b gauge\nb{x="1",y="2"} 0.5\nb{x="3",y="4"} -2\n',
    );
  });

  it('writes a family without samples as its HELP and TYPE lines', () => {
    expect(exposition([labelled('c', 'C.', 'counter', [])])).toBe('# HELP c C.\n# TYPE c counter\n');
  });

  it('escapes backslash, double quote and line feed in label values, and backslash and line feed in HELP', () => {
    expect(exposition([labelled('d', 'back\\slash\nline "q"', 'gauge', [[{ l: 'a\\b"c\nd' }, 1]])])).toBe(
      '# HELP d back\\\\slash\\nline "q"\n# TYPE d gauge\nd{l="a\\\\b\\"c\\nd"} 1\n',
    );
  });

  it('writes NaN and infinities as the format names them, and numbers in their shortest form', () => {
    expect([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 1e-7, 1.5e21, 0.1 + 0.2].map(formatValue)).toEqual([
      'NaN',
      '+Inf',
      '-Inf',
      '0',
      '1e-7',
      '1.5e+21',
      '0.30000000000000004',
    ]);
  });

  it('writes label values that read back unchanged, whatever their characters', () => {
    const values = [GROUP, '', '\\n', '"', 'é ✓ \t', 'a}b{c,d="e"'];
    const text = exposition([
      labelled(
        'v',
        'V.',
        'gauge',
        values.map((v, i) => [{ l: v }, i] as const),
      ),
    ]);
    expect(
      parseExposition(text)
        .get('v')
        ?.samples.map((s) => s.labels.l),
    ).toEqual(values);
  });

  it('writes the text prom-client writes for the same counter, gauges and histogram', async () => {
    expect(ourText()).toBe(await promClientText());
  });

  it("has prom-client's Content-Type", () => {
    expect(CONTENT_TYPE).toBe(new Registry().contentType);
  });
});

describe('Histogram', () => {
  it('counts observations at or below each bound cumulatively, then +Inf, _sum and _count per label set in the order first seen', () => {
    const h = new Histogram('h_seconds', 'H.', [0.1, 1]);
    h.observe({ kind: 'b' }, 0.1);
    h.observe({ kind: 'a' }, 5);
    h.observe({ kind: 'b' }, 0.5);
    h.observe({ kind: 'b' }, 0.05);
    expect(exposition([h.family()])).toBe(
      [
        '# HELP h_seconds H.',
        '# TYPE h_seconds histogram',
        'h_seconds_bucket{le="0.1",kind="b"} 2',
        'h_seconds_bucket{le="1",kind="b"} 3',
        'h_seconds_bucket{le="+Inf",kind="b"} 3',
        'h_seconds_sum{kind="b"} 0.65',
        'h_seconds_count{kind="b"} 3',
        'h_seconds_bucket{le="0.1",kind="a"} 0',
        'h_seconds_bucket{le="1",kind="a"} 0',
        'h_seconds_bucket{le="+Inf",kind="a"} 1',
        'h_seconds_sum{kind="a"} 5',
        'h_seconds_count{kind="a"} 1',
        '',
      ].join('\n'),
    );
  });

  it('has no samples before its first observation', () => {
    expect(new Histogram('h', 'H.', [1]).family().samples).toEqual([]);
  });
});
