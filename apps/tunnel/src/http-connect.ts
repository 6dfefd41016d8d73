// An HTTP CONNECT proxy (RFC 9110 §9.3.6) as a client-side listener: the
// request head is parsed here; the tunnel answers 200 once the server has
// connected the target, 403 when its --allow refuses it, 502 when the target
// cannot be reached. Other methods get 405: this is not a forwarding proxy
// for plain http:// URLs.
import { isIP } from 'node:net';
import { ProxyError, type ParsedTarget } from './proxy-error.js';

/** Rationale: a CONNECT head is a few hundred bytes; more is not a proxy client. */
export const MAX_HEAD_BYTES = 16 * 1024;

export interface ConnectRequest {
  readonly target: ParsedTarget;
  /** Proxy-Authorization Basic credentials, if sent. */
  readonly auth: { user: string; pass: string } | undefined;
}

/** Parses the request head once it is complete; undefined while it is not. */
export function parseConnectHead(buf: Buffer): { value: ConnectRequest; used: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) {
    if (buf.length > MAX_HEAD_BYTES) throw new ProxyError(`request head over ${MAX_HEAD_BYTES} bytes`, 431);
    return undefined;
  }
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const m = /^(\S+) (\S+) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
  if (m === null) throw new ProxyError('malformed request line', 400);
  if (m[1] !== 'CONNECT') throw new ProxyError(`method ${m[1] ?? ''} not supported (CONNECT only)`, 405);
  const target = parseAuthority(m[2] ?? '');
  let auth: ConnectRequest['auth'];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon === -1) throw new ProxyError('malformed header line', 400);
    if (line.slice(0, colon).trim().toLowerCase() !== 'proxy-authorization') continue;
    const basic = /^Basic\s+(\S+)$/i.exec(line.slice(colon + 1).trim());
    if (basic === null) continue;
    const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    if (sep !== -1) auth = { user: decoded.slice(0, sep), pass: decoded.slice(sep + 1) };
  }
  return { value: { target, auth }, used: end + 4 };
}

/** `host:port` or `[v6]:port` of a CONNECT request. */
function parseAuthority(text: string): ParsedTarget {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    host = close === -1 ? '' : text.slice(1, close);
    portText = close === -1 ? '' : text.slice(close + 2);
    if (isIP(host) !== 6 || text[close + 1] !== ':') throw new ProxyError(`bad CONNECT target '${text}'`, 400);
  } else {
    const colon = text.lastIndexOf(':');
    host = colon === -1 ? '' : text.slice(0, colon);
    portText = colon === -1 ? '' : text.slice(colon + 1);
    if (host.includes(':')) throw new ProxyError(`bad CONNECT target '${text}' (IPv6 goes in brackets)`, 400);
  }
  const port = Number(portText);
  if (host === '' || !/^\d{1,5}$/.test(portText) || port < 1 || port > 65535 || !/^[\x21-\x7e]+$/.test(host)) {
    throw new ProxyError(`bad CONNECT target '${text}' (host:port)`, 400);
  }
  return { host, port };
}

const REASONS: Readonly<Record<number, string>> = {
  200: 'Connection established',
  400: 'Bad Request',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

/** A response head; errors carry `why` as a short text body. */
export function httpReply(status: number, why = ''): Buffer {
  const reason = REASONS[status] ?? 'Error';
  if (status === 200) return Buffer.from(`HTTP/1.1 200 ${reason}\r\n\r\n`, 'latin1');
  const body = why === '' ? '' : `${why}\n`;
  const extra = status === 407 ? 'Proxy-Authenticate: Basic realm="mpx-tunnel"\r\n' : '';
  return Buffer.from(`HTTP/1.1 ${status} ${reason}\r\n${extra}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, 'utf8');
}
