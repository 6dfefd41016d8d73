// SPEC §11: every error mpx raises has a stable `code`; protocol errors also
// carry the wire code to send to the peer. Never classify an error by its text.
import type { OptionRule } from './bounds.js';
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

/**
 * Brands on the prototypes, registered with Symbol.for so that the checks
 * below hold across two copies of @mpx/core in one process, where
 * `instanceof` does not.
 */
const MPX_ERROR = Symbol.for('@mpx/core.MpxError');
const MPX_PROTOCOL_ERROR = Symbol.for('@mpx/core.MpxProtocolError');

function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * The bound a local limit error hit: an option of ServerOptions or
 * SessionOptions; `handshakeFrame`, the fixed frame size limit until the
 * handshake is done (SPEC §3); `reorderGaps`, the gaps a session's reorder
 * buffers may hold, set by its receive window (SPEC §7.3); or
 * `carrierWriteBuffer`, the replies a carrier queues for a peer that reads
 * nothing (overflow-guard.ts). Errors received from the peer carry none.
 */
export type MpxLimit = 'maxSessions' | 'maxCarriersPerSession' | 'maxPendingHandshakes' | 'handshakeFrame' | 'reorderGaps' | 'carrierWriteBuffer';

export interface MpxErrorOptions {
  cause?: unknown;
  wireCode?: number;
  limit?: MpxLimit;
}

/** Base class of every error mpx raises. */
export class MpxError extends Error {
  readonly code: MpxErrorCode;
  /** The wire code (SPEC §11) sent or received with this error, if any. */
  readonly wireCode: number | undefined;
  /** Which local limit was hit, for LIMIT_EXCEEDED and FRAME_TOO_LARGE raised here. */
  readonly limit: MpxLimit | undefined;

  constructor(code: MpxErrorCode, message: string, options?: MpxErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MpxError';
    this.code = code;
    this.wireCode = options?.wireCode;
    this.limit = options?.limit;
  }

  /** True for an error mpx raised (any copy of @mpx/core): classify it by `code`, never by its message. */
  static isMpxError(value: unknown): value is MpxError {
    return hasBrand(value, MPX_ERROR);
  }

  /** The `code` of an mpx error, or undefined for anything else (a system error's `code` included). */
  static codeOf(value: unknown): MpxErrorCode | undefined {
    return MpxError.isMpxError(value) ? value.code : undefined;
  }
}
Object.defineProperty(MpxError.prototype, MPX_ERROR, { value: true });

/**
 * A violation of the wire protocol by the peer. `wireCode` is what the
 * receiver sends in CLOSE before closing the carrier (SPEC §10.2).
 */
export class MpxProtocolError extends MpxError {
  declare readonly wireCode: number;

  constructor(wireCode: number, message: string, options?: Omit<MpxErrorOptions, 'wireCode'>) {
    super(localCodeOf(wireCode, 'MPX_ERR_PROTOCOL'), message, { ...options, wireCode });
    this.name = 'MpxProtocolError';
  }

  /** True for a protocol violation by the peer (any copy of @mpx/core). */
  static isProtocolError(value: unknown): value is MpxProtocolError {
    return hasBrand(value, MPX_PROTOCOL_ERROR);
  }
}
Object.defineProperty(MpxProtocolError.prototype, MPX_PROTOCOL_ERROR, { value: true });

/**
 * MPX_ERR_INVALID_CONFIG: an option out of its bounds (bounds.ts), or two
 * options that do not go together. `fields` names the options at fault, in
 * the order the message does, so that an application can name its own flags
 * instead; `rule` is the rule between two options that was broken, if any.
 */
export class MpxConfigError extends MpxError {
  declare readonly code: 'MPX_ERR_INVALID_CONFIG';
  readonly fields: readonly string[];
  readonly rule: OptionRule | undefined;

  constructor(fields: readonly string[], message: string, rule?: OptionRule) {
    super('MPX_ERR_INVALID_CONFIG', message);
    this.name = 'MpxConfigError';
    this.fields = fields;
    this.rule = rule;
  }

  /** True for an MpxConfigError (any copy of @mpx/core): every MPX_ERR_INVALID_CONFIG that mpx raises. */
  static isConfigError(value: unknown): value is MpxConfigError {
    return MpxError.codeOf(value) === 'MPX_ERR_INVALID_CONFIG' && Array.isArray((value as { fields?: unknown }).fields);
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
  if (MpxError.isMpxError(err) && err.wireCode !== undefined) return err.wireCode;
  if (MpxError.isMpxError(err)) {
    for (const [wire, local] of LOCAL_BY_WIRE) if (local === err.code) return wire;
  }
  return WireCode.CANCEL;
}

export function wireCodeName(wireCode: number): string {
  for (const [name, value] of Object.entries(WireCode)) if (value === wireCode) return name;
  return `0x${wireCode.toString(16)}`;
}
