// Dial one WebSocket carrier (SPEC §1). Resolves with a WebSocketDuplex once
// the upgrade succeeded; rejects with an error whose `code` is stable:
//   MPX_ERR_CONNECT_TIMEOUT  no open WebSocket within connectTimeoutMs (TCP + TLS + upgrade)
//   MPX_ERR_UPGRADE_REFUSED  the server answered the upgrade with an HTTP status (`statusCode`)
//   ABORT_ERR                options.signal aborted (Node's code; `cause` is the abort reason)
//   MPX_ERR_INVALID_ARGUMENT bad options
//   anything else            the system/TLS error as Node raised it (ECONNREFUSED, ...)
//
// permessage-deflate is never offered: mpx payloads are usually already
// compressed or encrypted, and compression would add latency and memory per carrier.
// ws sets TCP_NODELAY on the socket itself (`setSocket`); we set keep-alive.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import WebSocket from 'ws';
import { MpxError } from '@mpx/core';
import { DEFAULT_MAX_MESSAGE_SIZE, WebSocketDuplex } from './ws-duplex.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEP_ALIVE_MS = 15_000;

export type PemInput = string | Buffer;

export interface WebSocketDialOptions {
  /** `ws://` or `wss://` URL including the path. IPv6 literals in brackets: `ws://[::1]:8080/mpx`. */
  url: string;
  /** Extra request headers, e.g. `Host` to reach a virtual host behind a CDN, or auth headers. */
  headers?: Record<string, string>;
  /** TLS SNI and the name the certificate is checked against. Default: the URL's host name. */
  servername?: string;
  /** Trusted CAs (PEM). Default: Node's bundled root store. */
  ca?: PemInput | PemInput[];
  /** Client certificate and key (PEM). */
  cert?: PemInput;
  key?: PemInput;
  /** Skip certificate verification (`rejectUnauthorized: false`). Only when asked for explicitly. */
  insecure?: boolean;
  /** Default 10000. */
  connectTimeoutMs?: number;
  /** TCP keep-alive initial delay; 0 turns it off. Default 15000. */
  keepAliveMs?: number;
  /** Largest message accepted from the server (ws closes with 1009 above it). Default 1 MiB. */
  maxPayload?: number;
  /** Largest message sent; must not exceed the server's maxPayload. Default 1 MiB. */
  maxMessageSize?: number;
  /** Local address to connect from (an IP literal of this host): the egress interface. Default: the OS's choice. */
  localAddress?: string;
  signal?: AbortSignal;
}

/** The server answered the upgrade request with a plain HTTP response. */
export class WebSocketUpgradeError extends MpxError {
  readonly statusCode: number;

  constructor(statusCode: number) {
    super('MPX_ERR_UPGRADE_REFUSED', `the server refused the WebSocket upgrade with HTTP ${statusCode}`);
    this.name = 'WebSocketUpgradeError';
    this.statusCode = statusCode;
  }
}

export function dialWebSocket(options: WebSocketDialOptions): Promise<WebSocketDuplex> {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_MESSAGE_SIZE;
  try {
    checkUrl(options.url);
    checkPositive('connectTimeoutMs', connectTimeoutMs);
    checkPositive('maxPayload', maxPayload);
    if (!Number.isInteger(keepAliveMs) || keepAliveMs < 0) invalid('keepAliveMs', keepAliveMs);
  } catch (err) {
    return Promise.reject(err);
  }
  const { signal } = options;
  if (signal?.aborted === true) return Promise.reject(abortError(signal));

  return new Promise((resolve, reject) => {
    const clientOptions: WebSocket.ClientOptions & { servername?: string } = {
      perMessageDeflate: false,
      followRedirects: false,
      maxPayload,
      rejectUnauthorized: options.insecure !== true,
    };
    if (options.headers !== undefined) clientOptions.headers = options.headers;
    if (options.servername !== undefined) clientOptions.servername = options.servername;
    if (options.ca !== undefined) clientOptions.ca = options.ca;
    if (options.cert !== undefined) clientOptions.cert = options.cert;
    if (options.key !== undefined) clientOptions.key = options.key;
    // ws hands unknown options to http(s).request, which binds the socket to localAddress.
    // The name is resolved in the local address's family, so that the two match.
    if (options.localAddress !== undefined) {
      Object.assign(clientOptions, { localAddress: options.localAddress, family: isIP(options.localAddress) });
    }
    const ws = new WebSocket(options.url, clientOptions);
    let settled = false;

    const timer = setTimeout(() => {
      fail(new MpxError('MPX_ERR_CONNECT_TIMEOUT', `WebSocket connect to ${options.url} timed out after ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    const onAbort = (): void => fail(abortError(signal));

    function settle(): boolean {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    }
    function fail(err: Error): void {
      if (!settle()) return;
      ws.terminate(); // aborts the request; the resulting 'error' is swallowed below
      reject(err);
    }

    // Until open, every failure goes through fail(); afterwards the duplex owns errors.
    ws.on('error', (err) => fail(err));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      res.resume();
      fail(new WebSocketUpgradeError(res.statusCode ?? 0));
    });
    ws.once('upgrade', (res: IncomingMessage) => {
      if (keepAliveMs > 0) res.socket.setKeepAlive(true, keepAliveMs);
      res.socket.setNoDelay(true);
    });
    ws.once('open', () => {
      if (!settle()) return;
      // Built synchronously in 'open', before ws can emit the first message.
      let carrier: WebSocketDuplex;
      try {
        carrier = new WebSocketDuplex(ws, options.maxMessageSize === undefined ? {} : { maxMessageSize: options.maxMessageSize });
      } catch (err) {
        ws.terminate();
        reject(err);
        return;
      }
      resolve(carrier);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    invalid('url', url);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') invalid('url', url);
}

function checkPositive(field: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) invalid(field, value);
}

function invalid(field: string, value: unknown): never {
  throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `invalid ${field}: ${String(value)}`);
}

function abortError(signal: AbortSignal | undefined): Error {
  const err = new Error('The dial was aborted', { cause: signal?.reason });
  err.name = 'AbortError';
  (err as Error & { code: string }).code = 'ABORT_ERR';
  return err;
}
