// The server side: accepts carriers, runs the handshake and groups carriers by
// session id (SPEC §3.2), so that clients never see each other's streams.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { WireCode } from './constants.js';
import { CarrierLink } from './carrier-link.js';
import { linkOptions, resolveOptions, type ResolvedSessionOptions, type SessionOptions } from './config.js';
import { MpxError, MpxProtocolError } from './errors.js';
import type { HelloFrame } from './frame.js';
import { serverHandshake } from './handshake.js';
import { Session } from './session.js';
import type { MpxStream } from './stream.js';

/** Defaults of the server-only limits (README, SECURITY.md). */
export const SERVER_DEFAULTS = {
  maxSessions: 10_000,
  maxCarriersPerSession: 64,
  maxPendingHandshakes: 4096,
} as const;

export interface ServerOptions extends SessionOptions {
  /** Sessions held at once; a carrier that would create one more is refused. */
  maxSessions?: number;
  /** Carriers per session; a carrier beyond it is refused. */
  maxCarriersPerSession?: number;
  /**
   * Carriers in their handshake at once; a carrier beyond it is refused at
   * once with LIMIT_EXCEEDED (a flood of connections that never finish).
   */
  maxPendingHandshakes?: number;
}

export interface AcceptInfo {
  /** Where the carrier came from, for logs. */
  remote?: string;
}

/**
 * Events:
 * - `'session'` (session: Session): a client's first carrier created a session.
 * - `'stream'` (stream: MpxStream, session: Session): any session's peer opened a stream.
 * - `'carrierError'` (error: MpxError, info: AcceptInfo): a carrier failed its handshake.
 */
export class MpxServer extends EventEmitter {
  readonly options: ResolvedSessionOptions;
  readonly #maxSessions: number;
  readonly #maxCarriers: number;
  readonly #maxPending: number;
  readonly #sessions = new Map<string, Session>();
  #pending = 0;
  #closed = false;

  constructor(options: ServerOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.#maxSessions = options.maxSessions ?? SERVER_DEFAULTS.maxSessions;
    this.#maxCarriers = options.maxCarriersPerSession ?? SERVER_DEFAULTS.maxCarriersPerSession;
    this.#maxPending = options.maxPendingHandshakes ?? SERVER_DEFAULTS.maxPendingHandshakes;
    for (const [field, value] of [
      ['maxSessions', this.#maxSessions],
      ['maxCarriersPerSession', this.#maxCarriers],
      ['maxPendingHandshakes', this.#maxPending],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new MpxError('MPX_ERR_INVALID_CONFIG', `${field} must be a positive integer, got ${String(value)}`);
      }
    }
  }

  get sessions(): ReadonlyMap<string, Session> {
    return this.#sessions;
  }

  /** Carriers accepted whose handshake has not finished yet. */
  get pendingHandshakes(): number {
    return this.#pending;
  }

  /** Takes a freshly accepted carrier (any Duplex) and runs the handshake on it. */
  accept(carrier: Duplex, info: AcceptInfo = {}): void {
    if (this.#closed) {
      carrier.destroy();
      return;
    }
    const link = new CarrierLink(carrier, linkOptions(this.options, info.remote));
    if (this.#pending >= this.#maxPending) {
      const error = new MpxProtocolError(WireCode.LIMIT_EXCEEDED, `${this.#pending} handshakes already in progress`);
      link.close(error.wireCode, error.message);
      this.emit('carrierError', error, info);
      return;
    }
    this.#pending++;
    let session: Session | undefined;
    serverHandshake(
      link,
      this.options,
      (hello) => {
        const found = this.#admit(hello);
        session = found.session;
        link.weight = hello.weight;
        link.use = { role: hello.backup === true ? 'backup' : 'primary', direction: hello.direction ?? 'both' };
        return { created: found.created };
      },
      ({ peer }) => {
        this.#pending--;
        session?.attachCarrier(link, peer);
      },
    ).catch((err: unknown) => {
      this.#pending--;
      const error = err instanceof MpxError ? err : new MpxError('MPX_ERR_INTERNAL', String(err), { cause: err });
      this.emit('carrierError', error, info);
    });
  }

  #admit(hello: HelloFrame): { session: Session; created: boolean } {
    if (this.#closed) throw new MpxProtocolError(WireCode.GOING_AWAY, 'the server is shutting down');
    const key = Buffer.from(hello.sessionId).toString('hex');
    const existing = this.#sessions.get(key);
    if (existing !== undefined && !existing.closed) {
      if (existing.carrierCount >= this.#maxCarriers) {
        throw new MpxProtocolError(WireCode.LIMIT_EXCEEDED, `session already has ${this.#maxCarriers} carriers`);
      }
      return { session: existing, created: false };
    }
    if (hello.resume) throw new MpxProtocolError(WireCode.SESSION_UNKNOWN, 'this server does not hold that session');
    if (this.#sessions.size >= this.#maxSessions) {
      throw new MpxProtocolError(WireCode.LIMIT_EXCEEDED, `server already holds ${this.#maxSessions} sessions`);
    }
    const session = new Session('server', Uint8Array.from(hello.sessionId), this.options);
    this.#sessions.set(key, session);
    session.on('stream', (stream: MpxStream) => this.emit('stream', stream, session));
    session.once('close', () => {
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    });
    this.emit('session', session);
    return { session, created: true };
  }

  /** Closes every session (SPEC §10.1) and refuses further carriers. */
  close(code: number = WireCode.GOING_AWAY, reason = 'server shutting down'): void {
    this.#closed = true;
    for (const session of [...this.#sessions.values()]) session.close(code, reason);
  }
}
