// Giving memory back after a burst (issue #11 point 3): when a quiet process
// collects, and that the collection really returns dead buffers. Memory is
// measured in a child process (V8 set as the bin sets it), never time.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GROWTH_BYTES, MIN_GAP_MS, MemoryRelease, SHRINK_TRIES, type MemoryReading } from '../src/memory-release.js';

const MiB = 1024 * 1024;

/** A release fed scripted readings: one per check, 1 s apart; `cpuMs` is CPU used in that second. */
function scripted(): {
  release: MemoryRelease;
  next: (r: { cpuMs?: number; footprint: number; young?: number }) => Promise<boolean>;
  collected: MemoryReading[];
} {
  let atMs = 0;
  let cpuMicros = 0;
  let current: MemoryReading = { atMs, cpuMicros, footprint: 0, young: 8 * MiB };
  const collected: MemoryReading[] = [];
  const release = new MemoryRelease({
    read: () => current,
    collect: async () => {
      collected.push(current);
    },
  });
  const next = (r: { cpuMs?: number; footprint: number; young?: number }): Promise<boolean> => {
    atMs += 1000;
    cpuMicros += (r.cpuMs ?? 0) * 1000;
    current = { atMs, cpuMicros, footprint: r.footprint, young: r.young ?? 8 * MiB };
    return release.check();
  };
  return { release, next, collected };
}

describe('MemoryRelease', () => {
  it('collects once a quiet process has grown by GROWTH_BYTES, and not while it is busy', async () => {
    const { next, collected } = scripted();
    await next({ footprint: 20 * MiB });
    expect(await next({ cpuMs: 600, footprint: 20 * MiB + GROWTH_BYTES })).toBe(false);
    expect(await next({ cpuMs: 300, footprint: 30 * MiB + GROWTH_BYTES })).toBe(false);
    expect(await next({ cpuMs: 10, footprint: 30 * MiB + GROWTH_BYTES })).toBe(true);
    expect(collected).toHaveLength(1);
  });

  it('never collects an idle process that did not grow', async () => {
    const { next, collected } = scripted();
    for (let i = 0; i < 30; i++) await next({ cpuMs: 5, footprint: 20 * MiB + (i % 3) * MiB });
    expect(collected).toHaveLength(0);
  });

  it('measures growth from what the last collection left, so growth that stays is collected once', async () => {
    const { next, collected } = scripted();
    await next({ footprint: 20 * MiB });
    expect(await next({ footprint: 20 * MiB + GROWTH_BYTES })).toBe(true);
    for (let i = 0; i < 10; i++) expect(await next({ footprint: 20 * MiB + GROWTH_BYTES })).toBe(false);
    expect(collected).toHaveLength(1);
  });

  it('collects at the next quiet check after a session ended, even without growth', async () => {
    const { release, next, collected } = scripted();
    await next({ footprint: 20 * MiB });
    await next({ footprint: 20 * MiB });
    release.sessionEnded();
    expect(await next({ cpuMs: 400, footprint: 20 * MiB })).toBe(false);
    expect(await next({ footprint: 20 * MiB })).toBe(true);
    expect(await next({ footprint: 20 * MiB })).toBe(false);
    expect(collected).toHaveLength(1);
  });

  it(`leaves at least MIN_GAP_MS (${MIN_GAP_MS} ms) between collections`, async () => {
    const { release, next, collected } = scripted();
    await next({ footprint: 20 * MiB });
    release.sessionEnded();
    expect(await next({ footprint: 20 * MiB })).toBe(true);
    release.sessionEnded();
    const times: boolean[] = [];
    for (let i = 0; i < 4; i++) times.push(await next({ footprint: 20 * MiB }));
    expect(times.indexOf(true) + 1).toBeGreaterThanOrEqual(MIN_GAP_MS / 1000);
    expect(collected).toHaveLength(2);
  });

  it(`asks V8 at most SHRINK_TRIES (${SHRINK_TRIES}) more times to shrink a young generation that stayed grown`, async () => {
    const { next, collected } = scripted();
    await next({ footprint: 20 * MiB, young: 8 * MiB });
    expect(await next({ footprint: 20 * MiB + GROWTH_BYTES, young: 32 * MiB })).toBe(true);
    for (let i = 0; i < 30; i++) await next({ cpuMs: i % 4 === 0 ? 500 : 0, footprint: 20 * MiB + GROWTH_BYTES, young: 32 * MiB });
    expect(collected).toHaveLength(1 + SHRINK_TRIES);
    const gaps = collected.slice(1).map((c, i) => c.atMs - (collected[i] as MemoryReading).atMs);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(MIN_GAP_MS);
  });

  it('stops asking once the young generation is back to its size at start', async () => {
    const { next, collected } = scripted();
    await next({ footprint: 20 * MiB, young: 8 * MiB });
    expect(await next({ footprint: 20 * MiB + GROWTH_BYTES, young: 32 * MiB })).toBe(true);
    await next({ footprint: 20 * MiB + GROWTH_BYTES, young: 32 * MiB });
    expect(await next({ footprint: 20 * MiB + GROWTH_BYTES, young: 32 * MiB })).toBe(true);
    for (let i = 0; i < 10; i++) expect(await next({ footprint: 20 * MiB, young: 1 * MiB })).toBe(false);
    expect(collected).toHaveLength(2);
  });
});

describe('readMemory', () => {
  it("counts page buffers (payload blocks of a burst) in the footprint, which Node's arrayBuffers does not", () => {
    // In a child process of its own, garbage collected first (fixtures/page-footprint-child.mjs says why).
    const child = fileURLToPath(new URL('./fixtures/page-footprint-child.mjs', import.meta.url));
    const dist = fileURLToPath(new URL('../build/memory-release.js', import.meta.url));
    const moved = JSON.parse(execFileSync(process.execPath, ['--expose-gc', child, dist], { encoding: 'utf8' })) as Record<
      'bytes' | 'footprint' | 'heapTotal' | 'external' | 'arrayBuffers',
      number
    >;
    const bytes = 64 * 64 * 1024;
    expect(moved.bytes).toBe(bytes);
    // The blocks are external memory that Node's arrayBuffers does not count.
    expect(moved.external).toBeGreaterThanOrEqual(bytes);
    expect(moved.arrayBuffers).toBeLessThan(bytes);
    // The footprint follows them. The heap's own size is taken out: V8 resizes
    // its spaces as it likes while 4 MiB are allocated (heapTotal shrank by
    // 19 KiB once, in CI, and the footprint grew by that much less).
    expect(moved.footprint - moved.heapTotal).toBeGreaterThanOrEqual(bytes);
  });
});

describe('MemoryRelease on its timer', () => {
  it('reports a failed collection and stops, instead of failing the process', async () => {
    let atMs = 0;
    const failure = new Error('no collection here');
    const reported = await new Promise<unknown[]>((resolve) => {
      const errors: unknown[] = [];
      const release = new MemoryRelease({
        checkMs: 1,
        read: () => ({ atMs: (atMs += 1000), cpuMicros: 0, footprint: atMs * MiB, young: 0 }),
        collect: () => Promise.reject(failure),
        onError: (err) => {
          errors.push(err);
          resolve(errors);
        },
      });
      release.start();
    });
    expect(reported).toEqual([failure]);
  });
});

describe('collectGarbage through MemoryRelease, in a child process run as the bin runs V8', () => {
  const child = fileURLToPath(new URL('./fixtures/quiet-release-child.mjs', import.meta.url));
  const dist = fileURLToPath(new URL('../build/memory-release.js', import.meta.url));
  const run = (mode: 'quiet' | 'busy'): { collections: number; deadMiB: number; afterMiB: number } =>
    JSON.parse(execFileSync(process.execPath, [child, dist, mode], { encoding: 'utf8' })) as {
      collections: number;
      deadMiB: number;
      afterMiB: number;
    };

  it('gives 32 MiB of dead buffers back once the process is quiet (≤ 4 MiB left)', () => {
    const r = run('quiet');
    expect(r.deadMiB).toBeGreaterThanOrEqual(30);
    expect(r.collections).toBe(1);
    // Measured (Node 20): 32.0 MiB dead -> 0.01 MiB.
    expect(r.afterMiB).toBeLessThanOrEqual(4);
  });

  it('keeps them while the process is busy: without the release nothing collects them', () => {
    const r = run('busy');
    expect(r.collections).toBe(0);
    expect(r.afterMiB).toBeGreaterThanOrEqual(30);
  });
});
