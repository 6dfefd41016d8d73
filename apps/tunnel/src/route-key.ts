// The routing key of a new carrier, read from its first bytes by the primary
// of `--workers` (workers.ts), and the worker that owns a session. No I/O.
//
// - tcp:// carriers start with the ROUTE frame (SPEC §3.5): 32 bytes, the
//   session id at offset ROUTE_KEY_OFFSET.
// - ws:// carriers start with the HTTP upgrade request: the session is its
//   query parameter `session`, else its header `x-mpx-session`.
// A carrier without a key (a client that does not route) gets `none` as soon
// as that is certain, and any worker takes it.
import { FrameType, HEADER_SIZE, MAGIC, ROUTE_BODY_SIZE, ROUTE_KEY_OFFSET, SESSION_ID_SIZE } from '@mpx/core';
import { SESSION_HEADER, SESSION_PARAM } from './carriers.js';

/** The 16 bytes every ROUTE frame starts with: its header and the magic. */
export const ROUTE_PREFIX: Buffer = (() => {
  const b = Buffer.alloc(ROUTE_KEY_OFFSET);
  b[0] = FrameType.ROUTE;
  b.writeUInt32BE(ROUTE_BODY_SIZE, 4);
  b.set(MAGIC, HEADER_SIZE);
  return b;
})();

/**
 * Rationale: an upgrade request through a CDN carries a few cookies and
 * forwarding headers, far below 8 KiB; Node's own header limit is 16 KiB.
 */
export const MAX_UPGRADE_HEAD = 8192;

export type RouteKey =
  /** Not decided yet: read more bytes. */
  | { readonly kind: 'more' }
  /** The session id, 32 lowercase hex digits. */
  | { readonly kind: 'session'; readonly session: string }
  /** The carrier names no session. */
  | { readonly kind: 'none' };

const MORE: RouteKey = { kind: 'more' };
const NONE: RouteKey = { kind: 'none' };
const HEX32 = /^[0-9a-f]{32}$/;

/** The routing key of a tcp:// carrier whose first bytes are `head`. */
export function tcpRouteKey(head: Uint8Array): RouteKey {
  const n = Math.min(head.length, ROUTE_KEY_OFFSET);
  for (let i = 0; i < n; i++) if (head[i] !== ROUTE_PREFIX[i]) return NONE;
  if (head.length < ROUTE_KEY_OFFSET + SESSION_ID_SIZE) return MORE;
  return { kind: 'session', session: Buffer.from(head.buffer, head.byteOffset + ROUTE_KEY_OFFSET, SESSION_ID_SIZE).toString('hex') };
}

/** The routing key of a ws:// carrier whose first bytes are `head` (the upgrade request). */
export function wsRouteKey(head: Uint8Array): RouteKey {
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, MAX_UPGRADE_HEAD)).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return head.length >= MAX_UPGRADE_HEAD ? NONE : MORE;
  const lines = text.slice(0, end).split('\r\n');
  const target = lines[0]?.split(' ')[1] ?? '';
  const query = target.indexOf('?');
  if (query !== -1) {
    const fromUrl = new URLSearchParams(target.slice(query + 1)).get(SESSION_PARAM)?.toLowerCase();
    if (fromUrl !== undefined && HEX32.test(fromUrl)) return { kind: 'session', session: fromUrl };
  }
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon === -1 || line.slice(0, colon).trim().toLowerCase() !== SESSION_HEADER) continue;
    const value = line
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (HEX32.test(value)) return { kind: 'session', session: value };
  }
  return NONE;
}

/**
 * The worker, 0 to `workers` - 1, that owns `session` (32 hex digits). Session
 * ids are random (SPEC §3.5), so their first 32 bits spread evenly; the same
 * id always maps to the same worker while the number of workers stays.
 */
export function workerOf(session: string, workers: number): number {
  return Number.parseInt(session.slice(0, 8), 16) % workers;
}
