import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { hideBin as stockHideBin } from 'yargs/helpers';
import { YARGS_ENTRY, hideBin, loadYargs, platformShim } from '../src/yargs-lazy.js';

const DIST = new URL('../build/yargs-lazy.js', import.meta.url).href;

/** The shape of a shim: its keys, and the keys of the objects in it. */
function shape(shim: Record<string, unknown>): string[] {
  return Object.entries(shim)
    .flatMap(([key, value]) =>
      value !== null && typeof value === 'object' && !Array.isArray(value) && key !== 'y18n'
        ? Object.keys(value).map((inner) => `${key}.${inner}`)
        : [key],
    )
    .sort();
}

/** A parser with wide and combining characters in its help, wrapped narrow. */
function sample(y: Argv): Argv {
  return y
    .scriptName('t')
    .usage('$0 <command>\n\nnaïve café — 漢字 and emoji 👍🏽 in a usage text')
    .command('run', 'run it: 全角 text wraps at its display width, not its length', (c) =>
      c.option('size', { type: 'string', describe: 'a size such as 64KiB; 字 takes two columns', group: 'Limits:' }),
    )
    .option('verbose', { alias: 'v', type: 'count', describe: '-v more, -vv most' })
    .strict()
    .exitProcess(false)
    .help()
    .wrap(60)
    .epilogue('é\u0301 (combining) and \u200d joiners');
}

describe('yargs with its help renderer loaded on first use', () => {
  it("gives yargs' factory the shim yargs' own Node entry point builds", async () => {
    const own = (await import(new URL('lib/platform-shims/esm.mjs', YARGS_ENTRY).href)) as { default: Record<string, unknown> };
    const ours = platformShim();
    expect(shape(ours)).toEqual(shape(own.default));
    expect(ours['mainFilename']).toBe(own.default['mainFilename']);
  });

  it('renders the same help text as `import yargs from "yargs"`', async () => {
    const lazy = await loadYargs();
    for (const argv of [[], ['run']]) {
      const stock = await sample(yargs(argv)).getHelp();
      expect(stock).toContain('全角');
      expect(await sample(lazy(argv)).getHelp()).toBe(stock);
    }
  });

  it('parses and rejects arguments as stock yargs does', async () => {
    const lazy = await loadYargs();
    const argv = ['run', '--size', '8MiB', '-vv'];
    const stock = await sample(yargs(argv)).parseAsync();
    expect(await sample(lazy(argv)).parseAsync()).toEqual(stock);
    const failure = async (y: Argv): Promise<string> => {
      try {
        await y
          .fail((msg) => {
            throw new Error(msg);
          })
          .parseAsync();
        return 'parsed';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const rejected = await failure(sample(yargs(['run', '--bogus'])));
    expect(rejected).toContain('bogus');
    expect(await failure(sample(lazy(['run', '--bogus'])))).toBe(rejected);
  });

  it('drops node and the script from argv as yargs/helpers does', () => {
    const argv = [process.execPath, '/usr/bin/mpx-tunnel', 'client', '-p', '4'];
    expect(hideBin(argv)).toEqual(stockHideBin(argv));
  });

  it('loads cliui and string-width when help is rendered, not when arguments are parsed', () => {
    const script = `
      import { Module } from 'node:module';
      const { loadYargs } = await import(${JSON.stringify(DIST)});
      const loaded = () => Object.keys(Module._cache).filter((path) => /[\\\\/](cliui|string-width)[\\\\/]/.test(path)).length > 0;
      const yargs = await loadYargs();
      await yargs(['--size', '1']).option('size', { type: 'string' }).strict().parseAsync();
      const afterParse = loaded();
      await yargs([]).option('size', { type: 'string', describe: 'a size' }).getHelp();
      console.log(JSON.stringify({ afterParse, afterHelp: loaded() }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ afterParse: false, afterHelp: true });
  });
});
