// Dial one WebSocket carrier (SPEC §1). Resolves with a WebSocketDuplex once
// the upgrade succeeded; rejects with an error whose `code` is stable:
//   MPX_ERR_CONNECT_TIMEOUT  no open WebSocket within connectTimeoutMs (TCP + TLS + upgrade)
//   MPX_ERR_UPGRADE_REFUSED  the server answered the upgrade with an HTTP status (`statusCode`; its
//                            reason phrase, Server header and a short body: upgrade-error.ts)
//   ABORT_ERR                options.signal aborted (Node's code; `cause` is the abort reason)
//   MPX_ERR_INVALID_ARGUMENT bad options
//   anything else            the system/TLS error as Node raised it (ECONNREFUSED, ...)
//
// Messages show the URL without its query (shown-url.ts): it carries the
// session id.
//
// permessage-deflate is never offered: mpx payloads are usually already
// compressed or encrypted, and compression would add latency and memory per carrier.
// ws sets TCP_NODELAY on the socket itself (`setSocket`); we set keep-alive.
// The deadline, abort and option checks are the transport contract's, shared
// with @mpx/transport-tcp.
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { DialOptions, TlsClientOptions } from '@mpx/core';
import {
  abortError,
  checkPositive,
  guardDial,
  invalid,
  localBinding,
  resolveCommonDialOptions,
  tlsConnectSettings,
  tuneSocket,
} from '@mpx/transport-tcp';
import { DEFAULT_MAX_MESSAGE_SIZE } from './message-size.js';
import { shownUrl } from './shown-url.js';
import { WebSocketUpgradeError } from './upgrade-error.js';
import { WebSocketDuplex } from './ws-duplex.js';

export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_MS, type PemInput } from '@mpx/transport-tcp';

/** The common dial options (timeout, keep-alive, signal) and TLS options (for wss) of the contract, plus: */
export interface WebSocketDialOptions extends DialOptions, TlsClientOptions {
  /** `ws://` or `wss://` URL including the path. IPv6 literals in brackets: `ws://[::1]:8080/mpx`. */
  url: string;
  /** Extra request headers, e.g. `Host` to reach a virtual host behind a CDN, or auth headers. */
  headers?: Record<string, string>;
  /** Largest message accepted from the server (ws closes with 1009 above it). Default 1 MiB. */
  maxPayload?: number;
  /** Largest message sent; must not exceed the server's maxPayload. Default 1 MiB. */
  maxMessageSize?: number;
}

/** Rationale: room for a short text/plain reason or an error page's title; a larger body is not read. */
const MAX_BODY_READ = 1024;

export function dialWebSocket(options: WebSocketDialOptions): Promise<WebSocketDuplex> {
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_MESSAGE_SIZE;
  let common: ReturnType<typeof resolveCommonDialOptions>;
  try {
    checkUrl(options.url);
    common = resolveCommonDialOptions(options);
    checkPositive('maxPayload', maxPayload);
    if (options.maxMessageSize !== undefined) checkPositive('maxMessageSize', options.maxMessageSize);
  } catch (err) {
    return Promise.reject(err);
  }
  const { connectTimeoutMs, keepAliveMs, signal } = common;
  if (signal?.aborted === true) return Promise.reject(abortError(signal));

  return new Promise((resolve, reject) => {
    const clientOptions: WebSocket.ClientOptions & { servername?: string } = {
      perMessageDeflate: false,
      followRedirects: false,
      maxPayload,
      ...tlsConnectSettings(options, options.servername),
    };
    if (options.headers !== undefined) clientOptions.headers = options.headers;
    // ws hands unknown options to http(s).request, which binds the socket to localAddress.
    Object.assign(clientOptions, localBinding(common.localAddress));
    const ws = new WebSocket(options.url, clientOptions);
    const settle = guardDial(`WebSocket connect to ${shownUrl(options.url)}`, connectTimeoutMs, signal, fail);

    function fail(err: Error): void {
      if (!settle()) return;
      ws.terminate(); // aborts the request; the resulting 'error' is swallowed below
      reject(err);
    }

    // Until open, every failure goes through fail(); afterwards the duplex owns errors.
    ws.on('error', (err) => fail(err));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      readShortBody(res, (body) => {
        const { server } = res.headers;
        const answer = {
          statusMessage: res.statusMessage,
          server: Array.isArray(server) ? server.join(', ') : server,
          body,
          bodyIsText: /^text\/plain\b/i.test(res.headers['content-type'] ?? ''),
        };
        fail(new WebSocketUpgradeError(res.statusCode ?? 0, answer));
      });
    });
    ws.once('upgrade', (res: IncomingMessage) => tuneSocket(res.socket, keepAliveMs));
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
  });
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    invalid('url', shownUrl(url));
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') invalid('url', shownUrl(url));
}

/**
 * Reads a refused upgrade's body when it says it is short (Content-Length up
 * to MAX_BODY_READ), else drops it; `done` once, with what came. A body that
 * never ends is cut by the dial's deadline.
 */
function readShortBody(res: IncomingMessage, done: (body: string) => void): void {
  const length = Number(res.headers['content-length'] ?? Number.NaN);
  if (!(length > 0 && length <= MAX_BODY_READ)) {
    res.resume();
    done('');
    return;
  }
  const chunks: Buffer[] = [];
  let called = false;
  const finish = (): void => {
    if (called) return;
    called = true;
    done(Buffer.concat(chunks).toString('utf8'));
  };
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.once('end', finish);
  res.once('close', finish);
  res.once('error', finish);
}
