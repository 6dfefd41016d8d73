// Reused memory for a carrier's kept reads (LEND_READS' `kept`, transport.ts).
// No I/O.
//
// Why: a bulk read kept by the session is 64 KiB that its DATA payloads are
// views of. Allocated fresh per read, each is an ArrayBuffer that V8 counts
// as external memory: at 1 GB/s a scavenge every few tens of MiB, and the
// reads still alive at two scavenges in a row (waiting in the reorder buffer
// or in a socket's write queue) are promoted, die in the old generation, and
// start a full collection every ~200 ms. On a bulk download through 2
// carriers that was ~10 % of the receiving client's CPU (collector, malloc,
// free), docs/decisions/0014. Reused, a block is allocated once.
//
// A block may be reused only when nothing reads it any more:
// - its reader (the carrier's decoder) has let go of the read: `readDone()`;
// - every view of it that was handed on (a DATA payload, either part of a
//   split one) has been given back: `handOn()` counts a view's bytes,
//   `release()` gives them back. The session hands payloads on; whoever
//   consumes them last (mpx-tunnel: once the socket has written them)
//   releases them.
// A view that is never released (copied and dropped, read by a Readable's
// consumer, lost with a reset stream or a closed session) only keeps its
// block from being reused: the collector frees it, as before. A part of a
// view released (a payload trimmed by a duplicate's overlap) is the same.
// What must never happen is a view released twice, or released while it is
// still read: the block would be overwritten under it. Only the last
// consumer of a view releases it, once.
//
// Memory not from the pool (a lent read, a copy, a foreign buffer) is
// ignored by every method, so callers need not tell the two apart.

/** Size of a block: one carrier read. Rationale: libuv's own read size for 'data' events (LENT_READ_SIZE, @mpx/transport-tcp). */
export const READ_BLOCK_SIZE = 64 * 1024;
/** Free blocks kept; beyond it, blocks coming back are left to the collector. Rationale: 4 MiB covers what 4 carriers and their streams hold at full speed on loopback (a socket's write queue is 256 KiB) and bounds what an idle process keeps. */
export const MAX_FREE_READ_BLOCKS = 64;

/**
 * V8's largest typed array kept on its heap (typed_array_max_size_in_heap),
 * bytes. A view of a block this short at the block's start cannot be told
 * from such an array without reading its `.buffer` (see copied()), so owns()
 * answers false for it and its block is never given back: whoever cuts
 * views of blocks copies parts this short instead (the decoder's split
 * payloads, @mpx/transport-ws' own reads).
 */
export const ON_HEAP_MAX = 64;

/** `view` cannot be a typed array on V8's heap: reading its `.buffer` costs nothing. A block's first 64 bytes alone count as on the heap. */
function offHeap(view: Uint8Array): boolean {
  return view.byteOffset !== 0 || view.byteLength > ON_HEAP_MAX;
}

interface Block {
  readonly bytes: Uint8Array;
  /** The reader still holds the read (readDone() not called yet). */
  reading: boolean;
  /** Bytes of views handed on and not given back. */
  out: number;
  /** On the free list. */
  free: boolean;
}

export class ReadBlocks {
  readonly #free: Block[] = [];
  readonly #blocks = new WeakMap<ArrayBufferLike, Block>();
  readonly #maxFree: number;
  /** Blocks allocated because none was free (for tests and the bench). */
  allocated = 0;
  /** Blocks taken from the free list. */
  reused = 0;
  /** Blocks that came back when the free list was full (left to the collector). */
  dropped = 0;

  constructor(
    readonly blockSize = READ_BLOCK_SIZE,
    maxFree = MAX_FREE_READ_BLOCKS,
  ) {
    this.#maxFree = maxFree;
  }

  /** A block of `blockSize` bytes to read into, held by its reader until readDone(). */
  take(): Uint8Array {
    let block = this.#free.pop();
    if (block === undefined) {
      // Its own ArrayBuffer: views of it are found by that (#blocks).
      const bytes = Buffer.allocUnsafeSlow(this.blockSize);
      block = { bytes, reading: true, out: 0, free: false };
      this.#blocks.set(bytes.buffer, block);
      this.allocated++;
    } else {
      block.reading = true;
      block.free = false;
      this.reused++;
    }
    return block.bytes;
  }

  /**
   * Whether `bytes` is memory of a block this pool may still reuse. Cheap
   * for any array (a sink asks it of every chunk it writes): an array that
   * may be on V8's heap is answered false without reading its `.buffer` (see
   * copied()).
   */
  owns(bytes: Uint8Array): boolean {
    return offHeap(bytes) && this.#blocks.has(bytes.buffer);
  }

  /** The reader of `read` (a view of a block, or the block) has let go of it. */
  readDone(read: Uint8Array): void {
    const block = this.#blocks.get(read.buffer);
    if (block === undefined || !block.reading) return;
    block.reading = false;
    if (block.out === 0) this.#back(block);
  }

  /** `view` (of a block its reader still holds) is handed on: the block waits for its release(). */
  handOn(view: Uint8Array): void {
    const block = this.#blocks.get(view.buffer);
    if (block !== undefined && !block.free) block.out += view.byteLength;
  }

  /** `view`, handed on before, will not be read again. Call once per view, by its last consumer. */
  release(view: Uint8Array): void {
    const block = this.#blocks.get(view.buffer);
    if (block === undefined || block.free) return;
    block.out -= view.byteLength;
    if (block.out <= 0 && !block.reading) this.#back(block);
  }

  /**
   * release() for a view its last holder has just copied (the reorder
   * buffer's joins and pin copies). Skips arrays that cannot be views of a
   * block without reading their `.buffer`: V8 keeps typed arrays of up to 64
   * bytes on its heap and moves one out on that read (an allocation and a
   * copy). A block's first 64 bytes copied so are not given back: the block
   * is left to the collector, which is safe.
   */
  copied(view: Uint8Array): void {
    if (offHeap(view)) this.release(view);
  }

  /** Free blocks now. */
  get free(): number {
    return this.#free.length;
  }

  #back(block: Block): void {
    block.out = 0;
    if (this.#free.length < this.#maxFree) {
      block.free = true;
      this.#free.push(block);
      return;
    }
    this.#blocks.delete(block.bytes.buffer);
    this.dropped++;
  }
}

/** The pool of the process: dialled TCP carriers read into it (@mpx/transport-tcp), the session hands views of it on, sinks give them back. */
export const readBlocks = new ReadBlocks();
