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
 * the socket keeps at most one slab alive. Not page buffers (pageBuffer):
 * slabs on them cost bulk uploads on loopback 15% of their rate
 * (iperf-carriers, 0.84-0.86 of the relay pair against 0.69-0.70), and
 * reused slabs churn little memory anyway.
 */
const SLAB_SIZE = 64 * 1024;

/** flush() retires a slab with less room left than this: a header and a copied payload. */
const RETIRE_BELOW = COPY_MAX + 64;

const NO_SLAB = Buffer.alloc(0);

/**
 * Retired slabs whose last chunk was written, kept for any carrier's next
 * slab (room()): at most SPARE_SLABS, shared by every TurnBuffer of the
 * process. Rationale: a carrier whose socket is backed up has several
 * retired slabs queued, written one after another when it drains; one
 * spare per carrier kept only the last of them, and the rest (224 MiB of
 * 64 KiB slabs in `abuse --quick`, allocation sampling) were left to the
 * collector, churning glibc's heap that stays resident after a burst
 * (docs/decisions/0009). 32 slabs (2 MiB) cover the write buffers of a
 * few busy carriers, and bound what an idle process keeps, however many
 * carriers it has.
 */
export const SPARE_SLABS = 32;
const spares: Buffer[] = [];

/** How many written slabs wait for reuse (for tests and diagnostics). */
export function spareSlabs(): number {
  return spares.length;
}

export class TurnBuffer {
  #slab: Buffer = NO_SLAB;
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
   * the slab has no room left (the bytes keep their order), with `written`:
   * the writer calls it once that chunk, the slab's last, has been written
   * (a socket writes its chunks in order, so every earlier chunk of the slab
   * has too), and the slab becomes a spare (SPARE_SLABS) that the next
   * room() of any TurnBuffer takes instead of a new one. Rationale:
   * a busy carrier retires a slab every 64 KiB of small frames; left to the
   * collector, tens of MiB of them piled up between collections under a
   * flood of small frames (docs/decisions/0009).
   */
  room(n: number, out: (chunk: Buffer, written?: () => void) => void): Buffer {
    if (this.#slab.length - this.#end < n) {
      const retired = this.#slab;
      const chunk = this.take();
      if (chunk !== undefined) out(chunk, this.#recycler(retired));
      const spare = n <= SLAB_SIZE ? spares.pop() : undefined;
      this.#slab = spare ?? Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, n));
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

  /**
   * Hands the bytes gathered since the last take() to `out`, if any. A slab
   * with less than RETIRE_BELOW bytes left is retired with them (see
   * room()), so that the next turn does not find it full with nothing
   * pending, when its last chunk could no longer say when it was written.
   */
  flush(out: (chunk: Buffer, written?: () => void) => void): void {
    const chunk = this.take();
    if (chunk === undefined) return;
    const slab = this.#slab;
    if (slab.length !== SLAB_SIZE || slab.length - this.#end >= RETIRE_BELOW) {
      out(chunk);
      return;
    }
    this.#slab = NO_SLAB;
    this.#start = 0;
    this.#end = 0;
    out(chunk, this.#recycler(slab));
  }

  /** What makes retired `slab` a spare once its last chunk is written; none for a slab sized to one large write. */
  #recycler(slab: Buffer): (() => void) | undefined {
    return slab.length === SLAB_SIZE ? () => spares.length < SPARE_SLABS && spares.push(slab) : undefined;
  }

  /** The bytes gathered since the last take(), to write; undefined when none. */
  take(): Buffer | undefined {
    if (this.#end === this.#start) return undefined;
    const chunk = this.#slab.subarray(this.#start, this.#end);
    this.#start = this.#end;
    return chunk;
  }
}
