// TLS carriers: certificate checks on dial, handshake failures on accept.
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { dialTcp, listenTcp, type TcpCarrierListener, type TcpListenOptions } from '../src/index.js';
import { waitForClose } from '@mpx/testkit';
import { CERT, KEY, OTHER_CA, rejectionOf } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tlsListener(
  host = '127.0.0.1',
  tls: TcpListenOptions['tls'] = { cert: CERT, key: KEY },
  onConnection?: TcpListenOptions['onConnection'],
): Promise<{ listener: TcpCarrierListener; carriers: Duplex[] }> {
  const carriers: Duplex[] = [];
  const listener = await listenTcp({ host, port: 0, tls, ...(onConnection === undefined ? {} : { onConnection }) }, (carrier) => {
    carriers.push(carrier);
    carrier.on('error', () => {});
    carrier.pipe(carrier);
  });
  cleanups.push(() => listener.closeAll());
  return { listener, carriers };
}

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A TLS listener that hands each accepted TCP connection to `connections`, and the first 'clientError'. */
async function watchedTlsListener(): Promise<{
  listener: TcpCarrierListener;
  connections: net.Socket[];
  clientError: Promise<[Error & { code?: string }, { remoteAddress: string; remotePort: number }]>;
}> {
  const connections: net.Socket[] = [];
  const { listener } = await tlsListener('127.0.0.1', { cert: CERT, key: KEY }, (connection) => {
    connections.push(connection);
    return true;
  });
  const clientError = once(listener, 'clientError') as Promise<[Error & { code?: string }, { remoteAddress: string; remotePort: number }]>;
  return { listener, connections, clientError };
}

function track<T extends Duplex>(socket: T): T {
  cleanups.push(() => void socket.destroy());
  return socket;
}

describe('TLS dial', () => {
  it('connects once the certificate verifies against the given CA, and carries bytes', async () => {
    const { listener } = await tlsListener();
    const socket = track(
      (await dialTcp({ host: '127.0.0.1', port: listener.address.port, tls: { ca: CERT, servername: 'localhost' } })) as TLSSocket,
    );
    expect(socket.authorized).toBe(true);
    socket.write('over tls');
    const [echoed] = (await once(socket, 'data')) as [Buffer];
    expect(echoed.toString()).toBe('over tls');
  });

  it('checks an IP literal against the IP entries of the certificate (::1)', async () => {
    const { listener } = await tlsListener('::1');
    const socket = track((await dialTcp({ host: '::1', port: listener.address.port, tls: { ca: CERT } })) as TLSSocket);
    expect(socket.authorized).toBe(true);
  });

  it('rejects a certificate from another CA, keeping the TLS error code on `code`', async () => {
    const { listener } = await tlsListener();
    const err = await rejectionOf(dialTcp({ host: '127.0.0.1', port: listener.address.port, tls: { ca: OTHER_CA, servername: 'localhost' } }));
    expect(err.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('rejects a self-signed certificate against the default root store', async () => {
    const { listener } = await tlsListener();
    const err = await rejectionOf(dialTcp({ host: 'localhost', port: listener.address.port, tls: true }));
    expect(err.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('rejects a certificate that does not name the server', async () => {
    const { listener } = await tlsListener();
    const err = await rejectionOf(dialTcp({ host: '127.0.0.1', port: listener.address.port, tls: { ca: CERT, servername: 'example.com' } }));
    expect(err.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('accepts an unverified certificate with insecure: true', async () => {
    const { listener } = await tlsListener();
    const socket = track((await dialTcp({ host: '127.0.0.1', port: listener.address.port, tls: { ca: OTHER_CA, insecure: true } })) as TLSSocket);
    expect(socket.authorized).toBe(false);
    socket.write('still encrypted');
    const [echoed] = (await once(socket, 'data')) as [Buffer];
    expect(echoed.toString()).toBe('still encrypted');
  });

  it('presents a client certificate to a server that requests one', async () => {
    const { listener, carriers } = await tlsListener('127.0.0.1', { cert: CERT, key: KEY, ca: CERT, requestCert: true });
    const socket = track(
      await dialTcp({ host: '127.0.0.1', port: listener.address.port, tls: { ca: CERT, servername: 'localhost', cert: CERT, key: KEY } }),
    );
    socket.write('x');
    await once(socket, 'data');
    expect((carriers[0] as TLSSocket).authorized).toBe(true);
  });
});

describe('TLS accept', () => {
  it('reports a client that does not speak TLS as clientError and keeps serving', async () => {
    const { listener, carriers } = await tlsListener();
    const clientError = once(listener, 'clientError');
    const plain = track(net.connect({ host: '127.0.0.1', port: listener.address.port }));
    plain.on('error', () => {});
    plain.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const [err] = (await clientError) as [Error & { code?: string }];
    expect(err.code).toMatch(/^ERR_SSL_/);
    expect(carriers).toEqual([]);

    const socket = track(await dialTcp({ host: '127.0.0.1', port: listener.address.port, tls: { ca: CERT, servername: 'localhost' } }));
    socket.write('after');
    const [echoed] = (await once(socket, 'data')) as [Buffer];
    expect(echoed.toString()).toBe('after');
  });

  // The listener has no handshake timeout of its own: before the fix, such a connection stayed
  // in CLOSE-WAIT until its owner's (mpx-tunnel's 10 s), so the bounded waits below failed.
  it('closes at once a connection whose client rejects the certificate, and reports it with its peer', async () => {
    const { listener, connections, clientError } = await watchedTlsListener();
    const client = track(tls.connect({ host: '127.0.0.1', port: listener.address.port, servername: 'localhost', rejectUnauthorized: true }));
    let localPort: number | undefined;
    client.once('connect', () => (localPort = client.localPort));
    const [clientErr] = (await once(client, 'error')) as [Error & { code?: string }];
    expect(clientErr.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    const [err, info] = await within(2000, 'clientError', clientError);
    expect(err.code).toBe('ECONNRESET');
    expect(localPort).toBeGreaterThan(0);
    expect(info).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: localPort });
    expect(connections).toHaveLength(1);
    await within(2000, "the accepted connection's close", waitForClose(connections[0] as net.Socket));
  });

  it('closes at once a connection whose peer closes before the handshake is done', async () => {
    const { listener, connections, clientError } = await watchedTlsListener();
    const plain = track(net.connect({ host: '127.0.0.1', port: listener.address.port }));
    plain.on('error', () => {});
    await once(plain, 'connect');
    const localPort = plain.localPort;
    plain.end();
    const [, info] = await within(2000, 'clientError', clientError);
    expect(info).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: localPort });
    await within(2000, "the accepted connection's close", waitForClose(connections[0] as net.Socket));
    await within(2000, "the client's close", waitForClose(plain));
  });

  it('names the peer of a connection reset during the handshake', async () => {
    const { listener, connections, clientError } = await watchedTlsListener();
    const plain = track(net.connect({ host: '127.0.0.1', port: listener.address.port }));
    plain.on('error', () => {});
    await once(plain, 'connect');
    const localPort = plain.localPort;
    // Wait for the accept, so the reset reaches a connection the TLS layer holds.
    await within(
      2000,
      'the accept',
      (async () => {
        while (connections.length === 0) await new Promise((r) => setTimeout(r, 5));
      })(),
    );
    plain.resetAndDestroy();
    const [err, info] = await within(2000, 'clientError', clientError);
    expect(err.code).toBe('ECONNRESET');
    expect(info).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: localPort });
    await within(2000, "the accepted connection's close", waitForClose(connections[0] as net.Socket));
  });
});
