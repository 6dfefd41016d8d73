// Accept TCP or TLS carriers (SPEC §1): the listen of the transport contract
// (@mpx/core transport.ts). Each accepted connection is handed to
// `onCarrier` once it is usable: at once for TCP, after the handshake for TLS.
//
// Accepted sockets are half-open capable (`allowHalfOpen: true`), like dialled ones:
// the carrier's owner calls end() after the peer's 'end'. A TLS socket becomes so
// only once its handshake is done: before, the peer's close closes it.
//
// Lifecycle (the listener never owns a carrier it has handed out):
//   close()     stops accepting; carriers already handed out stay open (their
//               owner, the session, closes them). Resolves once no longer listening.
//   closeAll()  close() and destroy every carrier accepted by this listener that
//               is still open. Resolves once all of them are closed.
//
// Before login: `options.onConnection` sees each connection at TCP accept,
// before its TLS handshake, and `info.connection` names it again when it
// becomes a carrier (see connections.ts).
//
// Events (the listener is an EventEmitter):
//   'clientError' (err, info?)  a connection failed before it became a carrier
//               (TLS handshake failure, reset during handshake) or `onCarrier`
//               threw. Swallowed when nobody listens: it never crashes the process.
//   'error' (err)   the listening socket failed after listen (e.g. EMFILE on accept).
//               As for any EventEmitter, it throws when nobody listens.
import * as net from 'node:net';
import type * as tls from 'node:tls';
import type { CarrierInfo, OnCarrier } from '@mpx/core';
import { readAcceptedWith } from './accepted-reads.js';
import { trackConnections, type ConnectionOf } from './connections.js';
import { gatherReads } from './gathered-reads.js';
import { lentReads } from './lent-reads.js';
import { CarrierListenerBase } from './listener-base.js';
import { checkListenOptions, type TcpListenOptions } from './options.js';
import { peerOf, rememberPeers } from './peers.js';
import { bindServer, tuneSocket } from './sockets.js';

export type { CarrierInfo, CarrierListener, OnCarrier } from '@mpx/core';

export class TcpCarrierListener extends CarrierListenerBase {
  readonly address: { host: string; port: number };
  readonly #server: net.Server;
  readonly #open: Set<net.Socket>;

  /** @internal use listenTcp() */
  constructor(server: net.Server, open: Set<net.Socket>) {
    super();
    this.#server = server;
    this.#open = open;
    const bound = server.address();
    this.address = bound === null || typeof bound === 'string' ? { host: '', port: 0 } : { host: bound.address, port: bound.port };
  }

  protected get acceptor(): net.Server {
    return this.#server;
  }

  protected stopAccepting(): void {
    // Stops listening now; the server's own 'close' waits for every
    // connection, which is the carriers' owners' business, not ours.
    this.#server.close();
  }

  async closeAll(): Promise<void> {
    const waits = [...this.#open].map(
      (socket) =>
        new Promise<void>((resolve) => {
          socket.once('close', () => resolve());
          socket.destroy();
        }),
    );
    await this.close();
    await Promise.all(waits);
  }
}

export function listenTcp(options: TcpListenOptions, onCarrier: OnCarrier<net.Socket>): Promise<TcpCarrierListener> {
  let keepAliveMs: number;
  try {
    keepAliveMs = checkListenOptions(options);
  } catch (err) {
    return Promise.reject(err);
  }
  if (options.tls === undefined) return listen(options, keepAliveMs, onCarrier, undefined);
  // node:tls is loaded by the first TLS listener: a process with plain carriers only does not hold it.
  return import('node:tls').then((tlsModule) => listen(options, keepAliveMs, onCarrier, tlsModule));
}

function listen(
  options: TcpListenOptions,
  keepAliveMs: number,
  onCarrier: OnCarrier<net.Socket>,
  tlsModule: typeof tls | undefined,
): Promise<TcpCarrierListener> {
  const open = new Set<net.Socket>();
  let listener: TcpCarrierListener | undefined;

  const emitClientError = (err: unknown, info?: CarrierInfo): void => {
    listener?.emit('clientError', err, info);
  };

  let connectionOf: ConnectionOf = (socket) => socket;
  const accept = (socket: net.Socket): void => {
    const info: CarrierInfo = { remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0, connection: connectionOf(socket) };
    // Reset between accept and here, or a TLS handshake that finished after close().
    if (socket.destroyed || listener?.closed === true) {
      socket.destroy();
      return;
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    // A plain TCP carrier lends its reads, as a dialled one does (accepted-reads.ts). Here, in the
    // 'connection' listener, nothing has been read from it yet. TLS ones give 'data', gathered per
    // turn (gathered-reads.ts).
    if (options.tls === undefined) {
      const lent = lentReads();
      if (readAcceptedWith(socket, lent.onread)) lent.install(socket);
    } else {
      gatherReads(socket);
    }
    tuneSocket(socket, keepAliveMs);
    try {
      onCarrier(socket, info);
    } catch (err) {
      socket.destroy();
      emitClientError(err, info);
    }
  };

  const t = options.tls;
  let server: net.Server;
  if (t === undefined || tlsModule === undefined) {
    server = net.createServer({ noDelay: true, allowHalfOpen: true }, accept);
  } else {
    // Not half-open until the handshake is done (accept() makes the carrier so): a peer that closes
    // during the handshake (a client that rejects our certificate does, at once) must close the socket
    // too, else it stays in CLOSE-WAIT, holding its pending-handshake slot, until the handshake timeout.
    server = tlsModule.createServer(
      { allowHalfOpen: false, cert: t.cert, key: t.key, ca: t.ca, requestCert: t.requestCert === true, rejectUnauthorized: t.requestCert === true },
      (socket) => {
        socket.allowHalfOpen = true;
        accept(socket);
      },
    );
    // Handshake failures and closes before the handshake's end: tls.Server destroys the socket; we only
    // report them. The socket has closed by then, so its peer is the one remembered at accept.
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      const peer = peerOf(socket);
      emitClientError(err, { remoteAddress: peer.remoteAddress, remotePort: peer.remotePort, connection: connectionOf(socket) });
    });
    rememberPeers(server);
  }
  connectionOf = trackConnections(server, options.onConnection);

  if (options.bind === false) {
    listener = new TcpCarrierListener(server, open);
    return Promise.resolve(listener);
  }
  return bindServer(server, { host: options.host, port: options.port, backlog: options.backlog }, () => {
    listener = new TcpCarrierListener(server, open);
    return listener;
  });
}
