// Builds the package (build.mjs, as `pnpm build` does: tsc's modules in build/,
// the bundled bin in dist/) so that the tests always run the current sources.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, ['build.mjs'], { cwd: root, stdio: 'inherit' });
}
