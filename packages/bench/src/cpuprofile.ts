// Summaries of V8 CPU profiles (`node --cpu-prof` writes them as JSON): self
// time per function, summed over every call path the function appears in,
// biggest first. Pure: the caller reads the file.

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

/** The parts of a .cpuprofile this module reads (times in µs). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

interface FunctionTime {
  /** Function name, "(anonymous)" when V8 has none. */
  name: string;
  /** "file:line" (1-based), or "" for V8's own entries such as (garbage collector). */
  where: string;
  hits: number;
  selfMs: number;
  /** Share of the busy samples (all but "(idle)"). */
  busyShare: number;
}

export interface ProfileSummary {
  /** Wall time the profile covers, ms. */
  wallMs: number;
  samples: number;
  /** Sampled time not spent idle, ms. */
  busyMs: number;
  top: FunctionTime[];
}

const IDLE = '(idle)';

/** Shortens a script URL to its path from the last "packages/" or "apps/" on, or to its file name. */
export function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const m = /(?:^|\/)((?:packages|apps)\/.*)$/.exec(path);
  if (m !== null) return (m[1] as string).replace(/\/node_modules\/.*\/(packages|apps)\//, '$1/');
  if (path.startsWith('node:')) return path;
  return path.split('/').pop() ?? path;
}

/**
 * Self time per function: hit counts of every node with the same name, URL,
 * line and column added up, each hit worth (endTime − startTime) ÷ all hits.
 * "(idle)" is counted in the wall time, left out of the busy time and of the
 * top list. `top` entries, largest first (ties by name).
 */
export function summariseProfile(profile: CpuProfile, top: number): ProfileSummary {
  const byKey = new Map<string, { frame: CallFrame; hits: number }>();
  let all = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    all += hits;
    const f = node.callFrame;
    if (f.functionName === IDLE) {
      idle += hits;
      continue;
    }
    const key = `${f.functionName}\u0000${f.url}\u0000${f.lineNumber}\u0000${f.columnNumber}`;
    const entry = byKey.get(key);
    if (entry === undefined) byKey.set(key, { frame: f, hits });
    else entry.hits += hits;
  }
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = all === 0 ? 0 : wallMs / all;
  const busy = all - idle;
  const rows = [...byKey.values()]
    .filter((e) => e.hits > 0)
    .map((e) => ({
      name: e.frame.functionName === '' ? '(anonymous)' : e.frame.functionName,
      where: e.frame.url === '' ? '' : `${shortUrl(e.frame.url)}:${e.frame.lineNumber + 1}`,
      hits: e.hits,
      selfMs: e.hits * msPerHit,
      busyShare: busy === 0 ? 0 : e.hits / busy,
    }))
    .sort((a, b) => b.hits - a.hits || a.name.localeCompare(b.name) || a.where.localeCompare(b.where));
  return { wallMs, samples: all, busyMs: busy * msPerHit, top: rows.slice(0, top) };
}

/** A summary as text: a heading line, then one line per function. */
export function renderSummary(title: string, s: ProfileSummary): string {
  const head = `${title}\n  ${s.samples} samples over ${(s.wallMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(2)} s (${s.wallMs === 0 ? '0' : ((100 * s.busyMs) / s.wallMs).toFixed(0)}% of the wall time)`;
  const lines = s.top.map(
    (f) => `  ${f.selfMs.toFixed(0).padStart(7)} ms ${(100 * f.busyShare).toFixed(1).padStart(5)}%  ${f.name}${f.where === '' ? '' : `  ${f.where}`}`,
  );
  return [head, '  self time   busy  function  where', ...lines].join('\n');
}
