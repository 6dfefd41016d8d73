import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAP_BALLAST_MB, ballastMegabytes } from '../src/heap-ballast.js';

describe('MPX_HEAP_BALLAST_MB', () => {
  it('defaults to 32 MiB when unset or empty', () => {
    expect(DEFAULT_HEAP_BALLAST_MB).toBe(32);
    expect(ballastMegabytes({})).toBe(32);
    expect(ballastMegabytes({ MPX_HEAP_BALLAST_MB: ' ' })).toBe(32);
  });

  it('takes a size in MiB, 0 turning the ballast off', () => {
    expect(ballastMegabytes({ MPX_HEAP_BALLAST_MB: '0' })).toBe(0);
    expect(ballastMegabytes({ MPX_HEAP_BALLAST_MB: '16' })).toBe(16);
  });

  it('ignores a value that is not a size and caps it at 1024 MiB', () => {
    expect(ballastMegabytes({ MPX_HEAP_BALLAST_MB: 'lots' })).toBe(32);
    expect(ballastMegabytes({ MPX_HEAP_BALLAST_MB: '-4' })).toBe(32);
    expect(ballastMegabytes({ MPX_HEAP_BALLAST_MB: '99999' })).toBe(1024);
  });
});
