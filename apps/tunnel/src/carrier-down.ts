// What the client's and the server's "carrier … down" lines say after the
// carrier: how long it was up (a proxy's idle timeout or connection cap
// shows as carriers that all go after the same time), and why it went. A
// WebSocket carrier closed under it names its close code
// (@mpx/transport-ws closed-error.ts) and what a proxy between may have
// done: a message too big for it (1009), or the connection cut without a
// close frame (1006).
import { MpxError } from '@mpx/core';
import { limitHint } from './limits.js';
import { describeError } from './log.js';

/** When each carrier that is up came up (process-wide ids: CarrierStats.id), to say how long it lived. */
export class CarrierAges {
  readonly #upAt = new Map<number, number>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  up(id: number): void {
    this.#upAt.set(id, this.#now());
  }

  /** How long the carrier was up, ms; undefined if its coming up was not seen. Forgets it. */
  down(id: number): number | undefined {
    const at = this.#upAt.get(id);
    this.#upAt.delete(id);
    return at === undefined ? undefined : this.#now() - at;
  }
}

/** `5.0 s`, `312.4 s`, `42 min`: tenths of a second up to ten minutes, whole minutes beyond. */
export function formatLifetime(ms: number): string {
  const seconds = ms / 1000;
  return seconds < 600 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds / 60)} min`;
}

/** `err` and its causes, the first five at most. */
function* causeChain(err: unknown): Generator<Error> {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) yield e;
}

/** The WebSocket close error (@mpx/transport-ws WebSocketClosedError) in `err`'s cause chain, if any. */
function webSocketClose(err: unknown): (Error & { closeCode: number }) | undefined {
  for (const e of causeChain(err)) {
    if (MpxError.isMpxError(e) && e.code === 'MPX_ERR_CARRIER_CLOSED' && typeof (e as { closeCode?: unknown }).closeCode === 'number') {
      return e as MpxError & { closeCode: number };
    }
  }
  return undefined;
}

/** ws' own error for a message above maxPayload (it then closes with 1009), in `err`'s cause chain. */
function messageTooBigReceived(err: unknown): boolean {
  for (const e of causeChain(err)) if ((e as { code?: unknown }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return true;
  return false;
}

const MESSAGE_SIZE_HINT = 'a proxy may limit message size, see --ws-max-message';

/**
 * The end of a carrier-down line after "down": ` after 5.0 s` (when known),
 * then `scope` (the server's ` (session 1a2b3c4d)`), then why: `: <error>`
 * or a parenthesis for a carrier that closed without one.
 */
export function carrierDownText(err: MpxError | undefined, livedMs: number | undefined, scope = ''): string {
  const after = livedMs === undefined ? '' : ` after ${formatLifetime(livedMs)}`;
  return `${after}${scope}${carrierDownReason(err)}`;
}

function carrierDownReason(err: MpxError | undefined): string {
  // No error: closed cleanly, by either side (--max-carrier-age, a shutdown).
  if (err === undefined) return ' (closed without an error)';
  const closed = webSocketClose(err);
  if (closed?.closeCode === 1006) {
    return ` (the connection closed without a WebSocket close frame, 1006): a proxy between may have cut it (an idle timeout, or a limit on message size: see --ws-max-message)`;
  }
  if (closed?.closeCode === 1009) return `: ${closed.message}: ${MESSAGE_SIZE_HINT}`;
  if (closed !== undefined) return `: ${closed.message}`;
  if (messageTooBigReceived(err)) return `: the peer sent a WebSocket message over this end's limit, closed with 1009 (message too big)`;
  return `: ${describeError(err)}${limitHint(err, 'carrier')}`;
}
