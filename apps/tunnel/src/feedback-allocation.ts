// Inline caches from a function's first call (`--no-lazy-feedback-allocation`),
// from a process's first carrier on. (docs/decisions/0008-cold-opens.md)
//
// V8 (11.3, Node 20) gives a function its feedback vector, where the inline
// caches of its property loads, stores and calls remember what they saw, only
// after the function has run ~1 KB of bytecode (`--lazy-feedback-allocation`,
// a memory saving for code that runs once). Until then every property access
// takes the generic lookup. The per-connection code (accept, open a stream,
// dial, splice, close: hundreds of functions in the two processes) runs a
// few times per connection, so a fresh tunnel's first connections ran it all
// without caches: opens 3-20 of a fresh tunnel cost client + server 3.6-4.1
// ms of CPU each, against 1.3-1.8 warm (loopback, /proc/<pid>/schedstat).
//
// When: at the first carrier that is up (client: connected and logged in;
// server: accepted into a session), so that the code the handshake and the
// first frames compiled keeps V8's lazy vectors and only what is first
// compiled after, the per-connection code, gets them at once. Set at start
// instead, a bulk upload cost 0-18 % more CPU per GB than without the flag
// (median 8 %, 11 alternated pairs); set at the first carrier, 2-15 %
// (median 3 %, 6 pairs; the machine was loaded, so this is not resolved).
// Opens 3-20, CPU per open: 2.7-3.4 ms (mean 3.05) at the first carrier,
// 2.8-3.4 (3.0) from the start, 3.0-4.1 (3.7) without. Idle RSS did not
// move measurably.
// Earlier Sparkplug or TurboFan (`--always-sparkplug`, a lower
// `--interrupt-budget`) showed no gain in 20 connections.
//
// V8 reads the flag when it first compiles a function, so setting it at run
// time works. The operator's `--lazy-feedback-allocation` or
// `--no-lazy-feedback-allocation` on node's command line wins.
import type { Logger } from './log.js';
import { setV8SwitchUnlessSet } from './v8-flag.js';

/** Makes V8 give every function compiled from now on its feedback vector at its first call, unless the operator named the flag; returns what was set. */
export function allocateFeedbackEagerly(execArgv: readonly string[] = process.execArgv): string | undefined {
  return setV8SwitchUnlessSet('lazy-feedback-allocation', false, execArgv);
}

let asked = false;

/** Call at every carrier that comes up: the first call sets the flag (allocateFeedbackEagerly) and logs what it did at debug; later calls do nothing. */
export function allocateFeedbackAtFirstCarrier(log: Logger, execArgv: readonly string[] = process.execArgv): void {
  if (asked) return;
  asked = true;
  const flag = allocateFeedbackEagerly(execArgv);
  log.debug(
    flag === undefined ? "V8 feedback allocation: as set on node's command line" : `V8 feedback allocation from the first carrier on: ${flag}`,
  );
}
