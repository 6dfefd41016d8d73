// MpxClient: a client session plus the carriers it keeps. It dials each
// target, redials lost carriers with backoff and jitter (capped while streams
// wait for a carrier; one success restarts every other target's attempts;
// carriers that close right after they came up back off too, SPEC §9
// "Redial"), rotates carriers past
// a maximum age (make-before-break), and starts a new session when the server
// has lost the old one.
import { defaultMaxListeners, EventEmitter, setMaxListeners } from 'node:events';
import type { Duplex } from 'node:stream';
import { WireCode } from './constants.js';
import { WAITING_REDIAL_CAP_MS, YOUNG_CARRIER_MS, backoffDelay } from './backoff.js';
import { CLIENT_BOUNDS, WEIGHT_BOUND, checkOption, checkWeight, resolveOption } from './bounds.js';
import type { CarrierStats } from './carrier-link.js';
import { checkCarrierUse, type CarrierDirection, type CarrierRole, type CarrierUse } from './carrier-use.js';
import { ClientSession, checkRouteKey, type ClientSessionOptions } from './client.js';
import type { Timer } from './clock.js';
import { SESSION_OPTION_NAMES, resolveOptions, type ResolvedSessionOptions, type SessionOptions } from './config.js';
import { MpxConfigError, MpxError } from './errors.js';
import { checkOptionNames, describeValue, optionNames } from './option-names.js';
import type { OpenStreamOptions, SessionStats } from './session.js';
import type { MpxStream } from './stream.js';
import { typedEmitter } from './typed-events.js';

/** What a dial may show a balancer (SPEC §3.5): the session the carrier is for. */
export interface CarrierRoute {
  readonly sessionId: Uint8Array;
  /** The session id as 32 lowercase hex digits (a WebSocket URL's `session` parameter). */
  readonly sessionHex: string;
}

export interface CarrierTarget {
  /** Opens one connected carrier for the session `route` names. Rejects on failure; honours `signal`. */
  dial: (signal: AbortSignal, route: CarrierRoute) => Promise<Duplex>;
  /** Scheduling weight, WEIGHT_BOUND: 1–65535 (SPEC §8). Default 1. */
  weight?: number;
  /** For logs and stats, e.g. "ws://host:80/path". */
  label: string;
  /** Carriers kept to this target, 1–1024 (CLIENT_BOUNDS). Default: `carriersPerTarget`. */
  carriers?: number;
  /** SPEC §8: 'backup' carriers carry data only while no primary is usable. Default 'primary'. */
  role?: CarrierRole;
  /** SPEC §8: the data this target's carriers carry, 'up' = client → server. Default 'both'. */
  direction?: CarrierDirection;
}

export interface MpxClientOptions extends SessionOptions {
  targets: CarrierTarget[];
  /** Carriers kept to each target unless the target says otherwise, 1–1024 (CLIENT_BOUNDS). Default 2. */
  carriersPerTarget?: number;
  /** First redial delay after a failure, ms (doubles per failure, with jitter), 1–2^31 (CLIENT_BOUNDS). Default 200. */
  backoffInitialMs?: number;
  /** Longest redial delay, ms, 1–2^31 (CLIENT_BOUNDS). Default 10000. */
  backoffMaxMs?: number;
  /** Replace a carrier older than this, ms, opening its successor first. 0 = never. */
  maxCarrierAgeMs?: number;
  /** Random source in [0, 1) for jitter. */
  random?: () => number;
  /** Send the ROUTE frame first on every carrier (SPEC §3.5). Default true. */
  routeKey?: boolean;
}

/** Every name of MpxClientOptions and of CarrierTarget: any other is refused (option-names.ts). */
const MPX_CLIENT_OPTION_NAMES = [
  ...SESSION_OPTION_NAMES,
  ...optionNames<Omit<MpxClientOptions, keyof SessionOptions>>({
    targets: true,
    carriersPerTarget: true,
    backoffInitialMs: true,
    backoffMaxMs: true,
    maxCarrierAgeMs: true,
    random: true,
    routeKey: true,
  }),
];
const CARRIER_TARGET_NAMES = optionNames<CarrierTarget>({ dial: true, weight: true, label: true, carriers: true, role: true, direction: true });

export interface TargetStats {
  readonly label: string;
  readonly weight: number;
  readonly up: number;
  readonly wanted: number;
  readonly failures: number;
  /** Carriers in a row that closed within YOUNG_CARRIER_MS of coming up. */
  readonly youngCloses: number;
}

export interface MpxClientStats {
  readonly session: SessionStats | undefined;
  readonly targets: TargetStats[];
}

interface TargetState {
  readonly target: CarrierTarget;
  readonly weight: number;
  readonly wanted: number;
  readonly use: CarrierUse;
  /** Carrier ids that are up, with the time each came up. */
  readonly up: Map<number, number>;
  dialing: number;
  failures: number;
  /** Carriers in a row that closed within YOUNG_CARRIER_MS of coming up (reset by one that lived longer). */
  youngCloses: number;
  retry: Timer | undefined;
  /** Clock time the pending retry fires. */
  retryAt: number;
  /**
   * The pending retry waits out carriers that closed young: dials succeed,
   * so neither a stream that waits nor another dial's success shortens it.
   */
  retryYoung: boolean;
}

/** Target `index` of the options, checked (names, types, bounds), as the client keeps it. */
function targetState(given: CarrierTarget, index: number, perTarget: number): TargetState {
  const target = checkOptionNames(given, CARRIER_TARGET_NAMES, `target ${index}`);
  const { label, dial } = target;
  if (typeof label !== 'string')
    throw new MpxConfigError([`label of target ${index}`], `label of target ${index} must be a string, got ${describeValue(label)}`);
  if (typeof dial !== 'function') throw new MpxConfigError([`dial of ${label}`], `dial of ${label} must be a function, got ${describeValue(dial)}`);
  const weight = checkWeight(target.weight ?? WEIGHT_BOUND.default, `weight of ${label}`, 'MPX_ERR_INVALID_CONFIG');
  const wanted = checkOption(`carriers of ${label}`, CLIENT_BOUNDS.carriersPerTarget, target.carriers ?? perTarget);
  const use = checkCarrierUse(target, ` of ${label}`, 'MPX_ERR_INVALID_CONFIG');
  return { target, weight, wanted, use, up: new Map(), dialing: 0, failures: 0, youngCloses: 0, retry: undefined, retryAt: 0, retryYoung: false };
}

/** The events of an MpxClient, with their listeners' arguments. */
export interface ClientEvents {
  /** A carrier to the target `label` is up. */
  carrierUp: [label: string, stats: CarrierStats];
  /**
   * A carrier to the target `label` closed; `error` undefined when it closed
   * without one; `redialInMs` set when the redial waits because carriers to
   * this target keep closing within YOUNG_CARRIER_MS of coming up.
   */
  carrierDown: [label: string, error: MpxError | undefined, stats: CarrierStats, redialInMs: number | undefined];
  /** A dial or a handshake to the target `label` failed; the next try is in `nextDelayMs`. */
  dialError: [label: string, error: Error, nextDelayMs: number];
  /** A session started: the first, or one replacing a session that ended. */
  session: [session: ClientSession];
  /** The current session ended (a new one starts unless the client is closed). */
  sessionClose: [error: MpxError | undefined];
}

/** A client session and the carriers it dials and keeps. Events: ClientEvents. */
export class MpxClient extends typedEmitter<ClientEvents>(EventEmitter) {
  readonly options: ResolvedSessionOptions;
  readonly #sessionOptions: ClientSessionOptions;
  readonly #targets: TargetState[];
  readonly #backoff: { initialMs: number; maxMs: number; random: () => number };
  readonly #maxAgeMs: number;
  #session: ClientSession | undefined;
  #aborter = new AbortController();
  #started = false;
  #closed = false;
  #ageTimer: Timer | undefined;
  #readyWaiters: Array<() => void> = [];

  constructor(options: MpxClientOptions) {
    super();
    const { targets, carriersPerTarget, backoffInitialMs, backoffMaxMs, maxCarrierAgeMs, random, routeKey, ...sessionOptions } = checkOptionNames(
      options,
      MPX_CLIENT_OPTION_NAMES,
      'MpxClient',
    );
    if (!Array.isArray(targets) || targets.length === 0) throw new MpxConfigError(['targets'], 'targets must name at least one carrier target');
    this.#sessionOptions = routeKey === undefined ? sessionOptions : { ...sessionOptions, routeKey: checkRouteKey(routeKey) };
    this.options = resolveOptions(sessionOptions);
    const perTarget = resolveOption(CLIENT_BOUNDS, 'carriersPerTarget', carriersPerTarget);
    this.#targets = targets.map((given, i) => targetState(given, i, perTarget));
    // Every dial in flight listens on the one abort signal (a TCP dial until
    // it settles, @mpx/transport-tcp dial-guard.ts): as many at once as the
    // carriers wanted, twice that while a replaced session's dials settle.
    // Node's default limit of 10 warned of a leak from -p 11 on.
    const wantedInAll = this.#targets.reduce((n, t) => n + t.wanted, 0);
    setMaxListeners(Math.max(defaultMaxListeners, 2 * wantedInAll), this.#aborter.signal);
    if (random !== undefined && typeof random !== 'function')
      throw new MpxConfigError(['random'], `random must be a function, got ${describeValue(random)}`);
    this.#backoff = {
      initialMs: resolveOption(CLIENT_BOUNDS, 'backoffInitialMs', backoffInitialMs),
      maxMs: resolveOption(CLIENT_BOUNDS, 'backoffMaxMs', backoffMaxMs),
      random: random ?? Math.random,
    };
    this.#maxAgeMs = resolveOption(CLIENT_BOUNDS, 'maxCarrierAgeMs', maxCarrierAgeMs);
  }

  /** The current session (undefined before start()). */
  get session(): ClientSession | undefined {
    return this.#session;
  }

  /** Starts dialling every target. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#newSession();
    if (this.#maxAgeMs > 0) this.#scheduleAgeCheck();
  }

  /** Resolves once at least one carrier is up; rejects after `timeoutMs`. */
  ready(timeoutMs = 30_000): Promise<void> {
    if ((this.#session?.carrierCount ?? 0) > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => {
        this.#readyWaiters = this.#readyWaiters.filter((w) => w !== done);
        reject(new MpxError('MPX_ERR_CARRIER_CLOSED', `no carrier came up within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        this.options.clock.clearTimeout(timer);
        resolve();
      };
      this.#readyWaiters.push(done);
    });
  }

  /** Opens a stream on the current session; streams wait for carriers if none is up. */
  openStream(options: OpenStreamOptions = {}): MpxStream {
    if (this.#closed) throw new MpxError('MPX_ERR_SESSION_CLOSED', 'the client is closed');
    if (!this.#started) this.start();
    if (this.#session === undefined || this.#session.closed) this.#newSession();
    const stream = (this.#session as ClientSession).openStream(options);
    this.#hurry();
    return stream;
  }

  stats(): MpxClientStats {
    return {
      session: this.#session?.stats(),
      targets: this.#targets.map((t) => ({
        label: t.target.label,
        weight: t.weight,
        up: t.up.size,
        wanted: t.wanted,
        failures: t.failures,
        youngCloses: t.youngCloses,
      })),
    };
  }

  /** Stops dialling and closes the session. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#aborter.abort(new MpxError('MPX_ERR_SESSION_CLOSED', 'client closed'));
    if (this.#ageTimer !== undefined) this.options.clock.clearTimeout(this.#ageTimer);
    for (const t of this.#targets) if (t.retry !== undefined) this.options.clock.clearTimeout(t.retry);
    this.#session?.close(WireCode.NO_ERROR, 'client closed');
    return Promise.resolve();
  }

  #newSession(): void {
    const session = new ClientSession(this.#sessionOptions);
    this.#session = session;
    for (const t of this.#targets) {
      t.up.clear();
      t.failures = 0;
      if (t.retry !== undefined) this.options.clock.clearTimeout(t.retry);
      t.retry = undefined;
      t.retryYoung = false;
    }
    session.on('carrierClose', (stats: CarrierStats, err?: MpxError) => {
      for (const t of this.#targets) {
        const since = t.up.get(stats.id);
        if (since === undefined) continue;
        t.up.delete(stats.id);
        const delay = this.#session === session ? this.#afterClose(t, since) : 0;
        this.emit('carrierDown', t.target.label, err, stats, delay > 0 ? delay : undefined);
        if (this.#session === session && delay === 0) this.#fill(t);
      }
      if (this.#session === session) this.#hurry();
    });
    session.once('close', (err?: MpxError) => {
      this.emit('sessionClose', err);
      if (this.#session === session && !this.#closed) {
        // The session ended under us (expired, or closed by the server):
        // start afresh so that new streams work again.
        this.#session = undefined;
        this.#newSession();
      }
    });
    this.emit('session', session);
    this.#fillAll();
  }

  /**
   * Dials until the target has the carriers it wants. Until a first carrier
   * has joined, one dial at a time over all targets: carriers that raced to
   * create the session could create it on two servers behind a balancer
   * (SPEC §3.5).
   */
  #fill(t: TargetState): void {
    if (this.#closed || t.retry !== undefined) return;
    if (this.#session?.joined === false) {
      if (this.#targets.some((o) => o.dialing > 0)) return;
      this.#dial(t);
      return;
    }
    while (t.up.size + t.dialing < t.wanted) this.#dial(t);
  }

  #fillAll(): void {
    for (const t of this.#targets) this.#fill(t);
  }

  #dial(t: TargetState, onUp?: () => void): void {
    const session = this.#session as ClientSession;
    t.dialing++;
    const signal = this.#aborter.signal;
    const attempt = async (): Promise<CarrierStats> => {
      const carrier = await t.target.dial(signal, { sessionId: session.id, sessionHex: session.idHex });
      if (this.#closed || session.closed) {
        carrier.destroy();
        throw new MpxError('MPX_ERR_SESSION_CLOSED', 'session closed while dialling');
      }
      return session.addCarrier(carrier, { weight: t.weight, label: t.target.label, role: t.use.role, direction: t.use.direction });
    };
    attempt().then(
      (stats) => {
        t.dialing--;
        if (session !== this.#session) {
          this.#fill(t); // a dial of a session that has since been replaced
          return;
        }
        t.failures = 0;
        t.up.set(stats.id, this.options.clock.now());
        this.emit('carrierUp', t.target.label, stats);
        this.#restartAttempts();
        this.#fillAll();
        const waiters = this.#readyWaiters;
        this.#readyWaiters = [];
        for (const w of waiters) w();
        onUp?.();
      },
      (err: unknown) => {
        t.dialing--;
        if (this.#closed) return;
        if (session !== this.#session) {
          this.#fill(t);
          return;
        }
        // SESSION_UNKNOWN with no carrier of the session left closed the
        // session (ClientSession, SPEC §3.2), and its 'close' put a new one
        // in its place (above). Any other failure, and SESSION_UNKNOWN while
        // other carriers of the session are open (misrouted by a balancer,
        // SPEC §3.5): keep the session and redial this carrier with backoff.
        const error = err instanceof Error ? err : new Error(String(err));
        t.failures++;
        const delay = backoffDelay(t.failures, this.#backoff, this.#waiting() ? WAITING_REDIAL_CAP_MS : Infinity);
        this.emit('dialError', t.target.label, error, delay);
        this.#retryIn(t, delay);
        this.#fillAll(); // until the session has joined, another target may take the one dial
      },
    );
  }

  /**
   * Counts a carrier that closed within YOUNG_CARRIER_MS of coming up (a
   * proxy that cuts it once data flows, a server that drops it at once) and
   * returns how long the redial waits: 0 for a carrier that lived longer or
   * was retired, else the backoff of that many young closes in a row, which
   * the dial's success cannot reset as it does a failed dial's.
   */
  #afterClose(t: TargetState, since: number): number {
    // A retired carrier (make-before-break) is marked with an infinite start.
    if (since === Number.POSITIVE_INFINITY) return 0;
    if (this.options.clock.now() - since >= YOUNG_CARRIER_MS) {
      t.youngCloses = 0;
      return 0;
    }
    t.youngCloses++;
    const delay = Math.max(1, backoffDelay(t.youngCloses, this.#backoff));
    this.#retryIn(t, delay, true);
    return delay;
  }

  #retryIn(t: TargetState, delay: number, young = false): void {
    if (t.retry !== undefined) this.options.clock.clearTimeout(t.retry);
    t.retryAt = this.options.clock.now() + delay;
    t.retryYoung = young;
    t.retry = this.options.clock.setTimeout(() => {
      t.retry = undefined;
      t.retryYoung = false;
      this.#fill(t);
    }, delay);
  }

  /** Streams are waiting: the session has streams and no carrier (SPEC §9 "Redial"). */
  #waiting(): boolean {
    const s = this.#session;
    return s !== undefined && !s.closed && s.carrierCount === 0 && s.streamCount > 0;
  }

  /** While streams wait, no pending redial is further away than the cap (re-jittered within it). */
  #hurry(): void {
    if (this.#closed || !this.#waiting()) return;
    const now = this.options.clock.now();
    for (const t of this.#targets) {
      if (t.retry === undefined || t.retryYoung || t.retryAt - now <= WAITING_REDIAL_CAP_MS) continue;
      this.#retryIn(t, backoffDelay(t.failures, this.#backoff, WAITING_REDIAL_CAP_MS));
    }
  }

  /**
   * A dial succeeded, so the network works again: every target waiting out a
   * failed dial's backoff is dialled at once, and its failure count starts
   * over. A target waiting because its carriers close young keeps waiting.
   */
  #restartAttempts(): void {
    for (const t of this.#targets) {
      if (t.retry === undefined || t.retryYoung) continue;
      this.options.clock.clearTimeout(t.retry);
      t.retry = undefined;
      t.failures = 0;
      this.#fill(t);
    }
  }

  /** Make-before-break rotation of carriers older than maxCarrierAgeMs. */
  #scheduleAgeCheck(): void {
    const every = Math.max(100, Math.min(this.#maxAgeMs / 4, 5_000));
    this.#ageTimer = this.options.clock.setTimeout(() => {
      this.#ageTimer = undefined;
      if (this.#closed) return;
      const now = this.options.clock.now();
      const session = this.#session;
      for (const t of this.#targets) {
        for (const [id, since] of t.up) {
          if (now - since < this.#maxAgeMs || session === undefined) continue;
          // Keep the old carrier counted until its successor is up.
          t.up.set(id, Number.POSITIVE_INFINITY);
          // Once the successor is up, retire the old one; it stays counted
          // until it has closed, so no extra carrier is dialled meanwhile.
          this.#dial(t, () => session.retireCarrier(id));
        }
      }
      this.#scheduleAgeCheck();
    }, every);
  }
}
