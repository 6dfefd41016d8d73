// Full collections during a storm of new connections (issue #15: 10,000 open
// streams in ≤ 150 MB per process; docs/decisions/0006-idle-memory.md).
//
// Why: each new stream allocates objects that live for its first tens of
// milliseconds (the target dial, the first frames, the echo of its first
// bytes). Opened by the thousand a second, they outlive two scavenges of
// the young generation (capped at 8 MiB, young-generation.ts) and are
// promoted, to die in the old generation. With the bin's
// `--heap-growing-percent=1000` (heap-growth.ts) the old generation of an idle
// process may grow to ~85 MB before V8's first full collection: opening 10,000
// streams, the server's old generation grew from 8 to 85 MB, of which 35 MB
// garbage, and its RSS peaked at 160-180 MB with 50 MB of live heap.
//
// How: every OPENS_PER_CHECK new streams, a look at the old generation; if
// it grew by OLD_GROWTH_BYTES since our last full collection (or since the
// lowest it was seen at, if V8 collected by itself since), one full collection (collectGarbage, memory-release.ts) frees the dead
// part so that the next promotions reuse its pages instead of new ones. A
// bulk transfer opens no streams and never gets here; a storm of 10,000 pays
// a few collections of 10-50 ms.
import { heapSpace } from './heap-space.js';
import { collectGarbage } from './memory-release.js';

const MiB = 1024 * 1024;
/** New streams between two looks at the heap. Rationale: a look reads V8's space statistics (microseconds); 500 streams make ~3 MB of live heap. */
export const OPENS_PER_CHECK = 500;
/** Old-generation growth since the last full collection that calls for one. Rationale: 10,000 streams hold ~50 MB live; 16 MiB lets a storm pay ~5 collections. */
export const OLD_GROWTH_BYTES = 16 * MiB;

/** Bytes in use in V8's old generation. */
export function oldGenerationUsed(): number {
  return heapSpace('old_space')?.space_used_size ?? 0;
}

export class OpenStorm {
  #opens = 0;
  #base: number;
  #collecting = false;
  readonly #collect: () => Promise<void>;
  readonly #used: () => number;

  constructor(collect: () => Promise<void> = collectGarbage, used: () => number = oldGenerationUsed) {
    this.#collect = collect;
    this.#used = used;
    this.#base = used();
  }

  /** Call once per new stream; starts a full collection when the storm has grown the old generation enough. */
  opened(): void {
    if (++this.#opens < OPENS_PER_CHECK) return;
    this.#opens = 0;
    if (this.#collecting) return;
    const used = this.#used();
    this.#base = Math.min(this.#base, used);
    if (used - this.#base < OLD_GROWTH_BYTES) return;
    this.#collecting = true;
    void this.#collect()
      .catch(() => {})
      .finally(() => {
        this.#collecting = false;
        this.#base = this.#used();
      });
  }
}
