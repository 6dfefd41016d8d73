// WebSocket close codes (RFC 6455 §7.4.1) used by mpx carriers, and how a
// close code maps to the end of the carrier's byte stream.
//
//   sent by us                        when
//   1000 NORMAL            both sides ended (EOF sent and received, see ws-duplex.ts)
//   1001 GOING_AWAY        listener.closeAll(): the server shuts down
//   1003 UNSUPPORTED_DATA  the peer sent a text message (mpx is binary only)
//   1008 POLICY_VIOLATION  destroy(err) with an mpx protocol or auth error, data after EOF
//   1009 MESSAGE_TOO_BIG   sent by ws itself when a message exceeds maxPayload
//   1011 INTERNAL_ERROR    destroy(err) with any other error
//   (none: TCP close)      destroy() without an error: ws.terminate(), like socket.destroy()
//
// Received 1000, 1001 and 1005 (no code) end the readable side cleanly ('end'
// then 'close'); so does 1006 (connection dropped without a close frame) once
// the peer's EOF came. 1006 before the peer's EOF (it terminated, or a proxy
// between cut the connection: its byte stream is cut short) and any other
// code destroy the carrier with a WebSocketClosedError (MPX_ERR_CARRIER_CLOSED,
// closed-error.ts); the code is kept on `carrier.closeCode`.
import { MpxError, MpxProtocolError } from '@mpx/core';

export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  NO_STATUS: 1005,
  ABNORMAL: 1006,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
} as const;

/** Close codes after which the peer's byte stream simply ends (1006: only after its EOF, see ws-duplex.ts). */
export function isCleanClose(code: number): boolean {
  return code === CloseCode.NORMAL || code === CloseCode.GOING_AWAY || code === CloseCode.NO_STATUS || code === CloseCode.ABNORMAL;
}

/** The close code to send when the carrier is destroyed with `err`. */
export function closeCodeFor(err: unknown): number {
  if (MpxProtocolError.isProtocolError(err)) return CloseCode.POLICY_VIOLATION;
  if (MpxError.isMpxError(err)) {
    switch (err.code) {
      case 'MPX_ERR_PROTOCOL':
      case 'MPX_ERR_AUTH_FAILED':
        return CloseCode.POLICY_VIOLATION;
      case 'MPX_ERR_GOING_AWAY':
        return CloseCode.GOING_AWAY;
      default:
        return CloseCode.INTERNAL_ERROR;
    }
  }
  return CloseCode.INTERNAL_ERROR;
}

/** The close reason sent with `err`: its stable code only (never the message text), ASCII, at most 123 bytes (RFC 6455 §5.5). */
export function closeReasonFor(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[\x20-\x7e]{1,123}$/.test(code) ? code : '';
}
