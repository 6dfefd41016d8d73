// Carrier addresses on the command line:
//
//   host:port              TCP (fregie/mpx spelling)
//   tcp://host:port        TCP
//   tls://host:port        TLS over TCP
//   ws://host[:port][/path]   WebSocket (port 80, path "/" by default)
//   wss://host[:port][/path]  WebSocket over TLS (port 443 by default)
//
// IPv6 literals go in brackets (`[::1]:5512`). A listen address may leave the
// host out (`:5512`, all interfaces). In a --server list each entry may end in
// `|weight` (the core's WEIGHT_BOUND: 1–65535, default 1) and further options
// (server-entry.ts: `|from=<ip>`, `|backup`, `|up`, `|down`), entries are
// separated by commas, and the schemes may be mixed: "tls://a:443|2,ws://b/mpx|1,c:5512".
import { isIP } from 'node:net';
import { WEIGHT_BOUND, inBounds } from '@mpx/core';
import { UsageError } from './errors.js';
import { checkDirections, parseServerEntry, type ServerEntry } from './server-entry.js';

type Scheme = 'tcp' | 'tls' | 'ws' | 'wss';

export interface Address {
  readonly scheme: Scheme;
  /** Host name or IP literal without brackets; '' means all interfaces (listen only). */
  readonly host: string;
  readonly port: number;
  /** ws/wss only: the request path, query included; '' for tcp/tls. */
  readonly path: string;
}

export interface WeightedAddress extends Address {
  readonly weight: number;
}

export interface ParseOptions {
  /** Listening: allow port 0 (ephemeral) and an empty host. */
  readonly listen?: boolean;
}

const SCHEMES: ReadonlySet<string> = new Set<Scheme>(['tcp', 'tls', 'ws', 'wss']);
const DEFAULT_PORT: Readonly<Record<Scheme, number | undefined>> = { tcp: undefined, tls: undefined, ws: 80, wss: 443 };
/** RFC 1123 labels, plus '_' which some internal names use. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** Parses one address; throws UsageError (MPX_TUNNEL_ERR_ADDRESS) naming what is wrong. */
export function parseAddress(text: string, options: ParseOptions = {}): Address {
  const input = text.trim();
  function bad(why: string): never {
    throw new UsageError('MPX_TUNNEL_ERR_ADDRESS', `invalid address '${text}': ${why}`);
  }
  if (input === '') bad('it is empty');

  let scheme: Scheme = 'tcp';
  let rest = input;
  const sep = input.indexOf('://');
  if (sep !== -1) {
    const name = input.slice(0, sep).toLowerCase();
    if (!SCHEMES.has(name)) bad(`unsupported scheme '${name}' (use tcp, tls, ws or wss)`);
    scheme = name as Scheme;
    rest = input.slice(sep + 3);
  }

  const ws = scheme === 'ws' || scheme === 'wss';
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  let path = slash === -1 ? '' : rest.slice(slash);
  if (!ws && path !== '') bad(`a ${scheme} address takes no path`);
  if (ws && path === '') path = '/';
  if (/\s/.test(path)) bad('the path contains white space');
  // WebSocket URLs have no fragment (RFC 6455 §3); ws refuses one at every dial.
  if (path.includes('#')) bad("a WebSocket URL takes no fragment ('#…')");
  if (/[^\x21-\x7e]/.test(path)) bad('the path contains a character that must be percent-encoded');
  if (authority.includes('@')) bad('user information is not supported');

  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close === -1) bad("missing ']' after the IPv6 address");
    host = authority.slice(1, close);
    if (isIP(host) !== 6) bad(`'${host}' is not an IPv6 address`);
    const after = authority.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) bad(`unexpected '${after}' after ']'`);
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon !== -1 && authority.indexOf(':') !== colon) {
      bad('an IPv6 address must be written in brackets, e.g. [::1]:5512');
    }
    host = colon === -1 ? authority : authority.slice(0, colon);
    portText = colon === -1 ? undefined : authority.slice(colon + 1);
    if (host !== '' && isIP(host) === 0 && !HOST_NAME.test(host)) bad(`'${host}' is not a valid host name`);
  }
  if (host === '' && options.listen !== true) bad('the host is missing');

  let port: number;
  if (portText === undefined || portText === '') {
    const fallback = DEFAULT_PORT[scheme];
    if (fallback === undefined || portText === '') bad('the port is missing (host:port)');
    port = fallback;
  } else {
    if (!/^\d{1,5}$/.test(portText)) bad(`'${portText}' is not a port number`);
    port = Number(portText);
    const min = options.listen === true ? 0 : 1;
    if (port < min || port > 65535) bad(`port ${port} is out of range (${min}–65535)`);
  }
  return { scheme, host, port, path: ws ? path : '' };
}

/** Parses `addr|weight`; the weight is checked against the core's WEIGHT_BOUND, a missing one is its default (1). */
export function parseWeightedAddress(text: string, options: ParseOptions = {}): WeightedAddress {
  const bar = text.lastIndexOf('|');
  if (bar === -1) return { ...parseAddress(text, options), weight: WEIGHT_BOUND.default };
  return { ...parseAddress(text.slice(0, bar), options), weight: parseWeight(text.slice(bar + 1), text) };
}

/** A `|weight` value of the entry `text`, checked against the core's WEIGHT_BOUND. */
export function parseWeight(weightText: string, text: string): number {
  const trimmed = weightText.trim();
  const weight = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!inBounds(WEIGHT_BOUND, weight)) {
    throw new UsageError(
      'MPX_TUNNEL_ERR_WEIGHT',
      `invalid weight '${trimmed}' in '${text}': use an integer from ${WEIGHT_BOUND.min} to ${WEIGHT_BOUND.max}`,
    );
  }
  return weight;
}

/**
 * Parses a --server list: comma-separated entries `addr|weight|option…`
 * (server-entry.ts; empty entries, e.g. from a trailing comma, are skipped).
 * Several --server flags are joined. Throws when no address is left.
 */
export function parseServerList(lists: string | readonly string[]): ServerEntry[] {
  const entries = (typeof lists === 'string' ? [lists] : lists).flatMap((list) => list.split(','));
  const out = entries.filter((entry) => entry.trim() !== '').map((entry) => parseServerEntry(entry));
  if (out.length === 0) throw new UsageError('MPX_TUNNEL_ERR_ADDRESS', 'the server list is empty');
  checkDirections(out);
  return out;
}

/** Canonical form, used as a carrier label: `tcp://1.2.3.4:5512`, `wss://[::1]:443/mpx`. */
export function formatAddress(address: Address): string {
  return `${address.scheme}://${hostPort(address.host, address.port)}${address.path}`;
}

/** `host:port` with brackets around IPv6 literals; '' as host shows as '*'. */
export function hostPort(host: string, port: number): string {
  if (host === '') return `*:${port}`;
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True when the address only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}
