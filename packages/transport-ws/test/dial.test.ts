// dialWebSocket: what the upgrade request carries, and stable error codes.
import { once } from 'node:events';
import * as net from 'node:net';
import { silentServer as startSilentServer, type SilentServer } from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { dialWebSocket, WebSocketUpgradeError, type WebSocketCarrierListener, type WebSocketListenOptions } from '../src/index.js';
import { acceptingListener, CERT, KEY, OTHER_CA, rejectionOf, urlOf, type Accepted } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(options: WebSocketListenOptions): Promise<{ listener: WebSocketCarrierListener; next: () => Promise<Accepted> }> {
  const accepting = await acceptingListener(options);
  cleanups.push(() => accepting.listener.closeAll());
  return accepting;
}

async function dial(...args: Parameters<typeof dialWebSocket>) {
  const carrier = await dialWebSocket(...args);
  cleanups.push(() => void carrier.destroy());
  return carrier;
}

/** A server that never answers, closed after each test. */
async function silentServer(): Promise<SilentServer> {
  const server = await startSilentServer();
  cleanups.push(() => server.close());
  return server;
}

describe('dialWebSocket', () => {
  it('connects to an IPv6 literal URL and carries bytes', async () => {
    const { listener, next } = await listen({ host: '::1', path: '/mpx' });
    const client = await dial({ url: urlOf(listener, '/mpx') });
    const { carrier, info } = await next();
    expect(info.remoteAddress).toBe('::1');
    client.write('over ::1');
    const [data] = (await once(carrier, 'data')) as [Buffer];
    expect(data.toString()).toBe('over ::1');
  });

  it('leaves from localAddress (the egress address), as the server sees it', async () => {
    const { listener, next } = await listen({ host: '127.0.0.1', path: '/mpx' });
    await dial({ url: urlOf(listener, '/mpx'), localAddress: '127.0.0.3' });
    const { info } = await next();
    expect(info.remoteAddress).toBe('127.0.0.3');
  });

  it('sends a Host header override and extra headers to the server', async () => {
    const { listener, next } = await listen({ host: '127.0.0.1' });
    await dial({ url: urlOf(listener), headers: { Host: 'tunnel.example.com', 'X-Mpx-Token': 'abc' } });
    const { info } = await next();
    expect(info.headers.host).toBe('tunnel.example.com');
    expect(info.headers['x-mpx-token']).toBe('abc');
  });

  it('neither offers nor gets permessage-deflate', async () => {
    const { listener, next } = await listen({ host: '127.0.0.1' });
    const client = await dial({ url: urlOf(listener) });
    const { carrier, info } = await next();
    expect(info.headers['sec-websocket-extensions']).toBeUndefined();
    expect(client.ws.extensions).toBe('');
    expect(carrier.ws.extensions).toBe('');
  });

  it('is not given permessage-deflate by the listener even when a client offers it', async () => {
    const { listener, next } = await listen({ host: '127.0.0.1' });
    const raw = new WebSocket(urlOf(listener), { perMessageDeflate: true });
    cleanups.push(() => raw.terminate());
    const upgraded = once(raw, 'upgrade') as Promise<[{ headers: Record<string, string | undefined> }]>;
    const opened = once(raw, 'open');
    const [response] = await upgraded;
    await opened;
    const { info } = await next();
    expect(info.headers['sec-websocket-extensions']).toContain('permessage-deflate');
    expect(response.headers['sec-websocket-extensions']).toBeUndefined();
    expect(raw.extensions).toBe('');
  });

  it('rejects an upgrade on another path with MPX_ERR_UPGRADE_REFUSED and status 404', async () => {
    const { listener } = await listen({ host: '127.0.0.1', path: '/mpx' });
    const err = await rejectionOf(dialWebSocket({ url: urlOf(listener, '/other?session=00112233445566778899aabbccddeeff') }));
    expect(err).toBeInstanceOf(WebSocketUpgradeError);
    expect(err.code).toBe('MPX_ERR_UPGRADE_REFUSED');
    expect((err as WebSocketUpgradeError).statusCode).toBe(404);
    // The listener's reason comes along: it answers why, in a short text/plain body.
    expect(err.message).toBe('the server refused the WebSocket upgrade with HTTP 404 Not Found: path /other?… is not the tunnel path /mpx');
  });

  /** An HTTP server that answers every upgrade as a proxy would: `status`, with `headers` and `body`. */
  async function answeringProxy(status: number, headers: Record<string, string>, body: string): Promise<number> {
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => {
        const head = Object.entries({ ...headers, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' })
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('');
        socket.end(`HTTP/1.1 ${status} ${status === 502 ? 'Bad Gateway' : 'Bad Request'}\r\n${head}\r\n${body}`);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => void server.close());
    return (server.address() as net.AddressInfo).port;
  }

  it('says who refused: the reason phrase and Server header, and for 502, 503 and 504 that the proxy could not reach the mpx server', async () => {
    const port = await answeringProxy(502, { Server: 'nginx/1.22.1', 'Content-Type': 'text/html' }, '<html><body>502</body></html>');
    const err = (await rejectionOf(dialWebSocket({ url: `ws://127.0.0.1:${port}/tunnel` }))) as WebSocketUpgradeError;
    expect(err.message).toBe(
      'the server refused the WebSocket upgrade with HTTP 502 Bad Gateway from nginx/1.22.1: the proxy could not reach the mpx server',
    );
    expect(err).toMatchObject({ statusCode: 502, statusMessage: 'Bad Gateway', server: 'nginx/1.22.1' });
  });

  it("keeps a refusal's text to printable ASCII on one line, and the body of an error page for whoever wants to look", async () => {
    const page = '<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head></html>';
    const port = await answeringProxy(400, { Server: 'caf\u00e9 server', 'Content-Type': 'text/html' }, page);
    const err = (await rejectionOf(dialWebSocket({ url: `ws://127.0.0.1:${port}/tunnel` }))) as WebSocketUpgradeError;
    expect(err.message).toBe('the server refused the WebSocket upgrade with HTTP 400 Bad Request from caf server');
    expect(err.body).toBe('400 The plain HTTP request was sent to HTTPS port');
  });

  it('keeps ECONNREFUSED on `code` when nothing listens', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    server.close();
    await once(server, 'close');
    const err = await rejectionOf(dialWebSocket({ url: `ws://127.0.0.1:${port}/` }));
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('rejects with MPX_ERR_CONNECT_TIMEOUT when the server never answers the upgrade', async () => {
    const { port, accepted } = await silentServer();
    const dialing = dialWebSocket({ url: `ws://127.0.0.1:${port}/`, connectTimeoutMs: 100 });
    const serverSide = await accepted;
    const closed = once(serverSide, 'close');
    const err = await rejectionOf(dialing);
    expect(err.code).toBe('MPX_ERR_CONNECT_TIMEOUT');
    await closed;
  });

  it("never shows the URL's query (a session id) or user information in its errors", async () => {
    const session = '608d6e86aa740fb32ace607d7207ac60';
    const { port, accepted } = await silentServer();
    const dialing = dialWebSocket({ url: `ws://user:secret@127.0.0.1:${port}/tunnel?session=${session}`, connectTimeoutMs: 100 });
    await accepted;
    const timedOut = await rejectionOf(dialing);
    expect(timedOut.message).toBe(`WebSocket connect to ws://127.0.0.1:${port}/tunnel?… timed out after 100 ms`);
    const invalidUrl = await rejectionOf(dialWebSocket({ url: `http://127.0.0.1:1/tunnel?session=${session}` }));
    for (const err of [timedOut, invalidUrl]) {
      expect(err.message).not.toContain(session.slice(8));
      expect(err.message).not.toContain('secret');
    }
  });

  it('rejects with ABORT_ERR when the signal aborts during the upgrade', async () => {
    const { port, accepted } = await silentServer();
    const controller = new AbortController();
    const dialing = dialWebSocket({ url: `ws://127.0.0.1:${port}/`, signal: controller.signal });
    await accepted;
    controller.abort();
    const err = await rejectionOf(dialing);
    expect(err.code).toBe('ABORT_ERR');
  });

  it.each([
    ['an http: URL', { url: 'http://127.0.0.1:80/' }],
    ['a malformed URL', { url: 'not a url' }],
    ['a zero connect timeout', { url: 'ws://127.0.0.1:80/', connectTimeoutMs: 0 }],
    ['a zero maxPayload', { url: 'ws://127.0.0.1:80/', maxPayload: 0 }],
    ['a zero maxMessageSize', { url: 'ws://127.0.0.1:80/', maxMessageSize: 0 }],
  ])('rejects %s with MPX_ERR_INVALID_ARGUMENT', async (_name, options) => {
    const err = await rejectionOf(dialWebSocket(options));
    expect(err.code).toBe('MPX_ERR_INVALID_ARGUMENT');
  });
});

describe('dialWebSocket over TLS (wss://)', () => {
  const tls = { cert: CERT, key: KEY };

  it('connects when the certificate verifies against the given CA', async () => {
    const { listener, next } = await listen({ host: '127.0.0.1', tls });
    const client = await dial({ url: urlOf(listener, '/', 'wss'), ca: CERT, servername: 'localhost' });
    const { carrier } = await next();
    carrier.write('secret');
    const [data] = (await once(client, 'data')) as [Buffer];
    expect(data.toString()).toBe('secret');
  });

  it('rejects a certificate from another CA, keeping the TLS error code', async () => {
    const { listener } = await listen({ host: '127.0.0.1', tls });
    const err = await rejectionOf(dialWebSocket({ url: urlOf(listener, '/', 'wss'), ca: OTHER_CA, servername: 'localhost' }));
    expect(err.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('accepts an unverified certificate with insecure: true', async () => {
    const { listener, next } = await listen({ host: '127.0.0.1', tls });
    await dial({ url: urlOf(listener, '/', 'wss'), ca: OTHER_CA, insecure: true });
    const { info } = await next();
    expect(info.remoteAddress).toBe('127.0.0.1');
  });
});
