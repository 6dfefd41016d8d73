// `node packages/bench/dist/profile.js <scenario …> [--quick] [--top N] [--out file]`
// (or `pnpm --filter @mpx/bench profile -- …`): runs bench.js for those
// scenarios with the mpx-tunnel and relay processes under `node --cpu-prof`
// (profile-flags.ts), then prints the top functions by self time of each
// process. The raw profiles, their command lines, the bench JSON and
// summary.txt go to bench-results/profile-<time>/ (not kept in git).

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSummary, summariseProfile } from './cpuprofile.js';
import type { CpuProfile } from './cpuprofile.js';
import { PROFILE_DIR_ENV } from './profile-flags.js';
import { fileStamp } from './results.js';

const USAGE = 'usage: node packages/bench/dist/profile.js <scenario …> [--quick] [--top N] [--out <file>]';

async function main(): Promise<number> {
  const pass: string[] = [];
  let top = 15;
  let out: string | undefined;
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--top') top = Number(argv[++i]);
    else if (a === '--out') out = argv[++i];
    else if (a === '--json' || a === '--list') {
      process.stderr.write(`profile: ${a} is not for profile runs (the JSON goes beside the profiles)\n${USAGE}\n`);
      return 2;
    } else if (a !== '--') pass.push(a);
  }
  if (!Number.isInteger(top) || top < 1 || out === '' || !pass.some((a) => !a.startsWith('-'))) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const dir = join(root, 'bench-results', `profile-${fileStamp(new Date())}`);
  mkdirSync(dir, { recursive: true });
  const bench = fileURLToPath(new URL('./bench.js', import.meta.url));
  const child = spawn(process.execPath, [bench, ...pass, '--json', join(dir, 'bench.json')], {
    stdio: 'inherit',
    env: { ...process.env, [PROFILE_DIR_ENV]: dir },
  });
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));

  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  if (files.length === 0) {
    process.stderr.write(`profile: no .cpuprofile in ${dir} (did the scenario start mpx-tunnel or relay processes?)\n`);
    return 1;
  }
  const parts = files.map((f) => {
    const base = f.replace(/\.cpuprofile$/, '');
    let command = base;
    try {
      command = readFileSync(join(dir, `${base}.args.txt`), 'utf8').trim();
    } catch {
      // no command line recorded: the file name stays the title
    }
    const summary = summariseProfile(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile, top);
    return renderSummary(`${base} — ${command}`, summary);
  });
  const text = `CPU profiles of: bench ${pass.join(' ')} (node ${process.version}; top ${top} functions by self time per process)\n\n${parts.join('\n\n')}\n`;
  writeFileSync(join(dir, 'summary.txt'), text);
  if (out !== undefined) writeFileSync(out, text);
  process.stdout.write(`\n${text}\nprofiles: ${dir}${out === undefined ? '' : `; summary also in ${out}`}\n`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`profile: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
