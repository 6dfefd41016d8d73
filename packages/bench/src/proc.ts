// /proc readings of child processes (Linux): resident memory now (VmRSS) and
// at its peak (VmHWM) from /proc/<pid>/status, CPU time (its own, per thread, and that
// of the children it has waited for) and parent from /proc/<pid>/stat, read and write system calls from /proc/<pid>/io,
// how long the main thread waited for a core from /proc/<pid>/schedstat, the
// machine's busy CPU time from /proc/stat.
// Parsers are pure; readers return null when the process or /proc is gone.

import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface MemorySample {
  /** Resident set now, bytes. */
  rss: number;
  /** Peak resident set since the process started, bytes. */
  hwm: number;
}

/** Parses VmRSS and VmHWM (kB in the file) from /proc/<pid>/status text; null if absent. */
export function parseStatus(text: string): MemorySample | null {
  const kb = (name: string): number | null => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m === null ? null : Number(m[1]) * 1024;
  };
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  if (rss === null || hwm === null) return null;
  return { rss, hwm };
}

export interface CpuTicks {
  utime: number;
  stime: number;
  /** User and system time of the children it has waited for (fields 16 and 17), theirs included. */
  cutime: number;
  cstime: number;
  /** The parent's pid (field 4). */
  ppid: number;
}

/**
 * Parses utime, stime, cutime and cstime (fields 14 to 17, in clock ticks)
 * from /proc/<pid>/stat. The command name (field 2) is in parentheses and may hold
 * spaces and ')' itself, so fields are counted after the last ')'.
 */
export function parseStat(text: string): CpuTicks | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const ppid = Number(rest[1]);
  const [utime, stime, cutime, cstime] = rest.slice(11, 15).map(Number) as [number, number, number, number];
  if (rest.length < 15 || ![ppid, utime, stime, cutime, cstime].every(Number.isFinite)) return null;
  return { utime, stime, cutime, cstime, ppid };
}

let clockTicks: number | undefined;

/** Clock ticks per second (getconf CLK_TCK; 100 if that fails). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function readMemory(pid: number): MemorySample | null {
  const text = read(`/proc/${pid}/status`);
  return text === null ? null : parseStatus(text);
}

function readStat(pid: number): CpuTicks | null {
  const text = read(`/proc/${pid}/stat`);
  return text === null ? null : parseStat(text);
}

/** CPU seconds (user + system) the process has used so far. */
export function readCpuSeconds(pid: number): number | null {
  const t = readStat(pid);
  return t === null ? null : (t.utime + t.stime) / ticksPerSecond();
}

/**
 * CPU seconds (user + system) of each thread of the process so far, by
 * thread id (/proc/<pid>/task/<tid>/stat); a thread that ends while they are
 * read is left out. Empty when the process is gone.
 */
export function readThreadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const text = read(`/proc/${pid}/task/${tid}/stat`);
    const t = text === null ? null : parseStat(text);
    if (t !== null) out.set(Number(tid), (t.utime + t.stime) / ticksPerSecond());
  }
  return out;
}

/**
 * CPU seconds (user + system) used so far by the children the process has
 * waited for (a program run to completion by execFile, once it has exited),
 * and by the children they waited for in turn.
 */
export function readReapedCpuSeconds(pid: number = process.pid): number | null {
  const t = readStat(pid);
  return t === null ? null : (t.cutime + t.cstime) / ticksPerSecond();
}

export interface Syscalls {
  /** Read-type system calls so far (read, readv, recvmsg…: `syscr`). */
  reads: number;
  /** Write-type system calls so far (write, writev, sendmsg…: `syscw`). */
  writes: number;
}

/** Parses syscr and syscw from /proc/<pid>/io text; null if either is absent. */
export function parseIo(text: string): Syscalls | null {
  const field = (name: string): number | null => {
    const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text);
    return m === null ? null : Number(m[1]);
  };
  const reads = field('syscr');
  const writes = field('syscw');
  return reads === null || writes === null ? null : { reads, writes };
}

/** The read and write system calls the process has made so far (null when it is gone or /proc/<pid>/io is not readable). */
export function readSyscalls(pid: number): Syscalls | null {
  const text = read(`/proc/${pid}/io`);
  return text === null ? null : parseIo(text);
}

/** The main thread's time on a core and waiting for one, from /proc/<pid>/schedstat. */
export interface CoreTime {
  /** Nanoseconds run on a core so far. */
  runNs: number;
  /** Nanoseconds spent runnable, waiting in a run queue for a core. */
  waitNs: number;
  /** Times the thread was put on a core (each wake-up is one). */
  slices: number;
}

/** Parses /proc/<pid>/schedstat text ("run wait slices"); null if malformed. */
export function parseSchedstat(text: string): CoreTime | null {
  const f = text.trim().split(/\s+/).map(Number);
  if (f.length < 3 || f.slice(0, 3).some((n) => !Number.isFinite(n) || n < 0)) return null;
  return { runNs: f[0] as number, waitNs: f[1] as number, slices: f[2] as number };
}

/**
 * The main thread's time on and waiting for a core so far (null when the
 * process is gone or the kernel keeps no schedstats). Rationale: an event
 * loop is one thread; what it waited in a run queue is time it could not
 * answer, however idle the machine looks on average (a busy host's
 * wake-ups: see bidir).
 */
export function readCoreTime(pid: number): CoreTime | null {
  const text = read(`/proc/${pid}/schedstat`);
  return text === null ? null : parseSchedstat(text);
}

/** What a thread did over `seconds` of wall time between two readings: share of a core it ran, share it waited for one, and the mean wait per wake-up (µs). */
export interface CoreUse {
  ran: number;
  waited: number;
  waitPerWakeUs: number;
}

/** CoreUse between two readings of readCoreTime (null when either is missing). */
export function coreUse(before: CoreTime | null, after: CoreTime | null, seconds: number): CoreUse | null {
  if (before === null || after === null || !(seconds > 0)) return null;
  const slices = after.slices - before.slices;
  const wait = after.waitNs - before.waitNs;
  return { ran: (after.runNs - before.runNs) / 1e9 / seconds, waited: wait / 1e9 / seconds, waitPerWakeUs: slices > 0 ? wait / slices / 1e3 : 0 };
}

/** CPU seconds (user + system) used so far by `pids` together; a process that is gone counts `gone` (0, or NaN to spoil the sum). */
export function cpuSecondsOf(pids: readonly number[], gone = 0): number {
  return pids.reduce((n, pid) => n + (readCpuSeconds(pid) ?? gone), 0);
}

/** `pid` and every process below it now (children of children too), from a scan of /proc. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pid];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const t = readStat(Number(name));
    if (t === null) continue;
    const list = children.get(t.ppid) ?? [];
    list.push(Number(name));
    children.set(t.ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  // Bounded: each pid enters the queue once (a tree has no cycles; `seen` guards a pid reused mid-scan).
  const seen = new Set<number>();
  while (queue.length > 0) {
    const next = queue.shift() as number;
    if (seen.has(next)) continue;
    seen.add(next);
    out.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return out;
}

export interface MachineCpu {
  /** CPU seconds spent busy (user, nice, system, irq, softirq, steal) on all cores since boot. */
  busy: number;
  /**
   * Of `busy`, the seconds stolen: a virtual CPU ready to run while the
   * hypervisor ran something else. Rationale: on a shared host this moves a
   * round's rate by tens of percent with nothing on the machine itself
   * changed; a ratio between two contenders measured in turns is only
   * as good as the steal each of them met.
   */
  steal: number;
  /** Busy plus idle and iowait. */
  total: number;
}

/** Parses the `cpu` line of /proc/stat (clock ticks) into seconds at `ticks` per second; null if absent. */
export function parseMachineCpu(text: string, ticks: number): MachineCpu | null {
  const m = /^cpu\s+(.*)$/m.exec(text);
  if (m === null) return null;
  const f = (m[1] ?? '').trim().split(/\s+/).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  if (f.length < 8 || f.some((v) => !Number.isFinite(v))) return null;
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy: busy / ticks, steal: steal! / ticks, total: (busy + idle! + iowait!) / ticks };
}

/** The machine's CPU seconds so far (every core), or null without /proc. */
export function readMachineCpu(): MachineCpu | null {
  const text = read('/proc/stat');
  return text === null ? null : parseMachineCpu(text, ticksPerSecond());
}

/**
 * Polls VmRSS of some processes and keeps the largest value seen since the
 * last reset (VmHWM cannot be reset, so phases of one process need polling).
 */
export class RssPoller {
  readonly #pids: Map<string, number>;
  readonly #peaks = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(pids: Record<string, number>, intervalMs = 50) {
    this.#pids = new Map(Object.entries(pids));
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
    this.sample();
  }

  sample(): void {
    for (const [name, pid] of this.#pids) {
      const m = readMemory(pid);
      if (m !== null) this.#peaks.set(name, Math.max(this.#peaks.get(name) ?? 0, m.rss));
    }
  }

  /** Peaks since the last reset (bytes), then starts a new phase. */
  takePeaks(): Record<string, number> {
    this.sample();
    const out = Object.fromEntries(this.#peaks);
    this.#peaks.clear();
    return out;
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
