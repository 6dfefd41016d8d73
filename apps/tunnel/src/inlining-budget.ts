// How much code V8's optimizing compiler (TurboFan) may inline into one
// function: half of V8's budget (`--max-inlined-bytecode-size-cumulative`),
// set before any traffic. (docs/decisions/0020-inlining-budget.md)
//
// A fresh tunnel's first work is mostly TurboFan compiling it: with
// `--trace-opt`, a fresh `client -p 4` and server to nginx compiled 120-150
// functions each in their first second of `wrk -c 64` (0.37-0.66 s of compile
// time per process, on V8's worker threads but on the same two cores), and
// ~25 more each in the first 40 MB of a bulk download, 84-184 ms per process:
// nearly all of what that first 40 MB cost above warm bytes (7.0-9.5 against
// 2.5-3.5 CPU s/GB of both processes). A compile's time grows with the code
// inlined into it, and the tunnel's hot functions inline deeply (the
// scheduler's pick, a carrier's read, the reorder buffer's insert: 15-38 ms
// each). With half the budget, compile time in those phases fell by a
// quarter to a third and the first 40 MB of a fresh tunnel cost 5.5-7.75
// instead of 7.0-9.5 s/GB, while warm bulk transfers, `wrk -c 64` and
// one-connection request/response cost the same per byte and per request in
// paired rigs. A quarter of the budget saved more compile time but cost one
// connection's requests up to 12 % more CPU each (5 pairs of 6), so it
// was not taken.
//
// TurboFan reads the flag at each compile, so setting it at run time works.
// The operator's own value on node's command line wins.
import { setV8FlagUnlessSet, v8FlagUnlessSet } from './v8-flag.js';

const FLAG = 'max-inlined-bytecode-size-cumulative';
/** V8's own budget (V8 11.3, Node 20): bytecode bytes inlined into one optimized function. */
export const V8_INLINING_BUDGET = 920;
/** The tunnel's budget. Rationale: above. */
export const INLINING_BUDGET = 460;

/** The flag to set, or undefined when the operator named it on node's command line. */
export function inliningBudgetFlag(execArgv: readonly string[]): string | undefined {
  return v8FlagUnlessSet(execArgv, FLAG, INLINING_BUDGET);
}

/** Sets the tunnel's inlining budget unless the operator named the flag; returns what was set. */
export function setInliningBudget(execArgv: readonly string[] = process.execArgv): string | undefined {
  return setV8FlagUnlessSet(FLAG, INLINING_BUDGET, execArgv);
}
