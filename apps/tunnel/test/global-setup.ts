// Builds dist/ (tsc + chmod, as `pnpm build` does) so that the end-to-end
// tests always run the current sources through `node dist/cli.js`.
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  chmodSync(new URL('../dist/cli.js', import.meta.url), 0o755);
}
