// yargs as `import yargs from 'yargs'` gives it, except that its help
// renderer (cliui, string-width, wrap-ansi) is loaded when help is first
// rendered instead of when yargs is imported. Importing string-width builds an
// Intl.Segmenter (~2.6 MB of RSS), and wrap-ansi's string-width imports
// emoji-regex, a CommonJS file that Node's module lexer scans in a loop hot
// enough for TurboFan: together ~3-4 MB of an idle tunnel that never prints
// help (docs/decisions/0007-start-up-code.md).
//
// yargs builds itself from a platform shim (its lib/platform-shims/esm.mjs)
// passed to YargsFactory; neither is in its package exports, so both are found
// next to its entry point (yargs-parts.ts; test/yargs-lazy.test.ts checks that
// this shim has the keys of yargs' own). Everything in the shim is what
// esm.mjs gives, yargs' own dependencies from yargs-parts.ts, except cliui and
// stringWidth, which load on their first call.
import { notStrictEqual, strictEqual } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import type { Argv } from 'yargs';
import { YARGS_ENTRY, loadYargsFactory, shimParts, yargsRequire } from './yargs-parts.js';

export { YARGS_ENTRY };

type Width = (text: string) => number;
type Ui = (options: { width: number; wrap: boolean }) => unknown;

let ui: Ui | undefined;
let width: Width | undefined;
const loadUi = (): Ui => (ui ??= yargsRequire('cliui') as Ui);
const loadWidth = (): Width => (width ??= (yargsRequire('string-width') as { default: Width }).default);

/** Where the script is in process.argv: 1, or 0 in a bundled Electron app (yargs' utils/process-argv.js). */
function binIndex(): number {
  const bundledElectron = process.versions['electron'] !== undefined && (process as { defaultApp?: boolean }).defaultApp !== true;
  return bundledElectron ? 0 : 1;
}

/** The command-line arguments after the script: yargs/helpers' hideBin (importing yargs/helpers would load the help renderer). */
export function hideBin(argv: readonly string[]): string[] {
  return argv.slice(binIndex() + 1);
}

/** What yargs' lib/platform-shims/esm.mjs exports, but cliui and string-width loaded on first use. */
export function platformShim(): Record<string, unknown> {
  const shimFile = fileURLToPath(new URL('lib/platform-shims/esm.mjs', YARGS_ENTRY));
  const mainFilename = shimFile.substring(0, shimFile.lastIndexOf('node_modules'));
  const { Parser, findUp, getCallerFile, y18n: makeY18n } = shimParts();
  return {
    assert: { notStrictEqual, strictEqual },
    cliui: (options: { width: number; wrap: boolean }) => loadUi()(options),
    findUp,
    getEnv: (key: string) => process.env[key],
    inspect,
    getProcessArgvBin: () => process.argv[binIndex()],
    mainFilename: mainFilename || process.cwd(),
    Parser,
    path: { basename, dirname, extname, relative, resolve, join },
    process: {
      argv: () => process.argv,
      cwd: () => process.cwd(),
      emitWarning: (warning: string, type: string) => process.emitWarning(warning, type),
      execPath: () => process.execPath,
      exit: (code: number) => process.exit(code),
      nextTick: (callback: () => void) => process.nextTick(callback),
      stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null,
    },
    readFileSync,
    readdirSync,
    require: yargsRequire,
    getCallerFile: () => {
      const callerFile = getCallerFile(3);
      return callerFile.startsWith('file://') ? fileURLToPath(callerFile) : callerFile;
    },
    stringWidth: (text: string) => loadWidth()(text),
    y18n: makeY18n({ directory: resolve(shimFile, '../../../locales'), updateFiles: false }),
  };
}

/** The yargs factory (`yargs(argv)`), built on the shim above. */
export async function loadYargs(): Promise<(argv: string[]) => Argv> {
  const YargsFactory = await loadYargsFactory();
  return YargsFactory(platformShim());
}
