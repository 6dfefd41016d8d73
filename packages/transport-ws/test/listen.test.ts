// listenWebSocket: paths, attaching to an application's server, close()/closeAll().
import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dialWebSocket, listenWebSocket, type WebSocketUpgradeError, type WebSocketDuplex } from '../src/index.js';
import { acceptingListener, CERT, KEY, rejectionOf, urlOf } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The errors each carrier of dial() failed with: recorded from the start, as a carrier may fail before the test looks. */
const errorsOf = new WeakMap<WebSocketDuplex, Error[]>();

async function dial(url: string): Promise<WebSocketDuplex> {
  const carrier = await dialWebSocket({ url });
  const errors: Error[] = [];
  carrier.on('error', (err) => errors.push(err));
  errorsOf.set(carrier, errors);
  cleanups.push(() => void carrier.destroy());
  return carrier;
}

/** Sends raw bytes to host:port and resolves with everything received until the server closes. */
async function rawExchange(port: number, request: string, host = '127.0.0.1'): Promise<string> {
  const socket = net.connect({ host, port });
  cleanups.push(() => void socket.destroy());
  socket.on('error', () => {});
  socket.write(request);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('latin1');
}

function upgradeRequest(path: string): string {
  return [
    `GET ${path} HTTP/1.1`,
    'Host: localhost',
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    '',
    '',
  ].join('\r\n');
}

async function appServer(): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.end('the application'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return server;
}

describe('listenWebSocket (standalone)', () => {
  it('answers an upgrade on another path with 404 and destroys the socket', async () => {
    let carriers = 0;
    const listener = await listenWebSocket({ host: '127.0.0.1', path: '/mpx' }, () => carriers++);
    cleanups.push(() => listener.closeAll());
    const clientError = once(listener, 'clientError') as Promise<[WebSocketUpgradeError, { remoteAddress: string }]>;
    const response = await rawExchange(listener.address.port, upgradeRequest('/elsewhere?session=00112233445566778899aabbccddeeff'));
    expect(response.startsWith('HTTP/1.1 404 ')).toBe(true);
    expect(response.endsWith(Buffer.from('\r\n\r\npath /elsewhere?… is not the tunnel path /mpx\n').toString('latin1'))).toBe(true);
    expect(carriers).toBe(0);
    // Reported, so that a server can log it: behind a proxy, a path the proxy rewrote wrongly.
    const [err, peer] = await clientError;
    expect(err).toMatchObject({ code: 'MPX_ERR_UPGRADE_REFUSED', statusCode: 404 });
    expect(err.message).toBe('upgrade refused with HTTP 404: path /elsewhere?… is not the tunnel path /mpx');
    expect(peer.remoteAddress).toBe('127.0.0.1');
  });

  it('accepts the path with a query string', async () => {
    const { listener, next } = await acceptingListener({ host: '127.0.0.1', path: '/mpx' });
    cleanups.push(() => listener.closeAll());
    await dial(urlOf(listener, '/mpx?session=1'));
    const { info } = await next();
    expect(info.remoteAddress).toBe('127.0.0.1');
  });

  it('answers plain HTTP with 426 on the path and 404 elsewhere', async () => {
    const listener = await listenWebSocket({ host: '127.0.0.1', path: '/mpx' }, () => {});
    cleanups.push(() => listener.closeAll());
    const clientErrors: Error[] = [];
    listener.on('clientError', (err: Error) => clientErrors.push(err));
    const onPath = await rawExchange(listener.address.port, 'GET /mpx HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const elsewhere = await rawExchange(listener.address.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const hint = 'request to /mpx without Upgrade: websocket - does the proxy forward the Upgrade and Connection headers?';
    expect(onPath.startsWith('HTTP/1.1 426 ')).toBe(true);
    expect(onPath.endsWith(`\r\n\r\n${hint}\n`)).toBe(true);
    expect(elsewhere.startsWith('HTTP/1.1 404 ')).toBe(true);
    expect(elsewhere.endsWith('\r\n\r\npath / is not the tunnel path /mpx\n')).toBe(true);
    // The request on the path is an upgrade that lost its headers on the way: reported; one elsewhere is not.
    expect(clientErrors.map((e) => e.message)).toEqual([`upgrade refused with HTTP 426: ${hint}`]);
  });

  it('close() stops accepting while carriers already handed out keep working', async () => {
    const { listener, next } = await acceptingListener({ host: '127.0.0.1' });
    cleanups.push(() => listener.closeAll());
    const url = urlOf(listener);
    const client = await dial(url);
    const { carrier } = await next();
    await listener.close();
    const err = await rejectionOf(dialWebSocket({ url }));
    expect(err.code).toBe('ECONNREFUSED');
    client.write('still here');
    const [data] = (await once(carrier, 'data')) as [Buffer];
    expect(data.toString()).toBe('still here');
  });

  it('closeAll() closes open carriers with 1001 and the clients end cleanly', async () => {
    const { listener, next } = await acceptingListener({ host: '127.0.0.1' });
    const client = await dial(urlOf(listener));
    await next();
    const errors: Error[] = [];
    client.on('error', (err: Error) => errors.push(err));
    client.resume();
    const ended = once(client, 'end');
    const closed = once(client, 'close');
    await listener.closeAll();
    await ended;
    await closed;
    expect(client.closeCode).toBe(1001);
    expect(errors).toEqual([]);
  });

  it('terminates the WebSocket and reports clientError when onCarrier throws', async () => {
    const bug = new Error('bug in onCarrier');
    const listener = await listenWebSocket({ host: '127.0.0.1' }, () => {
      throw bug;
    });
    cleanups.push(() => listener.closeAll());
    const clientError = once(listener, 'clientError');
    const client = await dial(urlOf(listener));
    client.resume();
    const [err] = (await clientError) as [Error];
    expect(err).toBe(bug);
    await vi.waitFor(() => expect(client.destroyed).toBe(true));
    // Terminated: no close frame, before any EOF.
    expect(errorsOf.get(client)?.map((e) => (e as Error & { closeCode?: number }).closeCode)).toEqual([1006]);
  });

  it('reports a client that does not speak TLS to a wss:// listener as clientError', async () => {
    const listener = await listenWebSocket({ host: '127.0.0.1', tls: { cert: CERT, key: KEY } }, () => {});
    cleanups.push(() => listener.closeAll());
    const clientError = once(listener, 'clientError');
    await rawExchange(listener.address.port, upgradeRequest('/'));
    const [err] = (await clientError) as [Error & { code?: string }];
    expect(err.code).toMatch(/^ERR_SSL_/);
  });

  it('names the peer of a wss:// connection whose client rejects the certificate', async () => {
    const listener = await listenWebSocket({ host: '127.0.0.1', tls: { cert: CERT, key: KEY } }, () => {});
    cleanups.push(() => listener.closeAll());
    const clientError = once(listener, 'clientError');
    const client = tls.connect({ host: '127.0.0.1', port: listener.address.port, servername: 'localhost', rejectUnauthorized: true });
    cleanups.push(() => void client.destroy());
    let localPort: number | undefined;
    client.once('connect', () => (localPort = client.localPort));
    client.on('error', () => {});
    const [, info] = (await clientError) as [Error, { remoteAddress: string; remotePort: number }];
    expect(localPort).toBeGreaterThan(0);
    expect(info).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: localPort });
  });
});

describe('listenWebSocket attached to an existing server', () => {
  it('serves carriers on its path while the application keeps serving HTTP', async () => {
    const server = await appServer();
    const { listener, next } = await acceptingListener({ server, path: '/tunnel' });
    expect(listener.address.port).toBe((server.address() as net.AddressInfo).port);
    const client = await dial(urlOf(listener, '/tunnel'));
    const { carrier } = await next();
    client.write('hi');
    const [data] = (await once(carrier, 'data')) as [Buffer];
    expect(data.toString()).toBe('hi');
    const page = await rawExchange(listener.address.port, 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(page).toContain('the application');
  });

  it('answers 404 to upgrades on other paths when it is the only upgrade handler', async () => {
    const server = await appServer();
    const listener = await listenWebSocket({ server, path: '/tunnel' }, () => {});
    const err = await rejectionOf(dialWebSocket({ url: urlOf(listener, '/chat') }));
    expect((err as WebSocketUpgradeError).statusCode).toBe(404);
  });

  it("leaves upgrades on other paths to the application's own upgrade handler", async () => {
    const server = await appServer();
    const seen: string[] = [];
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      if (req.url === '/chat') {
        seen.push(req.url);
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      }
    });
    const listener = await listenWebSocket({ server, path: '/tunnel' }, () => {});
    const err = await rejectionOf(dialWebSocket({ url: urlOf(listener, '/chat') }));
    expect((err as WebSocketUpgradeError).statusCode).toBe(403);
    expect(seen).toEqual(['/chat']);
  });

  it('close() stops handling upgrades and leaves the server open', async () => {
    const server = await appServer();
    const listener = await listenWebSocket({ server, path: '/tunnel' }, () => {});
    await listener.close();
    expect(server.listening).toBe(true);
    expect(server.listenerCount('upgrade')).toBe(0);
    const page = await rawExchange(listener.address.port, 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(page).toContain('the application');
  });

  it('rejects port or tls together with server with MPX_ERR_INVALID_ARGUMENT', async () => {
    const server = await appServer();
    const err = await rejectionOf(listenWebSocket({ server, port: 0 }, () => {}));
    expect(err.code).toBe('MPX_ERR_INVALID_ARGUMENT');
  });
});
