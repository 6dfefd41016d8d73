// Options of the TCP/TLS transport, their defaults, and the checks that name
// the bad field. A carrier is "one reliable, ordered byte stream" (SPEC §1).
import { isIP } from 'node:net';
import { MpxError } from '@mpx/core';

/** Rationale: a dead path should fail fast enough for the pool to try another carrier. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Rationale: below common NAT idle timeouts (30 s and up), so idle carriers stay mapped. */
export const DEFAULT_KEEP_ALIVE_MS = 15_000;

export type PemInput = string | Buffer;

export interface TlsClientOptions {
  /** Trusted CA certificates (PEM). Default: Node's bundled root store. */
  ca?: PemInput | PemInput[];
  /** Client certificate and key (PEM), for servers that request one. */
  cert?: PemInput;
  key?: PemInput;
  /** SNI and the name checked against the certificate. Default: `host` when it is not an IP literal. */
  servername?: string;
  /** Skip certificate verification (`rejectUnauthorized: false`). Only when asked for explicitly. */
  insecure?: boolean;
}

export interface TcpDialOptions {
  /** IPv4 literal, IPv6 literal (`::1`, no brackets) or host name. */
  host: string;
  port: number;
  /** `true` for TLS with default options, or the TLS options. */
  tls?: boolean | TlsClientOptions;
  /** Time for TCP connect plus (with TLS) the handshake. Default 10000. */
  connectTimeoutMs?: number;
  /** TCP keep-alive initial delay; 0 turns keep-alive off. Default 15000. */
  keepAliveMs?: number;
  /** Local address to connect from (an IP literal of this host): the egress interface. Default: the OS's choice. */
  localAddress?: string;
  signal?: AbortSignal;
}

export interface TlsServerOptions {
  cert: PemInput;
  key: PemInput;
  /** CAs that client certificates must chain to (with `requestCert`). */
  ca?: PemInput | PemInput[];
  /** Ask for a client certificate and reject clients without a valid one. */
  requestCert?: boolean;
}

export interface TcpListenOptions {
  /** Address to bind. Default: Node's default (all interfaces, `::` when IPv6 is available). */
  host?: string;
  /** 0 for an ephemeral port. */
  port: number;
  tls?: TlsServerOptions;
  backlog?: number;
  /** TCP keep-alive initial delay on accepted sockets; 0 turns it off. Default 15000. */
  keepAliveMs?: number;
}

export interface ResolvedDialOptions {
  host: string;
  port: number;
  tls: TlsClientOptions | undefined;
  connectTimeoutMs: number;
  keepAliveMs: number;
  localAddress: string | undefined;
  signal: AbortSignal | undefined;
}

export function resolveDialOptions(options: TcpDialOptions): ResolvedDialOptions {
  if (typeof options.host !== 'string' || options.host === '') invalid('host', options.host);
  checkPort('port', options.port, false);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs <= 0) invalid('connectTimeoutMs', connectTimeoutMs);
  const keepAliveMs = checkKeepAlive(options.keepAliveMs);
  const tls = options.tls === true ? {} : options.tls === false || options.tls === undefined ? undefined : options.tls;
  // IPv6 literals come without brackets; strip them if a caller copied them from a URL.
  const host = options.host.startsWith('[') && options.host.endsWith(']') ? options.host.slice(1, -1) : options.host;
  const { localAddress } = options;
  if (localAddress !== undefined && isIP(localAddress) === 0) invalid('localAddress', localAddress);
  return { host, port: options.port, tls, connectTimeoutMs, keepAliveMs, localAddress, signal: options.signal };
}

export function checkListenOptions(options: TcpListenOptions): number {
  checkPort('port', options.port, true);
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) invalid('host', options.host);
  if (options.backlog !== undefined && (!Number.isInteger(options.backlog) || options.backlog < 0)) invalid('backlog', options.backlog);
  if (options.tls !== undefined && (options.tls.cert === undefined || options.tls.key === undefined)) invalid('tls', 'cert and key are required');
  return checkKeepAlive(options.keepAliveMs);
}

/** SNI must be a host name (RFC 6066 §3); an IP literal gets no SNI. */
export function defaultServername(host: string): string | undefined {
  return isIP(host) === 0 ? host : undefined;
}

function checkKeepAlive(value: number | undefined): number {
  const keepAliveMs = value ?? DEFAULT_KEEP_ALIVE_MS;
  if (!Number.isInteger(keepAliveMs) || keepAliveMs < 0) invalid('keepAliveMs', keepAliveMs);
  return keepAliveMs;
}

function checkPort(field: string, port: unknown, allowZero: boolean): void {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) invalid(field, port);
}

function invalid(field: string, value: unknown): never {
  throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `invalid ${field}: ${String(value)}`);
}
