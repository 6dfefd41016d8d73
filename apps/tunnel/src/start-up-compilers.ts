// V8's compilers beyond its interpreter (Sparkplug, TurboFan) are off while
// mpx-tunnel loads and starts, and until its first stream (the server's and
// the client's) or right after start (the relay, the primary of --workers).
// (docs/decisions/0006-idle-memory.md)
//
// Start-up runs yargs' parser and the module graph's top-level code once,
// and bringing carriers up (their handshakes; with ws:// the client's
// masking of every frame) runs a little more; some of it loops enough that
// V8 compiled it to machine code, and the first TurboFan compilation brings
// ~4-5 MB of the node binary's own pages (the optimizing compiler) and its
// zone memory into RSS, which an idle process then keeps: idle RSS 65-69 MB
// with them, 59-61 MB without (ws:// client 69-78 MB, 62-63 without).
// Code that runs once gains nothing from being optimized. Traffic is what
// needs the compilers, and traffic comes in streams.
//
// V8 reads both flags each time it considers tiering a function up, so setting
// them at run time works (`--max-opt` does not: lowering it turns the
// compilers off through flag implications that raising it does not undo). An
// operator who names any of these flags on node's command line (`--no-opt`,
// `--jitless`, `--max-opt=…`, …) keeps their setting, and then the tunnel
// sets none of them.
import { setFlagsFromString } from 'node:v8';
import { v8FlagNamed } from './v8-flag.js';

/** The flags V8 checks before tiering up, and those that imply them (an operator's setting of any one wins). */
const COMPILER_FLAGS = ['opt', 'turbofan', 'sparkplug', 'max-opt', 'jitless', 'maglev', 'always-sparkplug'];

/** Whether the tunnel may set the compilers' flags (the operator named none of them). */
export function compilersOurs(execArgv: readonly string[] = process.execArgv): boolean {
  return !v8FlagNamed(execArgv, COMPILER_FLAGS);
}

let held = false;

/** Turns Sparkplug and TurboFan off (first thing in the process); returns what was set. */
export function holdCompilers(execArgv: readonly string[] = process.execArgv): string | undefined {
  if (!compilersOurs(execArgv)) return undefined;
  held = true;
  return set('--no-opt --no-sparkplug');
}

/** Turns them on again if held (cheap to call per stream: only the first call sets anything); returns what was set. */
export function resumeCompilers(): string | undefined {
  if (!held) return undefined;
  held = false;
  return set('--opt --sparkplug');
}

function set(flags: string): string {
  setFlagsFromString(flags);
  return flags;
}
