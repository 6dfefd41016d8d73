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
    } finally {
      await child.stop();
    }
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
