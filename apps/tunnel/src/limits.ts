// Limit flags → core options (SessionOptions, ServerOptions). Ranges, defaults
// and the rules between options all come from the core's bounds tables
// (SESSION_BOUNDS, SERVER_BOUNDS, SESSION_RULES): this file only maps flags to
// options and units, so that a bad value is a usage error naming the flag
// (exit code 2) instead of a failed start. Also the hints log lines add when a
// limit was hit.
import {
  MpxConfigError,
  MpxError,
  SERVER_BOUNDS,
  SERVER_DEFAULTS,
  SESSION_BOUNDS,
  SESSION_RULES,
  resolveOptions,
  type Bound,
  MIN_MAX_FRAME,
  GAP_CHARGE,
  type MpxLimit,
} from '@mpx/core';
import { UsageError } from './errors.js';
import { formatBytes, formatDuration, parseBytes, parseDuration, type Range } from './units.js';

/** Defaults of MpxServer's own limits, from the core. */
export { SERVER_DEFAULTS };

/** The flags as yargs hands them over: strings from the command line, numbers from tests. */
export interface RawLimitArgs {
  maxSessions?: string | number;
  maxCarriersPerSession?: string | number;
  maxStreams?: string | number;
  maxPendingHandshakes?: string | number;
  handshakeTimeout?: string | number;
  maxFrame?: string | number;
  sessionWindow?: string | number;
  streamWindow?: string | number;
  streamIdleTimeout?: string | number;
  pingInterval?: string | number;
  deadAfter?: string | number;
}

/** Session settings both commands pass to the core (a subset of SessionOptions). */
export interface SessionLimits {
  readonly handshakeTimeoutMs: number;
  readonly maxFrame: number;
  readonly streamWindow: number;
  readonly sessionWindow: number;
  readonly streamIdleTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly deadAfterMs: number;
}

/** What the server adds (ServerOptions, and maxStreams for the streams clients open). */
export interface ServerLimits extends SessionLimits {
  readonly maxSessions: number;
  readonly maxCarriersPerSession: number;
  readonly maxPendingHandshakes: number;
  readonly maxStreams: number;
}

/** One limit flag: the yargs key it arrives under, the core option it sets, that option's bound, and its --help line. */
export interface LimitFlag<F extends string = string> {
  readonly arg: keyof RawLimitArgs;
  readonly option: F;
  readonly bound: Bound;
  readonly describe: string;
}

function limitFlag<F extends keyof typeof SESSION_BOUNDS | keyof typeof SERVER_BOUNDS>(
  arg: keyof RawLimitArgs,
  option: F,
  describe: string,
): LimitFlag<F> {
  const bound: Bound =
    option in SESSION_BOUNDS ? SESSION_BOUNDS[option as keyof typeof SESSION_BOUNDS] : SERVER_BOUNDS[option as keyof typeof SERVER_BOUNDS];
  return { arg, option, bound, describe };
}

/** Limits of a session, on both ends of the tunnel (SPEC §12), in --help order. */
export const SESSION_LIMIT_FLAGS: ReadonlyArray<LimitFlag<keyof SessionLimits>> = [
  limitFlag(
    'handshakeTimeout',
    'handshakeTimeoutMs',
    'a carrier that has not finished its handshake by then is closed (HANDSHAKE_TIMEOUT); on the server counted from the TCP accept, TLS and WebSocket upgrade included',
  ),
  limitFlag('maxFrame', 'maxFrame', 'largest frame body accepted from the peer (FRAME_TOO_LARGE beyond)'),
  limitFlag('sessionWindow', 'sessionWindow', 'bytes buffered per session: credit for all its streams together'),
  limitFlag(
    'streamWindow',
    'streamWindow',
    'most bytes buffered per stream: a stream starts at 512KiB (or this, if smaller) and grows to this only while its reader keeps up',
  ),
  limitFlag(
    'streamIdleTimeout',
    'streamIdleTimeoutMs',
    'reset a connection after this long with no data either way (IDLE_TIMEOUT); 0 = never. Unlike fregie/mpx, which cuts any connection idle for 10 s, off by default',
  ),
  limitFlag('pingInterval', 'pingIntervalMs', 'ping every carrier this often (liveness and RTT)'),
  limitFlag('deadAfter', 'deadAfterMs', 'drop a carrier that has been silent this long'),
];

/** What a server allows its clients, in --help order. */
export const SERVER_LIMIT_FLAGS: ReadonlyArray<LimitFlag<Exclude<keyof ServerLimits, keyof SessionLimits>>> = [
  limitFlag('maxSessions', 'maxSessions', 'sessions (clients) held at once; a carrier that would start one more is refused (LIMIT_EXCEEDED)'),
  limitFlag('maxCarriersPerSession', 'maxCarriersPerSession', 'carriers one session may have; further ones are refused (LIMIT_EXCEEDED)'),
  limitFlag(
    'maxPendingHandshakes',
    'maxPendingHandshakes',
    'connections before login at once (TCP, TLS or WebSocket, from accept to the end of the handshake); further ones are closed at once',
  ),
  limitFlag(
    'maxStreams',
    'maxStreams',
    "connections one session may have open at once; further ones are refused (LIMIT_EXCEEDED) and the client's connection closed",
  ),
];

const ALL_LIMIT_FLAGS: readonly LimitFlag[] = [...SESSION_LIMIT_FLAGS, ...SERVER_LIMIT_FLAGS];

/** The command-line spelling of a flag: `maxFrame` → `max-frame`. */
export function flagName(flag: Pick<LimitFlag, 'arg'>): string {
  return flag.arg.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The --help line of a flag: its description, then the core's rules it must keep (SESSION_RULES). */
export function helpText(flag: LimitFlag): string {
  const musts = SESSION_RULES.filter((rule) => rule.field === flag.option).map((rule) => `must exceed ${flagOrField(rule.than)}`);
  return musts.length === 0 ? flag.describe : `${flag.describe} (${musts.join('; ')})`;
}

/** `--flag` of the flag that sets a core option, or the option's own name where no flag does. */
function flagOrField(option: string): string {
  const flag = ALL_LIMIT_FLAGS.find((f) => f.option === option);
  return flag === undefined ? option : `--${flagName(flag)}`;
}

/** A value of `bound` in the units its flag takes, for --help and errors. */
function formatValue(bound: Bound, value: number): string {
  switch (bound.unit) {
    case 'bytes':
      return formatBytes(value);
    case 'ms':
      return formatDuration(value);
    case 'count':
      return String(value);
    default: {
      const never: never = bound.unit;
      throw new Error(`unknown unit ${String(never)}`);
    }
  }
}

/** The default of a flag as --help shows it. */
function defaultText(bound: Bound): string {
  return bound.unit === 'ms' && bound.default === 0 ? '0 (off)' : formatValue(bound, bound.default);
}

/** Defaults as shown in --help, in the units the flags take, by yargs key. */
export const LIMIT_DEFAULTS_TEXT = Object.fromEntries(ALL_LIMIT_FLAGS.map((f) => [f.arg, defaultText(f.bound)])) as Readonly<
  Record<keyof RawLimitArgs, string>
>;

/** `value` as a number when it is one or the text of a whole number (spaces around it allowed), else NaN. */
export function wholeNumber(value: string | number): number {
  return typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
}

/** A whole number within `range`; the text as given appears in the error. */
export function parseCount(flag: string, value: string | number, range: Range): number {
  const n = wholeNumber(value);
  if (!Number.isInteger(n) || n < range.min || n > range.max) {
    throw new UsageError('MPX_TUNNEL_ERR_OPTION', `--${flag} must be a whole number from ${range.min} to ${range.max}, got '${String(value)}'`);
  }
  return n;
}

/** The flag's value (its bound's default when absent), parsed in its units and checked against its bound. */
function parseLimit(flag: LimitFlag, args: RawLimitArgs): number {
  const value = args[flag.arg];
  if (value === undefined) return flag.bound.default;
  const name = flagName(flag);
  switch (flag.bound.unit) {
    case 'bytes':
      return parseBytes(name, value, flag.bound);
    case 'ms':
      return parseDuration(name, value, flag.bound);
    case 'count':
      return parseCount(name, value, flag.bound);
    default: {
      const never: never = flag.bound.unit;
      throw new Error(`unknown unit ${String(never)}`);
    }
  }
}

function parseLimits<F extends string>(flags: ReadonlyArray<LimitFlag<F>>, args: RawLimitArgs): Record<F, number> {
  const out = {} as Record<F, number>;
  for (const flag of flags) out[flag.option] = parseLimit(flag, args);
  return out;
}

/**
 * The core's MPX_ERR_INVALID_CONFIG as a usage error naming the flags behind
 * its fields, with values in the flags' units.
 */
export function usageErrorFromConfig(err: MpxConfigError, values: Readonly<Record<string, number>>): UsageError {
  const boundOf = (field: string): Bound | undefined => ALL_LIMIT_FLAGS.find((f) => f.option === field)?.bound;
  const shown = (field: string): string => {
    const bound = boundOf(field);
    const value = values[field];
    const valueText = value === undefined ? '' : ` (${bound === undefined ? String(value) : formatValue(bound, value)})`;
    return `${flagOrField(field)}${valueText}`;
  };
  const { rule } = err;
  const message =
    rule === undefined
      ? `${err.fields.map(shown).join(', ')} out of range`
      : `${shown(rule.field)} must be ${boundOf(rule.field)?.unit === 'ms' ? 'longer' : 'larger'} than ${shown(rule.than)}, or ${rule.why}`;
  return new UsageError('MPX_TUNNEL_ERR_OPTION', message, { cause: err });
}

export function sessionLimits(args: RawLimitArgs): SessionLimits {
  const limits = parseLimits(SESSION_LIMIT_FLAGS, args);
  try {
    resolveOptions(limits); // the core's rules between options (SPEC §12)
  } catch (err) {
    if (MpxConfigError.isConfigError(err)) throw usageErrorFromConfig(err, limits);
    throw err;
  }
  return limits;
}

export function serverLimits(args: RawLimitArgs): ServerLimits {
  return { ...sessionLimits(args), ...parseLimits(SERVER_LIMIT_FLAGS, args) };
}

/** The flag of each limit the core names on its errors (MpxError.limit). */
const LIMIT_HINTS: Readonly<Record<MpxLimit, string>> = {
  maxSessions: ' (--max-sessions)',
  maxCarriersPerSession: ' (--max-carriers-per-session)',
  maxPendingHandshakes: ' (--max-pending-handshakes)',
  handshakeFrame: ` (handshake frames are limited to ${formatBytes(MIN_MAX_FRAME)}, whatever --max-frame says)`,
  reorderGaps: ` (a session's reorder buffers hold at most one gap per ${formatBytes(GAP_CHARGE)} of --session-window)`,
  carrierWriteBuffer: ' (replies to a peer that reads nothing are bounded by the carrier write buffer)',
};

/**
 * The flags behind an error, for log lines (" (--max-frame)"), or ''. A
 * local limit the core names (`limit`) gives its own flag; otherwise the
 * code decides. `on` says what the error closed: a carrier's IDLE_TIMEOUT
 * is liveness, a stream's is --stream-idle-timeout.
 */
export function limitHint(error: unknown, on: 'carrier' | 'stream'): string {
  const err = MpxError.isMpxError(error) ? error : undefined;
  if (err?.limit !== undefined) return LIMIT_HINTS[err.limit];
  switch (err?.code) {
    case 'MPX_ERR_LIMIT_EXCEEDED':
      return on === 'stream' ? ' (--max-streams)' : ' (--max-sessions, --max-carriers-per-session, --max-pending-handshakes)';
    case 'MPX_ERR_HANDSHAKE_TIMEOUT':
      return ' (--handshake-timeout)';
    case 'MPX_ERR_FRAME_TOO_LARGE':
      return ' (--max-frame)';
    case 'MPX_ERR_FLOW_CONTROL':
      return ' (data beyond --stream-window / --session-window)';
    case 'MPX_ERR_IDLE_TIMEOUT':
      return on === 'stream' ? ' (--stream-idle-timeout)' : ' (nothing heard for --dead-after)';
    default:
      return '';
  }
}
