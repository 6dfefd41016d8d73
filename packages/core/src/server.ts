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

export interface ServerOptions extends SessionOptions {
  /** Sessions held at once; a carrier that would create one more is refused. */
  maxSessions?: number;
  /** Carriers per session; a carrier beyond it is refused. */
  maxCarriersPerSession?: number;
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
  readonly #sessions = new Map<string, Session>();
  #closed = false;

  constructor(options: ServerOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.#maxSessions = options.maxSessions ?? 10_000;
    this.#maxCarriers = options.maxCarriersPerSession ?? 64;
  }

  get sessions(): ReadonlyMap<string, Session> {
    return this.#sessions;
  }

  /** Takes a freshly accepted carrier (any Duplex) and runs the handshake on it. */
  accept(carrier: Duplex, info: AcceptInfo = {}): void {
    if (this.#closed) {
      carrier.destroy();
      return;
    }
    const link = new CarrierLink(carrier, linkOptions(this.options, info.remote));
    let session: Session | undefined;
    serverHandshake(
      link,
      this.options,
      (hello) => {
        const found = this.#admit(hello);
        session = found.session;
        link.weight = hello.weight;
        return { created: found.created };
      },
      ({ peer }) => session?.attachCarrier(link, peer),
    ).catch((err: unknown) => {
      const error = err instanceof MpxError ? err : new MpxError('MPX_ERR_INTERNAL', String(err), { cause: err });
      this.emit('carrierError', error, info);
    });
  }

  #admit(hello: HelloFrame): { session: Session; created: boolean } {
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
