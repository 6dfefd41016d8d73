import { describe, expect, it } from 'vitest';
import { Recorder } from '../src/results.js';
import { throughputRows, type ThroughputRun } from '../src/throughput-turns.js';
import { formatStolen } from '../src/turns.js';

/** A run that moved `bytes` at `rate` bytes/s with `cpu` CPU seconds while `stolen` of the machine was stolen. */
function run(rate: number, cpu: number, stolen: number, bytes = 1e9): ThroughputRun {
  return {
    result: { bytes, seconds: bytes / rate, bytesPerSecond: rate },
    cpuSeconds: cpu,
    seconds: bytes / rate,
    shares: [],
    syscalls: { reads: NaN, writes: NaN },
    machineIdle: 0.1,
    machineStolen: stolen,
    coreWaits: [],
  };
}

describe('formatStolen', () => {
  it('gives the stolen share in whole percent, and nothing when it is unknown', () => {
    expect(formatStolen({ machineStolen: 0.234 })).toBe(', 23% stolen');
    expect(formatStolen({ machineStolen: 0 })).toBe(', 0% stolen');
    expect(formatStolen({ machineStolen: Number.NaN })).toBe('');
    expect(formatStolen(undefined)).toBe('');
  });
});

describe('throughputRows', () => {
  it("reports the worst pair of rounds, each side's rate with the steal its own round met", () => {
    const rec = new Recorder('iperf-carriers');
    const base = [run(800e6, 2, 0.01), run(800e6, 2, 0.02), run(800e6, 2, 0.0)];
    // Round 2 (index 1) is the worst: 0.5 of the base, in a round that lost 31% to steal.
    const candidate = [run(700e6, 2.2, 0.0), run(400e6, 2.4, 0.31), run(760e6, 2.1, 0.03)];
    throughputRows(rec, 'upload, 2 carriers', base, candidate, { against: 'relay', speed: 0.75, cpu: 1.3 });
    const [speed, cpu] = rec.rows;
    expect(speed?.case).toBe('upload, 2 carriers (ratio 0.50)');
    expect(speed?.plain).toMatch(/, 2% stolen$/);
    expect(speed?.mpx).toMatch(/, 31% stolen$/);
    expect(speed?.status).toBe('MISS');
    expect(cpu?.case).toBe('upload, 2 carriers: CPU s/GB (ratio 1.20)');
    expect(cpu?.status).toBe('PASS');
  });
});
