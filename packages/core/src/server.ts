// The server side: accepts carriers, runs the handshake and groups carriers by
// session id (SPEC §3.2), so that clients never see each other's streams.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { WireCode } from './constants.js';
import { SERVER_BOUNDS, defaultsOf, resolveOption } from './bounds.js';
import { CarrierLink, checkCarrier } from './carrier-link.js';
import { SESSION_OPTION_NAMES, linkOptions, resolveOptions, type ResolvedSessionOptions, type SessionOptions } from './config.js';
import { MpxError, MpxProtocolError } from './errors.js';
import type { HelloFrame } from './frame.js';
import { serverHandshake } from './handshake.js';
import { checkOptionNames, optionNames } from './option-names.js';
import { PendingHandshakes, type PendingHandshake } from './pending-handshakes.js';
import { Session, type StreamForwarder } from './session.js';
import type { MpxStream } from './stream.js';
import { typedEmitter } from './typed-events.js';

/** Defaults of the server-only limits (README, SECURITY.md), from SERVER_BOUNDS. */
export const SERVER_DEFAULTS = defaultsOf(SERVER_BOUNDS);

/**
 * Rationale: a failed handshake ends its carrier and cuts it 2 s later
 * (CarrierLink); a connection still open this long after its deadline is
 * destroyed regardless, so nothing before login outlives the deadline by more.
 */
const BACKSTOP_GRACE_MS = 5_000;

export interface ServerOptions extends SessionOptions {
  /** Sessions held at once; a carrier that would create one more is refused. */
  maxSessions?: number;
  /** Carriers per session; a carrier beyond it is refused. */
  maxCarriersPerSession?: number;
  /**
   * Connections and carriers in their handshake at once (from the
   * transport's accept when it calls admitConnection()); one beyond it is
   * refused at once with LIMIT_EXCEEDED (a flood of connections that never finish).
   */
  maxPendingHandshakes?: number;
}

/** Every name of ServerOptions: any other is refused (option-names.ts). */
const SERVER_OPTION_NAMES = [
  ...SESSION_OPTION_NAMES,
  ...optionNames<Omit<ServerOptions, keyof SessionOptions>>({ maxSessions: true, maxCarriersPerSession: true, maxPendingHandshakes: true }),
];

export interface AcceptInfo {
  /** Where the carrier came from, for logs. */
  remote?: string;
  /**
   * The accepted connection under the carrier (the TCP socket under TLS or
   * a WebSocket), when it was passed to admitConnection(): its handshake was
   * counted, and its deadline runs, from then on.
   */
  connection?: Duplex;
}

/** The events of an MpxServer, with their listeners' arguments. */
export interface ServerEvents {
  /** A client's first carrier created a session. */
  session: [session: Session];
  /**
   * Any session's peer opened a stream. With no listener for it, here or on
   * the session, the peer's streams are refused (RESET with REFUSED, SPEC
   * §6.2) and the session emits 'streamRefused'.
   */
  stream: [stream: MpxStream, session: Session];
  /** A carrier failed its handshake (or was refused before it: a limit, the deadline). */
  carrierError: [error: MpxError, info: AcceptInfo];
}

/** Accepts carriers and groups them into sessions. Events: ServerEvents. */
export class MpxServer extends typedEmitter<ServerEvents>(EventEmitter) {
  readonly options: ResolvedSessionOptions;
  readonly #maxSessions: number;
  readonly #maxCarriers: number;
  readonly #pending: PendingHandshakes;
  readonly #byConnection = new WeakMap<Duplex, PendingHandshake>();
  readonly #sessions = new Map<string, Session>();
  #closed = false;

  constructor(options?: ServerOptions) {
    super();
    const { maxSessions, maxCarriersPerSession, maxPendingHandshakes, ...sessionOptions } = checkOptionNames(
      options,
      SERVER_OPTION_NAMES,
      'MpxServer',
    );
    this.options = resolveOptions(sessionOptions);
    this.#maxSessions = resolveOption(SERVER_BOUNDS, 'maxSessions', maxSessions);
    this.#maxCarriers = resolveOption(SERVER_BOUNDS, 'maxCarriersPerSession', maxCarriersPerSession);
    const maxPending = resolveOption(SERVER_BOUNDS, 'maxPendingHandshakes', maxPendingHandshakes);
    this.#pending = new PendingHandshakes(maxPending, this.options.handshakeTimeoutMs, this.options.clock);
  }

  get sessions(): ReadonlyMap<string, Session> {
    return this.#sessions;
  }

  /** Connections and carriers accepted whose handshake has not finished yet. */
  get pendingHandshakes(): number {
    return this.#pending.size;
  }

  /**
   * Counts a connection the moment the transport accepted it, before it is a
   * carrier (a TLS handshake or an HTTP upgrade still to come), against
   * maxPendingHandshakes and handshakeTimeoutMs. Returns false, having
   * destroyed it, when maxPendingHandshakes are in progress. Pass it on as
   * `info.connection` to accept() once it is a carrier; if the deadline
   * passes first it is destroyed (carrierError HANDSHAKE_TIMEOUT).
   */
  admitConnection(connection: Duplex, info: AcceptInfo = {}): boolean {
    const pending = this.#closed
      ? undefined
      : this.#pending.begin(() => {
          connection.destroy();
          this.emit('carrierError', this.#timeoutError(), { remote: info.remote });
        });
    if (pending === undefined) {
      connection.destroy();
      if (!this.#closed) this.emit('carrierError', this.#pendingLimitError(), { remote: info.remote });
      return false;
    }
    this.#byConnection.set(connection, pending);
    connection.once('close', () => pending.release());
    return true;
  }

  /** Takes a freshly accepted carrier (any Duplex) and runs the handshake on it; anything else throws MPX_ERR_INVALID_ARGUMENT. */
  accept(carrier: Duplex, info: AcceptInfo = {}): void {
    checkCarrier(carrier);
    const { connection } = info;
    const admitted = connection === undefined ? undefined : this.#byConnection.get(connection);
    if (connection !== undefined) this.#byConnection.delete(connection);
    if (this.#closed || admitted?.released === true) {
      // Shutting down, or the connection timed out or closed before it became a carrier.
      carrier.destroy();
      return;
    }
    const link = new CarrierLink(carrier, linkOptions(this.options, info.remote));
    const pending = admitted ?? this.#pending.begin(() => {});
    if (pending === undefined) {
      const error = this.#pendingLimitError();
      link.close(error.wireCode, error.message);
      this.emit('carrierError', error, { remote: info.remote });
      return;
    }
    // The handshake's own timer reports the timeout; this one only makes sure the carrier goes.
    pending.defer(BACKSTOP_GRACE_MS, () => carrier.destroy());
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
        pending.release();
        session?.attachCarrier(link, peer);
      },
      pending.remainingMs(),
    ).catch((err: unknown) => {
      // An admitted connection stays counted until it has closed (link.fail ends it).
      if (admitted === undefined) pending.release();
      const error = err instanceof MpxError ? err : new MpxError('MPX_ERR_INTERNAL', String(err), { cause: err });
      this.emit('carrierError', error, { remote: info.remote });
    });
  }

  /** Every session's peer streams become this server's 'stream' events; without a listener here or on the session, they are refused (SPEC §6.2). */
  readonly #streamForwarder: StreamForwarder = {
    listening: () => this.listenerCount('stream') > 0,
    forward: (stream, session) => this.emit('stream', stream, session),
  };

  #pendingLimitError(): MpxProtocolError {
    return new MpxProtocolError(WireCode.LIMIT_EXCEEDED, `${this.#pending.size} handshakes already in progress`, { limit: 'maxPendingHandshakes' });
  }

  #timeoutError(): MpxProtocolError {
    return new MpxProtocolError(WireCode.HANDSHAKE_TIMEOUT, `handshake not finished within ${this.options.handshakeTimeoutMs} ms`);
  }

  #admit(hello: HelloFrame): { session: Session; created: boolean } {
    if (this.#closed) throw new MpxProtocolError(WireCode.GOING_AWAY, 'the server is shutting down');
    const key = Buffer.from(hello.sessionId).toString('hex');
    const existing = this.#sessions.get(key);
    if (existing !== undefined && !existing.closed) {
      if (existing.carrierCount >= this.#maxCarriers) {
        throw new MpxProtocolError(WireCode.LIMIT_EXCEEDED, `session already has ${this.#maxCarriers} carriers`, { limit: 'maxCarriersPerSession' });
      }
      return { session: existing, created: false };
    }
    if (hello.resume) throw new MpxProtocolError(WireCode.SESSION_UNKNOWN, 'this server does not hold that session');
    if (this.#sessions.size >= this.#maxSessions) {
      throw new MpxProtocolError(WireCode.LIMIT_EXCEEDED, `server already holds ${this.#maxSessions} sessions`, { limit: 'maxSessions' });
    }
    const session = new Session('server', Uint8Array.from(hello.sessionId), this.options, this.#streamForwarder);
    this.#sessions.set(key, session);
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
