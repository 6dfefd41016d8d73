// The size classes of the blocks a WebSocket client masks its messages into.
import { describe, expect, it } from 'vitest';
import { giveBackMaskedBlock, maskedBlockCounts, SMALL_MASKED_MESSAGE, takeMaskedBlock } from '../src/masked-blocks.js';

const KiB = 1024;

describe('masked blocks', () => {
  it('leaves small frames and frames beyond the largest class to plain allocation', () => {
    expect(takeMaskedBlock(SMALL_MASKED_MESSAGE - 1)).toBeUndefined();
    expect(takeMaskedBlock(1024 * KiB + 15)).toBeUndefined();
  });

  it('takes the smallest class that holds the frame, header and key included', () => {
    const sizes = [SMALL_MASKED_MESSAGE, 64 * KiB + 14, 64 * KiB + 15, 256 * KiB + 14, 1024 * KiB + 14].map((n) => {
      const block = takeMaskedBlock(n)!;
      giveBackMaskedBlock(block);
      return block.length;
    });
    expect(sizes).toEqual([64 * KiB + 14, 64 * KiB + 14, 256 * KiB + 14, 256 * KiB + 14, 1024 * KiB + 14]);
  });

  it('reuses a block given back, and never hands out one still taken', () => {
    const a = takeMaskedBlock(32 * KiB)!;
    const b = takeMaskedBlock(32 * KiB)!;
    expect(b.buffer).not.toBe(a.buffer);
    giveBackMaskedBlock(a);
    const reused = maskedBlockCounts().reused;
    const c = takeMaskedBlock(32 * KiB)!;
    expect(c.buffer).toBe(a.buffer);
    expect(maskedBlockCounts().reused).toBe(reused + 1);
    giveBackMaskedBlock(b);
    giveBackMaskedBlock(c);
  });
});
