import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  coreUse,
  parseIo,
  parseMachineCpu,
  parseSchedstat,
  parseStat,
  parseStatus,
  processTree,
  readCoreTime,
  readCpuSeconds,
  readMachineCpu,
  readReapedCpuSeconds,
  readMemory,
  readSyscalls,
  readThreadCpuSeconds,
} from '../src/proc.js';
import { writeSync, openSync, closeSync } from 'node:fs';

const STATUS = `Name:\tnode
Umask:\t0022
State:\tS (sleeping)
VmPeak:\t 1234567 kB
VmHWM:\t  102400 kB
VmRSS:\t   81920 kB
Threads:\t11
`;

describe('parseStatus', () => {
  it('reads VmRSS and VmHWM in bytes', () => {
    expect(parseStatus(STATUS)).toEqual({ rss: 81920 * 1024, hwm: 102400 * 1024 });
  });

  it('is null when a field is missing (kernel threads have no Vm lines)', () => {
    expect(parseStatus('Name:\tkthreadd\nState:\tS\n')).toBeNull();
    expect(parseStatus('VmRSS:\t 10 kB\n')).toBeNull();
  });
});

describe('parseSchedstat', () => {
  it('reads run time, run-queue wait and slices', () => {
    expect(parseSchedstat('5712345678 2941234567 45160\n')).toEqual({ runNs: 5712345678, waitNs: 2941234567, slices: 45160 });
  });
  it('rejects text that is not three numbers', () => {
    expect(parseSchedstat('')).toBeNull();
    expect(parseSchedstat('1 2')).toBeNull();
    expect(parseSchedstat('1 x 3')).toBeNull();
  });
});

describe('coreUse', () => {
  it('turns two readings into shares of a core per second of wall time and a wait per wake-up', () => {
    const u = coreUse({ runNs: 1e9, waitNs: 5e8, slices: 1000 }, { runNs: 7e9, waitNs: 3.5e9, slices: 41000 }, 30);
    expect(u?.ran).toBeCloseTo(0.2, 9);
    expect(u?.waited).toBeCloseTo(0.1, 9);
    expect(u?.waitPerWakeUs).toBeCloseTo(75, 9);
  });
  it('is null without both readings or a positive span; no wake-ups means no wait per wake-up', () => {
    expect(coreUse(null, { runNs: 1, waitNs: 1, slices: 1 }, 1)).toBeNull();
    expect(coreUse({ runNs: 1, waitNs: 1, slices: 1 }, { runNs: 2, waitNs: 1, slices: 1 }, 0)).toBeNull();
    expect(coreUse({ runNs: 1, waitNs: 1, slices: 1 }, { runNs: 2, waitNs: 1, slices: 1 }, 1)?.waitPerWakeUs).toBe(0);
  });
});

describe('readCoreTime', () => {
  it('reads this process and grows as it runs; null for a process that is gone', async () => {
    const a = readCoreTime(process.pid);
    if (a === null) return expect(readCoreTime(2 ** 22 + 7)).toBeNull(); // a kernel without schedstats
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += i;
    // The kernel books a running thread's time at its next tick or switch
    // (read at once, it had not grown in about half of 200 tries): sleeping
    // is a switch, and the wake-up a new slice. One 2 ms sleep was not
    // always one (a loop with events pending polls without blocking): a
    // few more, up to 50.
    let b = readCoreTime(process.pid);
    for (let i = 0; i < 50 && !(b !== null && b.runNs > a.runNs && b.slices > a.slices); i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      b = readCoreTime(process.pid);
    }
    expect(x).toBeGreaterThan(0);
    expect(b?.runNs).toBeGreaterThan(a.runNs);
    expect(b?.slices).toBeGreaterThan(a.slices);
    expect(readCoreTime(2 ** 22 + 7)).toBeNull();
  });
});

describe('parseIo', () => {
  it('reads the read and write system calls (syscr, syscw)', () => {
    const io = 'rchar: 6976\nwchar: 12\nsyscr: 10\nsyscw: 3\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n';
    expect(parseIo(io)).toEqual({ reads: 10, writes: 3 });
  });

  it('is null when a field is missing', () => {
    expect(parseIo('rchar: 1\nsyscr: 10\n')).toBeNull();
  });
});

describe('readSyscalls', () => {
  it("counts this process's own write system calls", () => {
    const before = readSyscalls(process.pid);
    expect(before).not.toBeNull();
    const fd = openSync('/dev/null', 'w');
    for (let i = 0; i < 50; i++) writeSync(fd, 'x');
    closeSync(fd);
    expect(readSyscalls(process.pid)!.writes - before!.writes).toBeGreaterThanOrEqual(50);
  });
});

describe('parseStat', () => {
  it('reads utime and stime, and cutime and cstime of the reaped children (fields 14 to 17)', () => {
    const line = '4242 (node) S 1 4242 4242 0 -1 4194304 9000 0 0 0 1234 567 89 12 20 0 11 0 1000 1000000 20000 18446744073709551615';
    expect(parseStat(line)).toEqual({ utime: 1234, stime: 567, cutime: 89, cstime: 12, ppid: 1 });
  });

  it('counts fields after the last parenthesis, so names with spaces and parentheses work', () => {
    const line = '77 (my (odd) name) R 1 77 77 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 5 100 10';
    expect(parseStat(line)).toEqual({ utime: 10, stime: 20, cutime: 0, cstime: 0, ppid: 1 });
  });

  it('is null for malformed text', () => {
    expect(parseStat('no parenthesis here')).toBeNull();
    expect(parseStat('1 (x) S 1 2')).toBeNull();
  });
});

describe('readers', () => {
  it('read this process from /proc, and return null for a process that does not exist', () => {
    const mem = readMemory(process.pid);
    expect(mem?.rss).toBeGreaterThan(0);
    expect(mem!.hwm).toBeGreaterThanOrEqual(mem!.rss);
    expect(readCpuSeconds(process.pid)).toBeGreaterThanOrEqual(0);
    expect(readMemory(2 ** 22 + 1)).toBeNull();
    expect(readCpuSeconds(2 ** 22 + 1)).toBeNull();
    expect(readReapedCpuSeconds(2 ** 22 + 1)).toBeNull();
  });

  it("read each thread's CPU time, the main thread's under the process id, and nothing for a process that does not exist", () => {
    const before = readThreadCpuSeconds(process.pid);
    expect(before.get(process.pid)).toBeGreaterThanOrEqual(0);
    expect(before.size).toBeGreaterThan(1); // V8's and libuv's threads beside the main one
    let x = 0;
    // Busy on the main thread until its count has moved past a clock tick (10 ms), at most 5 s.
    const end = Date.now() + 5000;
    while (Date.now() < end && (readThreadCpuSeconds(process.pid).get(process.pid) ?? 0) <= before.get(process.pid)! + 0.02) {
      for (let i = 0; i < 1e6; i++) x ^= i;
    }
    expect(x).not.toBe(0.5);
    expect(readThreadCpuSeconds(process.pid).get(process.pid)).toBeGreaterThan(before.get(process.pid)!);
    expect(readThreadCpuSeconds(2 ** 22 + 1).size).toBe(0);
  });

  it('count the CPU time of a child this process waited for, once it has exited', () => {
    const before = readReapedCpuSeconds() as number;
    // A fixed amount of work, well past one clock tick (10 ms) of CPU time.
    execFileSync(process.execPath, ['-e', 'let x = 0; for (let i = 0; i < 3e8; i++) x ^= i; if (x === 0.5) console.log(x);']);
    expect(readReapedCpuSeconds()).toBeGreaterThan(before);
  });
});

describe('parseMachineCpu', () => {
  it('counts user, nice, system, irq, softirq and steal as busy, steal apart too, and idle and iowait on top for the total', () => {
    const text = 'cpu  100 10 50 800 40 5 3 2 0 0\ncpu0 50 5 25 400 20 2 1 1 0 0\nintr 1\n';
    expect(parseMachineCpu(text, 100)).toEqual({ busy: 1.7, steal: 0.02, total: 10.1 });
  });

  it('is null without a cpu line', () => {
    expect(parseMachineCpu('intr 1\n', 100)).toBeNull();
  });
});

describe('processTree and readMachineCpu', () => {
  it('find a child and its own child below this process, and read the machine counters', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    try {
      // The shell's `sleep` appears once the shell ran it: look a bounded number of times.
      let below: number[] = [];
      for (let i = 0; i < 1000 && below.length < 2; i++) {
        below = processTree(child.pid!);
        if (below.length < 2) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(below).toHaveLength(2);
      expect(below[0]).toBe(child.pid);
      const mine = processTree(process.pid);
      expect(mine[0]).toBe(process.pid);
      expect(mine).toEqual(expect.arrayContaining(below));
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    const cpu = readMachineCpu();
    expect(cpu).not.toBeNull();
    expect(cpu!.total).toBeGreaterThanOrEqual(cpu!.busy);
  });
});
