// The Prometheus text exposition format, version 0.0.4, as the tunnel writes
// it at GET /metrics: one block per family (`# HELP`, `# TYPE`, its samples),
// blocks separated by an empty line, the text ending in a newline. The same
// layout as prom-client 15 wrote it before (docs/decisions/0011-metrics-exposition.md),
// so scrapes and dashboards read the same series; its only difference is NaN,
// written `NaN` as the format says (prom-client wrote `Nan`; Prometheus reads both).

/** The Content-Type of the exposition (prom-client's and Prometheus' own for 0.0.4). */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * How the primary of --workers merges one family of its workers' scrapes
 * (prom-client's aggregator names): per label set, the sum, the first
 * worker's value, the mean, the minimum or the maximum; `omit` leaves the
 * family out.
 */
export type Aggregator = 'sum' | 'first' | 'average' | 'min' | 'max' | 'omit';

/** One line of a family: `name{labels} value`. `name` is the family's, or a histogram's `_bucket`, `_sum` or `_count`. */
export interface Sample {
  readonly name: string;
  /** Written in this object's key order. */
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family as one scrape read it. */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** Default `sum`. */
  readonly aggregator?: Aggregator;
  readonly samples: readonly Sample[];
}

/** A family of one unlabelled sample. */
export function single(name: string, help: string, type: MetricType, value: number, aggregator?: Aggregator): Family {
  return { name, help, type, samples: [{ name, labels: {}, value }], ...(aggregator === undefined ? {} : { aggregator }) };
}

/** A family whose samples have the labels given, in their order. */
export function labelled(
  name: string,
  help: string,
  type: MetricType,
  samples: Iterable<readonly [Readonly<Record<string, string>>, number]>,
): Family {
  const out: Sample[] = [];
  for (const [labels, value] of samples) out.push({ name, labels, value });
  return { name, help, type, samples: out };
}

/** `NaN`, `+Inf`, `-Inf` or JavaScript's shortest round-trip decimal (which Go's ParseFloat reads). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** HELP text: backslash and line feed escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A label value: backslash, line feed and double quote escaped. */
export function escapeLabelValue(text: string): string {
  return escapeHelp(text).replace(/"/g, '\\"');
}

function sampleLine(sample: Sample): string {
  const labels = Object.entries(sample.labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return `${sample.name}${labels.length === 0 ? '' : `{${labels.join(',')}}`} ${formatValue(sample.value)}`;
}

/** The exposition text of `families`, in their order. */
export function exposition(families: readonly Family[]): string {
  const blocks = families.map((f) =>
    [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`, ...f.samples.map(sampleLine)].join('\n'),
  );
  return `${blocks.join('\n\n')}\n`;
}
