// The abuse scenario's pure parts: the gapped 1-byte DATA flood decodes as the
// frames it claims to be, and the memory goals follow their documented formulas.
import { FrameDecoder, FrameType } from '@mpx/core';
import type { DataFrame, Frame } from '@mpx/core';
import { describe, expect, it } from 'vitest';
import { GAPS_PER_STREAM, MiB, PER_STREAM, SLACK, gappedFrames, gappedFramesPerStream, releaseLimit, streamFloodLimit } from '../src/abuse.js';

function decode(bytes: Uint8Array): Frame[] {
  const decoder = new FrameDecoder({ maxFrame: 65536 });
  decoder.push(bytes);
  const frames: Frame[] = [];
  for (let f = decoder.next(); f !== null; f = decoder.next()) frames.push(f);
  expect(decoder.bufferedBytes).toBe(0);
  return frames;
}

describe('gappedFrames', () => {
  it('writes one-byte DATA frames of one stream at every stride-th offset, leaving the gaps', () => {
    const frames = decode(gappedFrames(7, 1, 2, 4)) as DataFrame[];
    expect(frames.map((f) => [f.type, f.streamId, f.offset, f.syn, f.fin, f.payload.length])).toEqual([
      [FrameType.DATA, 7, 1, false, false, 1],
      [FrameType.DATA, 7, 3, false, false, 1],
      [FrameType.DATA, 7, 5, false, false, 1],
      [FrameType.DATA, 7, 7, false, false, 1],
    ]);
  });

  it('writes offsets above 2^32 in both halves of the u64 field', () => {
    const [frame] = decode(gappedFrames(1, 2 ** 32 + 5, 2, 1)) as DataFrame[];
    expect(frame?.offset).toBe(2 ** 32 + 5);
  });

  it('puts fewer gaps on one stream than the 1,024 a receiver allows, and stays below a small stream window', () => {
    expect(gappedFramesPerStream(8 * MiB)).toBe(GAPS_PER_STREAM);
    expect(GAPS_PER_STREAM).toBeLessThan(1024);
    const n = gappedFramesPerStream(1024);
    expect(n).toBe(511);
    expect(1 + 2 * (n - 1) + 1).toBeLessThanOrEqual(1024);
  });
});

describe('memory goals', () => {
  it('allows a flood of unread streams one session window, 16 KiB per stream and the slack above the baseline', () => {
    expect(streamFloodLimit(100 * MiB, 64 * MiB, 3000)).toBe(100 * MiB + 64 * MiB + 3000 * PER_STREAM + SLACK);
    expect(streamFloodLimit(100 * MiB, 64 * MiB, 0)).toBe(228 * MiB);
  });

  it('allows after release the larger of 1.5 × baseline and baseline + 64 MiB', () => {
    expect(releaseLimit(100 * MiB)).toBe(164 * MiB);
    expect(releaseLimit(200 * MiB)).toBe(300 * MiB);
  });
});
