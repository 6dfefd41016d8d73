// SOCKS5 (RFC 1928) as a client-side listener: CONNECT only, with no
// authentication or username/password (RFC 1929). Each step is a pure parser
// over the bytes received so far: it returns undefined while it needs more,
// the parsed value and the bytes it used, or throws ProxyError with the
// reply to send. Host names are passed on unresolved (the server resolves
// them, SPEC §6.6), as `curl --socks5-hostname` expects.
import { ProxyError, type ParsedTarget } from './proxy-error.js';

export const SOCKS_VERSION = 0x05;
/** RFC 1928 §3 methods. */
export const SocksMethod = { NONE: 0x00, USER_PASS: 0x02, NO_ACCEPTABLE: 0xff } as const;
/** RFC 1928 §6 reply codes. */
export const SocksReply = {
  SUCCEEDED: 0x00,
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  TTL_EXPIRED: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
} as const;

export interface Parsed<T> {
  readonly value: T;
  readonly used: number;
}

/** The greeting: the methods the client offers. */
export function parseGreeting(buf: Buffer): Parsed<number[]> | undefined {
  if (buf.length < 2) return undefined;
  if (buf[0] !== SOCKS_VERSION) throw new ProxyError(`not SOCKS5 (version byte 0x${(buf[0] ?? 0).toString(16)})`, undefined);
  const n = buf[1] as number;
  if (buf.length < 2 + n) return undefined;
  return { value: [...buf.subarray(2, 2 + n)], used: 2 + n };
}

/** Picks the method for `offered`: username/password when credentials are set, else none. */
export function chooseMethod(offered: readonly number[], credentials: boolean): number {
  const wanted = credentials ? SocksMethod.USER_PASS : SocksMethod.NONE;
  return offered.includes(wanted) ? wanted : SocksMethod.NO_ACCEPTABLE;
}

/** RFC 1929 username/password request. */
export function parseUserPass(buf: Buffer): Parsed<{ user: string; pass: string }> | undefined {
  if (buf.length < 2) return undefined;
  if (buf[0] !== 0x01) throw new ProxyError(`bad username/password version 0x${(buf[0] ?? 0).toString(16)}`, undefined);
  const ulen = buf[1] as number;
  if (buf.length < 2 + ulen + 1) return undefined;
  const plen = buf[2 + ulen] as number;
  const end = 3 + ulen + plen;
  if (buf.length < end) return undefined;
  return { value: { user: buf.toString('utf8', 2, 2 + ulen), pass: buf.toString('utf8', 3 + ulen, end) }, used: end };
}

/** The request: CONNECT to an IPv4 address, IPv6 address or host name. */
export function parseRequest(buf: Buffer): Parsed<ParsedTarget> | undefined {
  if (buf.length < 5) return undefined;
  if (buf[0] !== SOCKS_VERSION) throw new ProxyError('bad request version', SocksReply.GENERAL_FAILURE);
  const atyp = buf[3];
  let at = 4;
  let host: string;
  if (atyp === 0x01) {
    if (buf.length < at + 6) return undefined;
    host = [...buf.subarray(at, at + 4)].join('.');
    at += 4;
  } else if (atyp === 0x04) {
    if (buf.length < at + 18) return undefined;
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(at + i).toString(16));
    host = groups.join(':');
    at += 16;
  } else if (atyp === 0x03) {
    const n = buf[at] as number;
    if (buf.length < at + 1 + n + 2) return undefined;
    host = buf.toString('latin1', at + 1, at + 1 + n);
    at += 1 + n;
    if (n === 0 || !/^[\x21-\x7e]+$/.test(host)) throw new ProxyError('bad host name', SocksReply.GENERAL_FAILURE);
  } else {
    throw new ProxyError(`address type 0x${(atyp ?? 0).toString(16)} not supported`, SocksReply.ADDRESS_TYPE_NOT_SUPPORTED);
  }
  const port = buf.readUInt16BE(at);
  at += 2;
  if (buf[1] !== 0x01) throw new ProxyError(`command 0x${(buf[1] ?? 0).toString(16)} not supported (CONNECT only)`, SocksReply.COMMAND_NOT_SUPPORTED);
  if (port === 0) throw new ProxyError('port 0', SocksReply.GENERAL_FAILURE);
  return { value: { host, port }, used: at };
}

/** A reply with a zero bound address (0.0.0.0:0): clients of CONNECT do not use it. */
export function socksReply(code: number): Buffer {
  return Buffer.from([SOCKS_VERSION, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
}
