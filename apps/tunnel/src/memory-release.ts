// Giving memory back after a burst (issue #11 point 3): once a process that
// moved a lot of data goes quiet, a full collection frees what the burst left
// behind, instead of keeping it until traffic starts again.
//
// Why it is needed: a quiet process allocates nothing, so V8 never collects,
// and with the bin's `--heap-growing-percent=1000` (heap-growth.ts) a burst
// ends with tens of MiB of dead payload buffers (external memory, malloc'd)
// and a grown young generation (32 MiB before young-generation.ts capped it
// at 8) still resident. Measured on a server
// after `abuse --quick` flood 1 (1,000 streams never read, the client killed),
// 7 s after the release: RSS 122-125 MiB from a 70 MiB baseline, of which V8
// heap 51 MiB committed (young generation 32 MiB, 3 used) and 24-33 MiB of
// ArrayBuffers; the JS heap after a full collection 8.3-8.6 MiB, as before
// the flood: garbage, not a leak. A collection after 7 s of quiet took it to
// 103-110 MiB (young generation 32 -> 1 MiB, ArrayBuffers -> 0.1 MiB); what
// stays is glibc's heap (`[heap]` 39-43 MiB against 8 at start), freed but
// fragmented, which no setting of glibc's returns (`MALLOC_TRIM_THRESHOLD_`
// changed nothing) and Node offers no malloc_trim
// (docs/decisions/0004-memory-after-a-burst.md).
//
// Up to a few collections per burst, because V8 shrinks the young generation
// after a collection only when the process allocated little over the last
// ~5 s (its allocation-throughput window): the first, at the first quiet
// second, frees the buffers and the old garbage; while the young generation
// stays larger than at start, up to SHRINK_TRIES more, 2 s apart, while quiet
// (one collection 1, 2 or 3 s after 1 s of quiet left it at 32 MiB, 4 to 6 s
// after took it to 1 MiB).
//
// A young generation shrunk that way grows again, to its cap, in the next
// burst: young-generation.ts watches every collection for that.
//
// How: `vm.measureMemory({ execution: 'eager' })`, which Node documents as
// starting a garbage collection right away; the measurement is discarded. It
// costs one full collection of a small heap (10-50 ms measured), only when the
// process is quiet, so it never competes with traffic.
import { measureMemory } from 'node:vm';
import { describeError, type Logger } from './log.js';
import { youngGenerationSize } from './young-generation.js';

/** What a check reads: the clock, CPU time used so far, and V8's memory. */
export interface MemoryReading {
  /** Monotonic milliseconds. */
  atMs: number;
  /** User + system CPU time of the process so far, in microseconds. */
  cpuMicros: number;
  /**
   * V8 heap committed plus its external memory, in bytes: what a collection
   * can shrink. External, not `arrayBuffers`: Node counts only the
   * ArrayBuffers its own allocator made, and the page buffers of payload
   * blocks (@mpx/core pageBuffer) are V8's.
   */
  footprint: number;
  /** Committed size of V8's young generation (new space), in bytes. */
  young: number;
}

export interface MemoryReleaseOptions {
  read?: () => MemoryReading;
  collect?: () => Promise<void>;
  /** Called after each collection with the footprint before it. */
  onCollect?: (before: MemoryReading) => void;
  /** Called once if a collection fails; the timer then stops (a tunnel never fails for this). */
  onError?: (err: unknown) => void;
  checkMs?: number;
}

const MiB = 1024 * 1024;

/** How often the process looks at itself. Rationale: cheap (one memoryUsage() a second), and quick enough that memory is back seconds after a burst. */
export const CHECK_MS = 1000;
/**
 * Quiet: CPU below this fraction of one core since the last check. Rationale:
 * an idle session's pings use well under 1 %; a transfer of a few MB/s uses
 * more than 5 %, so a collection never runs during bulk traffic.
 */
export const QUIET_CPU = 0.05;
/**
 * Footprint growth since the last collection that makes a quiet process
 * collect. Rationale: one young generation grown from 8 to 32 MiB, or 16 MiB
 * of dead buffers, is worth 10-50 ms of CPU; less is within the baseline's
 * own noise.
 */
export const GROWTH_BYTES = 16 * MiB;
/**
 * Collections after a release that are only there to shrink the young
 * generation, while it stays larger than at start. Rationale: with MIN_GAP_MS
 * between them, the third comes 6-7 s after the release, past V8's 5 s
 * window even when the end of a session (its teardown is a burst of its own)
 * came a few seconds after the traffic stopped.
 */
export const SHRINK_TRIES = 3;
/** At most one collection per this many ms. Rationale: bounds the cost to ~2 % of a core in the worst case (50 ms / 2 s). */
export const MIN_GAP_MS = 2000;

export function readMemory(): MemoryReading {
  const { user, system } = process.cpuUsage();
  const { heapTotal, external } = process.memoryUsage();
  return { atMs: performance.now(), cpuMicros: user + system, footprint: heapTotal + external, young: youngGenerationSize() };
}

/** Starts a full collection now and resolves when it is done (Node's documented `eager` measurement). */
export async function collectGarbage(): Promise<void> {
  // measureMemory is marked experimental and warns once on stderr: the
  // tunnel uses only its documented side effect, so the warning is not shown.
  const emitWarning = Object.getOwnPropertyDescriptor(process, 'emitWarning');
  let done: Promise<unknown>;
  process.emitWarning = () => {};
  try {
    done = measureMemory({ mode: 'summary', execution: 'eager' });
  } finally {
    if (emitWarning !== undefined) Object.defineProperty(process, 'emitWarning', emitWarning);
  }
  await done;
}

/**
 * Watches the process once a second and runs a full collection when it is
 * quiet and either grew by GROWTH_BYTES since the last collection or a session
 * ended (its buffers are garbage now, which no footprint shows); then up to
 * SHRINK_TRIES more while the young generation is still larger than at start.
 */
export class MemoryRelease {
  readonly #read: () => MemoryReading;
  readonly #collect: () => Promise<void>;
  readonly #onCollect: ((before: MemoryReading) => void) | undefined;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #checkMs: number;
  #timer: NodeJS.Timeout | undefined;
  #last: MemoryReading | undefined;
  /** Footprint after the last collection (or the lowest seen): what growth is measured from. */
  #floor: number | undefined;
  #settling = false;
  #ended = false;
  #collecting = false;
  #lastCollectAt = -Infinity;
  /** The young generation's size at the first reading. */
  #youngAtStart = 0;
  #shrinkTries = 0;
  collections = 0;

  constructor(options: MemoryReleaseOptions = {}) {
    this.#read = options.read ?? readMemory;
    this.#collect = options.collect ?? collectGarbage;
    this.#onCollect = options.onCollect;
    this.#onError = options.onError;
    this.#checkMs = options.checkMs ?? CHECK_MS;
  }

  start(): this {
    this.#timer ??= setInterval(() => {
      this.check().catch((err: unknown) => {
        this.stop();
        this.#onError?.(err);
      });
    }, this.#checkMs).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** A session ended: collect at the next quiet check. */
  sessionEnded(): void {
    this.#ended = true;
  }

  /** One look (the timer's job); resolves true when it collected. */
  async check(): Promise<boolean> {
    if (this.#collecting) return false;
    const now = this.#read();
    const before = this.#last;
    this.#last = now;
    if (before === undefined) this.#youngAtStart = now.young;
    // The first reading after a collection is its result: growth counts from there.
    this.#floor = this.#floor === undefined || this.#settling ? now.footprint : Math.min(this.#floor, now.footprint);
    this.#settling = false;
    if (before === undefined) return false;
    const elapsedMs = now.atMs - before.atMs;
    const quiet = elapsedMs > 0 && (now.cpuMicros - before.cpuMicros) / 1000 <= QUIET_CPU * elapsedMs;
    if (!quiet || now.atMs - this.#lastCollectAt < MIN_GAP_MS) return false;
    const release = this.#ended || now.footprint - this.#floor >= GROWTH_BYTES;
    const shrink = this.#shrinkTries > 0 && now.young > this.#youngAtStart;
    if (!release && !shrink) return false;
    this.#collecting = true;
    try {
      await this.#collect();
    } finally {
      this.#collecting = false;
    }
    this.#ended = false;
    this.#settling = true;
    this.#lastCollectAt = now.atMs;
    this.collections++;
    // The collection's own CPU is not traffic: the next quiet test starts after it.
    this.#last = this.#read();
    // A few shrinking collections per release: if V8 keeps the young generation anyway, it is not asked again.
    this.#shrinkTries = this.#last.young <= this.#youngAtStart ? 0 : release ? SHRINK_TRIES : this.#shrinkTries - 1;
    this.#onCollect?.(now);
    return true;
  }
}

/** The release a tunnel command runs for its lifetime; collections are logged at debug. */
export function startMemoryRelease(log: Logger): MemoryRelease {
  const mib = (n: number): string => (n / MiB).toFixed(1);
  return new MemoryRelease({
    onCollect: (before) =>
      log.debug(`quiet: collected garbage (V8 heap + buffers were ${mib(before.footprint)} MiB, now ${mib(readMemory().footprint)} MiB)`),
    onError: (err) => log.warn(`giving memory back when quiet is off from now on: ${describeError(err)}`),
  }).start();
}
