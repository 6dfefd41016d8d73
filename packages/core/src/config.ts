// Session settings: defaults (SPEC §12) and one check that names the bad field.
import { MAX_MAX_FRAME, MIN_MAX_FRAME } from './constants.js';
import { MpxError } from './errors.js';
import { systemClock, type Clock } from './clock.js';
import type { CarrierLinkOptions } from './carrier-link.js';

export interface SessionOptions {
  /** Pre-shared key (SPEC §3.4); empty or absent means no authentication. */
  key?: Uint8Array | string;
  /** Credit granted per stream, bytes (SPEC §7.1). */
  streamWindow?: number;
  /** Credit granted to the whole session, bytes (SPEC §7.2). */
  sessionWindow?: number;
  /** Largest frame body accepted, bytes (SPEC §4). */
  maxFrame?: number;
  /** Largest DATA payload sent, bytes (striping granularity). */
  maxPayload?: number;
  /** Open peer-initiated streams allowed at once (SPEC §6.2). */
  maxStreams?: number;
  /**
   * Bytes a stream queues from its writer, beyond what the peer's credit
   * covers, before `write()` reports backpressure (SPEC §7.3). Bytes the
   * credit covers may queue past it, up to the session's send credit.
   */
  streamSendBuffer?: number;
  /** Bytes queued in a carrier's write buffer before it is skipped until 'drain'. */
  carrierWriteBuffer?: number;
  /** Milliseconds a carrier may take to complete its handshake. */
  handshakeTimeoutMs?: number;
  /** Most bytes unacknowledged on one carrier, whatever its path estimate allows. */
  maxInFlight?: number;
  /** PING every carrier this often, ms (liveness and RTT). */
  pingIntervalMs?: number;
  /** A carrier that hears nothing this long is declared dead, ms. */
  deadAfterMs?: number;
  /**
   * Milliseconds a session outlives the loss of its last carrier (a total
   * outage); its streams then fail with MPX_ERR_SESSION_EXPIRED.
   */
  graceMs?: number;
  /**
   * Reset a stream with IDLE_TIMEOUT once no DATA has moved on it, in either
   * direction, for this long, ms. 0 (the default) never does.
   */
  streamIdleTimeoutMs?: number;
  clock?: Clock;
}

export interface ResolvedSessionOptions {
  readonly key: Uint8Array;
  readonly streamWindow: number;
  readonly sessionWindow: number;
  readonly maxFrame: number;
  readonly maxPayload: number;
  readonly maxStreams: number;
  readonly streamSendBuffer: number;
  readonly carrierWriteBuffer: number;
  readonly handshakeTimeoutMs: number;
  readonly maxInFlight: number;
  readonly pingIntervalMs: number;
  readonly deadAfterMs: number;
  readonly graceMs: number;
  readonly streamIdleTimeoutMs: number;
  readonly clock: Clock;
}

export const DEFAULTS = {
  // Rationale: 8 MiB per stream keeps four 100 Mbit/s carriers busy at 100 ms
  // round trip (4 × 12.5 MB/s × 0.1 s = 5 MB) with room for batching.
  streamWindow: 8 * 1024 * 1024,
  // Rationale: bounds what one session can make the receiver hold.
  sessionWindow: 64 * 1024 * 1024,
  maxFrame: 65536,
  // Rationale: 16 KiB frames stripe finely across carriers and keep
  // per-frame overhead (20 bytes) near 0.1%.
  maxPayload: 16384,
  maxStreams: 65536,
  // Rationale: one payload. A peer that stops granting credit then makes a
  // stream hold this plus the writer's last chunk; while credit lasts, the
  // queue may grow past it (SPEC §7.3), so bulk transfers keep their speed.
  streamSendBuffer: 16 * 1024,
  carrierWriteBuffer: 512 * 1024,
  handshakeTimeoutMs: 10_000,
  // Rationale: 16 MiB covers a 1 Gbit/s path at 100 ms; the path estimate
  // usually caps a carrier far lower (two bandwidth-delay products).
  maxInFlight: 16 * 1024 * 1024,
  pingIntervalMs: 1_000,
  // Rationale: six missed pings. A blackholed CDN edge is noticed in
  // seconds (and before that, frames stuck on it are copied to the other
  // carriers, SPEC §8), while a path that is down for a few seconds and comes
  // back keeps its carriers and resumes at once, without redialling.
  deadAfterMs: 6_000,
  graceMs: 30_000,
  // Rationale: off. A tunnel carries SSH sessions and long polls that may be
  // silent for hours; cutting them is the application's choice.
  streamIdleTimeoutMs: 0,
} as const;

function check(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new MpxError('MPX_ERR_INVALID_CONFIG', `${field} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

export function resolveOptions(options: SessionOptions = {}): ResolvedSessionOptions {
  const key = typeof options.key === 'string' ? new TextEncoder().encode(options.key) : (options.key ?? new Uint8Array(0));
  const maxFrame = check('maxFrame', options.maxFrame ?? DEFAULTS.maxFrame, MIN_MAX_FRAME, MAX_MAX_FRAME);
  return {
    key,
    streamWindow: check('streamWindow', options.streamWindow ?? DEFAULTS.streamWindow, 1024, 0xffffffff),
    sessionWindow: check('sessionWindow', options.sessionWindow ?? DEFAULTS.sessionWindow, 1024, 0xffffffff),
    maxFrame,
    maxPayload: check('maxPayload', options.maxPayload ?? DEFAULTS.maxPayload, 1, MAX_MAX_FRAME - 8),
    maxStreams: check('maxStreams', options.maxStreams ?? DEFAULTS.maxStreams, 1, 0x7fffffff),
    streamSendBuffer: check('streamSendBuffer', options.streamSendBuffer ?? DEFAULTS.streamSendBuffer, 0, 2 ** 31),
    carrierWriteBuffer: check('carrierWriteBuffer', options.carrierWriteBuffer ?? DEFAULTS.carrierWriteBuffer, 1024, 2 ** 31),
    handshakeTimeoutMs: check('handshakeTimeoutMs', options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs, 1, 2 ** 31),
    maxInFlight: check('maxInFlight', options.maxInFlight ?? DEFAULTS.maxInFlight, 64 * 1024, 2 ** 31),
    pingIntervalMs: check('pingIntervalMs', options.pingIntervalMs ?? DEFAULTS.pingIntervalMs, 10, 2 ** 31),
    deadAfterMs: check('deadAfterMs', options.deadAfterMs ?? DEFAULTS.deadAfterMs, 20, 2 ** 31),
    graceMs: check('graceMs', options.graceMs ?? DEFAULTS.graceMs, 0, 2 ** 31),
    streamIdleTimeoutMs: check('streamIdleTimeoutMs', options.streamIdleTimeoutMs ?? DEFAULTS.streamIdleTimeoutMs, 0, 2 ** 31),
    clock: options.clock ?? systemClock,
  };
}

/** The options of one carrier link, from the session's. */
export function linkOptions(options: ResolvedSessionOptions, label: string | undefined): CarrierLinkOptions {
  return {
    maxFrame: options.maxFrame,
    writeBuffer: options.carrierWriteBuffer,
    maxInFlight: options.maxInFlight,
    pingIntervalMs: options.pingIntervalMs,
    deadAfterMs: options.deadAfterMs,
    clock: options.clock,
    ...(label === undefined ? {} : { label }),
  };
}
