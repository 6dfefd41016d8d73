// How much memory a kept byte may hold alive, and how much more a session's
// reorder buffers may let small views hold for a while. No I/O.

import { Budget } from './budget.js';

/**
 * A payload, or a piece of one, is kept as a view of the memory it came in
 * (a carrier read, a block of read-blocks.ts) only while that memory is at
 * most this many times its length; else it is copied. The decoder
 * (decode.ts) and the reorder buffer (reorder-buffer.ts) both hold to it;
 * the reorder buffer may go beyond it within a session's PinBudget.
 *
 * Rationale: honest bulk DATA frames (16 KiB payloads in libuv's 64 KiB
 * reads) have a ratio of at most 4 and stay views, so a read is not copied
 * twice; a small payload (an interactive write, an ACK's neighbour) held by
 * a slow stream pins at most 4 times its own size, not a 64 KiB read. A peer
 * could otherwise send 1-byte DATA frames each sharing a 64 KiB read with a
 * duplicate frame (which takes no credit) and pin 64 KiB per byte of credit.
 */
export const PIN_RATIO = 4;

/**
 * Memory that views beyond PIN_RATIO may hold in all reorder buffers of a
 * session: 1/16 of its receive window (4 MiB with the default 64 MiB).
 *
 * Rationale: a payload split by the end of a read comes in two parts (the
 * decoder's `rest`), each usually far smaller than a quarter of its 64 KiB
 * read. With several carriers most parts arrive out of order and wait for a
 * gap to fill, and copying them cost 13 % of the CPU per byte of a
 * download through 4 carriers (both tunnel processes, iperf3;
 * docs/decisions/0015-pin-budget.md). Their reads are held anyway
 * by the full payloads beside them for as long as the gap stays, so in
 * honest traffic the views pin nothing more; the budget bounds what a peer
 * that makes every part small can add, at 1/16 of the window it may fill
 * with payload bytes anyway.
 */
export function sessionPinLimit(sessionWindow: number): number {
  return Math.floor(sessionWindow / 16);
}

/**
 * Memory a session's reorder buffers may hold beyond PIN_RATIO (see
 * sessionPinLimit). A buffer takes the size of a view's memory
 * (`tryTake`) when it keeps a view beyond the ratio, and gives it back when
 * the view is read, joined into a copy, or cleared; `used` is the sum over
 * the buffers.
 */
export class PinBudget extends Budget {}
