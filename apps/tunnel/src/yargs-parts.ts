// The parts of yargs that yargs-lazy.ts builds yargs from and that are
// outside yargs' package exports: its factory, and the dependencies its own
// platform shim imports. Found next to yargs' entry point at run time
// (yargs is pinned to an exact version). The bin's bundle (build.mjs) puts a
// module of static imports of the same files in this one's place, so that
// they are bundled instead of loaded one by one
// (docs/decisions/0012-bundled-bin.md); keep the two lists alike.
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';

/** yargs' entry point (index.mjs); its dependencies resolve from here. */
export const YARGS_ENTRY = import.meta.resolve('yargs');
/** `require` as seen from yargs' directory. */
export const yargsRequire = createRequire(YARGS_ENTRY);

export type YargsFactory = (shim: Record<string, unknown>) => (argv: string[]) => Argv;

/** build/lib/yargs-factory.js: builds `yargs(argv)` from a platform shim. */
export async function loadYargsFactory(): Promise<YargsFactory> {
  const factory = (await import(new URL('build/lib/yargs-factory.js', YARGS_ENTRY).href)) as { YargsFactory: YargsFactory };
  return factory.YargsFactory;
}

/** The dependencies of yargs that its platform shim (lib/platform-shims/esm.mjs) imports, but cliui and string-width. */
export interface ShimParts {
  readonly Parser: unknown;
  readonly findUp: (dir: string, cb: (dir: string, names: string[]) => string | false) => string | undefined;
  readonly getCallerFile: (position?: number) => string;
  readonly y18n: (options: { directory: string; updateFiles: boolean }) => unknown;
}

export function shimParts(): ShimParts {
  return {
    Parser: yargsRequire('yargs-parser'),
    findUp: yargsRequire('escalade/sync') as ShimParts['findUp'],
    getCallerFile: yargsRequire('get-caller-file') as ShimParts['getCallerFile'],
    y18n: yargsRequire('y18n') as ShimParts['y18n'],
  };
}
