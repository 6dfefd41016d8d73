// Reused memory for what the server reads from its targets (issue #11 point
// 3, issue #15 goal 4). Without it, each read was copied into a fresh
// allocation, dead once the client acknowledged it but freed only at the
// next garbage collection: tens of MiB of dead payloads piled up between
// collections, glibc's heap grew to hold them, and after a burst that heap
// stayed resident, fragmented (docs/decisions/0004, 0009). Here a read of
// MIN_POOLED bytes or more is copied into a block taken from a free list,
// and the block goes back to the list once the peer has acknowledged every
// frame cut from it (PayloadOwner, told by @mpx/core). A block whose bytes
// the session never reports back (a frame copied to a second carrier, a
// reset stream's queue, a session that ended) is simply not reused: the
// collector frees it, as before. Blocks of 16 KiB and more allocated while
// PAGE_BLOCKS_ABOVE bytes of blocks are out are page buffers (@mpx/core
// pageBuffer): what the collector frees of them goes back to the kernel,
// not into glibc's heap (docs/decisions/0010).
import { pageBuffer } from '@mpx/core';
import type { PayloadOwner } from '@mpx/core';

/** Reads below this many bytes are not pooled. Rationale: a read of a few bytes (an interactive answer) would waste most of a block; Node's own 8 KiB slab serves it. */
export const MIN_POOLED = 1024;
/**
 * Block sizes: a read takes the smallest that holds it. Rationale: reads are
 * sized to the stream's room (socket-reader.ts): up to 4 KiB past its credit
 * (READ_AHEAD; a stalled stream holds one such read for as long as it
 * lasts), 16 KiB a frame, 64 KiB the largest read; a read never takes more
 * than 4 times its size.
 */
export const BLOCK_SIZES = [4 * 1024, 16 * 1024, 64 * 1024] as const;
/**
 * Free bytes kept per block size; beyond it, released blocks are left to the
 * collector. Rationale: covers what 4 carriers have in flight on loopback at
 * full speed, and bounds what an idle process keeps. At 4 MiB, one iperf3
 * stream through `-p 4` allocated 10.7 % of the blocks it took (the
 * acknowledgements of 4 carriers bring blocks back in bursts beyond the free
 * list, and the next reads allocate anew), and the client stayed at 130-139
 * MB resident 15 s after the transfer (glibc's heap, fragmented by those
 * allocations); at 8 MiB 0.6 % and 93-102 MB. CPU per GB unchanged over
 * TCP carriers; over ws:// the upload measured 2 % more (in 11 of 15
 * paired rounds), within this machine's noise but not ruled out.
 */
export const MAX_FREE_BYTES = 8 * 1024 * 1024;
/**
 * New blocks are page buffers while more than this many bytes of blocks are
 * out (taken and not all given back). Rationale: a fast transfer keeps
 * little unacknowledged (its in-flight cap), and Node's own memory serves it
 * best (page-backed blocks for every transfer cost downloads on loopback
 * 7-10% of their rate, iperf-carriers); clients that stop reading leave up
 * to their session windows unacknowledged, and the blocks of such a burst
 * are what glibc's heap kept after it (docs/decisions/0010).
 */
export const PAGE_BLOCKS_ABOVE = 16 * 1024 * 1024;

class SizeClass {
  readonly free: Block[] = [];
  constructor(
    readonly size: number,
    readonly maxFree: number,
  ) {}
}

/** Whether a block counts as out (taken and not all given back), for PAGE_BLOCKS_ABOVE; outlives the block. */
interface OutMark {
  readonly size: number;
  out: boolean;
}

interface Block {
  readonly bytes: Buffer;
  readonly mark: OutMark;
  /** The size class whose free list the block goes back to. */
  readonly home: SizeClass;
  /** Bytes handed out and not yet released. */
  outstanding: number;
}

export class PayloadPool implements PayloadOwner {
  readonly #classes: SizeClass[];
  readonly #blocks = new WeakMap<ArrayBufferLike, Block>();
  /** Blocks taken from a free list (for tests and the log). */
  reused = 0;
  /** Blocks allocated because no free one was there. */
  allocated = 0;
  /** Blocks marked never to be reused (PayloadOwner.keep). */
  kept = 0;
  /** Blocks given back when the free list was full (left to the collector). */
  dropped = 0;
  /** Bytes of the blocks taken and not all given back (blocks the session never gives back count until collected). */
  #out = 0;
  readonly #collected = new FinalizationRegistry<OutMark>((mark) => this.#settle(mark));

  constructor(sizes: readonly number[] = BLOCK_SIZES, maxFreeBytes = MAX_FREE_BYTES) {
    this.#classes = sizes.map((size) => new SizeClass(size, Math.floor(maxFreeBytes / size)));
  }

  /**
   * A buffer of `n` bytes to copy a read into (or, PayloadOwner, queued
   * chunks the session joins): a view of a pooled block when `n` ≥
   * MIN_POOLED and a block size holds it, else a plain allocation.
   */
  take(n: number): Buffer {
    const sizeClass = n >= MIN_POOLED ? this.#classes.find((c) => c.size >= n) : undefined;
    if (sizeClass === undefined) return Buffer.allocUnsafe(n);
    let block = sizeClass.free.pop();
    if (block === undefined) {
      // Its own ArrayBuffer (not a slice of Node's shared slab): the WeakMap below finds it by that.
      const size = sizeClass.size;
      const bytes = this.#out > PAGE_BLOCKS_ABOVE ? pageBuffer(size) : Buffer.allocUnsafeSlow(size);
      block = { bytes, mark: { size, out: false }, home: sizeClass, outstanding: 0 };
      this.#blocks.set(bytes.buffer, block);
      this.#collected.register(bytes, block.mark);
      this.allocated++;
    } else {
      this.reused++;
    }
    block.outstanding = n;
    block.mark.out = true;
    this.#out += block.mark.size;
    return block.bytes.subarray(0, n);
  }

  /**
   * PayloadOwner: the session is done with `payload`; its block is reused
   * once all of it is back. Bytes of a block the pool no longer knows (kept,
   * dropped, or never lent) are ignored.
   */
  release(payload: Uint8Array): void {
    const block = this.#blocks.get(payload.buffer);
    if (block === undefined) return;
    block.outstanding -= payload.byteLength;
    if (block.outstanding > 0) return;
    this.#settle(block.mark);
    const { free, maxFree } = block.home;
    if (free.length < maxFree) {
      free.push(block);
      return;
    }
    this.#blocks.delete(block.bytes.buffer); // left to the collector
    this.dropped++;
  }

  /** PayloadOwner: `payload`'s block is never reused (the pool forgets it). */
  keep(payload: Uint8Array): void {
    if (this.#blocks.delete(payload.buffer)) this.kept++;
  }

  /** Bytes of blocks out now (see PAGE_BLOCKS_ABOVE). */
  get out(): number {
    return this.#out;
  }

  /** A block is all back, or was collected while out. */
  #settle(mark: OutMark): void {
    if (!mark.out) return;
    mark.out = false;
    this.#out -= mark.size;
  }
}
