// Accept WebSocket carriers (SPEC §1) on one path: the listen of the transport
// contract (@mpx/core transport.ts), standalone (own HTTP or
// HTTPS server) or attached to an existing http(s).Server.
//
// - permessage-deflate is never negotiated (see dial.ts).
// - Upgrades on other paths get `404` and their socket is destroyed. When
//   attached to a server that has other 'upgrade' listeners, upgrades on other
//   paths are left to those listeners instead.
// - Plain HTTP requests to a standalone listener get 426 on the path, 404 elsewhere.
// - Both answers carry a line of text saying why ("path /x is not the tunnel
//   path /mpx"; "request to /mpx without Upgrade: websocket - does the proxy
//   forward the Upgrade and Connection headers?"), and the refused upgrades
//   (404 on an upgrade, 426) are 'clientError's with a WebSocketUpgradeError
//   saying the same: behind a proxy they are its configuration's mistakes.
//
// Lifecycle (the listener never owns a carrier it has handed out):
//   close()     stops accepting (standalone: stops listening; attached: stops
//               handling upgrades, the server itself stays open). Carriers
//               already handed out stay open.
//   closeAll()  close(), then closes every carrier still open with 1001 (going
//               away); resolves once their WebSockets have closed.
//
// Before login: a standalone listener's `onConnection` sees each connection
// at TCP accept, before TLS and before the HTTP request, and `info.connection`
// names it again when it becomes a carrier, so a server can bound every stage
// before its own handshake (MpxServer.admitConnection).
//
// Events: 'clientError' (err, info?) for connections that failed before
// becoming a carrier (TLS or HTTP parse errors on a standalone server) or when
// `onCarrier` threw; never crashes the process. 'error' (err) for the
// listening socket failing after listen.
import * as http from 'node:http';
import * as https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { CarrierInfo, ListenOptions, OnCarrier } from '@mpx/core';
import {
  CarrierListenerBase,
  bindServer,
  checkCommonListenOptions,
  checkPositive,
  invalid,
  peerOf,
  rememberPeers,
  trackConnections,
  tuneSocket,
  type ConnectionOf,
} from '@mpx/transport-tcp';
import { DEFAULT_MAX_MESSAGE_SIZE } from './message-size.js';
import { shownPath } from './shown-url.js';
import { WebSocketUpgradeError } from './upgrade-error.js';
import { WebSocketDuplex } from './ws-duplex.js';

/**
 * The common listen options of the contract (host, port, tls, keepAliveMs,
 * onConnection: when standalone; port defaults to 0), plus:
 */
export interface WebSocketListenOptions extends ListenOptions {
  /** The upgrade path. Default '/'. */
  path?: string;
  /** Attach to this server instead of creating one (then no port, tls or onConnection); close() leaves it open. */
  server?: http.Server | https.Server;
  /** Largest message accepted from a client (ws closes with 1009 above it). Default 1 MiB. */
  maxPayload?: number;
  /** Largest message sent; must not exceed the clients' maxPayload. Default 1 MiB. */
  maxMessageSize?: number;
}

/** The contract's CarrierInfo (remoteAddress, remotePort: the TCP peer, behind a proxy or CDN the proxy), plus: */
export interface WebSocketCarrierInfo extends CarrierInfo {
  /** The upgrade request's headers (`host`, `x-forwarded-for`, auth headers, ...). */
  headers: IncomingHttpHeaders;
}

export type OnWebSocketCarrier = OnCarrier<WebSocketDuplex, WebSocketCarrierInfo>;

export class WebSocketCarrierListener extends CarrierListenerBase {
  readonly #server: http.Server | https.Server;
  readonly #attached: boolean;
  readonly #detach: () => void;
  readonly #open: Set<WebSocketDuplex>;

  /** @internal use listenWebSocket() */
  constructor(server: http.Server | https.Server, attached: boolean, open: Set<WebSocketDuplex>, detach: () => void) {
    super();
    this.#server = server;
    this.#attached = attached;
    this.#open = open;
    this.#detach = detach;
  }

  /** The server's bound address; port 0 while an attached server is not listening. */
  get address(): { host: string; port: number } {
    const bound = this.#server.address();
    if (bound === null || typeof bound === 'string') return { host: '', port: 0 };
    return { host: bound.address, port: bound.port };
  }

  protected get acceptor(): http.Server | https.Server {
    return this.#server;
  }

  protected stopAccepting(): void {
    this.#detach();
    if (!this.#attached) {
      this.#server.close();
      this.#server.closeIdleConnections();
    }
  }

  async closeAll(): Promise<void> {
    await this.close();
    const waits = [...this.#open].map((carrier) => {
      const { ws } = carrier;
      if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
      return new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        carrier.goAway();
      });
    });
    await Promise.all(waits);
  }
}

export function listenWebSocket(options: WebSocketListenOptions, onCarrier: OnWebSocketCarrier): Promise<WebSocketCarrierListener> {
  const path = options.path ?? '/';
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_MESSAGE_SIZE;
  let keepAliveMs: number;
  try {
    if (!path.startsWith('/')) invalid('path', path);
    checkPositive('maxPayload', maxPayload);
    if (options.maxMessageSize !== undefined) checkPositive('maxMessageSize', options.maxMessageSize);
    keepAliveMs = checkCommonListenOptions(options);
    if (options.server !== undefined && (options.tls !== undefined || options.port !== undefined || options.onConnection !== undefined)) {
      invalid('server', 'an attached listener takes neither port, tls nor onConnection');
    }
  } catch (err) {
    return Promise.reject(err);
  }

  const attached = options.server !== undefined;
  // A request on the path without `Upgrade: websocket` (a proxy that does not forward it) is a failed upgrade.
  const onPlainRequest = (req: IncomingMessage, why: string): void => {
    listener?.emit('clientError', new WebSocketUpgradeError(426, {}, `upgrade refused with HTTP 426: ${why}`), peerOf(req.socket));
  };
  const server = options.server ?? createServer(options, path, onPlainRequest);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload, clientTracking: false });
  const open = new Set<WebSocketDuplex>();
  let listener: WebSocketCarrierListener | undefined;
  const carrierOptions = options.maxMessageSize === undefined ? {} : { maxMessageSize: options.maxMessageSize };
  if (!attached) rememberPeers(server);
  const connectionOf: ConnectionOf = attached ? (socket) => socket : trackConnections(server, options.onConnection);

  const accept = (ws: WebSocket, req: IncomingMessage): void => {
    const socket = req.socket;
    const info: WebSocketCarrierInfo = {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      headers: req.headers,
      connection: connectionOf(socket),
    };
    tuneSocket(socket, keepAliveMs);
    let carrier: WebSocketDuplex | undefined;
    try {
      carrier = new WebSocketDuplex(ws, carrierOptions);
      const made = carrier;
      open.add(made);
      made.once('close', () => open.delete(made));
      onCarrier(made, info);
    } catch (err) {
      // destroy(), not terminate(): the carrier would fail on the close it did not ask for, with nobody listening.
      if (carrier === undefined) ws.terminate();
      else carrier.destroy();
      listener?.emit('clientError', err, info);
    }
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (pathOf(req.url) !== path) {
      if (attached && server.listenerCount('upgrade') > 1) return; // another handler's path
      const why = `path ${shownPath(req.url)} is not the tunnel path ${path}`;
      refuse(socket, 404, 'Not Found', why);
      listener?.emit('clientError', new WebSocketUpgradeError(404, {}, `upgrade refused with HTTP 404: ${why}`), peerOf(socket));
      return;
    }
    if (listener?.closed === true) {
      refuse(socket, 503, 'Service Unavailable');
      return;
    }
    wss.handleUpgrade(req, socket, head, accept);
  };

  server.on('upgrade', onUpgrade);
  const detach = (): void => {
    server.removeListener('upgrade', onUpgrade);
    wss.close();
  };

  if (attached) {
    listener = new WebSocketCarrierListener(server, true, open, detach);
    return Promise.resolve(listener);
  }
  // Both report sockets that may have closed already (so no longer know their address): their
  // peer is the one remembered at accept (peers.ts of @mpx/transport-tcp).
  server.on('clientError', (err: Error, socket: Duplex) => {
    socket.destroy();
    listener?.emit('clientError', err, peerOf(socket));
  });
  server.on('tlsClientError', (err: Error, socket: Socket) => {
    listener?.emit('clientError', err, peerOf(socket));
  });
  if (options.bind === false) {
    listener = new WebSocketCarrierListener(server, false, open, detach);
    return Promise.resolve(listener);
  }
  return bindServer(server, { host: options.host, port: options.port ?? 0 }, () => {
    listener = new WebSocketCarrierListener(server, false, open, detach);
    return listener;
  });
}

/**
 * A standalone listener's server. Plain HTTP requests get 426 on the path
 * (reported with `onPlainRequest`: an upgrade that lost its Upgrade header on
 * the way) and 404 elsewhere (not reported: scanners, browsers), each with a
 * line of text saying why.
 */
function createServer(
  options: WebSocketListenOptions,
  path: string,
  onPlainRequest: (req: IncomingMessage, why: string) => void,
): http.Server | https.Server {
  const onRequest = (req: IncomingMessage, res: http.ServerResponse): void => {
    const requested = pathOf(req.url);
    if (requested === path) {
      const why = `request to ${shownPath(req.url)} without Upgrade: websocket - does the proxy forward the Upgrade and Connection headers?`;
      answer(res, 426, why);
      onPlainRequest(req, why);
    } else {
      answer(res, 404, `path ${shownPath(req.url)} is not the tunnel path ${path}`);
    }
  };
  const t = options.tls;
  if (t === undefined) return http.createServer({ noDelay: true }, onRequest);
  const requestCert = t.requestCert === true;
  return https.createServer({ cert: t.cert, key: t.key, ca: t.ca, requestCert, rejectUnauthorized: requestCert, noDelay: true }, onRequest);
}

/** A plain HTTP answer with `why` as its text/plain body (dial.ts shows it to the client). */
function answer(res: http.ServerResponse, status: number, why: string): void {
  const body = Buffer.from(`${why}\n`);
  res.writeHead(status, { connection: 'close', 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length });
  res.end(body);
}

function refuse(socket: Duplex, status: number, text: string, why?: string): void {
  socket.once('finish', () => socket.destroy());
  socket.on('error', () => {});
  const body = why === undefined ? Buffer.alloc(0) : Buffer.from(`${why}\n`);
  const type = why === undefined ? '' : 'Content-Type: text/plain; charset=utf-8\r\n';
  socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${type}Content-Length: ${body.length}\r\n\r\n`);
  socket.end(body);
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query === -1 ? raw : raw.slice(0, query);
}
