// An mpx session over real WebSocket carriers: once the session borrows
// their reads, the carriers read their data frames themselves
// (own-reads.ts), and a bulk stream still arrives whole and in order both
// ways, with pings crossing the same connections, over ws and wss.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { ClientSession, MpxServer, type MpxStream } from '@mpx/core';
import { collectBytes, digestOf } from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { dialWebSocket, listenWebSocket, type WebSocketDuplex } from '../src/index.js';
import { CERT, KEY, urlOf } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Whether ws' own listener still reads the carrier's socket (false once the carrier reads it itself). */
function wsReads(carrier: WebSocketDuplex): boolean {
  const socket = (carrier.ws as unknown as { _socket: { listeners(event: string): { name: string }[] } })._socket;
  return socket.listeners('data').some((listener) => listener.name === 'socketOnData');
}

/** 'data' listeners of the carrier's socket: none once the carrier reads it with `onread` (own-reads.ts). */
function dataListeners(carrier: WebSocketDuplex): number {
  return (carrier.ws as unknown as { _socket: { listenerCount(event: string): number } })._socket.listenerCount('data');
}

async function sessionOver(tls: boolean, carriers: number) {
  const server = new MpxServer();
  const accepted: WebSocketDuplex[] = [];
  const listener = await listenWebSocket({ host: '127.0.0.1', path: '/mpx', ...(tls ? { tls: { cert: CERT, key: KEY } } : {}) }, (carrier) => {
    accepted.push(carrier);
    server.accept(carrier);
  });
  const client = new ClientSession();
  cleanups.push(async () => {
    client.close();
    server.close();
    await listener.closeAll();
  });
  const dialled: WebSocketDuplex[] = [];
  for (let i = 0; i < carriers; i++) {
    const carrier = await dialWebSocket({ url: urlOf(listener, '/mpx', tls ? 'wss' : 'ws'), ...(tls ? { ca: CERT, servername: 'localhost' } : {}) });
    dialled.push(carrier);
    await client.addCarrier(carrier);
  }
  return { server, client, dialled, accepted };
}

describe.each([
  ['ws', false],
  ['wss', true],
])('a session over %s carriers', (_scheme, tls) => {
  it('moves 6 MiB each way through 2 carriers, whole and in order, with pings crossing them', async () => {
    const { server, client, dialled, accepted } = await sessionOver(tls, 2);
    const up = randomBytes(6 * 1024 * 1024);
    const down = randomBytes(6 * 1024 * 1024);
    const serverGot = new Promise<ReturnType<typeof digestOf>>((resolve) => {
      server.once('stream', (stream: MpxStream) => {
        void collectBytes(stream, up.length).then(resolve);
        stream.end(down);
      });
    });
    const stream = client.openStream();
    const clientGot = collectBytes(stream, down.length);
    const pongs = [...dialled, ...accepted].map((carrier) => once(carrier.ws, 'pong'));
    for (let at = 0; at < up.length; at += 256 * 1024) {
      if (at === 1024 * 1024) for (const carrier of [...dialled, ...accepted]) carrier.ws.ping(Buffer.from('mid'));
      if (!stream.write(up.subarray(at, at + 256 * 1024))) await once(stream, 'drain');
    }
    stream.end();
    expect(await serverGot).toEqual(digestOf(up));
    expect(await clientGot).toEqual(digestOf(down));
    await Promise.all(pongs);
    // Every carrier reads its own frames now, on both sides.
    expect([...dialled, ...accepted].map(wsReads)).toEqual([false, false, false, false]);
    // ...with onread, TLS sockets (wss) too.
    expect([...dialled, ...accepted].map(dataListeners)).toEqual([0, 0, 0, 0]);
  });
});
