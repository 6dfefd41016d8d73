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
 * `capMs` lowers the ceiling for this one delay (the jitter stays): the
 * client caps redials while streams wait for a carrier (SPEC §9, "Redial").
 *
 * Rationale: "equal jitter" keeps a floor of half the delay (a dead server is
 * not hammered) while spreading clients that lost their carriers at the same
 * moment, so they do not all redial in lockstep.
 */
export function backoffDelay(failures: number, options: BackoffOptions, capMs = Infinity): number {
  if (failures <= 0) return 0;
  const exp = Math.min(options.maxMs, capMs, options.initialMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(exp / 2 + (exp / 2) * options.random());
}

/**
 * Ceiling of the redial delay while streams wait and no carrier is up, ms.
 * Rationale: backoff spares a dead server; while streams wait, a server that
 * came back must be found within a fraction of a second. The bench's outage
 * goal is the first byte ≤ 300 ms after the paths return, every time: the
 * redial wait (≤ this), a connect, the handshake's round trip and the first
 * retransmitted frame must fit, and on a loaded machine the last three took
 * 20–120 ms, so 250 ms left no margin. Five dials a second per target is a
 * cost a dead server bears easily.
 */
export const WAITING_REDIAL_CAP_MS = 200;

/**
 * A carrier that closes sooner than this after coming up counts against its
 * target like a failed dial (SPEC §9 "Redial"). Rationale: a path that cuts
 * every carrier once data flows (a proxy that refuses large WebSocket
 * messages, a server that drops the carrier at once) lets every dial
 * succeed, so without this the client redialled hundreds of times a second.
 * A carrier that lived this long proves its path: a proxy's or a network's
 * verdict on a carrier's first data comes within a few round trips.
 */
export const YOUNG_CARRIER_MS = 2_000;
