// The queue in front of a path's shared cap, one per direction: bytes read
// from every connection of the path that wait for the path's tokens. I/O-free.
//
// Without a bound, a connection whose bytes wait for tokens stops being read
// at once, so the queue is what the kernel's socket buffers hold (a few MB on
// loopback, not chosen by anyone). With a bound, connections keep being read
// while the path holds fewer waiting bytes than the bound: a deep buffer in
// front of a shared bottleneck, as in a home router or a cellular link. The
// connections' bytes leave it round-robin (SharedBucket), like fair queuing,
// not first-in first-out.

/** A queue bound in bytes, or in milliseconds of the path rate (e.g. 2 × RTT for 2 BDP). */
export type QueueBound = { bytes: number } | { ms: number };

export class PathQueue {
  #queued = 0;
  readonly #bound: QueueBound | undefined;
  readonly #rate: () => number;

  /** `rate` is the path rate now (bytes/s), read when the bound is in ms. */
  constructor(bound: QueueBound | undefined, rate: () => number) {
    if (bound !== undefined) checkQueueBound(bound);
    this.#bound = bound;
    this.#rate = rate;
  }

  /** Bytes waiting for the path's tokens now. */
  get queued(): number {
    return this.#queued;
  }

  /** The bound in bytes now; undefined when there is none. Infinity for a bound in ms on an uncapped path. */
  get limit(): number | undefined {
    const b = this.#bound;
    if (b === undefined) return undefined;
    return 'bytes' in b ? b.bytes : Math.ceil((this.#rate() * b.ms) / 1000);
  }

  add(n: number): void {
    this.#queued += n;
  }

  remove(n: number): void {
    this.#queued = Math.max(0, this.#queued - n);
  }

  /**
   * May a connection with `pending` bytes waiting be read further? Without a
   * bound only when it has none waiting; with one, while the path's queue is
   * below the bound.
   */
  mayRead(pending: number): boolean {
    if (pending === 0) return true;
    const limit = this.limit;
    return limit !== undefined && this.#queued < limit;
  }
}

export function checkQueueBound(b: QueueBound): void {
  const [name, v] = 'bytes' in b ? ['pathQueue.bytes', b.bytes] : ['pathQueue.ms', b.ms];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${String(v)}`);
}
