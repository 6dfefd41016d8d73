// Start-up does not size V8's young generation; traffic does.
// (docs/decisions/0003-young-generation.md)
//
// V8 doubles the young generation's semispaces (1 → 16 MiB each) whenever a
// scavenge finds that more bytes survived than it holds, and never gives them
// back. Loading yargs and the tunnel's modules allocates ~40 MB in 250 ms,
// much of it surviving while the module graph is linked, so an idle client
// or server held 71-75 MB RSS instead of 63-64 MB. The executable therefore
// holds growth off (`--semi-space-growth-factor=1`) until the command runs,
// then gives V8 its default back: under load a large young generation lets
// short-lived objects die young instead of being promoted to an old
// generation that is collected rarely (heap-growth.ts); kept small for good,
// the abuse flood's peak went from 133 to 161 MiB.
//
// cli.ts holds it before it imports the rest of the program: an ES module
// graph is parsed and compiled as a whole before any of it runs. An
// operator's own `--semi-space-growth-factor` on node's command line wins.
import { setV8FlagUnlessSet } from './v8-flag.js';

const FLAG = 'semi-space-growth-factor';
/** V8's own growth factor (V8 11.3, Node 20), given back once the command runs. */
export const V8_SEMI_SPACE_GROWTH = 2;

/** Stops the young generation from growing (first thing in the process); returns what was set. */
export function holdYoungGeneration(execArgv: readonly string[] = process.execArgv): string | undefined {
  return setV8FlagUnlessSet(FLAG, 1, execArgv);
}

/** Lets it grow again as V8 sees fit (once the command runs). */
export function releaseYoungGeneration(execArgv: readonly string[] = process.execArgv): string | undefined {
  return setV8FlagUnlessSet(FLAG, V8_SEMI_SPACE_GROWTH, execArgv);
}
