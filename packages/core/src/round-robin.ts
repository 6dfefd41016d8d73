// SPEC §8: streams with data and credit are served round-robin, at most one
// frame per stream per turn. The session shifts a stream, sends one frame of
// it, and pushes it back if it still has data and credit.

/**
 * Rationale: Compaction happens once the dead slots (taken, or deleted lazily)
 * outnumber the live ones and there are at least this many, so each slot is
 * copied O(1) times on average and small queues are never compacted.
 */
const COMPACT_MIN_DEAD = 32;
/** A slot array longer than this is dropped, not kept, when the queue empties. */
const MAX_KEPT_SLOTS = 1024;

/**
 * Where a RoundRobin keeps the position of each queued item: a Map by
 * default, or a field of the item itself (each item then belongs to one
 * queue at most). Rationale: the send loop pushes and shifts a stream for
 * every frame it sends; four Map operations per frame were ~5% of the core's
 * CPU in small request/response traffic, a field costs next to nothing.
 */
export interface QueuePositions<T> {
  get(item: T): number | undefined;
  set(item: T, position: number): void;
  /** Forgets the position; false when there was none. */
  delete(item: T): boolean;
}

/**
 * A FIFO of distinct items. `push`, `shift`, `delete` and `has` are O(1)
 * amortised: the queue is an array read from a head index; a position store
 * (QueuePositions) from each queued item to the absolute position of its live
 * slot gives membership, and `delete` only forgets that position, leaving a
 * dead slot that `shift` skips.
 * A deleted item pushed again gets a new slot at the tail, so its old slot
 * stays dead and order is exact.
 */
export class RoundRobin<T> {
  /** Slots [0, #tail) are in use; those before #head were taken. Taken and emptied slots hold undefined. */
  #slots: (T | undefined)[] = [];
  /** Index in `slots` of the next slot to read. */
  #head = 0;
  /** Index in `slots` of the next slot to fill. */
  #tail = 0;
  /** Absolute position of `slots[0]`; positions survive compaction. */
  #base = 0;
  /** Queued item → absolute position of its live slot. */
  readonly #position: QueuePositions<T>;
  /** Number of items queued. */
  #size = 0;

  constructor(positions: QueuePositions<T> = new Map<T, number>()) {
    this.#position = positions;
  }

  /** Number of items queued. */
  get size(): number {
    return this.#size;
  }

  /** Slots held, live and dead: compaction keeps this within a small multiple of `size`. */
  get slotCount(): number {
    return this.#tail;
  }

  /** Enqueues `item` at the tail unless it is already queued (then its place is kept). */
  push(item: T): void {
    if (this.#position.get(item) !== undefined) return;
    this.#position.set(item, this.#base + this.#tail);
    this.#size++;
    this.#slots[this.#tail++] = item;
    this.#maybeCompact();
  }

  /** Takes the item at the head, or `undefined` when empty. */
  shift(): T | undefined {
    const slots = this.#slots;
    while (this.#head < this.#tail) {
      const at = this.#head;
      const item = slots[at] as T;
      slots[at] = undefined;
      this.#head++;
      if (this.#position.get(item) === this.#base + at) {
        this.#position.delete(item);
        this.#size--;
        this.#maybeCompact();
        return item;
      }
    }
    return undefined;
  }

  /** Removes `item` wherever it is; `false` if it was not queued. */
  delete(item: T): boolean {
    if (!this.#position.delete(item)) return false;
    this.#size--;
    this.#maybeCompact();
    return true;
  }

  has(item: T): boolean {
    return this.#position.get(item) !== undefined;
  }

  /** The queued items, head first (for diagnostics and tests). */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let at = this.#head; at < this.#tail; at++) {
      const item = this.#slots[at] as T;
      if (this.#position.get(item) === this.#base + at) yield item;
    }
  }

  /**
   * Rationale: the slot array is reused, never replaced, so a queue that
   * empties at every frame (request/response traffic: one stream, one frame)
   * allocates nothing; it is dropped only when it grew past MAX_KEPT_SLOTS.
   */
  #maybeCompact(): void {
    const slots = this.#slots;
    if (this.#size === 0) {
      // Nothing live: drop every slot, keep positions increasing.
      this.#base += this.#tail;
      if (this.#tail > MAX_KEPT_SLOTS) this.#slots = [];
      else clearSlots(slots, this.#head, this.#tail);
      this.#head = 0;
      this.#tail = 0;
      return;
    }
    // Dead: taken (before #head) or deleted lazily.
    const dead = this.#tail - this.#size;
    if (dead < COMPACT_MIN_DEAD || dead <= this.#size) return;
    // Moves the live slots to the front, in order, with new positions after every old one.
    const base = this.#base + this.#tail;
    let live = 0;
    for (let at = this.#head; at < this.#tail; at++) {
      const item = slots[at] as T;
      if (this.#position.get(item) !== this.#base + at) continue;
      slots[live] = item;
      this.#position.set(item, base + live);
      live++;
    }
    clearSlots(slots, live, this.#tail);
    this.#base = base;
    this.#head = 0;
    this.#tail = live;
  }
}

/**
 * Empties `slots[from..to)`. Rationale: `Array#fill` with a range is a call
 * into V8's runtime (~60 ns for one slot), and a request/response queue
 * empties at every frame; a loop over the one or two slots is ~6 ns.
 */
function clearSlots(slots: unknown[], from: number, to: number): void {
  for (let at = from; at < to; at++) slots[at] = undefined;
}
