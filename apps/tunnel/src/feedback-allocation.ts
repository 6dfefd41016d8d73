// Inline caches from a function's first call: `--no-lazy-feedback-allocation`.
// (docs/decisions/0008-cold-opens.md)
//
// V8 (11.3, Node 20) gives a function its feedback vector, where the inline
// caches of its property loads, stores and calls remember what they saw, only
// after the function has run ~1 KB of bytecode (`--lazy-feedback-allocation`,
// a memory saving for code that runs once). Until then every property access
// takes the generic lookup. The tunnel's per-connection code (accept, open
// a stream, frame, dial, splice, close: a few hundred functions in both
// processes) runs a handful of times per connection, so a fresh tunnel's first
// connections ran all of it without caches: the first 20 connections of an
// idle tunnel cost client + server ~4 ms of CPU each instead of ~1.5 ms warm.
// With vectors from the first call they cost ~1 ms less each (measured on
// loopback, on-CPU time from /proc/<pid>/schedstat), and idle RSS did not
// move measurably (the vectors of functions that run once are small). What
// is left of the gap is optimized code, which V8 makes only after thousands
// of calls; earlier Sparkplug or TurboFan (`--always-sparkplug`, a lower
// `--interrupt-budget`) showed no gain in 20 connections.
//
// Set once the command line is parsed and before the command starts, so that
// the command's code gets its vectors from its first call (V8 reads the flag
// whenever it first compiles a function). The operator's
// `--lazy-feedback-allocation` or `--no-lazy-feedback-allocation` on node's
// command line wins.
import { setV8SwitchUnlessSet } from './v8-flag.js';

/** Makes V8 give every function compiled from now on its feedback vector at its first call, unless the operator named the flag; returns what was set. */
export function allocateFeedbackEagerly(execArgv: readonly string[] = process.execArgv): string | undefined {
  return setV8SwitchUnlessSet('lazy-feedback-allocation', false, execArgv);
}
