// What a server's log lines show of a WebSocket carrier's X-Forwarded-For:
// the client address a proxy in front reports, for information only. The
// header is whatever the client or any proxy on the way wrote, so it is
// shown only when it is a short list of IP addresses (each checked with
// net.isIP): anything else would let a client write its own text into the
// server's log lines ("… (for 1.2.3.4) carrier #99 from 10.0.0.1:1 up").
// Nothing is decided by it: refusals are rate-limited by the connecting
// address (the proxy's, rate-limit.ts remoteHost).
import { isIP } from 'node:net';

/** Rationale: a client and a few proxies; longer lists say nothing more a log line needs. */
export const MAX_FORWARDED_ADDRESSES = 8;
/** Rationale: 8 IPv6 addresses of 39 characters and their separators. */
const MAX_FORWARDED_LENGTH = 8 * 41;

/**
 * The part of a carrier's label after its TCP peer: ` (for 203.0.113.7, 10.0.0.2)`
 * for an address list, ` (X-Forwarded-For not an address list)` for anything
 * else, '' without the header.
 */
export function forwardedFor(header: string | string[] | undefined): string {
  if (header === undefined) return '';
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text.trim() === '') return '';
  const addresses = text.length > MAX_FORWARDED_LENGTH ? [] : text.split(',').map((a) => a.trim());
  if (addresses.length === 0 || addresses.length > MAX_FORWARDED_ADDRESSES || !addresses.every((a) => isIP(a) !== 0)) {
    return ' (X-Forwarded-For not an address list)';
  }
  return ` (for ${addresses.join(', ')})`;
}
