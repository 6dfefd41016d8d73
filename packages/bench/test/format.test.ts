import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCoreWaits,
  formatMbit,
  formatMBps,
  formatMiB,
  formatMs,
  formatPercent,
  formatRatio,
  formatShares,
  mbit,
  median,
  quantile,
} from '../src/format.js';

describe('formatShares', () => {
  it('names each process with the share of a core it kept busy, and a dash for one not measured', () => {
    expect(
      formatShares([
        { name: 'redis-benchmark', share: 0.268 },
        { name: 'relay A', share: 0.5 },
        { name: 'redis-server', share: NaN },
      ]),
    ).toBe('cores: redis-benchmark 0.27, relay A 0.50, redis-server —');
  });
});

describe('formatCoreWaits', () => {
  it('gives each process its run-queue wait against the time it ran, with the wait per wake-up', () => {
    expect(
      formatCoreWaits([
        { name: 'mpx server', use: { ran: 0.2, waited: 0.104, waitPerWakeUs: 73.6 } },
        { name: 'emulator', use: null },
        { name: 'idle', use: { ran: 0, waited: 0, waitPerWakeUs: 0 } },
      ]),
    ).toBe('waited for a core: mpx server 0.52 × its run time (74 µs/wake-up), emulator —, idle —');
  });
});

describe('units', () => {
  it('converts Mbit/s to bytes/s and back', () => {
    expect(mbit(20)).toBe(2.5e6);
    expect(formatMbit(mbit(79.84))).toBe('79.8 Mbit/s');
    expect(formatMbit(mbit(250))).toBe('250 Mbit/s');
  });

  it('formats sizes, rates, durations, ratios', () => {
    expect(formatBytes(48e6)).toBe('48.0 MB');
    expect(formatBytes(1.5e9)).toBe('1.50 GB');
    expect(formatBytes(512e3)).toBe('512 kB');
    expect(formatBytes(12)).toBe('12 B');
    expect(formatMiB(18 * 1048576)).toBe('18 MiB');
    expect(formatMiB(6.3 * 1048576)).toBe('6.3 MiB');
    expect(formatMBps(842e6)).toBe('842 MB/s');
    expect(formatMs(0.823)).toBe('0.82 ms');
    expect(formatMs(23.44)).toBe('23.4 ms');
    expect(formatMs(412.4)).toBe('412 ms');
    expect(formatMs(4210)).toBe('4.21 s');
    expect(formatRatio(0.9512)).toBe('0.95');
    expect(formatPercent(0.3)).toBe('30%');
  });
});

describe('median and quantile', () => {
  it('interpolate between sorted values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.9)).toBe(46);
    expect(quantile([5], 0.9)).toBe(5);
  });

  it('are NaN for no values', () => {
    expect(median([])).toBeNaN();
  });
});
