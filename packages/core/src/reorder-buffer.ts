// SPEC §6.5: the per-stream reorder buffer. DATA frames of one stream travel
// on several carriers, so their payloads arrive out of order, and a frame
// retransmitted after a carrier failure (SPEC §9) may arrive twice or overlap
// bytes already here. This buffer puts the bytes back in stream order and
// delivers each exactly once. SPEC §5.1: it also enforces the final size.
//
// No I/O, no clock. The design follows quic-go's frame_sorter and quinn's
// assembler:
//
// - The bytes not yet received (at or above the read offset) are kept as a
//   sorted list of gaps; the last gap is open-ended ([highest, ∞)). An insert
//   only ever stores the parts of a payload that fall in a gap, so the first
//   copy of a byte wins and stored pieces never overlap.
// - Stored pieces are views (subarrays) in a Map keyed by their first offset,
//   so the next in-order piece is found in O(1) and in-order streams never
//   search or shift anything. The in-order case itself (a frame that starts
//   where the bytes held, all in order from the read offset, end: nearly
//   every frame of a stream that keeps up, and the frames of one carrier
//   read before they are delivered) does not touch the maps: its piece joins
//   a queue of in-order pieces (`#run`) until read, and the queue moves into
//   the maps only when a piece out of order comes. Its pieces are not
//   checked for pinning (below) while they are only passing through (a
//   carrier read's frames, delivered in the same turn): reading `.buffer` of
//   a small Uint8Array costs an allocation and a copy (V8 keeps arrays of up
//   to 64 bytes on its heap and moves them out on that read), ~0.5 µs a
//   frame, and a payload split across two reads (decode.ts) comes in parts
//   that each pin a whole read. They are checked once they stay: moved into
//   the maps, or left by a reader that stopped (settle()). Small ones are
//   joined with the one before, as stored pieces are.
// - The number of gaps is capped: a hostile peer that sends every other byte
//   cannot make the gap list (and the cost of each insert) grow without bound.
//   Each gap also holds a piece of its own, so gaps are what a fragmenting
//   peer makes us pay for: a session's buffers share a GapBudget that charges
//   every gap GAP_CHARGE bytes of the session window (issue 11, SPEC §7.3).
// - Memory accounting counts what pieces cost, not only their bytes (issue 6):
//   a piece that pins a much larger buffer is copied, and small neighbouring
//   pieces are joined, so that memory stays close to `bufferedBytes` whatever
//   the sizes and chunking of the peer's frames. A session's buffers may keep
//   such pieces as views while the memory they pin fits a shared PinBudget
//   (pinning.ts): the parts of payloads split by a read's end, which wait for
//   a gap to fill beside full payloads of the same read.
//
// - Offsets are kept relative to a base that moves forward a step at a time
//   as the reader reads (small-integers.ts), so the gaps, map keys and fields
//   stay small integers however long the stream; the methods take and return
//   absolute offsets.
//
//            readOffset                        highestReceived
//                 v                                   v
//   delivered ... |####|....|######|..|#########|.....|  ...  (open gap)
//                 stored gap  stored gap  stored   gap
//
import { Budget } from './budget.js';
import { MAX_U64_VALUE, WireCode } from './constants.js';
import { MpxError, MpxProtocolError } from './errors.js';
import { OFFSET_STEP, absolute, relativeTo, stepsIn } from './small-integers.js';
import { PIN_RATIO, type PinBudget } from './pinning.js';
import { readBlocks } from './read-blocks.js';

/**
 * Default cap on the number of gaps (holes below the highest buffered byte).
 *
 * Rationale: honest traffic striped over a few carriers creates one gap per
 * carrier that is behind, a handful at most; quic-go caps its gap list at
 * 1000 for the same reason. Each insert costs O(log gaps) plus, when it
 * splits or fills a gap, a splice of the gap array, so 1024 keeps the worst
 * case a few microseconds while never failing an honest peer.
 */
export const DEFAULT_MAX_GAPS = 1024;

/**
 * Neighbouring pieces are joined (copied into one) while the result stays
 * within this many bytes.
 *
 * Rationale: each stored piece costs an object and a map entry, about 150
 * bytes, so a peer sending 1-byte frames to a paused reader would make each
 * byte of credit cost 150. With joining, two neighbouring pieces always hold
 * more than this together, so a run of buffered bytes costs at most one piece
 * per JOIN_MAX / 2 bytes (under 8% overhead), and a join copies at most
 * JOIN_MAX bytes.
 */
const JOIN_MAX = 4096;

/**
 * Bytes of the session window each gap (hole in a reorder buffer) is charged.
 *
 * Rationale: a gap costs a piece of its own (a copied Uint8Array), two map
 * entries and a gap record, about 350 bytes measured in Node 20 (1-byte
 * gapped DATA frames, test/hardening.memory.test.ts); 1 KiB is that with room
 * to spare and keeps the bookkeeping a session can be made to hold to about a
 * third of its window. Honest traffic makes at most one gap per frame in
 * flight: a full window of 16 KiB frames is 1/16 of the budget.
 */
export const GAP_CHARGE = 1024;

/** SPEC §7.3: the gaps all reorder buffers of a session with this receive window may hold. */
export function sessionGapLimit(sessionWindow: number): number {
  return Math.max(DEFAULT_MAX_GAPS, Math.floor(sessionWindow / GAP_CHARGE));
}

/**
 * Gaps shared by the reorder buffers of one session (SPEC §7.3). A buffer
 * takes one when an insert splits a gap and gives them back as gaps fill or
 * when it is cleared, so `used` is the sum of the buffers' `gapCount`.
 */
export class GapBudget extends Budget {
  /** Charges one new gap; throws `MpxProtocolError` with `LIMIT_EXCEEDED` (charging nothing) when none is left. */
  take(what: string): void {
    if (!this.tryTake(1)) {
      throw new MpxProtocolError(WireCode.LIMIT_EXCEEDED, `${what} would create more than ${this.max} gaps in the session's reorder buffers`, {
        limit: 'reorderGaps',
      });
    }
  }
}

export interface ReorderBufferOptions {
  /** Most gaps allowed at once; an insert that would create more is `PROTOCOL`. */
  readonly maxGaps?: number;
  /** Shared with the other buffers of the session; an insert that would exceed it is `LIMIT_EXCEEDED`. */
  readonly budget?: GapBudget;
  /**
   * Shared with the other buffers of the session: a piece that pins more
   * than PIN_RATIO times its size stays a view while its memory fits, else
   * it is copied. Without it every such piece is copied.
   */
  readonly pins?: PinBudget;
}

/** A run of missing bytes `[start, end)`; the last gap has `end = Infinity`. */
interface Gap {
  start: number;
  end: number;
}

export class ReorderBuffer {
  readonly #maxGaps: number;
  readonly #budget: GapBudget | undefined;
  readonly #pins: PinBudget | undefined;
  /** Memory taken from #pins by the views held (each checked piece beyond PIN_RATIO). */
  #pinned = 0;
  /** Sorted, disjoint, non-adjacent; always non-empty (the open-ended last gap). */
  readonly #gaps: Gap[] = [{ start: 0, end: Infinity }];
  /** Stored pieces by first offset; they never overlap and are never empty. */
  readonly #chunks = new Map<number, Uint8Array>();
  /** The first offset of each stored piece, by its end offset (to find a piece's left neighbour). */
  readonly #starts = new Map<number, number>();
  /**
   * The stored pieces, in order from the read offset, while the maps are
   * empty and no gap lies below the highest byte (the in-order case): the
   * first is #run[#runHead]. Moved into the maps before a piece out of order
   * is stored. Those from #runChecked on are not yet checked against
   * PIN_RATIO (see settle()).
   */
  #run: Uint8Array[] = [];
  #runHead = 0;
  #runChecked = 0;
  #readOffset = 0;
  #buffered = 0;
  #highestReceived = 0;
  #finalSize: number | undefined = undefined;
  #discarding = false;
  /** The offsets above are relative to `#steps × OFFSET_STEP` (small-integers.ts). */
  #steps = 0;

  constructor(options?: ReorderBufferOptions) {
    const maxGaps = options?.maxGaps ?? DEFAULT_MAX_GAPS;
    if (!Number.isSafeInteger(maxGaps) || maxGaps < 0) {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `maxGaps must be a non-negative integer, got ${maxGaps}`);
    }
    this.#maxGaps = maxGaps;
    this.#budget = options?.budget;
    this.#pins = options?.pins;
  }

  /** Bytes delivered by `read()` so far: the offset of the next byte to deliver. */
  get readOffset(): number {
    return this.#absolute(this.#readOffset);
  }

  /** Bytes held: the sum of the lengths of the stored views. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** The largest `offset + length` of any insert seen (0 initially). SPEC §7.1 counts this. */
  get highestReceived(): number {
    return this.#absolute(this.#highestReceived);
  }

  /** The final size from a FIN or RESET, once known. */
  get finalSize(): number | undefined {
    return this.#finalSize === undefined ? undefined : this.#absolute(this.#finalSize);
  }

  /** SPEC §6.5: the end of the stream may be delivered (every byte below the final size was read). */
  get isFinished(): boolean {
    return this.#finalSize !== undefined && this.#readOffset === this.#finalSize;
  }

  /** `read()` would return bytes. */
  get hasReadable(): boolean {
    return this.#runHead < this.#run.length || this.#chunks.has(this.#readOffset);
  }

  /** Memory taken from the session's PinBudget by views held beyond PIN_RATIO. */
  get pinnedBytes(): number {
    return this.#pinned;
  }

  /** Holes below the highest buffered byte (0 when the buffered bytes are contiguous from the read offset). */
  get gapCount(): number {
    return this.#gaps.length - 1;
  }

  /** `clear()` was called: further inserts are checked and counted but not stored. */
  get isDiscarding(): boolean {
    return this.#discarding;
  }

  /**
   * Stores the bytes of `data`, the stream bytes starting at `offset`. Keeps
   * views of `data` (subarrays where trimming needs them); copies only a
   * piece that would pin a much larger buffer, or small pieces joined with a
   * stored neighbour (see PIN_RATIO and JOIN_MAX).
   *
   * Returns how many of these bytes were never received before; bytes below
   * the read offset or already buffered are dropped and not counted. After
   * `clear()` nothing is stored and 0 is returned.
   *
   * Throws `MpxProtocolError` with `FINAL_SIZE` when a byte lies at or beyond
   * a known final size (SPEC §5.1), `PROTOCOL` when the insert would create
   * more than `maxGaps` gaps or end beyond 2^53 (SPEC §2), `LIMIT_EXCEEDED`
   * when the shared budget has no gap left (SPEC §7.3). A throwing insert
   * changes nothing.
   */
  insert(at: number, data: Uint8Array): number {
    if (!Number.isSafeInteger(at) || at < 0) {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `offset must be a non-negative integer, got ${at}`);
    }
    if (at + data.length > MAX_U64_VALUE) {
      throw new MpxProtocolError(WireCode.PROTOCOL, `stream data ends at ${at + data.length}, beyond 2^53`);
    }
    // Relative from here on (below the base when a late copy of old bytes comes).
    const offset = relativeTo(this.#steps, at);
    const end = offset + data.length;
    if (this.#finalSize !== undefined && end > this.#finalSize) {
      throw new MpxProtocolError(
        WireCode.FINAL_SIZE,
        `stream data [${at}, ${at + data.length}) lies at or beyond the final size ${this.#absolute(this.#finalSize)}`,
      );
    }
    if (this.#discarding || end <= this.#readOffset || data.length === 0) {
      this.#noteReceived(end);
      return 0;
    }
    const open = this.#gaps[0]!;
    if (offset === open.start && this.#gaps.length === 1 && this.#chunks.size === 0) {
      // In order: every byte held lies in #run, from the read offset up to the
      // open gap, and this piece fills the gap's start; no search, no map.
      this.#append(data);
      open.start = end;
      this.#buffered += data.length;
      this.#noteReceived(end);
      return data.length;
    }

    //  Drop what was already delivered:
    //
    //    delivered  | readOffset
    //    ###########|
    //          [====|=======]   insert
    //               [=======]   kept
    let start = offset;
    let bytes = data;
    if (start < this.#readOffset) {
      bytes = data.subarray(this.#readOffset - start);
      start = this.#readOffset;
    }

    const gaps = this.#gaps;
    const i = this.#firstGapEndingAfter(start);
    const first = gaps[i]!;
    if (first.start >= end) {
      // Every byte is already buffered: a duplicate.
      this.#noteReceived(end);
      return 0;
    }
    let k = i;
    while (k + 1 < gaps.length && gaps[k + 1]!.start < end) k++;
    const last = gaps[k]!;
    const keepLeft = first.start < start; // the first gap keeps [first.start, start)
    const keepRight = end < last.end; // the last gap keeps [end, last.end)

    //  Landing strictly inside one gap splits it in two:
    //
    //    ####|.............|####      one gap
    //    ####|...[=====]...|####      insert
    //    ####|...|#####|...|####      two gaps
    const splits = i === k && keepLeft && keepRight;
    if (splits && gaps.length - 1 >= this.#maxGaps) {
      throw new MpxProtocolError(
        WireCode.PROTOCOL,
        `stream data [${this.#absolute(start)}, ${this.#absolute(end)}) would create more than ${this.#maxGaps} gaps in the reorder buffer`,
      );
    }
    if (splits) this.#budget?.take(`stream data [${this.#absolute(start)}, ${this.#absolute(end)})`);
    this.#noteReceived(end);

    //  Store only the parts of the insert that fall in gaps (first copy wins):
    //
    //    ##|....|####|......|###|...    buffered (#) and gaps (.)
    //        [==========][=====]        insert
    //        [==]    [==]               stored pieces
    if (this.#runHead < this.#run.length) this.#spillRun();
    let added = 0;
    for (let j = i; j <= k; j++) {
      const gap = gaps[j]!;
      const s = Math.max(gap.start, start);
      const e = Math.min(gap.end, end);
      this.#store(s, bytes.subarray(s - start, e - start));
      added += e - s;
    }
    this.#buffered += added;

    if (splits) {
      gaps.splice(i + 1, 0, { start: end, end: first.end });
      first.end = start;
      return added;
    }
    // Shrink the first and last gaps touched, and remove the ones filled.
    let from = i;
    let to = k + 1;
    if (keepLeft) {
      first.end = start;
      from = i + 1;
    }
    if (keepRight) {
      last.start = end;
      to = k;
    }
    if (to > from) {
      gaps.splice(from, to - from);
      this.#budget?.give(to - from);
    }
    return added;
  }

  /**
   * Records the final size from a FIN or a RESET. Throws `MpxProtocolError`
   * with `FINAL_SIZE` when it differs from a final size already known, or
   * when bytes at or beyond it were already received (SPEC §5.1).
   */
  setFinalSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `final size must be a non-negative integer, got ${size}`);
    }
    const relative = relativeTo(this.#steps, size);
    if (this.#finalSize !== undefined && this.#finalSize !== relative) {
      throw new MpxProtocolError(WireCode.FINAL_SIZE, `final size changed from ${this.#absolute(this.#finalSize)} to ${size}`);
    }
    if (this.#highestReceived > relative) {
      throw new MpxProtocolError(
        WireCode.FINAL_SIZE,
        `final size ${size} is below bytes already received (up to ${this.#absolute(this.#highestReceived)})`,
      );
    }
    this.#finalSize = relative;
  }

  /**
   * The next in-order bytes (a view, at most `max` bytes when given), or null
   * when the byte at the read offset has not arrived. Advances the read offset.
   * Returns one stored piece (or its head) per call: contiguous pieces are not
   * joined, so nothing is copied.
   */
  read(max?: number): Uint8Array | null {
    if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `max must be a positive integer, got ${max}`);
    }
    const offset = this.#readOffset;
    const run = this.#run;
    if (this.#runHead < run.length) {
      const head = run[this.#runHead]!;
      const checked = this.#runHead < this.#runChecked;
      if (checked) this.#unpin(head);
      let out = head;
      if (max !== undefined && max < head.length) {
        out = head.subarray(0, max);
        const rest = head.subarray(max);
        run[this.#runHead] = checked ? this.#keepable(rest) : rest;
      } else if (++this.#runHead === run.length) {
        this.#emptyRun();
      }
      this.#readOffset = offset + out.length;
      this.#buffered -= out.length;
      if (this.#readOffset >= OFFSET_STEP) this.#rebase();
      return out;
    }
    const chunk = this.#chunks.get(offset);
    if (chunk === undefined) return null;
    this.#chunks.delete(offset);
    this.#unpin(chunk);
    let out = chunk;
    if (max !== undefined && max < chunk.length) {
      out = chunk.subarray(0, max);
      this.#chunks.set(offset + max, this.#keepable(chunk.subarray(max)));
      this.#starts.set(offset + chunk.length, offset + max);
    } else {
      this.#starts.delete(offset + chunk.length);
    }
    this.#readOffset = offset + out.length;
    this.#buffered -= out.length;
    if (this.#readOffset >= OFFSET_STEP) this.#rebase();
    return out;
  }

  /**
   * Drops every buffered byte (on reset, SPEC §6.4) and returns how many were
   * dropped. From then on the buffer discards: inserts are still checked
   * against the final size and raise `highestReceived`, but store nothing and
   * return 0, so a caller's count of buffered bytes (sum of inserts' results
   * minus reads minus clears) stays exact.
   */
  clear(): number {
    const dropped = this.#buffered;
    this.#budget?.give(this.gapCount);
    this.#pins?.give(this.#pinned);
    this.#pinned = 0;
    this.#emptyRun();
    this.#chunks.clear();
    this.#starts.clear();
    this.#gaps.length = 0;
    this.#gaps.push({ start: this.#readOffset, end: Infinity });
    this.#buffered = 0;
    this.#discarding = true;
    return dropped;
  }

  /** Stored pieces (for tests of the memory bound). */
  get pieceCount(): number {
    return this.#chunks.size + this.#run.length - this.#runHead;
  }

  /**
   * The reader stopped with bytes left: the in-order pieces, which stay now,
   * are checked (copied where they pin a buffer more than PIN_RATIO times
   * their size and the session's PinBudget has no room; pieces in the maps
   * were checked when stored). Each piece once.
   */
  settle(): void {
    const run = this.#run;
    for (let i = Math.max(this.#runHead, this.#runChecked); i < run.length; i++) run[i] = this.#keepable(run[i]!);
    this.#runChecked = run.length;
  }

  /**
   * Adds `piece` to the in-order pieces, joined with the one before while
   * the two stay within JOIN_MAX (the join is a copy: checked), else as it
   * is (see #run).
   */
  #append(piece: Uint8Array): void {
    const run = this.#run;
    const last = run.length - 1;
    const before = last < this.#runHead ? undefined : run[last]!;
    if (before === undefined || before.length + piece.length > JOIN_MAX) {
      run.push(piece);
      return;
    }
    const joined = new Uint8Array(before.length + piece.length);
    joined.set(before, 0);
    joined.set(piece, before.length);
    run[last] = joined;
    if (last < this.#runChecked) this.#unpin(before);
    readBlocks.copied(before);
    readBlocks.copied(piece);
  }

  /** Moves the in-order pieces into the maps (a piece out of order is about to be stored), checked like any stored piece. */
  #spillRun(): void {
    const run = this.#run;
    let at = this.#readOffset;
    for (let i = this.#runHead; i < run.length; i++) {
      const piece = i >= this.#runChecked ? this.#keepable(run[i]!) : run[i]!;
      this.#chunks.set(at, piece);
      this.#starts.set(at + piece.length, at);
      at += piece.length;
    }
    this.#emptyRun();
  }

  #emptyRun(): void {
    this.#run = [];
    this.#runHead = 0;
    this.#runChecked = 0;
  }

  /**
   * `piece` itself, or a copy when it would pin a buffer more than
   * PIN_RATIO times its size and the session's PinBudget (if any) has no
   * room for that buffer. A copied piece's bytes are given back to
   * read-blocks.ts (which counts bytes, so the rest of a piece partly read
   * may go while the part read is still out).
   */
  #keepable(piece: Uint8Array): Uint8Array {
    const memory = piece.buffer.byteLength;
    if (memory <= PIN_RATIO * piece.length) return piece;
    if (this.#pins?.tryTake(memory) === true) {
      this.#pinned += memory;
      return piece;
    }
    // new Uint8Array(piece) copies (Buffer#slice would be a view).
    const copy = new Uint8Array(piece);
    readBlocks.release(piece);
    return copy;
  }

  /** A checked piece leaves: gives back what #keepable took for it. */
  #unpin(piece: Uint8Array): void {
    if (this.#pinned === 0) return;
    const memory = piece.buffer.byteLength;
    if (memory <= PIN_RATIO * piece.length) return;
    this.#pinned -= memory;
    this.#pins!.give(memory);
  }

  /**
   * Stores `piece` at stream offset `at` (it fills part of a gap), joined with
   * its stored neighbours while the result stays within JOIN_MAX, else as a
   * view unless it pins a buffer more than PIN_RATIO times its size (see
   * #keepable).
   */
  #store(at: number, piece: Uint8Array): void {
    let start = at;
    let end = at + piece.length;
    let size = piece.length;
    const leftStart = this.#starts.get(at);
    const left = leftStart === undefined ? undefined : this.#chunks.get(leftStart);
    const right = this.#chunks.get(end);
    const joinLeft = left !== undefined && left.length + size <= JOIN_MAX;
    if (joinLeft) size += left.length;
    const joinRight = right !== undefined && right.length + size <= JOIN_MAX;
    if (joinRight) size += right.length;
    let stored: Uint8Array;
    if (joinLeft || joinRight) {
      stored = new Uint8Array(size);
      let pos = 0;
      if (joinLeft) {
        this.#unpin(left);
        stored.set(left, 0);
        pos = left.length;
        this.#chunks.delete(leftStart as number);
        this.#starts.delete(at);
        start = leftStart as number;
      }
      stored.set(piece, pos);
      readBlocks.copied(piece);
      if (joinLeft) readBlocks.copied(left);
      if (joinRight) {
        this.#unpin(right);
        stored.set(right, pos + piece.length);
        readBlocks.copied(right);
        this.#chunks.delete(end);
        end += right.length;
        this.#starts.delete(end);
      }
    } else {
      stored = this.#keepable(piece);
    }
    this.#chunks.set(start, stored);
    this.#starts.set(end, start);
  }

  #absolute(relative: number): number {
    return absolute(this.#steps, relative);
  }

  /**
   * Moves the base forward by the whole steps below the read offset: every
   * offset held (all at or above the read offset, but the open gap's end)
   * becomes that much smaller.
   */
  #rebase(): void {
    const steps = stepsIn(this.#readOffset);
    const by = steps * OFFSET_STEP;
    this.#steps += steps;
    this.#readOffset -= by;
    this.#highestReceived -= by;
    if (this.#finalSize !== undefined) this.#finalSize -= by;
    for (const gap of this.#gaps) {
      gap.start -= by;
      gap.end -= by;
    }
    if (this.#chunks.size === 0) return;
    const chunks = [...this.#chunks];
    const starts = [...this.#starts];
    this.#chunks.clear();
    this.#starts.clear();
    for (const [start, piece] of chunks) this.#chunks.set(start - by, piece);
    for (const [end, start] of starts) this.#starts.set(end - by, start - by);
  }

  #noteReceived(end: number): void {
    if (end > this.#highestReceived) this.#highestReceived = end;
  }

  /** Index of the first gap with `end > offset`; exists since the last gap is open-ended. */
  #firstGapEndingAfter(offset: number): number {
    const gaps = this.#gaps;
    let lo = 0;
    let hi = gaps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (gaps[mid]!.end > offset) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
