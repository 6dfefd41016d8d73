// How big V8's young generation may grow: not at all while the program
// loads, to YOUNG_GENERATION_CAP once the command runs, never further.
// (docs/decisions/0003-young-generation.md)
//
// V8 doubles the young generation's semispaces (up to 2 × 16 MiB) whenever
// a scavenge finds that more bytes survived than it holds, and never gives
// them back. Two bursts did that in the tunnel:
// - start-up: loading yargs and the tunnel's modules allocates ~40 MB in
//   250 ms, much of it surviving while the module graph is linked; an idle
//   client or server held 71-75 MB RSS instead of 63-64 MB;
// - storms of new connections or streams: their objects live long, so they
//   survive, and the young generation went to the full 32 MiB: 10,000
//   streams peaked at 185 MB instead of 163 MB, and after an abuse flood the
//   server kept the 32 MiB.
// Kept at 1 MiB for good, though, the floods' short-lived objects were
// promoted to an old generation that is collected rarely (heap-growth.ts)
// and the flood's peak rose from 133 to 161 MiB. A few MiB is enough for
// them to die young (peak 121 MiB), and the tunnel's traffic does not
// scavenge less with more: bulk transfers scavenge on external-memory
// pressure, request/response loads never grew it.
//
// V8 reads `--semi-space-growth-factor` each time it considers growing, so
// setting it at run time works (`--max-semi-space-size` is fixed when the
// process starts). The cap is enforced after the fact: every garbage
// collection is observed; growth is turned off once the young generation
// has reached the cap, and on again whenever it is found below it. cli.ts holds growth before it imports the rest
// of the program (an ES module graph is parsed and compiled as a whole
// before any of it runs). An operator's own `--semi-space-growth-factor` on
// node's command line wins, and then none of this is done.
import { PerformanceObserver } from 'node:perf_hooks';
import { heapSpace } from './heap-space.js';
import { setV8FlagUnlessSet, v8FlagNamed } from './v8-flag.js';

const FLAG = 'semi-space-growth-factor';
/** V8's own growth factor (V8 11.3, Node 20). */
export const V8_SEMI_SPACE_GROWTH = 2;
/** Young-generation capacity (both semispaces) past which it may not grow. Rationale: above. */
export const YOUNG_GENERATION_CAP = 8 * 1024 * 1024;

/** Stops the young generation from growing (first thing in the process); returns what was set. */
export function holdYoungGeneration(execArgv: readonly string[] = process.execArgv): string | undefined {
  return setV8FlagUnlessSet(FLAG, 1, execArgv);
}

/** The young generation's capacity now, bytes. */
export function youngGenerationSize(): number {
  return heapSpace('new_space')?.space_size ?? 0;
}

/**
 * Keeps the young generation's growth on exactly while it is below `cap`:
 * turned off once it reaches the cap, on again whenever it is found below it
 * (V8 shrank it after a quiet spell, or memory-release.ts's collection did).
 * A young generation left shrunk at 1 MiB would make the next burst promote
 * its short-lived payload buffers to the old generation, which is collected
 * rarely (heap-growth.ts); measured after `abuse --quick` flood 3, RSS after
 * the second release was 132-146 MiB instead of 103-115
 * (docs/decisions/0005-young-generation-after-a-release.md). I/O-free: the
 * caller feeds it the size after each collection.
 */
export class YoungGenerationCap {
  readonly #cap: number;
  readonly #setGrowth: (on: boolean) => void;
  #growing: boolean | undefined;

  constructor(cap: number, setGrowth: (on: boolean) => void) {
    this.#cap = cap;
    this.#setGrowth = setGrowth;
  }

  /** The young generation's size now (after a collection); growth is switched when it crossed the cap. */
  observe(size: number): void {
    const growing = size < this.#cap;
    if (growing === this.#growing) return;
    this.#growing = growing;
    this.#setGrowth(growing);
  }
}

/**
 * Lets the young generation grow as V8 sees fit up to `cap` bytes, and holds
 * it there, for the rest of the process (once the command runs): every
 * collection is observed by a YoungGenerationCap. False when the operator
 * set the growth factor on node's command line: then V8's own rule holds.
 */
export function capYoungGeneration(cap = YOUNG_GENERATION_CAP, execArgv: readonly string[] = process.execArgv): boolean {
  if (v8FlagNamed(execArgv, [FLAG])) return false;
  const governor = new YoungGenerationCap(cap, (on) => setV8FlagUnlessSet(FLAG, on ? V8_SEMI_SPACE_GROWTH : 1, execArgv));
  governor.observe(youngGenerationSize());
  new PerformanceObserver(() => governor.observe(youngGenerationSize())).observe({ entryTypes: ['gc'] });
  return true;
}
