// What every dial shares, whatever it dials (TCP, TLS, a WebSocket over
// either): the deadline, the abort signal and the error each one rejects with
// (see the contract in @mpx/core's transport.ts). @mpx/transport-ws uses it too.
import { MpxError } from '@mpx/core';

/** The error a dial rejects with when its signal aborts (or it is cancelled): Node's ABORT_ERR, `cause` the abort reason. */
export function abortError(signal: Pick<AbortSignal, 'reason'> | undefined): Error {
  const err = new Error('The dial was aborted', { cause: signal?.reason });
  err.name = 'AbortError';
  (err as Error & { code: string }).code = 'ABORT_ERR';
  return err;
}

/**
 * Arms a dial's deadline and its abort signal: whichever comes first calls
 * `fail` with MPX_ERR_CONNECT_TIMEOUT ("`what` timed out after …") or the
 * abort error. Returns `settle`, which every way out of the dial (`fail`
 * included) calls first: it disarms both and returns false when the dial had
 * already settled, so the dial settles exactly once.
 */
export function guardDial(what: string, connectTimeoutMs: number, signal: AbortSignal | undefined, fail: (err: Error) => void): () => boolean {
  let settled = false;
  const timer = setTimeout(() => {
    fail(new MpxError('MPX_ERR_CONNECT_TIMEOUT', `${what} timed out after ${connectTimeoutMs} ms`));
  }, connectTimeoutMs);
  const onAbort = (): void => fail(abortError(signal));
  signal?.addEventListener('abort', onAbort, { once: true });
  return () => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    return true;
  };
}
