// The bytes of small frames a carrier link writes in one turn of the event
// loop (STYLE habit 4, SPEC §9 "one write per turn"): headers are encoded in
// place and small payloads copied after them, into one slab, so that the
// turn's small frames reach the socket as one chunk instead of two writes
// per frame (a header Buffer and its payload view), each a trip through the
// Writable's buffering. Large payloads stay uncopied views; the carrier link
// hands the bytes gathered before one to the socket first (take()), so the
// order on the wire is the order of send(). No I/O.

/**
 * DATA payloads up to this many bytes are copied into the slab; larger ones
 * are written as their own chunk. Rationale: copying 4 KiB costs less than
 * the per-write work of Node's Writable and the iovec it adds to writev; a
 * bulk frame (16 KiB) is never copied.
 */
export const COPY_MAX = 4096;

/**
 * Rationale: one slab holds the small frames of many turns (it is cut into
 * chunks, never rewritten), so slabs are allocated rarely; a chunk waiting in
 * the socket keeps at most one slab alive.
 */
const SLAB_SIZE = 64 * 1024;

export class TurnBuffer {
  #slab: Buffer = Buffer.alloc(0);
  /** First byte of the slab not handed out yet. */
  #start = 0;
  /** Next byte to write. */
  #end = 0;

  /** Bytes gathered and not handed out yet. */
  get pending(): number {
    return this.#end - this.#start;
  }

  /**
   * Makes room for `n` bytes at `at` of the returned buffer; write them
   * there, then commit(n). What was gathered before goes to `out` first when
   * the slab has no room left (the bytes keep their order).
   */
  room(n: number, out: (chunk: Buffer) => void): Buffer {
    if (this.#slab.length - this.#end < n) {
      const chunk = this.take();
      if (chunk !== undefined) out(chunk);
      this.#slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, n));
      this.#start = 0;
      this.#end = 0;
    }
    return this.#slab;
  }

  /** Where the next `room()` bytes go in its buffer. */
  get at(): number {
    return this.#end;
  }

  /** The `n` bytes at `at` are written. */
  commit(n: number): void {
    this.#end += n;
  }

  /** The bytes gathered since the last take(), to write; undefined when none. */
  take(): Buffer | undefined {
    if (this.#end === this.#start) return undefined;
    const chunk = this.#slab.subarray(this.#start, this.#end);
    this.#start = this.#end;
    return chunk;
  }
}
