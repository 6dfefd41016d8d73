// Issue 11, point 6, from the client's side: when the session ends under a
// connection that already carried data, the application gets a reset even
// if the server's CLOSE names a code a refused stream also uses
// (LIMIT_EXCEEDED, REFUSED); only a stream the server reset before any byte
// came back ends with a FIN. The server here is @mpx/core's own MpxServer in
// this process, so that the test decides what it sends; the client is a
// real `mpx-tunnel client`.
import { once } from 'node:events';
import * as net from 'node:net';
import { MpxError, MpxServer, WireCode, type MpxStream, type Session } from '@mpx/core';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, killAll, Tunnel, CLIENT_PORT } from './helpers.js';

const REPLY = Buffer.alloc(256 * 1024, 0x61);

/** How the application's connection ended: a FIN or an error code, and the bytes it read. */
function outcome(socket: net.Socket): Promise<{ bytes: number; ended: boolean; error: string | undefined }> {
  return new Promise((resolve) => {
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    socket.once('end', () => resolve({ bytes, ended: true, error: undefined }));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ bytes, ended: false, error: err.code }));
    socket.once('close', () => resolve({ bytes, ended: false, error: undefined }));
  });
}

let listener: net.Server | undefined;
afterEach(async () => {
  await killAll();
  listener?.close();
  listener = undefined;
});

/**
 * An in-process mpx server whose streams go to `serve`, and a real client in
 * front of it; returns the client's local port.
 */
async function tunnelTo(serve: (stream: MpxStream, session: Session) => void): Promise<number> {
  const server = new MpxServer();
  server.on('stream', serve);
  server.on('carrierError', () => {});
  listener = net.createServer((socket) => {
    socket.on('error', () => {});
    server.accept(socket);
  });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as net.AddressInfo;
  const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${port}`, '-p', '1']);
  return client.port(CLIENT_PORT);
}

describe('the end of a session under a connection', () => {
  it.each([
    ['LIMIT_EXCEEDED', WireCode.LIMIT_EXCEEDED, 'MPX_ERR_LIMIT_EXCEEDED'],
    ['REFUSED', WireCode.REFUSED, 'MPX_ERR_STREAM_REFUSED'],
  ] as const)('closed with %s after data came back: the application gets a reset, not a FIN', async (_name, wireCode, code) => {
    const port = await tunnelTo((stream, session) => {
      stream.on('error', () => {});
      stream.once('data', () => {
        stream.write(REPLY, () => setTimeout(() => session.abort(new MpxError(code, 'test: session ends', { wireCode })), 200));
      });
    });
    const app = await connect(port);
    const ended = outcome(app);
    app.write('request');
    const result = await ended;
    expect(result).toEqual({ bytes: REPLY.length, ended: false, error: 'ECONNRESET' });
  });

  it('a stream reset with REFUSED before any byte came back still ends with a FIN, as from a closed port', async () => {
    const port = await tunnelTo((stream) => {
      stream.on('error', () => {});
      stream.destroy(new MpxError('MPX_ERR_STREAM_REFUSED', 'test: target refused', { wireCode: WireCode.REFUSED }));
    });
    const app = await connect(port);
    const ended = outcome(app);
    app.write('request');
    expect(await ended).toEqual({ bytes: 0, ended: true, error: undefined });
  });
});
