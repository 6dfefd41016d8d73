// Timestamped FIFO for one-way delay. I/O-free: the owner arms a single timer for
// the head's release time. Entries are pushed with non-decreasing times while
// the path's delay is constant; after Path.setDelay lowers it, later entries
// may be due before earlier ones and wait behind them (released in order, as a
// real path's shortened route would deliver once the older bytes have drained).

export interface DelayEntry<T> {
  readonly at: number;
  readonly item: T;
}

export class DelayLine<T> {
  #items: DelayEntry<T>[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(at: number, item: T): void {
    this.#items.push({ at, item });
  }

  peek(): DelayEntry<T> | undefined {
    return this.#items[this.#head];
  }

  /** Removes and returns the head if it is due at `now`. */
  shiftDue(now: number): DelayEntry<T> | undefined {
    const e = this.#items[this.#head];
    if (e === undefined || e.at > now) return undefined;
    this.#head++;
    // Compact once the consumed prefix dominates, keeping shift O(1) amortised.
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return e;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
