// A Prometheus histogram: per label set, how many observations fell at or
// below each upper bound, their sum and their count. Exposed as prom-client
// wrote it: cumulative `_bucket` samples with `le` first, then `+Inf`
// (the count), `_sum` and `_count`; label sets in the order first observed.
import type { Family, Sample } from './prom-text.js';

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket, not cumulative; one more than the bounds (above the last). */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class Histogram {
  readonly #series = new Map<string, Series>();

  /** `bounds`: the buckets' upper bounds, ascending. */
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {}

  observe(labels: Readonly<Record<string, string>>, value: number): void {
    const key = JSON.stringify(labels);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labels, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    let bucket = this.bounds.findIndex((bound) => value <= bound);
    if (bucket < 0) bucket = this.bounds.length;
    series.counts[bucket] = (series.counts[bucket] ?? 0) + 1;
    series.sum += value;
    series.count += 1;
  }

  family(): Family {
    const bucket = `${this.name}_bucket`;
    const samples: Sample[] = [];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      let below = 0;
      this.bounds.forEach((bound, i) => {
        below += counts[i] ?? 0;
        samples.push({ name: bucket, labels: { le: String(bound), ...labels }, value: below });
      });
      samples.push(
        { name: bucket, labels: { le: '+Inf', ...labels }, value: count },
        { name: `${this.name}_sum`, labels, value: sum },
        { name: `${this.name}_count`, labels, value: count },
      );
    }
    return { name: this.name, help: this.help, type: 'histogram', samples };
  }
}
