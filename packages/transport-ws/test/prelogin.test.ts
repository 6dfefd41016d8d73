// Connections before login (issue 11, point 4): every WebSocket connection,
// at any stage of its upgrade, counts against the server's pending-handshake
// limit and deadline from TCP accept (onConnection → MpxServer.admitConnection),
// and a text message closes the carrier at once instead of holding it for
// ws's 30 s close handshake. Real `ws` clients and raw sockets on loopback.
import { once } from 'node:events';
import * as net from 'node:net';
import { MpxServer, type MpxError } from '@mpx/core';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listenWebSocket, type WebSocketCarrierListener } from '../src/index.js';
import { CERT, KEY, urlOf } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Gate {
  listener: WebSocketCarrierListener;
  server: MpxServer;
  errors: MpxError[];
  /** Server-side TCP connections closed so far. */
  closed: () => number;
}

/** An MpxServer behind a WebSocket listener, wired the way mpx-tunnel wires it. */
async function gatedListener(maxPendingHandshakes: number, handshakeTimeoutMs: number, tls = false): Promise<Gate> {
  const server = new MpxServer({ maxPendingHandshakes, handshakeTimeoutMs });
  const errors: MpxError[] = [];
  server.on('carrierError', (err: MpxError) => errors.push(err));
  let closed = 0;
  const listener = await listenWebSocket(
    {
      host: '127.0.0.1',
      ...(tls ? { tls: { cert: CERT, key: KEY } } : {}),
      onConnection: (connection) => {
        connection.once('close', () => closed++);
        return server.admitConnection(connection);
      },
    },
    (carrier, info) => server.accept(carrier, { connection: info.connection }),
  );
  cleanups.push(async () => {
    server.close();
    await listener.closeAll();
  });
  return { listener, server, errors, closed: () => closed };
}

async function until(condition: () => boolean): Promise<void> {
  // Bounded by the test timeout; each turn waits for I/O, never for a fixed time.
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

function rawSocket(port: number): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  cleanups.push(() => void socket.destroy());
  return socket;
}

describe('WebSocket connections before login', () => {
  it('closes carriers that send a text message at once (1003), even when the client never answers the close', async () => {
    const n = 20;
    const gate = await gatedListener(n, 60_000);
    const clients = Array.from({ length: n }, () => new WebSocket(urlOf(gate.listener)));
    for (const client of clients) {
      client.on('error', () => {});
      cleanups.push(() => client.terminate());
    }
    await Promise.all(clients.map((client) => once(client, 'open')));
    for (const client of clients) {
      client.send('not binary');
      // A client that never reads again never answers the close frame either.
      client.pause();
    }
    // Before the fix each of these stayed open for ws's 30 s close timeout.
    await until(() => gate.closed() === n);
    expect(gate.server.pendingHandshakes).toBe(0);
    // The core sees its carrier fail; the cause is the text message.
    expect(gate.errors.map((e) => (e.cause as MpxError | undefined)?.code)).toEqual(Array<string>(n).fill('MPX_ERR_PROTOCOL'));
  });

  it('counts connections stalled in the HTTP upgrade: the one beyond the limit is refused at once, the rest closed at the deadline', async () => {
    const n = 8;
    const gate = await gatedListener(n, 300);
    const stalled = Array.from({ length: n }, () => rawSocket(gate.listener.address.port));
    await Promise.all(stalled.map((s) => once(s, 'connect')));
    for (const s of stalled) s.write('GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n'); // never finished
    await until(() => gate.server.pendingHandshakes === n);
    const extra = rawSocket(gate.listener.address.port);
    const received: Buffer[] = [];
    extra.on('data', (chunk: Buffer) => received.push(chunk));
    await once(extra, 'close');
    expect(received).toEqual([]); // refused before any HTTP
    expect(gate.errors.map((e) => [e.code, e.limit])).toEqual([['MPX_ERR_LIMIT_EXCEEDED', 'maxPendingHandshakes']]);
    await Promise.all(stalled.flatMap((s) => (s.closed ? [] : [once(s, 'close')])));
    await until(() => gate.server.pendingHandshakes === 0);
    expect(gate.errors.slice(1).map((e) => e.code)).toEqual(Array<string>(n).fill('MPX_ERR_HANDSHAKE_TIMEOUT'));
  });

  it('counts wss connections that never start TLS, and closes them at the deadline', async () => {
    const n = 4;
    const gate = await gatedListener(n, 300, true);
    const silent = Array.from({ length: n }, () => rawSocket(gate.listener.address.port));
    await until(() => gate.server.pendingHandshakes === n);
    const extra = rawSocket(gate.listener.address.port);
    await once(extra, 'close');
    await Promise.all(silent.flatMap((s) => (s.closed ? [] : [once(s, 'close')])));
    await until(() => gate.server.pendingHandshakes === 0);
    expect(gate.errors.map((e) => e.code)).toEqual(['MPX_ERR_LIMIT_EXCEEDED', ...Array<string>(n).fill('MPX_ERR_HANDSHAKE_TIMEOUT')]);
  });

  it('counts an upgraded WebSocket until its mpx handshake is done, with what is left of the same deadline', async () => {
    const gate = await gatedListener(1, 300);
    const client = new WebSocket(urlOf(gate.listener));
    client.on('error', () => {});
    cleanups.push(() => client.terminate());
    const messages: Buffer[] = [];
    client.on('message', (data: Buffer) => messages.push(data));
    await once(client, 'open');
    expect(gate.server.pendingHandshakes).toBe(1);
    await once(client, 'close');
    expect(messages.length).toBeGreaterThanOrEqual(2); // CHALLENGE, then the mpx CLOSE with HANDSHAKE_TIMEOUT
    await until(() => gate.server.pendingHandshakes === 0);
    expect(gate.errors.map((e) => e.code)).toEqual(['MPX_ERR_HANDSHAKE_TIMEOUT']);
  });
});
