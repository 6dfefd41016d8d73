// Redial delays: exponential backoff with full jitter, I/O-free.

export interface BackoffOptions {
  /** Delay after the first failure, ms. */
  readonly initialMs: number;
  /** Ceiling of the delay, ms. */
  readonly maxMs: number;
  /** Random source in [0, 1); injected so tests are deterministic. */
  readonly random: () => number;
}

/**
 * The delay before attempt `failures + 1`: a random value in [d/2, d] where
 * d = min(maxMs, initialMs × 2^(failures − 1)).
 *
 * Rationale: "equal jitter" keeps a floor of half the delay (a dead server is
 * not hammered) while spreading clients that lost their carriers at the same
 * moment, so they do not all redial in lockstep.
 */
export function backoffDelay(failures: number, options: BackoffOptions): number {
  if (failures <= 0) return 0;
  const exp = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(exp / 2 + (exp / 2) * options.random());
}
