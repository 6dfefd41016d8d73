// Session settings: defaults and bounds (SPEC §12, bounds.ts) and one check
// that names the bad field.
import { SESSION_BOUNDS, checkRules, defaultsOf, resolveOption, type SessionBoundName } from './bounds.js';
import { systemClock, type Clock } from './clock.js';
import type { PayloadOwner } from './payload-owner.js';
import type { CarrierLinkOptions } from './carrier-link.js';
import { MpxConfigError } from './errors.js';
import { checkOptionNames, describeValue, optionNames } from './option-names.js';

export interface SessionOptions {
  /** Pre-shared key (SPEC §3.4); empty or absent means no authentication. */
  key?: Uint8Array | string;
  /** Most credit granted per stream, bytes: a stream starts at 512 KiB (or this, if smaller) and grows to this while its reader keeps up (SPEC §7.1). */
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
   * covers, before `write()` reports backpressure (SPEC §7.4). Bytes the
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
  /** A carrier that hears nothing this long is declared dead, ms; must exceed `pingIntervalMs`. */
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
  /**
   * Told when the session is done with the payloads the application wrote
   * (acknowledged by the peer), so that their memory can be reused
   * (payload-owner.ts). Without it, that memory is left to the collector.
   */
  payloadOwner?: PayloadOwner;
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
  readonly payloadOwner: PayloadOwner | undefined;
}

/** Every name of SessionOptions: any other is refused (option-names.ts). */
export const SESSION_OPTION_NAMES = optionNames<SessionOptions>({
  key: true,
  streamWindow: true,
  sessionWindow: true,
  maxFrame: true,
  maxPayload: true,
  maxStreams: true,
  streamSendBuffer: true,
  carrierWriteBuffer: true,
  handshakeTimeoutMs: true,
  maxInFlight: true,
  pingIntervalMs: true,
  deadAfterMs: true,
  graceMs: true,
  streamIdleTimeoutMs: true,
  clock: true,
  payloadOwner: true,
});

/** Defaults of the numeric options (SPEC §12), from SESSION_BOUNDS (their rationale is there). */
export const DEFAULTS = defaultsOf(SESSION_BOUNDS);

/**
 * The options with defaults filled in, every numeric one checked against
 * SESSION_BOUNDS and the pairs against SESSION_RULES; a bad one, or a name
 * SessionOptions does not have, is an MpxConfigError (MPX_ERR_INVALID_CONFIG)
 * naming it.
 */
export function resolveOptions(given?: SessionOptions): ResolvedSessionOptions {
  const options = checkOptionNames(given, SESSION_OPTION_NAMES, 'SessionOptions');
  const key = resolveKey(options.key);
  const numbers = {} as Record<SessionBoundName, number>;
  for (const field of Object.keys(SESSION_BOUNDS) as SessionBoundName[]) numbers[field] = resolveOption(SESSION_BOUNDS, field, options[field]);
  checkRules(numbers);
  return { key, ...numbers, clock: options.clock ?? systemClock, payloadOwner: options.payloadOwner };
}

/** SPEC §3.4: the key as bytes; empty when there is none. */
function resolveKey(key: unknown): Uint8Array {
  if (key === undefined) return new Uint8Array(0);
  if (typeof key === 'string') return new TextEncoder().encode(key);
  if (key instanceof Uint8Array) return key;
  throw new MpxConfigError(['key'], `key must be a string or a Uint8Array, got ${describeValue(key)}`);
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
    ...(options.payloadOwner === undefined ? {} : { payloadOwner: options.payloadOwner }),
  };
}
