// Totals summed over the workers of --workers that never go down. A worker
// forked again counts from 0; what the fork before it had counted (at its last
// answer) stays as a base under the new fork's totals of the same key. The
// live page's byte totals (workers.ts, LastingTraffic) and /metrics' counters
// (prom-aggregate.ts, LastingCounters) both keep theirs here.

export class LastingTotals {
  readonly #workers = new Map<number, { generation: number; base: Map<string, number>; last: ReadonlyMap<string, number> }>();

  /**
   * One worker's answer: its totals by key, from the fork `generation` of
   * that worker. Returns them raised by what earlier forks had counted. A key
   * this fork does not have loses its base (a series that ended).
   */
  answer(worker: number, generation: number, totals: ReadonlyMap<string, number>): Map<string, number> {
    let known = this.#workers.get(worker);
    if (known === undefined) {
      known = { generation, base: new Map(), last: new Map() };
      this.#workers.set(worker, known);
    } else if (known.generation !== generation) {
      for (const [key, value] of known.last) known.base.set(key, (known.base.get(key) ?? 0) + value);
      known.generation = generation;
    }
    const base = known.base;
    for (const key of base.keys()) if (!totals.has(key)) base.delete(key);
    known.last = totals;
    const raised = new Map<string, number>();
    for (const [key, value] of totals) raised.set(key, (base.get(key) ?? 0) + value);
    return raised;
  }
}
