// Reused memory for the frames a WebSocket client masks (frames.ts,
// maskedFrame): a client copies every payload byte it sends to mask it.
//
// Why: a fresh buffer per masked message (up to 1 MiB, one per write of a
// bulk upload) came from glibc anew each time, as pages the kernel had to
// map and zero: an upload through `client -p 2` over ws:// took ~350,000
// page faults in 5 s (one per 4 KiB masked), where the same upload over TCP
// carriers took ~1,000. Here a message of SMALL_MASKED_MESSAGE bytes or more
// is masked into a block of the smallest size class that holds its frame,
// and the block goes back once the socket has taken the write. A smaller
// message keeps the slice of Node's shared pool it had (Buffer.allocUnsafe),
// and a frame larger than every class (a maxMessageSize above 1 MiB) a
// buffer of its own.
//
// Size classes, not one block size: a message stays one buffer however
// large (up to maxMessageSize), because a TLS socket (wss://) copies the
// buffers of a write into one before it encrypts them whenever there is
// more than one.
//
// Each class is a pool of @mpx/core's ReadBlocks, the class the carriers'
// kept reads use, as instances of their own: take() a block, readDone()
// once the socket is done with it (nothing else ever holds a view of it).
import { ReadBlocks } from '@mpx/core';

/** Largest header and key of a frame (a 64-bit length, RFC 6455 §5.2). */
const MAX_HEAD = 10 + 4;
/** A masked message below this goes into Node's shared pool. Rationale: Buffer.allocUnsafe slices that pool below half its size (4 KiB). */
export const SMALL_MASKED_MESSAGE = Buffer.poolSize >>> 1;

/**
 * Payload sizes of the classes, and the free blocks each keeps. Rationale:
 * a batch of writes is at most a carrier's write buffer (256 KiB) in the
 * usual case and maxMessageSize (1 MiB by default) at most; a few uploading
 * carriers' worth is kept, 7 MiB at most after a burst.
 */
const CLASSES = [
  { payload: 64 * 1024, maxFree: 16 },
  { payload: 256 * 1024, maxFree: 8 },
  { payload: 1024 * 1024, maxFree: 4 },
] as const;

const pools = CLASSES.map((c) => new ReadBlocks(c.payload + MAX_HEAD, c.maxFree));

/** A block for a masked frame of `frameBytes` bytes (header and key included), or undefined: allocate (small, or beyond every class). */
export function takeMaskedBlock(frameBytes: number): Buffer | undefined {
  if (frameBytes < SMALL_MASKED_MESSAGE) return undefined;
  for (const pool of pools) if (pool.blockSize >= frameBytes) return pool.take() as Buffer;
  return undefined;
}

/** Gives `block` (from takeMaskedBlock) back: the socket has written it. */
export function giveBackMaskedBlock(block: Buffer): void {
  for (const pool of pools) if (pool.blockSize === block.length) pool.readDone(block);
}

/** Blocks allocated, reused and free now, over every class (for tests). */
export function maskedBlockCounts(): { allocated: number; reused: number; free: number } {
  return pools.reduce((n, p) => ({ allocated: n.allocated + p.allocated, reused: n.reused + p.reused, free: n.free + p.free }), {
    allocated: 0,
    reused: 0,
    free: 0,
  });
}
