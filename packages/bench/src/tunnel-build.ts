// Which mpx-tunnel build a run measures: the bin's digest and build time, the
// commit of the tree, its uncommitted changes to the bin's sources, and any
// source newer than the bin. Rationale: the bench drives whatever bin
// apps/tunnel/dist holds; a bin left from a scratch build (sources put back
// without rebuilding) is measured under the commit's name, which a full run
// of the twenty-seventh stop did. The bench warns of a stale bin before it
// starts, and the JSON keeps all of it.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The folders the bin is built from, relative to the repository root. */
export const TUNNEL_SOURCES = ['packages/core/src', 'packages/transport-tcp/src', 'packages/transport-ws/src', 'apps/tunnel/src'] as const;

export interface SourceFile {
  /** Relative to the repository root. */
  path: string;
  mtimeMs: number;
}

export interface TunnelBuild {
  /** The bin, relative to the repository root. */
  bin: string;
  /** First 16 hex digits of the bin's SHA-256. */
  sha256: string;
  /** When the bin was written (ISO 8601). */
  builtAt: string;
  /** The tree's commit (12 hex digits); null outside a git checkout. */
  commit: string | null;
  /** Sources of the bin with uncommitted changes (`git status --porcelain`); null outside a git checkout. */
  uncommitted: string[] | null;
  /** Sources of the bin changed after it was built: the run does not measure them. */
  staleSources: string[];
}

/** The sources changed after a bin written at `binMtimeMs`, sorted (pure). */
export function newerThan(binMtimeMs: number, sources: readonly SourceFile[]): string[] {
  return sources
    .filter((s) => s.mtimeMs > binMtimeMs)
    .map((s) => s.path)
    .sort();
}

/** The paths `git status --porcelain` lists, from its output (pure). */
export function porcelainPaths(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.length > 3)
    .map((line) => line.slice(3))
    .map((path) => (path.includes(' -> ') ? (path.split(' -> ')[1] as string) : path))
    .sort();
}

function filesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

function git(root: string, args: readonly string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** Describes the bin at `bin`, built from TUNNEL_SOURCES under `root`. */
export function tunnelBuild(bin: string, root: string): TunnelBuild {
  const stat = statSync(bin);
  const sources = TUNNEL_SOURCES.flatMap((dir) => filesUnder(join(root, dir))).map((file) => ({
    path: relative(root, file),
    mtimeMs: statSync(file).mtimeMs,
  }));
  const status = git(root, ['status', '--porcelain', '--', ...TUNNEL_SOURCES]);
  return {
    bin: relative(root, bin),
    sha256: createHash('sha256').update(readFileSync(bin)).digest('hex').slice(0, 16),
    builtAt: stat.mtime.toISOString(),
    commit: git(root, ['rev-parse', '--short=12', 'HEAD'])?.trim() || null,
    uncommitted: status === null ? null : porcelainPaths(status),
    staleSources: newerThan(stat.mtimeMs, sources),
  };
}

/** A line for the run's header, and a warning when the bin is older than some of its sources (or undefined). */
export function describeTunnelBuild(b: TunnelBuild): { line: string; warning: string | undefined } {
  const changes =
    b.uncommitted === null ? '' : b.uncommitted.length === 0 ? ', sources as committed' : `, ${b.uncommitted.length} source(s) uncommitted`;
  const line = `mpx-tunnel: ${b.bin} sha256 ${b.sha256}, built ${b.builtAt}, commit ${b.commit ?? 'unknown'}${changes}`;
  if (b.staleSources.length === 0) return { line, warning: undefined };
  const shown = b.staleSources.slice(0, 3).join(', ') + (b.staleSources.length > 3 ? ', …' : '');
  return {
    line,
    warning: `${b.bin} is older than ${b.staleSources.length} of its sources (${shown}): run \`pnpm build\`, or this run measures an older build`,
  };
}
