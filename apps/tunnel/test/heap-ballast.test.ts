import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  BALLAST_STEP_MB,
  DEFAULT_HEAP_BALLAST_MB,
  GC_BURST,
  GC_WINDOW_MS,
  GcBurstDetector,
  HeapBallast,
  ballastMegabytes,
} from '../src/heap-ballast.js';

describe('MPX_HEAP_BALLAST_MB', () => {
  it('defaults to a ceiling of 128 MiB when unset or empty', () => {
    expect(DEFAULT_HEAP_BALLAST_MB).toBe(128);
    expect(ballastMegabytes({})).toBe(128);
    expect(ballastMegabytes({ MPX_HEAP_BALLAST_MB: ' ' })).toBe(128);
  });

  it('takes a size in MiB, 0 turning the ballast off', () => {
    expect(ballastMegabytes({ MPX_HEAP_BALLAST_MB: '0' })).toBe(0);
    expect(ballastMegabytes({ MPX_HEAP_BALLAST_MB: '64' })).toBe(64);
  });

  it('ignores a value that is not a size and caps it at 1024 MiB', () => {
    expect(ballastMegabytes({ MPX_HEAP_BALLAST_MB: 'lots' })).toBe(128);
    expect(ballastMegabytes({ MPX_HEAP_BALLAST_MB: '-4' })).toBe(128);
    expect(ballastMegabytes({ MPX_HEAP_BALLAST_MB: '99999' })).toBe(1024);
  });
});

describe('GcBurstDetector', () => {
  it('reports GC_BURST full collections within GC_WINDOW_MS, then counts afresh', () => {
    const d = new GcBurstDetector();
    const step = GC_WINDOW_MS / GC_BURST;
    const seen = Array.from({ length: 2 * GC_BURST }, (_, i) => d.onFullGc(1000 + i * step));
    expect(seen.map((hit, i) => (hit ? i : -1)).filter((i) => i >= 0)).toEqual([GC_BURST - 1, 2 * GC_BURST - 1]);
  });

  it('does not report full collections spread wider than the window', () => {
    const d = new GcBurstDetector(3, 1000);
    expect([0, 600, 1200, 1800, 2400].map((t) => d.onFullGc(t))).toEqual([false, false, false, false, false]);
    expect(d.onFullGc(2500)).toBe(true); // 1800, 2400, 2500: three within 1000 ms
  });
});

describe('HeapBallast', () => {
  it('starts with one step and is off with a ceiling of 0', () => {
    const on = new HeapBallast(DEFAULT_HEAP_BALLAST_MB);
    on.start();
    expect(on.sizeMb).toBe(BALLAST_STEP_MB);
    on.release();
    const off = new HeapBallast(0);
    off.start();
    expect(off.sizeMb).toBe(0);
  });

  it('takes the whole ceiling as its step when the ceiling is below one step', () => {
    const small = new HeapBallast(8);
    small.start();
    expect(small.sizeMb).toBe(8);
    small.release();
  });

  it('outlives every reference to it until released, even after growth stops', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const refs = (() => {
      const atCeiling = new HeapBallast(BALLAST_STEP_MB); // a single step: no GC watch at all
      atCeiling.start();
      const stopped = new HeapBallast(DEFAULT_HEAP_BALLAST_MB);
      stopped.start();
      stopped.stop();
      return [new WeakRef(atCeiling), new WeakRef(stopped)];
    })();
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    const alive = refs.map((r) => r.deref());
    expect(alive.map((b) => b?.sizeMb)).toEqual([BALLAST_STEP_MB, BALLAST_STEP_MB]);
    for (const b of alive) b?.release();
    expect(alive.map((b) => b?.sizeMb)).toEqual([0, 0]);
  });
});
