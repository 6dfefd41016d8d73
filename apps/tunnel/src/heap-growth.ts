// How far V8's old generation may grow past its live size before the next
// full collection (`--heap-growing-percent`), set by the mpx-tunnel process
// for itself, replacing the heap ballast of earlier versions. (Its other V8
// settings: young-generation.ts, feedback-allocation.ts, inlining-budget.ts.)
//
// Why: every socket read hands JavaScript a fresh buffer whose backing store
// is external memory (dialled carriers read into one reused buffer, but each
// payload that outlives the read is still copied into a fresh one, as many
// bytes as the read), and Node 20's V8 (11.3) counts external memory
// allocated since the last Mark-Compact against an old-generation limit it
// derives from the live heap. The tunnel's live heap is small (~8 MB), so at
// a few hundred MB/s dead read buffers waiting for the next scavenge cross
// that limit and the process falls into a full collection every ~20-30 MB of
// traffic (with `--trace-gc`: ~60 Mark-Compacts per GB each side, CPU 4.3
// instead of 2.5 s/GB; docs/decisions/0001-no-heap-ballast.md). A larger
// growing factor raises the limit the same way a ballast did, without
// holding any memory: the limit is a number, not an allocation. V8 reads the
// flag whenever it recomputes the limit, so setting it at start-up works.
//
// It is the operator's to change: a `--heap-growing-percent` on node's
// command line (`node --heap-growing-percent=N …/cli.js`) wins, and is left
// alone. Node does not accept V8 flags such as this one in NODE_OPTIONS.
import { setV8FlagUnlessSet, v8FlagUnlessSet } from './v8-flag.js';

/**
 * Old-generation limit as a percentage above the live heap (V8's factor is
 * 1 + percent / 100). Rationale: with 1000 (×11) a 2-carrier GB on loopback
 * had no Mark-Compact either way and the ballast's CPU per GB (2.5-2.8 s);
 * 400 still had 4-10 per GB; V8's own factor (1.1-4, dynamic) ~60.
 */
export const HEAP_GROWING_PERCENT = 1000;

/** The flag to set, or undefined when the operator set one on node's command line. */
export function heapGrowthFlag(execArgv: readonly string[]): string | undefined {
  return v8FlagUnlessSet(execArgv, 'heap-growing-percent', HEAP_GROWING_PERCENT);
}

/** Sets the flag unless the operator did; returns what was set. */
export function setHeapGrowth(execArgv: readonly string[] = process.execArgv): string | undefined {
  return setV8FlagUnlessSet('heap-growing-percent', HEAP_GROWING_PERCENT, execArgv);
}
