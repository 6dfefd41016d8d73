// pageBuffer(): sizes, and memory given back to the kernel once collected,
// measured in a child process (VmRSS), never time.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PAGE_BUFFER_MIN, pageBuffer } from '../src/page-buffer.js';

const resizable = (b: Buffer): boolean => (b.buffer as ArrayBuffer & { resizable?: boolean }).resizable === true;

describe('pageBuffer', () => {
  it('gives a writable Buffer of exactly the size asked for, on pages of its own from PAGE_BUFFER_MIN on', () => {
    for (const size of [PAGE_BUFFER_MIN, 64 * 1024, 100_000]) {
      const b = pageBuffer(size);
      expect(b.byteLength).toBe(size);
      expect(b.byteOffset).toBe(0);
      expect(b.buffer.byteLength).toBe(size);
      expect(resizable(b)).toBe(true);
      b.fill(7);
      expect(b[size - 1]).toBe(7);
    }
  });

  it("uses Node's allocation below PAGE_BUFFER_MIN (a mapping each would cost more than it holds)", () => {
    const b = pageBuffer(PAGE_BUFFER_MIN - 1);
    expect(b.byteLength).toBe(PAGE_BUFFER_MIN - 1);
    expect(resizable(b)).toBe(false);
  });

  it('returns 64 MiB of collected buffers to the kernel although small allocations made between them stay alive (≤ 16 MiB kept)', () => {
    const child = fileURLToPath(new URL('./fixtures/page-buffer-child.mjs', import.meta.url));
    const dist = fileURLToPath(new URL('../dist/page-buffer.js', import.meta.url));
    for (const size of [PAGE_BUFFER_MIN, 64 * 1024]) {
      const r = JSON.parse(execFileSync(process.execPath, ['--expose-gc', child, dist, String(size)], { encoding: 'utf8' })) as {
        before: number;
        peak: number;
        after: number;
      };
      expect(r.peak - r.before).toBeGreaterThanOrEqual(60);
      // Measured (Node 20, glibc 2.36): 9.5-9.8 MiB kept of 16 KiB buffers,
      // 5.7-6.5 of 64 KiB ones (V8's heap pages of the 4,096 Buffer objects,
      // the small blocks); with Buffer.allocUnsafeSlow in place of
      // pageBuffer, 70-73 MiB kept: all of it.
      expect(r.after - r.before).toBeLessThanOrEqual(16);
    }
  });
});
