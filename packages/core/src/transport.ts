// The transport contract (SPEC §1: a carrier is one reliable, ordered byte
// stream): what every carrier transport (@mpx/transport-tcp for tcp and tls,
// @mpx/transport-ws for ws and wss) takes and gives, so that code above them
// (the tunnel) programs against one interface and picks a transport by scheme.
// Types (and the key of one optional method): the core does no I/O. The shared helpers that do (abort errors,
// the connect deadline, socket settings) live in @mpx/transport-tcp.
//
// Dial errors carry a stable `code`:
//   MPX_ERR_CONNECT_TIMEOUT   nothing usable within `connectTimeoutMs` (connect + handshake)
//   ABORT_ERR                 `signal` aborted (Node's code; `cause` is the abort reason)
//   MPX_ERR_INVALID_ARGUMENT  bad options
//   MPX_ERR_UPGRADE_REFUSED   (WebSocket) the server answered the upgrade with an HTTP status
//   anything else             the system or TLS error as Node raised it (ECONNREFUSED, ...)
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** A PEM certificate, key or CA, as text or bytes. */
export type PemInput = string | Buffer;

/** TLS settings of a dialled carrier (tls, wss). */
export interface TlsClientOptions {
  /** Trusted CA certificates (PEM). Default: Node's bundled root store. */
  ca?: PemInput | PemInput[];
  /** Client certificate and key (PEM), for servers that request one. */
  cert?: PemInput;
  key?: PemInput;
  /** SNI and the name checked against the certificate. Default: the host name when it is not an IP literal. */
  servername?: string;
  /** Skip certificate verification (`rejectUnauthorized: false`). Only when asked for explicitly. */
  insecure?: boolean;
}

/** TLS settings of a listener (tls, wss). */
export interface TlsServerOptions {
  cert: PemInput;
  key: PemInput;
  /** CAs that client certificates must chain to (with `requestCert`). */
  ca?: PemInput | PemInput[];
  /** Ask for a client certificate and reject clients without a valid one. */
  requestCert?: boolean;
}

/** Options every transport's dial takes. */
export interface DialOptions {
  /** Time for connect plus every handshake (TLS, WebSocket upgrade), ms. Default 10000. */
  connectTimeoutMs?: number;
  /** TCP keep-alive initial delay, ms; 0 turns keep-alive off. Default 15000. */
  keepAliveMs?: number;
  /** Local address to connect from (an IP literal of this host): the egress interface. Default: the OS's choice. */
  localAddress?: string;
  /** Aborts the dial (rejects with ABORT_ERR); no effect once it has resolved. */
  signal?: AbortSignal;
}

/**
 * Called for each accepted TCP connection, before anything is read from it
 * (before TLS or an HTTP upgrade). Return false to refuse it: it is destroyed at once.
 */
export type OnConnection = (connection: Socket) => boolean;

/** Options every transport's listen takes. */
export interface ListenOptions {
  /** Address to bind. Default: Node's default (all interfaces, `::` when IPv6 is available). */
  host?: string;
  /** 0 for an ephemeral port. */
  port?: number;
  /** Serve tls/wss with this certificate and key. */
  tls?: TlsServerOptions;
  /** TCP keep-alive initial delay on accepted sockets, ms; 0 turns it off. Default 15000. */
  keepAliveMs?: number;
  /** Called at TCP accept, before TLS and any upgrade; the carrier's `info.connection` is that connection. */
  onConnection?: OnConnection;
  /**
   * false: do not bind; connections come only through `adopt()` (a process
   * that gets sockets from another, e.g. a `cluster` worker). Default true.
   */
  bind?: boolean;
}

/** Where an accepted carrier came from. */
export interface CarrierInfo {
  remoteAddress: string;
  remotePort: number;
  /** The accepted TCP connection: the carrier itself, or the socket under its TLS or WebSocket. */
  connection: Socket;
}

export type OnCarrier<C extends Duplex = Duplex, I extends CarrierInfo = CarrierInfo> = (carrier: C, info: I) => void;

/**
 * An accepting listener. It never owns a carrier it has handed out.
 * Events: 'clientError' (err, info?) a connection failed before it became a
 * carrier, or onCarrier threw (never crashes the process); 'error' (err) the
 * listening socket failed after it was bound.
 */
export interface CarrierListener {
  /** The bound address; `host` as bound (`::1`, `127.0.0.1`, `::`). */
  readonly address: { host: string; port: number };
  /** Stops accepting; carriers already handed out stay open. */
  close(): Promise<void>;
  /**
   * Takes a connection accepted elsewhere (by another process, which sent
   * its handle) as if this listener had accepted it: `onConnection`, TLS or
   * the upgrade, then `onCarrier`. `head`: the bytes already read from it,
   * in order. Destroys it when the listener is closed.
   */
  adopt(connection: Socket, head: Uint8Array): void;
  /** close(), then closes every carrier of this listener still open; resolves once they are closed. */
  closeAll(): Promise<void>;
  on(event: 'clientError', listener: (err: unknown, info?: { remoteAddress: string; remotePort: number }) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

/** One transport: dial a carrier, listen for carriers. */
export interface Transport<
  D extends DialOptions = DialOptions,
  L extends ListenOptions = ListenOptions,
  C extends Duplex = Duplex,
  I extends CarrierInfo = CarrierInfo,
> {
  dial(options: D): Promise<C>;
  listen(options: L, onCarrier: OnCarrier<C, I>): Promise<CarrierListener>;
}

/**
 * A carrier that can lend its reads (TCP and TLS carriers dialled by
 * @mpx/transport-tcp, and plain TCP ones it accepts, read with `onread`
 * into one buffer reused by every carrier of the process) has a method
 * under this key: `carrier[LEND_READS](onChunk)` sends every later read to
 * `onChunk` instead of the readable side, as a view that is valid only
 * until `onChunk` returns (the next read overwrites it), unless `onChunk`'s
 * second argument `kept` is true: then the chunk's memory is the reader's to
 * keep (a bulk read, so that its payloads need no copy). A kept chunk in a
 * block of `readBlocks` (read-blocks.ts) is read into again once the reader
 * has said it is done with it and every view handed on is released; the
 * session does the first two. Reads cannot be pushed back on:
 * mpx never stops reading a carrier. Bytes read before the call stay on the
 * readable side ('data'), and 'end', 'error' and 'close' come as before.
 * A carrier without it (TLS sockets accepted by a server) gives 'data'
 * only. A dialled TLS carrier gathers a bulk turn's records before it lends
 * them (see GATHER_READS); a WebSocket carrier (@mpx/transport-ws) gives
 * each message to keep, a large one copied into blocks of `readBlocks`.
 * `Symbol.for`, so that every copy of @mpx/core in a process agrees.
 */
export const LEND_READS: unique symbol = Symbol.for('mpx.lendReads');

/**
 * A carrier whose reads come several to one I/O event sets this key to
 * true: a TLS socket emits each record it decrypts (at most 16 KiB) as a
 * read of its own, and Node runs the microtask queue after each. The
 * session then takes the reads of one turn of the event loop together, at
 * its end, so that what they deliver to a stream leaves in one write
 * instead of one per record. Only turns that bring a read of
 * GATHER_FROM_BYTES or more (a full record) are gathered: a smaller read with none before it is
 * read at once. Reads given through LEND_READS are not gathered here (they
 * are only valid during the call; a transport that lends gathers them
 * itself). `Symbol.for`, as LEND_READS.
 */
export const GATHER_READS: unique symbol = Symbol.for('mpx.gatherReads');

/**
 * GATHER_READS: a read of this many bytes or more starts gathering the
 * reads of its turn. Rationale: the largest TLS record's plaintext (16
 * KiB), what a bulk transfer's records are; a transport that gathers lent
 * reads itself uses the same rule.
 */
export const GATHER_FROM_BYTES = 16 * 1024;

/** What a carrier whose reads are gathered per turn has (see GATHER_READS). */
export interface GathersReads {
  readonly [GATHER_READS]: true;
}

/** What a carrier that lends its reads has (see LEND_READS). */
export interface LendsReads {
  [LEND_READS](onChunk: (chunk: Uint8Array, kept?: boolean) => void): void;
}
