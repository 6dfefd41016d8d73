// /proc readings of child processes (Linux): resident memory now (VmRSS) and
// at its peak (VmHWM) from /proc/<pid>/status, CPU time from /proc/<pid>/stat.
// Parsers are pure; readers return null when the process or /proc is gone.

import { readFileSync } from 'node:fs';
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
}

/**
 * Parses utime and stime (fields 14 and 15, in clock ticks) from
 * /proc/<pid>/stat. The command name (field 2) is in parentheses and may hold
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
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || rest.length < 13) return null;
  return { utime, stime };
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

/** CPU seconds (user + system) the process has used so far. */
export function readCpuSeconds(pid: number): number | null {
  const text = read(`/proc/${pid}/stat`);
  const t = text === null ? null : parseStat(text);
  return t === null ? null : (t.utime + t.stime) / ticksPerSecond();
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
