// Issue 6: the longer soak and fuzz runs. Core's tests tagged `soak`
// (packages/core/test/soak.test.ts, fuzz.*.test.ts) run in CI at their short
// size; here they run alone through core's `test:soak` script, with
// MPX_SOAK_SCALE multiplying streams and hostile connections.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Context, Scenario } from '../harness.js';
import { formatMs } from '../format.js';
import { verdict, type Recorder } from '../results.js';

const COMMAND = ['pnpm', '--filter', '@mpx/core', 'run', 'test:soak'] as const;
/** Any directory of the workspace does for `pnpm --filter`: this package's. */
const WORKSPACE_DIR = fileURLToPath(new URL('../../', import.meta.url));

function runSoak(scale: number): Promise<{ ok: boolean; ms: number; tail: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const [command, ...args] = COMMAND;
    const child = spawn(command, args, {
      cwd: WORKSPACE_DIR,
      env: { ...process.env, MPX_SOAK_SCALE: String(scale), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => (out += `${COMMAND.join(' ')}: ${err.message}\n`));
    child.on('close', (code) => resolve({ ok: code === 0, ms: performance.now() - t0, tail: out.split('\n').slice(-12).join('\n') }));
  });
}

export const soak: Scenario = {
  name: 'soak',
  title: 'soak and fuzz, longer than in CI: thousands of streams through resets and stalls, thousands of hostile connections',
  async run(ctx: Context, rec: Recorder) {
    const scale = ctx.quick ? 3 : 10;
    rec.data.settings = { scale, streams: 300 * scale, hostileConnections: 240 * scale, command: COMMAND.join(' ') };
    const result = await runSoak(scale);
    rec.data.result = result;
    rec.row({
      case: `${300 * scale} streams with resets and stalls; ${240 * scale} hostile connections`,
      plain: '—',
      mpx: `${result.ok ? 'all bytes verified, nothing left behind' : 'FAILED'} in ${formatMs(result.ms)}`,
      goal: 'no loss, no leak, no crash',
      status: verdict(result.ok),
    });
    if (!result.ok) rec.note(result.tail);
  },
};
