// A heap ballast for the tunnel process: a block of V8 heap that is held for
// the life of the process and never touched again.
//
// Why: every socket read hands JavaScript a fresh 64 KiB ArrayBuffer whose
// backing store is external memory. V8 (Node 20, V8 11.3) counts external
// memory allocated since the last Mark-Compact against the old generation's
// allocation limit, and it derives that limit from the live heap after each
// Mark-Compact. The tunnel's live heap is small (~8 MB), so the limit is only
// ~20-35 MB, while between two scavenges ~30 MB of already dead read buffers
// pile up at a few hundred MB/s. Once one Mark-Compact has happened the
// process stays in a loop: a Mark-Compact every ~30 MB of traffic (~30 per
// GB), a third of its CPU time. Measured with `--trace-gc` and
// `--trace-incremental-marking`: marking starts with the old generation at
// 8 MB of a 19-35 MB limit; promoted bytes per scavenge are ~0, so neither
// buffer retention nor copies in the data path cause it (removing both did
// not change the count). A plain relay escapes only because it never has a
// Mark-Compact during its transfer.
//
// The ballast raises the live old generation, hence the limit V8 computes
// from it, above what the external churn between scavenges reaches. It is an
// array of doubles: V8 stores it unboxed, so marking never scans its
// elements, and it sits in large-object space, so it is never copied.
// Measured on loopback (1 GiB, 1 and 2 carriers): Mark-Compacts per GB from
// ~30 to ~0, CPU from ~4.1 to ~2.9 s/GB. The cost is its size in resident
// memory.
//
// How much is enough depends on the traffic (V8 starts marking once the room
// left below the limit is smaller than the young generation, which itself
// grows with the allocation rate), and a process that once fell into the
// loop stays in it. So the ballast starts at 32 MiB and grows by 32 MiB, up
// to `MPX_HEAP_BALLAST_MB` (default 128; 0 turns it off), whenever full
// collections come back to back (GC_BURST within GC_WINDOW_MS): a bigger
// live heap makes the next Mark-Compact set a higher limit, which ends the
// loop. A tunnel that never moves much keeps 32 MiB.

import { PerformanceObserver, constants } from 'node:perf_hooks';

/** The ceiling when MPX_HEAP_BALLAST_MB is unset, MiB. */
export const DEFAULT_HEAP_BALLAST_MB = 128;
/** Size at start and of each growth step, MiB. Rationale: 32 MiB ends the loop for one busy stream in most runs. */
export const BALLAST_STEP_MB = 32;
/** Full collections within GC_WINDOW_MS that count as a loop. Rationale: a healthy busy tunnel has about none. */
export const GC_BURST = 5;
export const GC_WINDOW_MS = 1000;

/** The ceiling `MPX_HEAP_BALLAST_MB` asks for, in MiB: default when unset or not a number ≥ 0, at most 1024. */
export function ballastMegabytes(env: NodeJS.ProcessEnv): number {
  const raw = env.MPX_HEAP_BALLAST_MB;
  const parsed = raw === undefined || raw.trim() === '' ? DEFAULT_HEAP_BALLAST_MB : Number(raw);
  return Number.isFinite(parsed) && parsed >= 0 ? Math.min(parsed, 1024) : DEFAULT_HEAP_BALLAST_MB;
}

/** Says when full collections come back to back: GC_BURST of them within GC_WINDOW_MS. I/O-free. */
export class GcBurstDetector {
  #times: number[] = [];

  constructor(
    readonly burst = GC_BURST,
    readonly windowMs = GC_WINDOW_MS,
  ) {}

  /** A full collection ended at `now` (ms); true when it completes a burst (the count starts over). */
  onFullGc(now: number): boolean {
    this.#times.push(now);
    while (this.#times.length > 0 && now - (this.#times[0] as number) > this.windowMs) this.#times.shift();
    if (this.#times.length < this.burst) return false;
    this.#times = [];
    return true;
  }
}

/**
 * Ballasts started and not released. The process holds nothing else that
 * points at its ballast once the GC watch stops (at the ceiling), and a
 * collected ballast puts the process straight back into the loop.
 */
const held = new Set<HeapBallast>();

/** The ballast: chunks of unboxed doubles, held for the life of the process (or until `release`). */
export class HeapBallast {
  readonly #chunks: number[][] = [];
  readonly #maxMb: number;
  /** BALLAST_STEP_MB, or the whole ceiling when that is smaller. */
  readonly #stepMb: number;
  #observer: PerformanceObserver | undefined;

  constructor(maxMb: number) {
    this.#maxMb = maxMb;
    this.#stepMb = Math.min(BALLAST_STEP_MB, maxMb);
  }

  get sizeMb(): number {
    return this.#chunks.length * this.#stepMb;
  }

  /** Takes the first step and watches full collections; `onGrow` hears each later step. */
  start(onGrow: (sizeMb: number, fullGcs: number) => void = () => {}): void {
    if (!this.#grow()) return;
    held.add(this);
    if (this.#atCeiling()) return;
    const detector = new GcBurstDetector();
    this.#observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
        if (kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
        if (detector.onFullGc(entry.startTime + entry.duration) && this.#grow()) onGrow(this.sizeMb, detector.burst);
      }
      if (this.#atCeiling()) this.stop(); // nothing left to add
    });
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  /** Stops growing; what is there stays held. */
  stop(): void {
    this.#observer?.disconnect();
    this.#observer = undefined;
  }

  /** Stops growing and lets the ballast go. */
  release(): void {
    this.stop();
    this.#chunks.length = 0;
    held.delete(this);
  }

  /** No further step fits under the ceiling. */
  #atCeiling(): boolean {
    return this.#stepMb <= 0 || this.sizeMb + this.#stepMb > this.#maxMb;
  }

  #grow(): boolean {
    if (this.#atCeiling()) return false;
    this.#chunks.push(new Array<number>(Math.floor((this.#stepMb * 1024 * 1024) / 8)).fill(0.5));
    return true;
  }
}
