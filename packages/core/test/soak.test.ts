// Issue 6, item 5: the soak, short version for CI (SPEC §8, §9). The routine
// lives in soak.ts; the benchmark suite runs it longer.
import { describe, expect, it } from 'vitest';
import { heapAfterGc } from './hardening.helpers.js';
import { runSoak } from './soak.js';

// MPX_SOAK_SCALE > 1 makes the run longer (the benchmark suite's `soak`).
const SCALE = Math.max(1, Number(process.env.MPX_SOAK_SCALE ?? 1));
const STREAMS = 300 * SCALE;

describe('soak', { tags: ['soak'] }, () => {
  it(
    `carries ${STREAMS} concurrent streams through random carrier resets and stalls, every byte verified, then leaves nothing behind`,
    async () => {
      await runSoak({ seed: 7, streams: 20, maxStreamBytes: 64 * 1024, faultIntervalMs: 0 }); // warm-up: code paths, pools
      const heapBefore = heapAfterGc();
      const result = await runSoak({ seed: 0x50a4, streams: STREAMS, maxStreamBytes: 1024 * 1024, faultIntervalMs: 30, timeoutMs: 18_000 * SCALE });
      const heapAfter = heapAfterGc();
      console.log(JSON.stringify({ ...result, heapBefore: undefined, heapAfter: undefined }));

      expect(result.verified + result.aborted).toBe(STREAMS);
      expect(result.verified).toBeGreaterThan((STREAMS * 5) / 6);
      expect(result.kills + result.stalls).toBeGreaterThan(5);
      expect(result.leftover).toEqual({
        clientStreams: 0,
        serverStreams: 0,
        serverSessions: 0,
        pendingHandshakes: 0,
        clientTimers: 0,
        serverTimers: 0,
        extraTimeouts: 0,
      });
      // Heap back to where it was, give or take allocator noise.
      expect(heapAfter - heapBefore).toBeLessThan(8 * 1024 * 1024);
    },
    60_000 * SCALE,
  );
});
