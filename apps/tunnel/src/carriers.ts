// From parsed addresses to carriers (SPEC §1: a carrier is any reliable,
// ordered byte stream): dial functions for the client and the relay, and
// listeners for the server and the relay. The scheme picks the transport
// (@mpx/transport-tcp for tcp and tls, @mpx/transport-ws for ws and wss);
// everything after that is one code path over the transport contract of
// @mpx/core (transport.ts). @mpx/transport-ws (and the ws library) is loaded
// on the first ws or wss dial or listen: a process with only tcp and tls
// carriers does not hold its code (idle RSS, docs/decisions/0001).
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { CarrierInfo, CarrierRoute, DialOptions, TlsClientOptions, TlsServerOptions, Transport } from '@mpx/core';
import { tcpTransport } from '@mpx/transport-tcp';
import type { webSocketTransport as WsTransport } from '@mpx/transport-ws';
import { formatAddress, hostPort, type Address } from './address.js';
import { UsageError } from './errors.js';
import { forwardedFor } from './forwarded-for.js';
import type { Logger } from './log.js';
import { userAgent } from './version.js';

/** TLS and WebSocket settings from the command line (files already read). */
export interface TransportOptions {
  /** Listening tls/wss: certificate and key. Dialling: a client certificate. */
  readonly tlsCert?: Buffer;
  readonly tlsKey?: Buffer;
  /** Dialling: CAs to trust. Listening: require client certificates from these CAs. */
  readonly tlsCa?: Buffer;
  /** Dialling: accept any server certificate. */
  readonly insecure: boolean;
  /** Dialling: TLS server name (default: --ws-host for wss, else the host name). */
  readonly sni?: string;
  /** Dialling ws/wss: Host header (a CDN's virtual host). */
  readonly wsHost?: string;
  /** Dialling ws/wss: extra request headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** ws/wss, both ends: largest WebSocket message sent (--ws-max-message); undefined: @mpx/transport-ws's default. */
  readonly wsMaxMessage?: number;
  readonly connectTimeoutMs: number;
}

/** Dials one carrier; `route` names the session it is for (SPEC §3.5), shown to WebSocket balancers. */
export type DialCarrier = (signal: AbortSignal, route?: CarrierRoute) => Promise<Duplex>;

/** The upgrade request's routing key (SPEC §3.5): the query parameter nginx hashes (`$arg_session`), and a header. */
export const SESSION_PARAM = 'session';
export const SESSION_HEADER = 'x-mpx-session';

/** `url` with `?session=<hex>` set (any existing query kept). */
export function withSession(url: string, sessionHex: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(SESSION_PARAM, sessionHex);
  return parsed.toString();
}

/**
 * The transport of the address's scheme (the contract of @mpx/core), with
 * what is the scheme's own bound in: where to dial or bind (host and port,
 * the URL or path), and the client TLS and request headers. What is left
 * are the options every transport takes, so that dialling and listening
 * below are one code path for every scheme.
 */
/** The WebSocket transport, imported once, when first needed. */
let webSocket: Promise<typeof WsTransport> | undefined;
const ws = (): Promise<typeof WsTransport> => (webSocket ??= import('@mpx/transport-ws').then((m) => m.webSocketTransport));

/**
 * With ws or wss among `addresses`, says whether ws masks natively
 * (@mpx/transport-ws masking.ts): at debug when it does, at warn when every
 * byte a client sends or a server receives goes through a JavaScript loop.
 */
export async function noteWebSocketMasking(addresses: readonly Address[], log: Logger): Promise<void> {
  if (!addresses.some((a) => a.scheme === 'ws' || a.scheme === 'wss')) return;
  const { webSocketMasking } = await import('@mpx/transport-ws');
  const masking = webSocketMasking();
  if (masking.native) {
    log.debug(`WebSocket masking: native (${masking.detail})`);
    return;
  }
  log.warn(
    `WebSocket masking runs in JavaScript (${masking.detail}): what a client sends over ws:// and wss:// carriers, and what a server receives on them, costs about 4 times the CPU per byte`,
  );
}

function transportOf(address: Address, options: TransportOptions): Transport<DialOptions & { route?: CarrierRoute }> {
  const { scheme, port } = address;
  const host = address.host === '' ? undefined : address.host;
  switch (scheme) {
    case 'tcp':
    case 'tls':
      return {
        dial: ({ route: _route, ...common }) =>
          tcpTransport.dial({ ...common, host: address.host, port, ...(scheme === 'tls' ? { tls: tlsClient(options, options.sni) } : {}) }),
        listen: (common, onCarrier) => tcpTransport.listen({ ...common, host, port }, onCarrier),
      };
    case 'ws':
    case 'wss': {
      const url = formatAddress(address);
      const headers = webSocketHeaders(options);
      const tls = scheme === 'wss' ? tlsClient(options, options.sni ?? options.wsHost) : {};
      const size = options.wsMaxMessage === undefined ? {} : { maxMessageSize: options.wsMaxMessage };
      return {
        dial: async ({ route, ...common }) =>
          route === undefined
            ? (await ws()).dial({ ...common, url, headers, ...tls, ...size })
            : (await ws()).dial({
                ...common,
                url: withSession(url, route.sessionHex),
                headers: { ...headers, [SESSION_HEADER]: route.sessionHex },
                ...tls,
                ...size,
              }),
        listen: async (common, onCarrier) => (await ws()).listen({ ...common, host, port, path: address.path, ...size }, onCarrier),
      };
    }
    default: {
      const never: never = scheme;
      throw new Error(`unknown scheme ${String(never)}`);
    }
  }
}

/**
 * The upgrade request's headers: --header's, `Host` from --ws-host, and
 * `User-Agent: mpx-tunnel/<version>` unless --header gives one (in any
 * case; an empty one too).
 */
export function webSocketHeaders(options: Pick<TransportOptions, 'headers' | 'wsHost'>): Record<string, string> {
  const own = Object.keys(options.headers).some((name) => name.toLowerCase() === 'user-agent');
  const headers: Record<string, string> = own ? { ...options.headers } : { 'User-Agent': userAgent(), ...options.headers };
  if (options.wsHost !== undefined) headers['Host'] = options.wsHost;
  return headers;
}

/** `localAddress`: the IP the carriers leave from (a --server entry's `from=`); undefined: the OS's choice. */
export function carrierDialer(address: Address, options: TransportOptions, localAddress?: string): DialCarrier {
  const transport = transportOf(address, options);
  const local = localAddress === undefined ? {} : { localAddress };
  return (signal, route) =>
    transport.dial({ connectTimeoutMs: options.connectTimeoutMs, signal, ...local, ...(route === undefined ? {} : { route }) });
}

function tlsClient(options: TransportOptions, servername: string | undefined): TlsClientOptions {
  return {
    insecure: options.insecure,
    ...(options.tlsCa === undefined ? {} : { ca: options.tlsCa }),
    ...(options.tlsCert === undefined ? {} : { cert: options.tlsCert }),
    ...(options.tlsKey === undefined ? {} : { key: options.tlsKey }),
    ...(servername === undefined ? {} : { servername }),
  };
}

export interface CarrierListenerHandle {
  /** The bound address in canonical form (the real port when 0 was asked for). */
  readonly label: string;
  /** Stops accepting; carriers already handed out stay open. */
  close(): Promise<void>;
  /** Takes a connection another process accepted, with the bytes it read (a --workers worker). */
  adopt(connection: Socket, head: Uint8Array): void;
}

export interface ListenHooks {
  /**
   * A TCP connection was accepted, before TLS or the WebSocket upgrade:
   * false refuses it (destroyed at once). Default: every one is let in.
   */
  onConnection?: (connection: Socket, remote: string) => boolean;
  /** `connection`: the accepted TCP connection under the carrier (the one onConnection saw). */
  onCarrier: (carrier: Duplex, remote: string, connection: Socket) => void;
  /** A connection that failed before it became a carrier (TLS handshake, bad upgrade). */
  onClientError: (err: unknown, remote: string | undefined) => void;
  /** The listening socket failed after it was bound. */
  onError: (err: Error) => void;
  /** false: bind nothing; connections come through adopt() only (a --workers worker). Default true. */
  bind?: boolean;
}

/** Throws UsageError when a tls/wss listener lacks its certificate or key. */
export function checkListenTls(address: Address, options: TransportOptions): void {
  if ((address.scheme === 'tls' || address.scheme === 'wss') && (options.tlsCert === undefined || options.tlsKey === undefined)) {
    throw new UsageError('MPX_TUNNEL_ERR_OPTION', `listening on ${formatAddress(address)} needs --tls-cert and --tls-key`);
  }
}

export async function listenCarriers(address: Address, options: TransportOptions, hooks: ListenHooks): Promise<CarrierListenerHandle> {
  checkListenTls(address, options);
  const { onConnection } = hooks;
  const gate =
    onConnection === undefined ? {} : { onConnection: (c: Socket) => onConnection(c, hostPort(c.remoteAddress ?? '?', c.remotePort ?? 0)) };
  const tls: TlsServerOptions | undefined =
    address.scheme === 'tls' || address.scheme === 'wss'
      ? {
          cert: options.tlsCert as Buffer,
          key: options.tlsKey as Buffer,
          ...(options.tlsCa === undefined ? {} : { ca: options.tlsCa, requestCert: true }),
        }
      : undefined;

  const bind = hooks.bind === false ? { bind: false } : {};
  const listener = await transportOf(address, options).listen({ ...gate, ...bind, ...(tls === undefined ? {} : { tls }) }, (carrier, info) =>
    hooks.onCarrier(carrier, carrierLabel(info), info.connection),
  );
  listener.on('clientError', (err, info) => hooks.onClientError(err, info === undefined ? undefined : hostPort(info.remoteAddress, info.remotePort)));
  listener.on('error', hooks.onError);
  const label =
    hooks.bind === false ? formatAddress(address) : formatAddress({ ...address, host: listener.address.host, port: listener.address.port });
  return { label, close: () => listener.close(), adopt: (connection, head) => listener.adopt(connection, head) };
}

/**
 * A carrier's peer, for logs; behind a proxy or CDN, also whom the proxy
 * says it is for (a WebSocket's X-Forwarded-For, shown only as an address
 * list: forwarded-for.ts). Exported for tests.
 */
export function carrierLabel(info: Pick<CarrierInfo, 'remoteAddress' | 'remotePort'> & { headers?: IncomingHttpHeaders }): string {
  return `${hostPort(info.remoteAddress, info.remotePort)}${forwardedFor(info.headers?.['x-forwarded-for'])}`;
}
