// Limit flags → core options (SessionOptions, ServerOptions), with the core's
// defaults (SPEC §12), range checks that name the flag (exit code 2 instead of
// a failed start), and the hints log lines add when a limit was hit.
import { DEFAULTS, MAX_MAX_FRAME, MIN_MAX_FRAME, SERVER_DEFAULTS, type MpxErrorCode, type MpxLimit } from '@mpx/core';
import { UsageError } from './errors.js';
import { formatBytes, formatDuration, parseBytes, parseDuration } from './units.js';

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

const MAX_MS = 2 ** 31;
const MAX_COUNT = 0x7fffffff;

/** Defaults as shown in --help, in the units the flags take. */
export const LIMIT_DEFAULTS_TEXT = {
  maxSessions: String(SERVER_DEFAULTS.maxSessions),
  maxCarriersPerSession: String(SERVER_DEFAULTS.maxCarriersPerSession),
  maxPendingHandshakes: String(SERVER_DEFAULTS.maxPendingHandshakes),
  maxStreams: String(DEFAULTS.maxStreams),
  handshakeTimeout: formatDuration(DEFAULTS.handshakeTimeoutMs),
  maxFrame: formatBytes(DEFAULTS.maxFrame),
  sessionWindow: formatBytes(DEFAULTS.sessionWindow),
  streamWindow: formatBytes(DEFAULTS.streamWindow),
  streamIdleTimeout: DEFAULTS.streamIdleTimeoutMs === 0 ? '0 (off)' : formatDuration(DEFAULTS.streamIdleTimeoutMs),
  pingInterval: formatDuration(DEFAULTS.pingIntervalMs),
  deadAfter: formatDuration(DEFAULTS.deadAfterMs),
} as const;

/** A whole number from `min` to 2^31−1; the text as given appears in the error. */
export function parseCount(flag: string, value: string | number, min = 1): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > MAX_COUNT) {
    throw new UsageError('MPX_TUNNEL_ERR_OPTION', `--${flag} must be a whole number from ${min} to ${MAX_COUNT}, got '${String(value)}'`);
  }
  return n;
}

export function sessionLimits(args: RawLimitArgs): SessionLimits {
  const pingIntervalMs = parseDuration('ping-interval', args.pingInterval ?? DEFAULTS.pingIntervalMs / 1000, { min: 10, max: MAX_MS });
  const deadAfterMs = parseDuration('dead-after', args.deadAfter ?? DEFAULTS.deadAfterMs / 1000, { min: 20, max: MAX_MS });
  if (deadAfterMs <= pingIntervalMs) {
    throw new UsageError(
      'MPX_TUNNEL_ERR_OPTION',
      `--dead-after (${formatDuration(deadAfterMs)}) must be longer than --ping-interval (${formatDuration(pingIntervalMs)}), or carriers are dropped between pings`,
    );
  }
  const window = { min: 1024, max: 0xffffffff };
  return {
    handshakeTimeoutMs: parseDuration('handshake-timeout', args.handshakeTimeout ?? DEFAULTS.handshakeTimeoutMs / 1000, { min: 1, max: MAX_MS }),
    maxFrame: parseBytes('max-frame', args.maxFrame ?? DEFAULTS.maxFrame, { min: MIN_MAX_FRAME, max: MAX_MAX_FRAME }),
    streamWindow: parseBytes('stream-window', args.streamWindow ?? DEFAULTS.streamWindow, window),
    sessionWindow: parseBytes('session-window', args.sessionWindow ?? DEFAULTS.sessionWindow, window),
    streamIdleTimeoutMs: parseDuration('stream-idle-timeout', args.streamIdleTimeout ?? DEFAULTS.streamIdleTimeoutMs / 1000, { min: 0, max: MAX_MS }),
    pingIntervalMs,
    deadAfterMs,
  };
}

export function serverLimits(args: RawLimitArgs): ServerLimits {
  return {
    ...sessionLimits(args),
    maxSessions: parseCount('max-sessions', args.maxSessions ?? SERVER_DEFAULTS.maxSessions),
    maxCarriersPerSession: parseCount('max-carriers-per-session', args.maxCarriersPerSession ?? SERVER_DEFAULTS.maxCarriersPerSession),
    maxPendingHandshakes: parseCount('max-pending-handshakes', args.maxPendingHandshakes ?? SERVER_DEFAULTS.maxPendingHandshakes),
    maxStreams: parseCount('max-streams', args.maxStreams ?? DEFAULTS.maxStreams),
  };
}

/** The flag of each limit the core names on its errors (MpxError.limit). */
const LIMIT_HINTS: Readonly<Record<MpxLimit, string>> = {
  maxSessions: ' (--max-sessions)',
  maxCarriersPerSession: ' (--max-carriers-per-session)',
  maxPendingHandshakes: ' (--max-pending-handshakes)',
  handshakeFrame: ` (handshake frames are limited to ${formatBytes(MIN_MAX_FRAME)}, whatever --max-frame says)`,
};

/**
 * The flags behind an error, for log lines (" (--max-frame)"), or ''. A
 * local limit the core names (`limit`) gives its own flag; otherwise the
 * code decides. `on` says what the error closed: a carrier's IDLE_TIMEOUT
 * is liveness, a stream's is --stream-idle-timeout.
 */
export function limitHint(err: { code?: MpxErrorCode | string; limit?: MpxLimit | undefined } | undefined, on: 'carrier' | 'stream'): string {
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
