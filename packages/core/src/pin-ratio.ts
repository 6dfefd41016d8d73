// How much memory a kept byte may hold alive. No I/O.

/**
 * A payload, or a piece of one, is kept as a view of the memory it came in
 * (a carrier read, a block of read-blocks.ts) only while that memory is at
 * most this many times its length; else it is copied. The decoder
 * (decode.ts) and the reorder buffer (reorder-buffer.ts) both hold to it.
 *
 * Rationale: honest bulk DATA frames (16 KiB payloads in libuv's 64 KiB
 * reads) have a ratio of at most 4 and stay views, so a read is not copied
 * twice; a small payload (an interactive write, an ACK's neighbour) held by
 * a slow stream pins at most 4 times its own size, not a 64 KiB read. A peer
 * could otherwise send 1-byte DATA frames each sharing a 64 KiB read with a
 * duplicate frame (which takes no credit) and pin 64 KiB per byte of credit.
 */
export const PIN_RATIO = 4;
