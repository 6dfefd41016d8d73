// SPEC §8: streams with data and credit are served round-robin, at most one
// frame per stream per turn. The session shifts a stream, sends one frame of
// it, and pushes it back if it still has data and credit.

/**
 * Rationale: Compaction happens once the dead slots (taken, or deleted lazily)
 * outnumber the live ones and there are at least this many, so each slot is
 * copied O(1) times on average and small queues are never compacted.
 */
const COMPACT_MIN_DEAD = 32;

/**
 * A FIFO of distinct items. `push`, `shift`, `delete` and `has` are O(1)
 * amortised: the queue is an array read from a head index; a map from each
 * queued item to the absolute position of its live slot gives membership, and
 * `delete` only forgets that position, leaving a dead slot that `shift` skips.
 * A deleted item pushed again gets a new slot at the tail, so its old slot
 * stays dead and order is exact.
 */
export class RoundRobin<T> {
  #slots: T[] = [];
  /** Index in `slots` of the next slot to read. */
  #head = 0;
  /** Absolute position of `slots[0]`; positions survive compaction. */
  #base = 0;
  /** Queued item → absolute position of its live slot. */
  readonly #position = new Map<T, number>();

  /** Number of items queued. */
  get size(): number {
    return this.#position.size;
  }

  /** Slots held, live and dead: compaction keeps this within a small multiple of `size`. */
  get slotCount(): number {
    return this.#slots.length;
  }

  /** Enqueues `item` at the tail unless it is already queued (then its place is kept). */
  push(item: T): void {
    if (this.#position.has(item)) return;
    this.#position.set(item, this.#base + this.#slots.length);
    this.#slots.push(item);
    this.#maybeCompact();
  }

  /** Takes the item at the head, or `undefined` when empty. */
  shift(): T | undefined {
    const slots = this.#slots;
    while (this.#head < slots.length) {
      const at = this.#head;
      const item = slots[at] as T;
      this.#head++;
      if (this.#position.get(item) === this.#base + at) {
        this.#position.delete(item);
        this.#maybeCompact();
        return item;
      }
    }
    return undefined;
  }

  /** Removes `item` wherever it is; `false` if it was not queued. */
  delete(item: T): boolean {
    if (!this.#position.delete(item)) return false;
    this.#maybeCompact();
    return true;
  }

  has(item: T): boolean {
    return this.#position.has(item);
  }

  /** The queued items, head first (for diagnostics and tests). */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let at = this.#head; at < this.#slots.length; at++) {
      const item = this.#slots[at] as T;
      if (this.#position.get(item) === this.#base + at) yield item;
    }
  }

  #maybeCompact(): void {
    if (this.#position.size === 0) {
      // Nothing live: drop every slot, keep positions increasing. The array
      // is kept (emptied, not replaced): a queue of one stream empties at
      // every frame of request/response traffic.
      this.#base += this.#slots.length;
      this.#slots.length = 0;
      this.#head = 0;
      return;
    }
    const dead = this.#slots.length - this.#position.size;
    if (dead < COMPACT_MIN_DEAD || dead <= this.#position.size) return;
    const live: T[] = [];
    for (const item of this) live.push(item);
    this.#base += this.#slots.length;
    this.#slots = live;
    this.#head = 0;
    live.forEach((item, i) => this.#position.set(item, this.#base + i));
  }
}
