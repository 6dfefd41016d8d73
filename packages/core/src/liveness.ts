// SPEC §5.5, §9 liveness of one carrier: the PING schedule, the sequence →
// sent-at map of PINGs awaiting their PONG, RTT samples for the path
// estimator, and the dead-after check. No I/O: the carrier link sends the
// PING and drops the carrier through `LivenessHooks`; time and the schedule
// come from the injected clock.
import type { Clock, Timer } from './clock.js';
import type { PathEstimator } from './path-estimator.js';

/**
 * PINGs remembered while their PONG is awaited.
 * Rationale: a PONG later than a few ping intervals gives no useful RTT
 * sample, and a peer that never answers must not grow the map.
 */
export const MAX_PINGS_AWAITED = 8;

export interface LivenessOptions {
  /** Send PING this often, ms. */
  readonly pingIntervalMs: number;
  /** Declare the carrier dead after hearing nothing this long, ms. */
  readonly deadAfterMs: number;
}

export interface LivenessHooks {
  /** False once the carrier is no longer open: the schedule then stops. */
  isOpen(): boolean;
  /** When the oldest frame the peer has not acknowledged was sent, if any. */
  oldestUnackedAt(): number | undefined;
  /** The schedule ran and the carrier lives: send PING with `opaque`. */
  ping(opaque: bigint): void;
  /** The carrier is dead, for `reason`: drop it. */
  dead(reason: string): void;
}

export class Liveness {
  readonly #clock: Clock;
  readonly #options: LivenessOptions;
  readonly #estimator: PathEstimator;
  readonly #hooks: LivenessHooks;
  #lastHeard: number;
  /** When a PONG last arrived (or the schedule started). */
  #lastPong = 0;
  #timer: Timer | undefined;
  #seq = 0n;
  readonly #sentAt = new Map<bigint, number>();

  constructor(clock: Clock, options: LivenessOptions, estimator: PathEstimator, hooks: LivenessHooks) {
    this.#clock = clock;
    this.#options = options;
    this.#estimator = estimator;
    this.#hooks = hooks;
    this.#lastHeard = clock.now();
  }

  /** PINGs sent whose PONG has not arrived (at most MAX_PINGS_AWAITED). */
  get awaited(): number {
    return this.#sentAt.size;
  }

  /** Bytes arrived from the peer. */
  heard(): void {
    this.#lastHeard = this.#clock.now();
  }

  /** The carrier opened: PINGs start, and the wait for a PONG starts now. */
  start(): void {
    this.#lastPong = this.#clock.now();
    this.#schedule();
  }

  /** A PONG arrived: if it answers a PING still remembered, it is an RTT sample. */
  onPong(opaque: bigint): void {
    const sentAt = this.#sentAt.get(opaque);
    if (sentAt === undefined) return;
    this.#lastPong = this.#clock.now();
    this.#sentAt.delete(opaque);
    const now = this.#clock.now();
    this.#estimator.onRttSample(now - sentAt, now);
  }

  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * SPEC §9, liveness: why the carrier is dead, if it is. Either nothing at
   * all arrives (a blackholed path), or the peer's frames arrive but ours do
   * not reach it (a one-way blackhole): no PONG and no ACK for too long.
   */
  deadReason(now: number): string | undefined {
    const limit = this.#options.deadAfterMs;
    if (now - this.#lastHeard > limit) return `heard nothing for ${Math.round(now - this.#lastHeard)} ms`;
    if (now - this.#lastPong > limit) return `no PONG for ${Math.round(now - this.#lastPong)} ms`;
    const oldest = this.#hooks.oldestUnackedAt();
    if (oldest !== undefined && now - oldest > limit) return `no acknowledgement for ${Math.round(now - oldest)} ms`;
    return undefined;
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(this.#tick, this.#options.pingIntervalMs);
  }

  #tick = (): void => {
    this.#timer = undefined;
    if (!this.#hooks.isOpen()) return;
    const now = this.#clock.now();
    const reason = this.deadReason(now);
    if (reason !== undefined) {
      this.#hooks.dead(reason);
      return;
    }
    const opaque = this.#seq++;
    this.#sentAt.set(opaque, now);
    if (this.#sentAt.size > MAX_PINGS_AWAITED) this.#sentAt.delete(this.#sentAt.keys().next().value as bigint);
    this.#hooks.ping(opaque);
    this.#schedule();
  };
}
