// The largest of the values added within a sliding time window, in constant
// time per read (the path estimator's delivery-rate maximum, SPEC §8). A
// monotonic queue: a value is dropped as soon as a later one is at least as
// large, because the later one leaves the window no earlier and so stands
// for it until then. What is left runs from the oldest (the maximum) to the
// newest in decreasing order; only the head is read.
//
// Times must not go backwards (the clock is monotonic): a value added with an
// earlier time than the newest would leave the window after values it
// dropped.

/** Leading slots of expired entries tolerated before the arrays are compacted. */
const COMPACT_AT = 64;

export class WindowedMax {
  #at: number[] = [];
  #value: number[] = [];
  /** Index of the oldest live entry; slots before it are expired. */
  #head = 0;

  /** Entries kept (0 exactly when every value added has expired). */
  get size(): number {
    return this.#at.length - this.#head;
  }

  /** The largest value not expired, or undefined. */
  get max(): number | undefined {
    return this.#head < this.#value.length ? this.#value[this.#head] : undefined;
  }

  /** Adds `value` taken at `at`. */
  push(at: number, value: number): void {
    const values = this.#value;
    while (values.length > this.#head && (values[values.length - 1] as number) <= value) {
      values.pop();
      this.#at.pop();
    }
    values.push(value);
    this.#at.push(at);
  }

  /** Drops the values taken more than `window` before `now`. */
  expire(now: number, window: number): void {
    const at = this.#at;
    let head = this.#head;
    while (head < at.length && now - (at[head] as number) > window) head++;
    if (head === at.length) {
      // Rationale: setting `length` is a call into V8's runtime (~30 ns) even
      // on an empty array, and the path estimator asks an idle carrier's
      // empty window several times per frame sent.
      if (head > 0) {
        at.length = 0;
        this.#value.length = 0;
      }
      head = 0;
    } else if (head >= COMPACT_AT) {
      at.splice(0, head);
      this.#value.splice(0, head);
      head = 0;
    }
    this.#head = head;
  }
}
