// Issue 2, item 7 and item 2: stats as plain objects, events as carriers join
// and leave, and carriers of different kinds mixed in one session.
import { connect as netConnect, createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { CarrierStats } from '../src/carrier-link.js';
import type { ClientSession } from '../src/client.js';
import { MpxServer } from '../src/server.js';
import { connect, digestOf, eventually, nextStream, patternBytes, sha256, writeAll } from './harness.js';

describe('stats and events', () => {
  it('emits carrier and carrierClose, and reports plain stats per session and carrier', async () => {
    const h = await connect({ weights: [2], client: { pingIntervalMs: 20 }, server: { pingIntervalMs: 20 } });
    const joined: CarrierStats[] = [];
    const left: Array<{ stats: CarrierStats; code: string | undefined }> = [];
    h.client.on('carrier', (s: CarrierStats) => joined.push(s));
    h.client.on('carrierClose', (stats: CarrierStats, err?: { code: string }) => left.push({ stats, code: err?.code }));
    const pair = await h.addCarrier(3);
    expect(joined.map((s) => s.weight)).toEqual([3]);

    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    const data = patternBytes(5, 1024 * 1024);
    const [d] = await Promise.all([accepted.then(digestOf), writeAll(s, data)]);
    expect(d.bytes).toBe(data.byteLength);

    const stats = h.client.stats();
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats); // a plain object
    expect(stats.role).toBe('client');
    expect(stats.bytesSent).toBe(data.byteLength);
    expect(stats.carriers).toHaveLength(2);
    const sum = stats.carriers.reduce((n, c) => n + c.bytesOut, 0);
    expect(sum).toBeGreaterThan(data.byteLength);
    expect(h.serverSession.stats().bytesReceived).toBe(data.byteLength);
    await eventually(() => h.client.carrierStats().every((c) => c.rttMs !== undefined));
    for (const c of h.client.carrierStats()) {
      expect(c.state).toBe('open');
      expect(c.framesOut).toBeGreaterThan(0);
    }

    pair.kill();
    await eventually(() => left.length === 1);
    expect(left[0]!.stats.weight).toBe(3);
    expect(left[0]!.code).toBe('MPX_ERR_CARRIER_CLOSED');
    expect(h.client.carrierCount).toBe(1);
    h.close();
  });

  it('takes carriers of different kinds in one session: a TCP socket and an in-memory pair', async () => {
    const server = new MpxServer();
    const listener = createServer((sock) => server.accept(sock)).listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const { port } = listener.address() as AddressInfo;
    const h = await connect({ serverInstance: server, weights: [1] });
    const client: ClientSession = h.client;
    const socket = netConnect(port, '127.0.0.1');
    await once(socket, 'connect');
    await client.addCarrier(socket, { weight: 1, label: 'tcp' });
    expect(h.serverSession.carrierCount).toBe(2);
    h.serverSession.on('stream', (st) => st.pipe(st));
    const st = client.openStream();
    const data = patternBytes(6, 4 * 1024 * 1024);
    const [back] = await Promise.all([digestOf(st), writeAll(st, data)]);
    expect(back).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
    expect(client.carrierStats().every((c) => c.bytesOut > 0)).toBe(true);
    client.close();
    server.close();
    listener.close();
  });

  it('keeps sessions apart: two clients on one server never see each other’s streams', async () => {
    const server = new MpxServer();
    const a = await connect({ serverInstance: server, weights: [1, 1] });
    const b = await connect({ serverInstance: server, weights: [1] });
    expect(server.sessions.size).toBe(2);
    expect(a.serverSession).not.toBe(b.serverSession);
    const seenA: number[] = [];
    const seenB: number[] = [];
    a.serverSession.on('stream', (s) => {
      seenA.push(s.id);
      s.end('A');
    });
    b.serverSession.on('stream', (s) => {
      seenB.push(s.id);
      s.end('B');
    });
    const ra = digestOf(a.client.openStream().end());
    const rb = digestOf(b.client.openStream().end());
    const [da, db] = await Promise.all([ra, rb]);
    expect(da.bytes).toBe(1);
    expect(db.bytes).toBe(1);
    expect(seenA).toEqual([1]);
    expect(seenB).toEqual([1]);
    a.client.close();
    b.client.close();
    server.close();
  });
});
