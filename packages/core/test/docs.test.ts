// What the README promises: its example runs and exits by itself (so it
// closes what it opens), the example program does too, and the README lists
// every option of the bounds tables. The programs import '@mpx/core' by name,
// as a user's would: they run against dist/ (`pnpm build` first).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLIENT_BOUNDS, SERVER_BOUNDS, SESSION_BOUNDS } from '../src/bounds.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Runs `args` with node in the package's directory (where '@mpx/core' names this package); its stdout. */
function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: packageDir, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('README', () => {
  it('has an example that runs, prints the echo and exits by itself', () => {
    const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("from '@mpx/core'");
    expect(run(['--input-type=module', '-e', example as string])).toBe('hello\n');
  });

  it('lists every option of SESSION_BOUNDS, SERVER_BOUNDS and CLIENT_BOUNDS', () => {
    for (const name of [...Object.keys(SESSION_BOUNDS), ...Object.keys(SERVER_BOUNDS), ...Object.keys(CLIENT_BOUNDS)]) {
      expect(readme).toContain(`\`${name}\``);
    }
  });
});

describe('examples/two-carriers.mjs', () => {
  it('echoes 8 MiB identical over two carriers and exits by itself', () => {
    expect(run(['examples/two-carriers.mjs'])).toMatch(/^echoed 8388608 bytes over 2 carriers: identical\n/);
  });
});
