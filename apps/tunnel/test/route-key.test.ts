// The routing key of a new carrier (SPEC §3.5) as the primary of --workers
// reads it, and the worker that owns a session. No I/O.
import { encodeFrame, FrameType, ROUTE_KEY_OFFSET } from '@mpx/core';
import { seededRandom } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { MAX_UPGRADE_HEAD, ROUTE_PREFIX, tcpRouteKey, workerOf, wsRouteKey } from '../src/route-key.js';

const SID = '101112131415161718191a1b1c1d1e1f';
const route = Buffer.concat(encodeFrame({ type: FrameType.ROUTE, sessionId: Buffer.from(SID, 'hex') }));

describe('tcpRouteKey', () => {
  it('reads the session id at the offset SPEC §3.5 documents, from the golden ROUTE bytes', () => {
    // SPEC §3.5 / §13: 13 00 0000 00000014 00000000 4d505800 <session id>
    expect(route.toString('hex')).toBe(`130000000000001400000000${'4d505800'}${SID}`);
    expect(ROUTE_KEY_OFFSET).toBe(16);
    expect(ROUTE_PREFIX).toEqual(route.subarray(0, 16));
    expect(tcpRouteKey(route)).toEqual({ kind: 'session', session: SID });
  });

  it('asks for more bytes while a ROUTE prefix is incomplete, under every split point', () => {
    for (let n = 0; n < route.length; n++) expect(tcpRouteKey(route.subarray(0, n))).toEqual({ kind: 'more' });
  });

  it('answers none at the first byte that is not ROUTE (a client that does not route starts with HELLO)', () => {
    expect(tcpRouteKey(Buffer.from([0x11]))).toEqual({ kind: 'none' });
    const bad = Buffer.from(route);
    bad[14] = 0; // the magic
    expect(tcpRouteKey(bad.subarray(0, 15))).toEqual({ kind: 'none' });
  });

  it('reads the key when more bytes follow ROUTE', () => {
    expect(tcpRouteKey(Buffer.concat([route, Buffer.alloc(100, 0x11)]))).toEqual({ kind: 'session', session: SID });
  });
});

describe('wsRouteKey', () => {
  const upgrade = (target: string, headers: string[] = []): Buffer =>
    Buffer.from([`GET ${target} HTTP/1.1`, 'Host: edge', 'Upgrade: websocket', 'Connection: Upgrade', ...headers, '', ''].join('\r\n'), 'latin1');

  it('reads the session query parameter of the upgrade request', () => {
    expect(wsRouteKey(upgrade(`/mpx?session=${SID}`))).toEqual({ kind: 'session', session: SID });
    expect(wsRouteKey(upgrade(`/mpx?a=1&session=${SID.toUpperCase()}&b=2`))).toEqual({ kind: 'session', session: SID });
  });

  it('falls back to the x-mpx-session header', () => {
    expect(wsRouteKey(upgrade('/mpx', [`X-Mpx-Session: ${SID}`]))).toEqual({ kind: 'session', session: SID });
  });

  it('asks for more bytes until the request head ends, under every split point', () => {
    const all = upgrade(`/mpx?session=${SID}`);
    for (let n = 0; n < all.length; n++) expect(wsRouteKey(all.subarray(0, n))).toEqual({ kind: 'more' });
    expect(wsRouteKey(all)).toEqual({ kind: 'session', session: SID });
  });

  it('answers none for a request without a valid key, or a head above the bound', () => {
    expect(wsRouteKey(upgrade('/mpx'))).toEqual({ kind: 'none' });
    expect(wsRouteKey(upgrade('/mpx?session=xyz'))).toEqual({ kind: 'none' });
    expect(wsRouteKey(Buffer.alloc(MAX_UPGRADE_HEAD, 0x61))).toEqual({ kind: 'none' });
  });
});

describe('workerOf', () => {
  it('maps a session to the same worker every time, within range', () => {
    for (const n of [1, 2, 3, 7]) {
      const w = workerOf(SID, n);
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).toBeLessThan(n);
      expect(workerOf(SID, n)).toBe(w);
    }
  });

  it('spreads random session ids evenly over the workers (seed 13)', () => {
    const random = seededRandom(13);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) {
      const id = Array.from({ length: 16 }, () =>
        Math.floor(random() * 256)
          .toString(16)
          .padStart(2, '0'),
      ).join('');
      counts[workerOf(id, 3)]!++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(850);
  });
});
