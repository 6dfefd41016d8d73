// Rate-limited log lines for events a stranger can cause at will: failed
// handshakes (wrong key, garbage, silence: SPEC §3, §11), TLS or WebSocket
// upgrade failures, streams refused at a limit (SPEC §6.2). Each distinct key,
// normally (reason, remote host), is logged once per interval; what is held
// back is counted and reported in one "suppressed N similar messages" line
// when the interval ends. Distinct keys per interval are capped too, so a
// flood from many addresses is as bounded, in lines and memory, as one from
// a single address. Time comes from an injected clock (tests use a fake one).
import { systemClock, type Clock, type Timer } from '@mpx/core';
import { plural, type LogLevel, type Logger } from './log.js';

/** Rationale: a burst shows its first line at once and then one summary per 10 s. */
const DEFAULT_RATE_LIMIT_INTERVAL_MS = 10_000;
/** Rationale: at most ~2 × 100 lines per interval however many addresses flood. */
const DEFAULT_RATE_LIMIT_MAX_KEYS = 100;

export interface RateLimitOptions {
  /** Length of one interval, ms. Default 10 s. */
  readonly intervalMs?: number;
  /** Distinct keys tracked per interval; events for further keys are only counted. Default 100. */
  readonly maxKeys?: number;
  readonly clock?: Clock;
}

interface Entry {
  readonly level: LogLevel;
  /** Names the group in the summary line, e.g. "carriers from 10.0.0.1 refused (MPX_ERR_AUTH_FAILED)". */
  readonly subject: string;
  suppressed: number;
}

export class RateLimitedLog {
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #maxKeys: number;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  /** Events for keys beyond `maxKeys` this interval, by level. */
  readonly #overflow = new Map<LogLevel, number>();
  #timer: Timer | undefined;

  constructor(log: Logger, options: RateLimitOptions = {}) {
    this.#log = log;
    this.#intervalMs = options.intervalMs ?? DEFAULT_RATE_LIMIT_INTERVAL_MS;
    this.#maxKeys = options.maxKeys ?? DEFAULT_RATE_LIMIT_MAX_KEYS;
    this.#clock = options.clock ?? systemClock;
  }

  /** Keys tracked in the current interval (bounded by `maxKeys`). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Logs `message` at `level` unless an event with the same `key` was logged
   * in the current interval; then it only counts towards the summary line
   * of `subject`.
   */
  log(level: LogLevel, key: string, subject: string, message: string): void {
    if (!this.#log.enabled(level)) return;
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.suppressed++;
      return;
    }
    this.#arm();
    if (this.#entries.size >= this.#maxKeys) {
      this.#overflow.set(level, (this.#overflow.get(level) ?? 0) + 1);
      return;
    }
    this.#entries.set(key, { level, subject, suppressed: 0 });
    this.#log[level](message);
  }

  /** Ends the interval now: writes the summary lines and forgets every key. */
  flush(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const seconds = `${this.#intervalMs / 1000} s`;
    for (const entry of this.#entries.values()) {
      if (entry.suppressed > 0) {
        this.#log[entry.level](
          `${entry.subject}: suppressed ${entry.suppressed} similar ${plural(entry.suppressed, 'message')} in the last ${seconds}`,
        );
      }
    }
    for (const [level, n] of this.#overflow) {
      this.#log[level](`suppressed ${n} ${plural(n, 'message')} from more than ${this.#maxKeys} sources in the last ${seconds}`);
    }
    this.#entries.clear();
    this.#overflow.clear();
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#intervalMs);
  }
}

/**
 * The host of a remote address as logged (`10.0.0.1:4711`, `[::1]:4711`,
 * `10.0.0.1:4711 (for 203.0.113.9)`): the port changes with every
 * connection, so it must not make each event distinct.
 */
export function remoteHost(remote: string): string {
  const end = remote.indexOf(' ');
  const address = end === -1 ? remote : remote.slice(0, end);
  const m = /^(\[[^\]]*\]|[^:]*):\d+$/.exec(address);
  return m === null ? address : (m[1] as string);
}
