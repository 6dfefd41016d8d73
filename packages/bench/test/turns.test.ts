import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Child } from '../src/procs.js';
import { withCpu, worstRound } from '../src/turns.js';

describe('withCpu', () => {
  it('counts the system calls and CPU time of the processes while the function runs, and the machine idle share', async () => {
    const script = `require('readline').createInterface({ input: process.stdin }).on('line', () => {
      const fd = require('fs').openSync('/dev/null', 'w');
      for (let i = 0; i < 200; i++) require('fs').writeSync(fd, 'x');
      console.log('done');
    }); console.log('ready');`;
    const child = new Child('writer', process.execPath, ['-e', script]);
    try {
      await child.waitFor(/ready/);
      const m = await withCpu([child], async () => {
        child.proc.stdin?.write('go\n');
        await child.waitFor(/done/);
        // /proc/stat counts in clock ticks (10 ms): a run shorter than one has no idle share (NaN).
        await new Promise((r) => setTimeout(r, 60));
        return 'ran';
      });
      expect(m.result).toBe('ran');
      expect(m.syscalls.writes).toBeGreaterThanOrEqual(200);
      expect(m.cpuSeconds).toBeGreaterThanOrEqual(0);
      expect(m.machineIdle).toBeGreaterThanOrEqual(0);
      expect(m.machineIdle).toBeLessThanOrEqual(1);
      expect(m.machineStolen).toBeGreaterThanOrEqual(0);
      expect(m.machineStolen).toBeLessThanOrEqual(1 - m.machineIdle + 1e-9);
    } finally {
      await child.stop();
    }
  });
});

describe('withCpu shares', () => {
  it('gives the share of a core of the client program run to completion, each process in the middle and the others, in that order', async () => {
    const child = new Child('middle', process.execPath, ['-e', "console.log('ready'); setInterval(() => {}, 1000);"]);
    try {
      await child.waitFor(/ready/);
      // A fixed amount of work, well past one clock tick (10 ms) of CPU time.
      const work = 'let x = 0; for (let i = 0; i < 3e8; i++) x ^= i; if (x === 0.5) console.log(x);';
      const m = await withCpu([child], () => promisify(execFile)(process.execPath, ['-e', work]), {
        client: 'busy client',
        others: [{ name: 'this process', pids: [process.pid] }],
      });
      expect(m.shares.map((s) => s.name)).toEqual(['busy client', 'middle', 'this process']);
      expect(m.seconds).toBeGreaterThan(0);
      expect(m.shares[0]!.share).toBeGreaterThan(0);
      for (const s of m.shares) expect(s.share).toBeGreaterThanOrEqual(0);
      expect(m.cpuSeconds).toBeCloseTo(m.shares[1]!.share * m.seconds, 9);
    } finally {
      await child.stop();
    }
  });

  it('gives NaN for a process that is gone', async () => {
    const m = await withCpu([], async () => 'ran', { others: [{ name: 'gone', pids: [2 ** 22 + 1] }] });
    expect(m.shares).toHaveLength(1);
    expect(m.shares[0]!.share).toBeNaN();
  });
});

describe('worstRound', () => {
  it('picks the round with the lowest ratio when higher is better', () => {
    expect(worstRound([100, 200, 100], [90, 100, 80], true)).toEqual({ round: 1, ratio: 0.5, base: 200, candidate: 100 });
  });

  it('picks the round with the highest ratio when lower is better', () => {
    expect(worstRound([2, 2], [3, 5], false)).toEqual({ round: 1, ratio: 2.5, base: 2, candidate: 5 });
  });

  it('lets a failed round (NaN or zero) be the worst, so it cannot pass', () => {
    const w = worstRound([100, 100], [90, NaN], true);
    expect(w.round).toBe(1);
    expect(w.ratio).toBeNaN();
    expect(worstRound([0, 100], [90, 90], false).ratio).toBeNaN();
  });

  it('gives NaN without rounds', () => {
    expect(worstRound([], [], true).ratio).toBeNaN();
  });
});
