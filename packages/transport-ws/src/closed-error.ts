// The error a carrier fails with when its WebSocket closed under it: the
// close code (RFC 6455 §7.4) is the cause, whatever else failed after it.
//
// When a peer or a proxy between closes a WebSocket, the carrier hears of it
// in several ways, in no fixed order: a close frame, the socket's end, and
// writes that fail because the connection is going (EPIPE, ECONNRESET,
// "closing"). Only the close code tells why, and ws reports it last (its
// 'close' event, after the socket closed), so a write that fails while the
// WebSocket is closing waits for it (ws-duplex.ts) and fails with this error.
import { MpxError } from '@mpx/core';
import { CloseCode } from './close-codes.js';

/** The names of the close codes a log line may show (RFC 6455 §7.4.1). */
const CLOSE_CODE_NAMES: Readonly<Record<number, string>> = {
  [CloseCode.NORMAL]: 'normal closure',
  [CloseCode.GOING_AWAY]: 'going away',
  [CloseCode.PROTOCOL_ERROR]: 'protocol error',
  [CloseCode.UNSUPPORTED_DATA]: 'unsupported data',
  [CloseCode.NO_STATUS]: 'no status code',
  [CloseCode.POLICY_VIOLATION]: 'policy violation',
  [CloseCode.MESSAGE_TOO_BIG]: 'message too big',
  [CloseCode.INTERNAL_ERROR]: 'internal error',
};

/** `1009 (message too big)`, `4000`: a close code with its name where it has one. */
export function describeCloseCode(code: number): string {
  const name = CLOSE_CODE_NAMES[code];
  return name === undefined ? String(code) : `${code} (${name})`;
}

/**
 * MPX_ERR_CARRIER_CLOSED with the WebSocket close code that ended the
 * carrier (`closeCode`; 1006: no close frame came, the connection just
 * closed). `cause`: a write error that came first, if any.
 */
export class WebSocketClosedError extends MpxError {
  readonly closeCode: number;
  readonly closeReason: string;

  constructor(closeCode: number, closeReason: string, options: { cause?: unknown } = {}) {
    super('MPX_ERR_CARRIER_CLOSED', closedMessage(closeCode, closeReason), options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'WebSocketClosedError';
    this.closeCode = closeCode;
    this.closeReason = closeReason;
  }
}

function closedMessage(code: number, reason: string): string {
  if (code === CloseCode.ABNORMAL) return 'the connection closed without a WebSocket close frame (1006)';
  // The reason is the peer's text: shown only when it is short printable ASCII (ours is an error code, close-codes.ts).
  const why = /^[\x20-\x7e]{1,123}$/.test(reason) ? `, ${reason}` : '';
  return `closed by the peer with ${describeCloseCode(code)}${why}`;
}
