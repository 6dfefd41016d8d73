// The primary of --workers serves one /metrics for all its workers: each
// worker sends its scrape's families (toWire), the primary merges them
// (aggregate) as prom-client 15's AggregatorRegistry.aggregate did: families
// by name in the order first seen, each family's samples by name and label
// set in the order first seen, their values combined by the family's
// aggregator (sum unless the family says otherwise; `omit` drops it).
import { LastingTotals } from './lasting-totals.js';
import type { Aggregator, Family, Sample } from './prom-text.js';

/**
 * A family as it crosses the cluster's IPC channel, which is JSON: a value
 * that JSON cannot hold (NaN, ±Infinity, e.g. the event-loop mean before any
 * sample) travels as its string, which Number() reads back.
 */
export interface WireFamily extends Omit<Family, 'samples'> {
  readonly samples: ReadonlyArray<Omit<Sample, 'value'> & { readonly value: number | string }>;
}

export function toWire(families: readonly Family[]): WireFamily[] {
  return families.map((f) => ({ ...f, samples: f.samples.map((s) => (Number.isFinite(s.value) ? s : { ...s, value: String(s.value) })) }));
}

const COMBINE: Record<Exclude<Aggregator, 'omit'>, (values: readonly number[]) => number> = {
  sum: (v) => v.reduce((a, b) => a + b, 0),
  first: (v) => v[0] ?? 0,
  average: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  min: (v) => v.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY),
  max: (v) => v.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY),
};

/** One key per sample name and label set, whatever the labels' order. */
function seriesKey(sample: Omit<Sample, 'value'>): string {
  return JSON.stringify([sample.name, Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

/** The workers' families (one list per worker) merged into one list. */
export function aggregate(parts: readonly (readonly WireFamily[])[]): Family[] {
  const byName = new Map<string, WireFamily[]>();
  for (const families of parts) {
    for (const family of families) {
      const same = byName.get(family.name);
      if (same === undefined) byName.set(family.name, [family]);
      else same.push(family);
    }
  }
  const merged: Family[] = [];
  for (const same of byName.values()) {
    const { name, help, type, aggregator = 'sum' } = same[0] as WireFamily;
    if (aggregator === 'omit') continue;
    const series = new Map<string, { sample: Omit<Sample, 'value'>; values: number[] }>();
    for (const family of same) {
      for (const sample of family.samples) {
        const key = seriesKey(sample);
        const entry = series.get(key);
        if (entry === undefined) series.set(key, { sample, values: [Number(sample.value)] });
        else entry.values.push(Number(sample.value));
      }
    }
    const combine = COMBINE[aggregator];
    const samples = [...series.values()].map(({ sample, values }) => ({ name: sample.name, labels: sample.labels, value: combine(values) }));
    merged.push({ name, help, type, aggregator, samples });
  }
  return merged;
}

/** One worker's answer to a scrape: its index, which fork of that index answered (cluster's worker id), its families. */
export interface WorkerFamilies {
  readonly worker: number;
  readonly generation: number;
  readonly families: readonly WireFamily[];
}

/**
 * The workers' counters summed, never going down. A worker forked again
 * counts from 0, and a sum that falls reads to Prometheus as a reset of the
 * counter: `rate()` then counts the other workers' whole totals once more.
 * So, per worker index, what the previous fork had counted (at its last
 * answer) stays as a base under the new fork's series of the same name and
 * labels (counters and histograms; gauges are as they are now), and a worker
 * that did not answer a scrape, or is being forked again, counts with its
 * last answer. A series the new fork does not have (a carrier of a lost
 * session) ends, as it would in one process.
 */
export class LastingCounters {
  readonly #totals = new LastingTotals();
  /** Each worker's last answer, its counters raised. */
  readonly #answers = new Map<number, WireFamily[]>();

  /** The families to aggregate(): each worker's answer with its counters raised by its base, or its last answer. */
  apply(parts: readonly WorkerFamilies[]): WireFamily[][] {
    for (const { worker, generation, families } of parts) {
      const totals = new Map<string, number>();
      for (const family of families) {
        if (family.type !== 'gauge') for (const sample of family.samples) totals.set(seriesKey(sample), Number(sample.value));
      }
      const raised = this.#totals.answer(worker, generation, totals);
      this.#answers.set(
        worker,
        families.map((family) =>
          family.type === 'gauge'
            ? family
            : { ...family, samples: family.samples.map((sample) => ({ ...sample, value: raised.get(seriesKey(sample)) ?? 0 })) },
        ),
      );
    }
    return [...this.#answers.values()];
  }
}
