// Every bound of every option, in one place (SPEC §12): range, default, unit.
// config.ts, server.ts, client.ts, client-pool.ts and the scheduler check
// against these tables, and applications (mpx-tunnel) derive their own flag
// checks and help text from them instead of repeating the numbers.
import { DATA_PREFIX_SIZE, MAX_MAX_FRAME, MIN_MAX_FRAME } from './constants.js';
import { MpxConfigError, MpxError, type MpxErrorCode } from './errors.js';
import { describeValue } from './option-names.js';

export interface Bound {
  /** Smallest value allowed (inclusive); every bound is a whole number. */
  readonly min: number;
  /** Largest value allowed (inclusive). */
  readonly max: number;
  /** The value taken when the option is left out. */
  readonly default: number;
  readonly unit: 'bytes' | 'ms' | 'count';
  readonly description: string;
}

/** 2^31 ms (about 24.8 days): the longest delay Node's timers accept. */
const MAX_MS = 2 ** 31;
const MAX_BYTES = 2 ** 31;
const MAX_COUNT = 0x7fffffff;
/** SPEC §3.2: the initial windows are u32 fields of HELLO and WELCOME. */
const MAX_WINDOW = 0xffffffff;

/** Bounds of the numeric SessionOptions (config.ts). */
export const SESSION_BOUNDS = {
  streamWindow: {
    min: 1024,
    max: MAX_WINDOW,
    // Rationale: 8 MiB per stream keeps four 100 Mbit/s carriers busy at 100 ms
    // round trip (4 × 12.5 MB/s × 0.1 s = 5 MB) with room for batching. It is
    // the maximum: a stream starts at INITIAL_STREAM_WINDOW (flow-control.ts)
    // and grows only for a reader that keeps up (SPEC §7.1).
    default: 8 * 1024 * 1024,
    unit: 'bytes',
    description: 'most credit per stream: a stream starts at 512 KiB (or this, if smaller) and grows to this only while its reader keeps up',
  },
  sessionWindow: {
    min: 1024,
    max: MAX_WINDOW,
    // Rationale: bounds what one session can make the receiver hold.
    default: 64 * 1024 * 1024,
    unit: 'bytes',
    description: 'credit per session: the most all streams of a session hold unread',
  },
  // Rationale: a bulk DATA frame (BULK_PAYLOAD and its offset, SPEC §8) fits with room to spare.
  maxFrame: { min: MIN_MAX_FRAME, max: MAX_MAX_FRAME, default: 131072, unit: 'bytes', description: 'largest frame body accepted' },
  maxPayload: {
    min: 1,
    max: MAX_MAX_FRAME - DATA_PREFIX_SIZE,
    // Rationale: 16 KiB frames stripe finely across carriers and keep
    // per-frame overhead (20 bytes) near 0.1%. Fast carriers take larger
    // ones from bulk streams (BULK_PAYLOAD, SPEC §8).
    default: 16384,
    unit: 'bytes',
    description: 'largest DATA payload sent on a carrier that is not fast (striping granularity)',
  },
  maxStreams: { min: 1, max: MAX_COUNT, default: 65536, unit: 'count', description: 'open peer-initiated streams allowed at once' },
  // Rationale: one payload. A stream holds at most this plus the writer's
  // last chunk once the session's queues together reach SEND_AHEAD, and
  // never more than the session's credit covers (SPEC §7.4).
  streamSendBuffer: {
    min: 0,
    max: MAX_BYTES,
    default: 16 * 1024,
    unit: 'bytes',
    description: "bytes a stream queues beyond its own credit, or once the session's queues reach 1 MiB, before write() returns false",
  },
  carrierWriteBuffer: {
    min: 1024,
    max: MAX_BYTES,
    default: 512 * 1024,
    unit: 'bytes',
    description: "bytes queued on a carrier before it is skipped until 'drain'",
  },
  handshakeTimeoutMs: { min: 1, max: MAX_MS, default: 10_000, unit: 'ms', description: 'time a carrier has to finish its handshake' },
  maxInFlight: {
    min: 64 * 1024,
    max: MAX_BYTES,
    // Rationale: 16 MiB covers a 1 Gbit/s path at 100 ms; the path estimate
    // usually caps a carrier far lower (1.25 bandwidth-delay products, SPEC §8).
    default: 16 * 1024 * 1024,
    unit: 'bytes',
    description: 'most unacknowledged bytes on one carrier',
  },
  pingIntervalMs: { min: 10, max: MAX_MS, default: 1_000, unit: 'ms', description: 'PING every carrier this often (liveness and RTT)' },
  deadAfterMs: {
    min: 20,
    max: MAX_MS,
    // Rationale: six missed pings. A blackholed CDN edge is noticed in
    // seconds (and before that, frames stuck on it are copied to the other
    // carriers, SPEC §8), while a path that is down for a few seconds and comes
    // back keeps its carriers and resumes at once, without redialling.
    default: 6_000,
    unit: 'ms',
    description: 'a carrier that hears nothing this long is closed',
  },
  graceMs: { min: 0, max: MAX_MS, default: 30_000, unit: 'ms', description: 'how long a session outlives the loss of its last carrier' },
  streamIdleTimeoutMs: {
    min: 0,
    max: MAX_MS,
    // Rationale: off. A tunnel carries SSH sessions and long polls that may be
    // silent for hours; cutting them is the application's choice.
    default: 0,
    unit: 'ms',
    description: 'reset a stream with no data either way for this long; 0 = never',
  },
} as const satisfies Record<string, Bound>;

/** Bounds of MpxServer's own options (server.ts). */
export const SERVER_BOUNDS = {
  maxSessions: { min: 1, max: MAX_COUNT, default: 10_000, unit: 'count', description: 'sessions one server holds' },
  maxCarriersPerSession: { min: 1, max: MAX_COUNT, default: 64, unit: 'count', description: 'carriers one session may have' },
  maxPendingHandshakes: { min: 1, max: MAX_COUNT, default: 4096, unit: 'count', description: 'carriers in their handshake at once' },
} as const satisfies Record<string, Bound>;

/** Bounds of MpxClient's own options (client-pool.ts). */
export const CLIENT_BOUNDS = {
  carriersPerTarget: { min: 1, max: 1024, default: 2, unit: 'count', description: 'carriers kept to each target' },
  maxCarrierAgeMs: { min: 0, max: MAX_MS, default: 0, unit: 'ms', description: 'replace a carrier older than this, its successor first; 0 = never' },
  backoffInitialMs: {
    min: 1,
    max: MAX_MS,
    default: 200,
    unit: 'ms',
    description: 'first redial delay after a failure; it doubles per failure, with jitter',
  },
  backoffMaxMs: { min: 1, max: MAX_MS, default: 10_000, unit: 'ms', description: 'longest redial delay' },
} as const satisfies Record<string, Bound>;

/** SPEC §3.2, §8: a carrier's scheduling weight (a u16 in HELLO, never 0). */
export const WEIGHT_BOUND = {
  min: 1,
  max: 0xffff,
  default: 1,
  unit: 'count',
  description: "a carrier's share of the bytes, relative to the others",
} as const satisfies Bound;

export type SessionBoundName = keyof typeof SESSION_BOUNDS;

/** `field` must be greater than `than`, else `why` happens. Checked by resolveOptions. */
export interface OptionRule {
  readonly field: SessionBoundName;
  readonly than: SessionBoundName;
  readonly why: string;
}

/** Rules between two session options (SPEC §12). */
export const SESSION_RULES: readonly OptionRule[] = [{ field: 'deadAfterMs', than: 'pingIntervalMs', why: 'carriers are dropped between pings' }];

/** True when `value` is a whole number within `bound`. */
export function inBounds(bound: Pick<Bound, 'min' | 'max'>, value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= bound.min && value <= bound.max;
}

function rangeMessage(name: string, bound: Pick<Bound, 'min' | 'max'>, value: unknown): string {
  return `${name} must be an integer in [${bound.min}, ${bound.max}], got ${describeValue(value)}`;
}

/** `value` if it is within `bound`, else an MpxConfigError (MPX_ERR_INVALID_CONFIG) naming `field`. */
export function checkOption(field: string, bound: Pick<Bound, 'min' | 'max'>, value: unknown): number {
  if (!inBounds(bound, value)) throw new MpxConfigError([field], rangeMessage(field, bound, value));
  return value;
}

/** `value`, or the default when it is undefined, checked against `bounds[field]`. */
export function resolveOption<T extends Record<string, Bound>>(bounds: T, field: keyof T & string, value: number | undefined): number {
  const bound = bounds[field] as Bound;
  return checkOption(field, bound, value ?? bound.default);
}

/**
 * `weight` if it is a valid carrier weight (WEIGHT_BOUND), else an MpxError
 * naming `name`: MPX_ERR_INVALID_ARGUMENT for a call's argument, an
 * MpxConfigError for an option (`code` MPX_ERR_INVALID_CONFIG).
 */
export function checkWeight(weight: unknown, name = 'weight', code: MpxErrorCode = 'MPX_ERR_INVALID_ARGUMENT'): number {
  if (inBounds(WEIGHT_BOUND, weight)) return weight;
  if (code === 'MPX_ERR_INVALID_CONFIG') throw new MpxConfigError([name], rangeMessage(name, WEIGHT_BOUND, weight));
  throw new MpxError(code, rangeMessage(name, WEIGHT_BOUND, weight));
}

/**
 * `value` if it is one of `choices`, else an MpxError naming `name`:
 * MPX_ERR_INVALID_ARGUMENT for a call's argument, an MpxConfigError for an
 * option (`code` MPX_ERR_INVALID_CONFIG).
 */
export function checkChoice<C extends string>(
  value: unknown,
  choices: readonly C[],
  name: string,
  code: MpxErrorCode = 'MPX_ERR_INVALID_ARGUMENT',
): C {
  if ((choices as readonly unknown[]).includes(value)) return value as C;
  const quoted = choices.map((c) => `'${c}'`);
  const message = `${name} must be ${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}, got ${describeValue(value)}`;
  if (code === 'MPX_ERR_INVALID_CONFIG') throw new MpxConfigError([name], message);
  throw new MpxError(code, message);
}

/** Throws an MpxConfigError naming both fields for the first rule `options` break. */
export function checkRules(options: Readonly<Record<SessionBoundName, number>>): void {
  for (const rule of SESSION_RULES) {
    const value = options[rule.field];
    const than = options[rule.than];
    if (value <= than) {
      throw new MpxConfigError([rule.field, rule.than], `${rule.field} (${value}) must be greater than ${rule.than} (${than}), or ${rule.why}`, rule);
    }
  }
}

/** The defaults of a bounds table, by option name. */
export function defaultsOf<T extends Record<string, Bound>>(bounds: T): { readonly [K in keyof T]: T[K]['default'] } {
  const out: Record<string, number> = {};
  for (const [name, bound] of Object.entries(bounds)) out[name] = bound.default;
  return out as { readonly [K in keyof T]: T[K]['default'] };
}
