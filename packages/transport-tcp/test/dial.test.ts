// dialTcp: resolves with a connected socket, rejects with a stable `code`.
import * as net from 'node:net';
import { once } from 'node:events';
import { silentServer as startSilentServer, type SilentServer } from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { dialTcp, listenTcp, startTcpDial, type CarrierListener } from '../src/index.js';
import { rejectionOf } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server that never answers, closed after each test. */
async function silentServer(): Promise<SilentServer> {
  const server = await startSilentServer();
  cleanups.push(() => server.close());
  return server;
}

async function closedPort(host: string): Promise<number> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

async function echoListener(host: string): Promise<CarrierListener> {
  const listener = await listenTcp({ host, port: 0 }, (carrier) => carrier.pipe(carrier));
  cleanups.push(() => listener.closeAll());
  return listener;
}

describe('dialTcp', () => {
  it('connects over IPv4 and carries bytes both ways', async () => {
    const listener = await echoListener('127.0.0.1');
    const socket = await dialTcp({ host: '127.0.0.1', port: listener.address.port });
    cleanups.push(() => void socket.destroy());
    socket.end('ping');
    const [echoed] = (await once(socket, 'data')) as [Buffer];
    expect(echoed.toString()).toBe('ping');
    expect(socket.remoteAddress).toBe('127.0.0.1');
  });

  it('connects to an IPv6 literal, with or without brackets', async () => {
    const listener = await echoListener('::1');
    for (const host of ['::1', '[::1]']) {
      const socket = await dialTcp({ host, port: listener.address.port });
      cleanups.push(() => void socket.destroy());
      expect(socket.remoteAddress).toBe('::1');
      expect(socket.remoteFamily).toBe('IPv6');
    }
  });

  it('leaves from localAddress (the egress address), also to a host name', async () => {
    const listener = await echoListener('127.0.0.1');
    for (const host of ['127.0.0.1', 'localhost']) {
      const socket = await dialTcp({ host, port: listener.address.port, localAddress: '127.0.0.2' });
      cleanups.push(() => void socket.destroy());
      expect(socket.localAddress).toBe('127.0.0.2');
    }
  });

  it('rejects a localAddress that is not an IP literal, and one this host lacks with EADDRNOTAVAIL', async () => {
    const err = await rejectionOf(dialTcp({ host: '127.0.0.1', port: 1, localAddress: 'eth0' }));
    expect(err).toMatchObject({ code: 'MPX_ERR_INVALID_ARGUMENT' });
    const listener = await echoListener('127.0.0.1');
    const missing = await rejectionOf(dialTcp({ host: '127.0.0.1', port: listener.address.port, localAddress: '192.0.2.77' }));
    expect(missing).toMatchObject({ code: 'EADDRNOTAVAIL' });
  });

  it('connects to a host name (localhost)', async () => {
    const listener = await echoListener('localhost');
    const socket = await dialTcp({ host: 'localhost', port: listener.address.port });
    cleanups.push(() => void socket.destroy());
    expect(['127.0.0.1', '::1']).toContain(socket.remoteAddress);
  });

  it('keeps ECONNREFUSED on `code` when nothing listens', async () => {
    const port = await closedPort('127.0.0.1');
    const err = await rejectionOf(dialTcp({ host: '127.0.0.1', port }));
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('rejects with MPX_ERR_CONNECT_TIMEOUT when the TLS handshake never completes', async () => {
    const { port, accepted } = await silentServer();
    const dialing = dialTcp({ host: '127.0.0.1', port, tls: { servername: 'localhost' }, connectTimeoutMs: 100 });
    const serverSide = await accepted;
    const closedOnServer = once(serverSide, 'close');
    const err = await rejectionOf(dialing);
    expect(err.code).toBe('MPX_ERR_CONNECT_TIMEOUT');
    await closedOnServer; // the client destroyed its socket
  });

  it('rejects with ABORT_ERR when the signal is already aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('not needed any more');
    controller.abort(reason);
    const err = await rejectionOf(dialTcp({ host: '127.0.0.1', port: 9, signal: controller.signal }));
    expect(err.code).toBe('ABORT_ERR');
    expect(err.cause).toBe(reason);
  });

  it('rejects with ABORT_ERR when the signal aborts during the handshake', async () => {
    const { port, accepted } = await silentServer();
    const controller = new AbortController();
    const dialing = dialTcp({ host: '127.0.0.1', port, tls: true, signal: controller.signal });
    await accepted;
    controller.abort();
    const err = await rejectionOf(dialing);
    expect(err.code).toBe('ABORT_ERR');
  });

  it.each([
    ['an empty host', { host: '', port: 80 }],
    ['port 0', { host: '127.0.0.1', port: 0 }],
    ['port 65536', { host: '127.0.0.1', port: 65_536 }],
    ['a negative connect timeout', { host: '127.0.0.1', port: 80, connectTimeoutMs: -1 }],
    ['a fractional keep-alive', { host: '127.0.0.1', port: 80, keepAliveMs: 1.5 }],
  ])('rejects %s with MPX_ERR_INVALID_ARGUMENT', async (_name, options) => {
    const err = await rejectionOf(dialTcp(options));
    expect(err.code).toBe('MPX_ERR_INVALID_ARGUMENT');
  });
});

describe('startTcpDial', () => {
  it('cancel() during the connect rejects with ABORT_ERR and its reason, and destroys the socket', async () => {
    const { port, accepted } = await silentServer();
    const dial = startTcpDial({ host: '127.0.0.1', port, tls: true });
    const serverSide = await accepted;
    const closedOnServer = once(serverSide, 'close');
    const reason = new Error('the stream went away');
    dial.cancel(reason);
    const err = await rejectionOf(dial.socket);
    expect(err.code).toBe('ABORT_ERR');
    expect(err.cause).toBe(reason);
    await closedOnServer;
  });

  it('cancel() before a TLS dial has loaded node:tls rejects without connecting', async () => {
    const { port } = await silentServer();
    const dial = startTcpDial({ host: '127.0.0.1', port, tls: true });
    dial.cancel();
    const err = await rejectionOf(dial.socket);
    expect(err.code).toBe('ABORT_ERR');
  });

  it('cancel() right after a plain dial starts rejects with ABORT_ERR', async () => {
    const listener = await echoListener('127.0.0.1');
    const dial = startTcpDial({ host: '127.0.0.1', port: listener.address.port });
    dial.cancel();
    expect((await rejectionOf(dial.socket)).code).toBe('ABORT_ERR');
  });

  it('cancel() once connected changes nothing: the socket stays open', async () => {
    const listener = await echoListener('127.0.0.1');
    const dial = startTcpDial({ host: '127.0.0.1', port: listener.address.port });
    const socket = await dial.socket;
    cleanups.push(() => void socket.destroy());
    dial.cancel();
    socket.end('still here');
    const [echoed] = (await once(socket, 'data')) as [Buffer];
    expect(echoed.toString()).toBe('still here');
  });

  it('rejects bad options with MPX_ERR_INVALID_ARGUMENT, and cancel() is then harmless', async () => {
    const dial = startTcpDial({ host: '', port: 80 });
    dial.cancel();
    expect((await rejectionOf(dial.socket)).code).toBe('MPX_ERR_INVALID_ARGUMENT');
  });

  it("passes writableHighWaterMark to the socket, and leaves Node's default without it", async () => {
    const listener = await echoListener('127.0.0.1');
    const sized = await startTcpDial({ host: '127.0.0.1', port: listener.address.port, writableHighWaterMark: 65_536 }).socket;
    const plain = await startTcpDial({ host: '127.0.0.1', port: listener.address.port }).socket;
    cleanups.push(
      () => void sized.destroy(),
      () => void plain.destroy(),
    );
    expect(sized.writableHighWaterMark).toBe(65_536);
    expect(plain.writableHighWaterMark).toBe(new net.Socket().writableHighWaterMark);
  });
});
