// Pure parts of the abuse scenario: the bytes of a gapped 1-byte DATA flood,
// and the memory goals of each flood (see the scenario's header for why).

import { FrameType, encodeFrame } from '@mpx/core';

export const MiB = 1024 * 1024;

/**
 * Memory a flood of `streams` unread streams may add to the server: one
 * session window of unread data, 16 KiB of bookkeeping and socket buffers per
 * stream, and SLACK for the allocator and V8. Rationale for 64 MiB of slack:
 * the baseline itself is ~100 MiB and moves by tens of MiB between runs with
 * GC timing; a fix that holds the bound lands far below, the unfixed server
 * (~1 GiB) far above.
 */
export const SLACK = 64 * MiB;
export const PER_STREAM = 16 * 1024;

export function streamFloodLimit(baseline: number, sessionWindow: number, streams: number): number {
  return baseline + sessionWindow + PER_STREAM * streams + SLACK;
}

/**
 * RSS a server may keep once the abusive sessions are gone: the larger of
 * 1.5 × baseline and baseline + 64 MiB. V8 and glibc return memory lazily, so
 * "back to the baseline exactly" is not a fair goal; a server that keeps each
 * flood's ~800 MiB is far beyond either bound.
 */
export function releaseLimit(baseline: number): number {
  return Math.max(1.5 * baseline, baseline + 64 * MiB);
}

/** The 21-byte DATA frame header + offset + 1 byte, as encodeFrame writes it (SPEC §4, §5.1). */
function oneByteFrame(streamId: number, offset: number): Buffer {
  return Buffer.concat(encodeFrame({ type: FrameType.DATA, streamId, offset, syn: false, fin: false, payload: Uint8Array.of(0x61) }));
}

/**
 * `count` one-byte DATA frames of `streamId` at offsets first, first + stride,
 * … as one buffer: a template frame with its offset field (body bytes 0–7,
 * big-endian u64) rewritten per frame.
 */
export function gappedFrames(streamId: number, first: number, stride: number, count: number): Buffer {
  const template = oneByteFrame(streamId, 0);
  const size = template.length;
  const out = Buffer.allocUnsafe(size * count);
  for (let i = 0; i < count; i++) {
    template.copy(out, i * size);
    const offset = first + i * stride;
    out.writeUInt32BE(Math.floor(offset / 2 ** 32), i * size + 12);
    out.writeUInt32BE(offset % 2 ** 32, i * size + 16);
  }
  return out;
}

/**
 * Gapped frames sent per stream. Rationale: a receiver closes the carrier
 * when one stream's reorder buffer holds more than 1,024 gaps (SPEC §12), so
 * an attacker stays just under that on each stream and spreads the flood
 * over many streams, all within the session window.
 */
export const GAPS_PER_STREAM = 1000;

/** Frames one stream takes at stride 2 (offset 0 stays a gap): below its window and GAPS_PER_STREAM. */
export function gappedFramesPerStream(streamWindow: number): number {
  return Math.min(GAPS_PER_STREAM, Math.floor((streamWindow - 1) / 2));
}
