import { describe, expect, it } from 'vitest';
import { parsePrometheus } from '../src/prometheus.js';

// As `mpx-tunnel client --metrics` serves it (apps/tunnel/src/metrics.ts).
const CLIENT = `# HELP mpx_carriers Open carriers.
# TYPE mpx_carriers gauge
mpx_carriers 4
# HELP mpx_carrier_bytes_total Bytes carried by carriers, framing included.
# TYPE mpx_carrier_bytes_total counter
mpx_carrier_bytes_total{direction="in",carrier="127.0.0.1:7001"} 1048576
mpx_carrier_bytes_total{direction="out",carrier="127.0.0.1:7001"} 2.5e3
# HELP mpx_carrier_rtt_seconds Mean round-trip time of the open carriers.
# TYPE mpx_carrier_rtt_seconds gauge
mpx_carrier_rtt_seconds{carrier="127.0.0.1:7001"} 0.0106
# HELP mpx_retransmits_total Frames retransmitted.
# TYPE mpx_retransmits_total counter
mpx_retransmits_total{carrier="127.0.0.1:7001"} 12
`;

describe('parsePrometheus', () => {
  it('reads every sample of a tunnel client page with its labels, skipping HELP and TYPE lines', () => {
    expect(parsePrometheus(CLIENT)).toEqual([
      { name: 'mpx_carriers', labels: {}, value: 4 },
      { name: 'mpx_carrier_bytes_total', labels: { direction: 'in', carrier: '127.0.0.1:7001' }, value: 1048576 },
      { name: 'mpx_carrier_bytes_total', labels: { direction: 'out', carrier: '127.0.0.1:7001' }, value: 2500 },
      { name: 'mpx_carrier_rtt_seconds', labels: { carrier: '127.0.0.1:7001' }, value: 0.0106 },
      { name: 'mpx_retransmits_total', labels: { carrier: '127.0.0.1:7001' }, value: 12 },
    ]);
  });

  it('unescapes backslash, double quote and newline in label values, and keeps commas and braces inside them', () => {
    const [s] = parsePrometheus('m{carrier="ws://h:80/a\\\\b\\"c\\nd,{x}"} 1\n');
    expect(s?.labels).toEqual({ carrier: 'ws://h:80/a\\b"c\nd,{x}' });
  });

  it('reads NaN, +Inf, -Inf, a trailing comma in the labels, and ignores a timestamp', () => {
    expect(parsePrometheus('a NaN\nb +Inf\nc{x="1",} -Inf\nd -1.5 1700000000000\n').map((s) => [s.name, s.value])).toEqual([
      ['a', NaN],
      ['b', Infinity],
      ['c', -Infinity],
      ['d', -1.5],
    ]);
  });

  it('is empty for an empty page', () => {
    expect(parsePrometheus('')).toEqual([]);
    expect(parsePrometheus('# only a comment\n\n')).toEqual([]);
  });

  it.each([
    ['no value', 'mpx_carriers\n'],
    ['a value that is not a number', 'mpx_carriers four\n'],
    ['an unterminated label value', 'm{a="x} 1\n'],
    ['an unknown escape', 'm{a="\\t"} 1\n'],
    ['a label without quotes', 'm{a=x} 1\n'],
    ['no space before the value', 'm{a="x"}1\n'],
    ['a name that starts with a digit', '9m 1\n'],
  ])('throws on %s, naming the line', (_what, text) => {
    expect(() => parsePrometheus(`ok 1\n${text}`)).toThrow(/metrics line 2/);
  });
});
