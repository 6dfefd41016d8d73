// Issue 6: the longer soak and fuzz runs. The short versions run in CI
// (packages/core/test/soak.test.ts, fuzz.*.test.ts); here the same tests run
// with MPX_SOAK_SCALE, which multiplies streams and hostile connections.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Context, Scenario } from '../harness.js';
import { formatMs } from '../format.js';
import { verdict, type Recorder } from '../results.js';

const CORE = fileURLToPath(new URL('../../../core/', import.meta.url));
const FILES = ['test/soak.test.ts', 'test/fuzz.server.test.ts', 'test/fuzz.decoder.test.ts'];

function runVitest(scale: number): Promise<{ ok: boolean; ms: number; tail: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('../../../../node_modules/vitest/vitest.mjs', import.meta.url)), 'run', ...FILES], {
      cwd: CORE,
      env: { ...process.env, MPX_SOAK_SCALE: String(scale), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ ok: code === 0, ms: performance.now() - t0, tail: out.split('\n').slice(-12).join('\n') }));
  });
}

export const soak: Scenario = {
  name: 'soak',
  title: 'soak and fuzz, longer than in CI: thousands of streams through resets and stalls, thousands of hostile connections',
  async run(ctx: Context, rec: Recorder) {
    const scale = ctx.quick ? 3 : 10;
    rec.data.settings = { scale, streams: 300 * scale, hostileConnections: 240 * scale, files: FILES };
    const result = await runVitest(scale);
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
