// A heap ballast for the tunnel process: a block of V8 heap that is held for
// the life of the process and never touched again.
//
// Why: every socket read hands JavaScript a fresh 64 KiB ArrayBuffer whose
// backing store is external memory. V8 (Node 20, V8 11.3) counts external
// memory allocated since the last Mark-Compact against the old generation's
// allocation limit, and it derives that limit from the live heap after each
// Mark-Compact. The tunnel's live heap is small (~8 MB), so the limit is only
// ~20-35 MB, while between two scavenges ~30 MB of already dead read buffers
// pile up at a few hundred MB/s. Once one Mark-Compact has happened the
// process stays in a loop: a Mark-Compact every ~30 MB of traffic (~30 per
// GB), a third of its CPU time. Measured with `--trace-gc` and
// `--trace-incremental-marking`: marking starts with the old generation at
// 8 MB of a 19-35 MB limit; promoted bytes per scavenge are ~0, so neither
// buffer retention nor copies in the data path cause it (removing both did
// not change the count). A plain relay escapes only because it never has a
// Mark-Compact during its transfer.
//
// The ballast raises the live old generation, hence the limit V8 computes
// from it, above what the external churn between scavenges reaches. It is an
// array of doubles: V8 stores it unboxed, so marking never scans its
// elements, and it sits in large-object space, so it is never copied.
// Measured on loopback (1 GiB, 1 and 2 carriers): Mark-Compacts per GB from
// ~30 to ~0, CPU from ~4.1 to ~2.9 s/GB. The cost is its size in resident
// memory. `MPX_HEAP_BALLAST_MB` overrides the size (0 turns it off).

/** Rationale: 16 MiB left the 2-carrier server in the loop in about half the runs, 32 MiB in one of seven. */
export const DEFAULT_HEAP_BALLAST_MB = 32;

let ballast: number[] | undefined;

/** The ballast size `MPX_HEAP_BALLAST_MB` asks for, in MiB: default when unset or not a number ≥ 0, at most 1024. */
export function ballastMegabytes(env: NodeJS.ProcessEnv): number {
  const raw = env.MPX_HEAP_BALLAST_MB;
  const parsed = raw === undefined || raw.trim() === '' ? DEFAULT_HEAP_BALLAST_MB : Number(raw);
  return Number.isFinite(parsed) && parsed >= 0 ? Math.min(parsed, 1024) : DEFAULT_HEAP_BALLAST_MB;
}

/** Allocates the ballast once (see above); returns its size in MiB. */
export function reserveHeapBallast(env: NodeJS.ProcessEnv = process.env): number {
  if (ballast !== undefined) return (ballast.length * 8) / (1024 * 1024);
  const mb = ballastMegabytes(env);
  if (mb === 0) return 0;
  ballast = new Array<number>(Math.floor((mb * 1024 * 1024) / 8)).fill(0.5);
  return mb;
}
