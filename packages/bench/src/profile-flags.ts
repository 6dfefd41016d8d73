// CPU profiles of the bench's tunnel and relay processes: when
// MPX_BENCH_CPU_PROF names a directory (profile.ts sets it), every Node child
// whose name starts with "mpx " or "relay " runs with `--cpu-prof` and writes
// `<dir>/<nn>-<name>.cpuprofile` when it exits, beside `<nn>-<name>.args.txt`
// holding its command line; nn counts children in start order.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROFILE_DIR_ENV = 'MPX_BENCH_CPU_PROF';

let started = 0;

/** Node flags for a child about to start (none unless profiling is on and the child is profiled). */
export function profileFlags(name: string, args: readonly string[]): string[] {
  const dir = process.env[PROFILE_DIR_ENV];
  if (dir === undefined || dir === '' || !/^(mpx|relay) /.test(name)) return [];
  started++;
  const base = `${String(started).padStart(2, '0')}-${name.replace(/[^A-Za-z0-9]+/g, '-')}`;
  writeFileSync(join(dir, `${base}.args.txt`), `${name}: ${args.join(' ')}\n`);
  return ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${base}.cpuprofile`];
}
