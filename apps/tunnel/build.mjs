// Builds mpx-tunnel (docs/decisions/0012-bundled-bin.md). tsc typechecks src/
// and emits it to build/ as separate modules (what the tests that run a
// single module in a child process import; not published). esbuild then
// bundles src/cli.ts, @mpx/core, the transports, ws and the parts of yargs
// that are loaded before the command runs into one ES module, dist/cli.js,
// the bin, with its source map. Loading the ~110 module files of a server, or
// even the 16 files of a bundle split by command, made Node's module loader
// hot enough for TurboFan (~3.9 MB of RSS) before the first stream; one file
// does not.
// Modules that the program imports by import() stay unevaluated until then
// (esbuild wraps them), so a server still runs none of the client's code.
//
// Loaded from node_modules at run time: uplot (web.ts serves its files) and
// yargs' help renderer (cliui, string-width: yargs-lazy.ts loads them on the
// first help text) and locale files. dist/ stays one level under the
// package, so `../package.json` (command-line.ts) and createRequire(import.meta.url)
// resolve from the bundle as they did from the modules.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('.', import.meta.url));

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });

/**
 * src/yargs-parts.ts finds yargs' factory and its shim's dependencies next to yargs' entry point at run time; in the
 * bundle, the same files are imported statically from yargs' directory (the factory is outside yargs' exports,
 * so it is named by its path there).
 */
const yargsParts = {
  name: 'yargs-parts',
  setup(on) {
    on.onLoad({ filter: /[\\/]src[\\/]yargs-parts\.ts$/ }, () => ({
      resolveDir: dirname(fileURLToPath(import.meta.resolve('yargs'))),
      loader: 'js',
      contents: `import { createRequire } from 'node:module';
import { YargsFactory } from './build/lib/yargs-factory.js';
import Parser from 'yargs-parser';
import findUp from 'escalade/sync';
import getCallerFile from 'get-caller-file';
import y18n from 'y18n';
export const YARGS_ENTRY = import.meta.resolve('yargs');
export const yargsRequire = createRequire(YARGS_ENTRY);
export const loadYargsFactory = async () => YargsFactory;
export const shimParts = () => ({ Parser, findUp, getCallerFile, y18n });
`,
    }));
  },
};

rmSync(new URL('dist/', import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // ws' optional native helpers, required inside try/catch from node_modules at run time: bufferutil
  // is an optional dependency of this package (native WebSocket masking, docs/decisions/0017).
  external: ['bufferutil', 'utf-8-validate'],
  // CommonJS in the bundle (ws, get-caller-file) requires Node's modules.
  banner: { js: "import { createRequire as mpxCreateRequire } from 'node:module';\nconst require = mpxCreateRequire(import.meta.url);" },
  plugins: [yargsParts],
  sourcemap: 'linked',
  logLevel: 'warning',
});
chmodSync(new URL('dist/cli.js', import.meta.url), 0o755);
