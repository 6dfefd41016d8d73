// From parsed addresses to carriers (SPEC §1: a carrier is any reliable,
// ordered byte stream): dial functions for the client and the relay, and
// listeners for the server and the relay, over @mpx/transport-tcp (tcp, tls)
// and @mpx/transport-ws (ws, wss).
import type { Duplex } from 'node:stream';
import { dialTcp, listenTcp } from '@mpx/transport-tcp';
import { dialWebSocket, listenWebSocket } from '@mpx/transport-ws';
import { formatAddress, hostPort, type Address } from './address.js';
import { UsageError } from './errors.js';

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
  readonly connectTimeoutMs: number;
}

export type DialCarrier = (signal: AbortSignal) => Promise<Duplex>;

/** `localAddress`: the IP the carriers leave from (a --server entry's `from=`); undefined: the OS's choice. */
export function carrierDialer(address: Address, options: TransportOptions, localAddress?: string): DialCarrier {
  const { scheme, host, port } = address;
  const timeout = options.connectTimeoutMs;
  const local = localAddress === undefined ? {} : { localAddress };
  switch (scheme) {
    case 'tcp':
      return (signal) => dialTcp({ host, port, connectTimeoutMs: timeout, signal, ...local });
    case 'tls':
      return (signal) => dialTcp({ host, port, connectTimeoutMs: timeout, signal, ...local, tls: tlsClient(options, options.sni) });
    case 'ws':
    case 'wss': {
      const url = formatAddress(address);
      const headers: Record<string, string> = { ...options.headers };
      if (options.wsHost !== undefined) headers['Host'] = options.wsHost;
      const servername = scheme === 'wss' ? (options.sni ?? options.wsHost) : undefined;
      return (signal) =>
        dialWebSocket({ url, headers, connectTimeoutMs: timeout, signal, ...local, ...(scheme === 'wss' ? tlsClient(options, servername) : {}) });
    }
    default: {
      const never: never = scheme;
      throw new Error(`unknown scheme ${String(never)}`);
    }
  }
}

function tlsClient(options: TransportOptions, servername: string | undefined) {
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
}

export interface ListenHooks {
  onCarrier: (carrier: Duplex, remote: string) => void;
  /** A connection that failed before it became a carrier (TLS handshake, bad upgrade). */
  onClientError: (err: unknown, remote: string | undefined) => void;
  /** The listening socket failed after it was bound. */
  onError: (err: Error) => void;
}

/** Throws UsageError when a tls/wss listener lacks its certificate or key. */
export function checkListenTls(address: Address, options: TransportOptions): void {
  if ((address.scheme === 'tls' || address.scheme === 'wss') && (options.tlsCert === undefined || options.tlsKey === undefined)) {
    throw new UsageError('MPX_TUNNEL_ERR_OPTION', `listening on ${formatAddress(address)} needs --tls-cert and --tls-key`);
  }
}

export async function listenCarriers(address: Address, options: TransportOptions, hooks: ListenHooks): Promise<CarrierListenerHandle> {
  checkListenTls(address, options);
  const host = address.host === '' ? undefined : address.host;
  const remoteOf = (info: { remoteAddress: string; remotePort: number } | undefined): string | undefined =>
    info === undefined ? undefined : hostPort(info.remoteAddress, info.remotePort);
  const tls =
    address.scheme === 'tls' || address.scheme === 'wss'
      ? {
          cert: options.tlsCert as Buffer,
          key: options.tlsKey as Buffer,
          ...(options.tlsCa === undefined ? {} : { ca: options.tlsCa, requestCert: true }),
        }
      : undefined;

  if (address.scheme === 'tcp' || address.scheme === 'tls') {
    const listener = await listenTcp({ host, port: address.port, ...(tls === undefined ? {} : { tls }) }, (carrier, info) =>
      hooks.onCarrier(carrier, remoteOf(info) ?? '?'),
    );
    listener.on('clientError', (err: unknown, info?: { remoteAddress: string; remotePort: number }) => hooks.onClientError(err, remoteOf(info)));
    listener.on('error', hooks.onError);
    const label = formatAddress({ ...address, host: listener.address.host, port: listener.address.port });
    return { label, close: () => listener.close() };
  }

  const listener = await listenWebSocket(
    { host, port: address.port, path: address.path, ...(tls === undefined ? {} : { tls }) },
    (carrier, info) => {
      const forwarded = info.headers['x-forwarded-for'];
      const via = typeof forwarded === 'string' && forwarded !== '' ? ` (for ${forwarded})` : '';
      hooks.onCarrier(carrier, `${remoteOf(info) ?? '?'}${via}`);
    },
  );
  listener.on('clientError', (err: unknown, info?: { remoteAddress: string; remotePort: number }) => hooks.onClientError(err, remoteOf(info)));
  listener.on('error', hooks.onError);
  const label = formatAddress({ ...address, host: listener.address.host, port: listener.address.port });
  return { label, close: () => listener.close() };
}
