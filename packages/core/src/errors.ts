// SPEC §11: every error mpx raises has a stable `code`; protocol errors also
// carry the wire code to send to the peer. Never classify an error by its text.
import { WireCode } from './constants.js';

export type MpxErrorCode =
  | 'MPX_ERR_PROTOCOL'
  | 'MPX_ERR_UNSUPPORTED_VERSION'
  | 'MPX_ERR_UNKNOWN_FRAME_TYPE'
  | 'MPX_ERR_FRAME_TOO_LARGE'
  | 'MPX_ERR_FLOW_CONTROL'
  | 'MPX_ERR_FINAL_SIZE'
  | 'MPX_ERR_STREAM_STATE'
  | 'MPX_ERR_AUTH_FAILED'
  | 'MPX_ERR_SESSION_UNKNOWN'
  | 'MPX_ERR_HANDSHAKE_TIMEOUT'
  | 'MPX_ERR_LIMIT_EXCEEDED'
  | 'MPX_ERR_IDLE_TIMEOUT'
  | 'MPX_ERR_STREAM_RESET'
  | 'MPX_ERR_STREAM_REFUSED'
  | 'MPX_ERR_SESSION_EXPIRED'
  | 'MPX_ERR_GOING_AWAY'
  | 'MPX_ERR_INTERNAL'
  | 'MPX_ERR_NOT_ALLOWED'
  | 'MPX_ERR_TARGET_UNREACHABLE'
  | 'MPX_ERR_SESSION_CLOSED'
  | 'MPX_ERR_CARRIER_CLOSED'
  | 'MPX_ERR_STREAM_IDS_EXHAUSTED'
  | 'MPX_ERR_INVALID_CONFIG'
  | 'MPX_ERR_CONNECT_TIMEOUT'
  | 'MPX_ERR_UPGRADE_REFUSED'
  | 'MPX_ERR_INVALID_ARGUMENT';

/** Base class of every error mpx raises. */
export class MpxError extends Error {
  readonly code: MpxErrorCode;
  /** The wire code (SPEC §11) sent or received with this error, if any. */
  readonly wireCode: number | undefined;

  constructor(code: MpxErrorCode, message: string, options?: { cause?: unknown; wireCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MpxError';
    this.code = code;
    this.wireCode = options?.wireCode;
  }
}

/**
 * A violation of the wire protocol by the peer. `wireCode` is what the
 * receiver sends in CLOSE before closing the carrier (SPEC §10.2).
 */
export class MpxProtocolError extends MpxError {
  declare readonly wireCode: number;

  constructor(wireCode: number, message: string, options?: { cause?: unknown }) {
    super(localCodeOf(wireCode, 'MPX_ERR_PROTOCOL'), message, { ...options, wireCode });
    this.name = 'MpxProtocolError';
  }
}

const LOCAL_BY_WIRE: ReadonlyMap<number, MpxErrorCode> = new Map<number, MpxErrorCode>([
  [WireCode.PROTOCOL, 'MPX_ERR_PROTOCOL'],
  [WireCode.UNSUPPORTED_VERSION, 'MPX_ERR_UNSUPPORTED_VERSION'],
  [WireCode.UNKNOWN_FRAME_TYPE, 'MPX_ERR_UNKNOWN_FRAME_TYPE'],
  [WireCode.FRAME_TOO_LARGE, 'MPX_ERR_FRAME_TOO_LARGE'],
  [WireCode.FLOW_CONTROL, 'MPX_ERR_FLOW_CONTROL'],
  [WireCode.FINAL_SIZE, 'MPX_ERR_FINAL_SIZE'],
  [WireCode.STREAM_STATE, 'MPX_ERR_STREAM_STATE'],
  [WireCode.AUTH_FAILED, 'MPX_ERR_AUTH_FAILED'],
  [WireCode.SESSION_UNKNOWN, 'MPX_ERR_SESSION_UNKNOWN'],
  [WireCode.HANDSHAKE_TIMEOUT, 'MPX_ERR_HANDSHAKE_TIMEOUT'],
  [WireCode.LIMIT_EXCEEDED, 'MPX_ERR_LIMIT_EXCEEDED'],
  [WireCode.IDLE_TIMEOUT, 'MPX_ERR_IDLE_TIMEOUT'],
  [WireCode.CANCEL, 'MPX_ERR_STREAM_RESET'],
  [WireCode.REFUSED, 'MPX_ERR_STREAM_REFUSED'],
  [WireCode.SESSION_EXPIRED, 'MPX_ERR_SESSION_EXPIRED'],
  [WireCode.GOING_AWAY, 'MPX_ERR_GOING_AWAY'],
  [WireCode.INTERNAL, 'MPX_ERR_INTERNAL'],
  [WireCode.NOT_ALLOWED, 'MPX_ERR_NOT_ALLOWED'],
  [WireCode.UNREACHABLE, 'MPX_ERR_TARGET_UNREACHABLE'],
]);

/** SPEC §11: the local code for a wire code, or `fallback` for unlisted codes. */
export function localCodeOf(wireCode: number, fallback: MpxErrorCode): MpxErrorCode {
  return LOCAL_BY_WIRE.get(wireCode) ?? fallback;
}

/** The wire code to send for a local error (used when a stream is destroyed with an error). */
export function wireCodeOf(err: unknown): number {
  if (err instanceof MpxError && err.wireCode !== undefined) return err.wireCode;
  if (err instanceof MpxError) {
    for (const [wire, local] of LOCAL_BY_WIRE) if (local === err.code) return wire;
  }
  return WireCode.CANCEL;
}

export function wireCodeName(wireCode: number): string {
  for (const [name, value] of Object.entries(WireCode)) if (value === wireCode) return name;
  return `0x${wireCode.toString(16)}`;
}
