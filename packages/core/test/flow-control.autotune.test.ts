// SPEC §7.1: receive-window auto-tuning. A stream's window starts at the
// initial window and doubles, up to the configured maximum, only when the
// reader consumes half of it or more within 4 × fraction × smoothed RTT (at
// least 10 ms) of the previous WINDOW update. Time is a manual clock: nothing waits.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MpxProtocolError } from '../src/errors.js';
import { INITIAL_STREAM_WINDOW, MIN_TUNING_RTT_MS, ReceiveWindow, initialStreamWindow, type WindowTiming } from '../src/flow-control.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A manual clock and a settable smoothed RTT. */
function manualTiming(rttMs: number | undefined): WindowTiming & { t: number; rttMs: number | undefined } {
  return {
    t: 0,
    rttMs,
    now() {
      return this.t;
    },
  };
}

/**
 * The peer sends everything the credit allows; the reader then reads `chunk`
 * bytes every `stepMs`, for `steps` steps. Returns the window after each
 * WINDOW update.
 */
function readSteadily(rw: ReceiveWindow, timing: { t: number }, chunk: number, stepMs: number, steps: number): number[] {
  const windows: number[] = [];
  for (let i = 0; i < steps; i++) {
    rw.onReceive(rw.advertised);
    timing.t += stepMs;
    const n = Math.min(chunk, rw.received - rw.consumed);
    if (rw.onConsume(n) !== null) windows.push(rw.window);
  }
  return windows;
}

describe('receive-window auto-tuning (SPEC §7.1)', () => {
  it('starts a stream at 512 KiB, or at the configured window when that is smaller', () => {
    expect(INITIAL_STREAM_WINDOW).toBe(512 * KiB);
    expect(initialStreamWindow(8 * MiB)).toBe(512 * KiB);
    expect(initialStreamWindow(64 * KiB)).toBe(64 * KiB);
  });

  it('doubles the window of a reader that keeps up, at every update, until the maximum', () => {
    const timing = manualTiming(50);
    const rw = new ReceiveWindow(512 * KiB, { max: 8 * MiB, timing });
    // 64 KiB per ms: half of a window up to 4 MiB is read within 2 RTT (100 ms).
    const windows = readSteadily(rw, timing, 64 * KiB, 1, 400);
    expect(windows.slice(0, 6)).toEqual([1 * MiB, 2 * MiB, 4 * MiB, 8 * MiB, 8 * MiB, 8 * MiB]);
    expect(rw.window).toBe(8 * MiB);
    expect(rw.advertised).toBeLessThanOrEqual(rw.consumed + 8 * MiB);
  });

  it('stops doubling once the window covers what the reader takes per round trip', () => {
    const timing = manualTiming(10);
    const rw = new ReceiveWindow(512 * KiB, { max: 8 * MiB, timing });
    // 64 KiB per ms at 10 ms: 2 MiB of a 4 MiB window takes 32 ms, beyond 2 RTT.
    const windows = readSteadily(rw, timing, 64 * KiB, 1, 400);
    expect(windows.slice(0, 5)).toEqual([1 * MiB, 2 * MiB, 4 * MiB, 4 * MiB, 4 * MiB]);
    expect(rw.window).toBe(4 * MiB);
  });

  it('never grows the window of a slow reader', () => {
    const timing = manualTiming(10);
    const rw = new ReceiveWindow(512 * KiB, { max: 8 * MiB, timing });
    // 100 kB/s (1 KiB per 10 ms): half a window takes 2.6 s, far beyond 2 RTT.
    const windows = readSteadily(rw, timing, KiB, 10, 5000);
    expect(windows.length).toBeGreaterThan(5);
    expect(windows.every((w) => w === 512 * KiB)).toBe(true);
    expect(rw.advertised).toBeLessThanOrEqual(rw.consumed + 512 * KiB);
  });

  it('keeps a stream whose reader stopped at the initial window: the peer may send no more', () => {
    const timing = manualTiming(10);
    const rw = new ReceiveWindow(512 * KiB, { max: 8 * MiB, timing });
    rw.onReceive(512 * KiB);
    expect(() => rw.onReceive(512 * KiB + 1)).toThrow(MpxProtocolError);
    expect(rw.window).toBe(512 * KiB);
  });

  it('grows only when half the window is read within 4 × fraction × RTT of the epoch start', () => {
    const grows = (msToReadHalf: number): boolean => {
      const timing = manualTiming(10);
      const rw = new ReceiveWindow(1000, { max: 4000, timing });
      rw.onReceive(1000);
      rw.onConsume(1); // the first read starts the epoch
      timing.t += msToReadHalf;
      expect(rw.onConsume(499)).toBe(rw.consumed + rw.window);
      return rw.window === 2000;
    };
    // Half the window read: the limit is 4 × 0.5 × 10 ms = 20 ms.
    expect(grows(19.9)).toBe(true);
    expect(grows(20)).toBe(false);
  });

  it('assumes a round trip of at least 10 ms, so a sub-millisecond loopback RTT does not hold a fast reader back', () => {
    expect(MIN_TUNING_RTT_MS).toBe(10);
    const timing = manualTiming(0.1);
    const rw = new ReceiveWindow(512 * KiB, { max: 8 * MiB, timing });
    // 256 KiB per ms (2 Gbit/s): half of a 4 MiB window in 8 ms, within 2 × 10 ms.
    readSteadily(rw, timing, 256 * KiB, 1, 200);
    expect(rw.window).toBe(8 * MiB);
  });

  it('does not grow a window whose reader drains a long-held buffer at once', () => {
    const timing = manualTiming(10);
    const rw = new ReceiveWindow(1000, { max: 4000, timing });
    rw.onReceive(1000);
    rw.onConsume(1);
    timing.t += 5000; // stopped reading for 5 s, then takes everything
    expect(rw.onConsume(999)).toBe(2000);
    expect(rw.window).toBe(1000);
  });

  it('does not grow before any RTT sample', () => {
    const timing = manualTiming(undefined);
    const rw = new ReceiveWindow(512 * KiB, { max: 8 * MiB, timing });
    const windows = readSteadily(rw, timing, 64 * KiB, 1, 100);
    expect(windows.length).toBeGreaterThan(5);
    expect(rw.window).toBe(512 * KiB);
    timing.rttMs = 50;
    readSteadily(rw, timing, 64 * KiB, 1, 400);
    expect(rw.window).toBe(8 * MiB);
  });

  it('still batches updates by half the current window and keeps the peer within one window of what was read', () => {
    const scenario = fc.record({
      initial: fc.integer({ min: 2, max: 10_000 }),
      doublings: fc.integer({ min: 0, max: 5 }),
      rttMs: fc.integer({ min: 1, max: 200 }),
      steps: fc.array(
        fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 500 })),
        { maxLength: 80 },
      ),
    });
    fc.assert(
      fc.property(scenario, ({ initial, doublings, rttMs, steps }) => {
        const max = initial * 2 ** doublings;
        const timing = manualTiming(rttMs);
        const rw = new ReceiveWindow(initial, { max, timing });
        let peerMax = initial;
        for (const [sendFrac, readFrac, elapsedMs] of steps) {
          rw.onReceive(rw.received + Math.floor((peerMax - rw.received) * sendFrac));
          timing.t += elapsedMs;
          const before = rw.window;
          const update = rw.onConsume(Math.floor((rw.received - rw.consumed) * readFrac));
          if (update === null) {
            expect(rw.window).toBe(before);
          } else {
            expect(update - peerMax).toBeGreaterThanOrEqual(before / 2);
            expect([before, Math.min(2 * before, max)]).toContain(rw.window);
            expect(update).toBe(rw.consumed + rw.window);
            peerMax = update;
          }
          expect(rw.advertised).toBe(peerMax);
          expect(rw.window).toBeLessThanOrEqual(max);
          expect(rw.advertised).toBeLessThanOrEqual(rw.consumed + rw.window);
          expect(() => rw.onReceive(peerMax + 1)).toThrow(MpxProtocolError);
        }
      }),
      { seed: 2611, numRuns: 300 },
    );
  });
});
