// A stream spliced into a socket gives the kept carrier reads its bytes came
// in back to @mpx/core's readBlocks once the socket has written them, so
// that the carriers read into the same blocks again (read-blocks.ts). Real
// TCP carriers (dialled: they keep bulk reads) and a real socket; the bytes
// must arrive intact while blocks are reused under them.
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { ClientSession, MpxServer, readBlocks, type MpxStream } from '@mpx/core';
import { dialTcp, listenTcp } from '@mpx/transport-tcp';
import { randomBytes, seededRandom } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { SOCKET_WRITE_BUFFER, splice } from '../src/pipe.js';

const SEED = 0x5eed0015;
const SIZE = 24 * 1024 * 1024;

describe('splice into a socket', () => {
  it(`gives kept carrier reads back once the socket has written them, and the bytes arrive intact (seed ${SEED})`, async () => {
    const sent = randomBytes(seededRandom(SEED), SIZE);
    const server = new MpxServer();
    server.on('stream', (stream: MpxStream) => {
      stream.resume();
      stream.end(sent);
    });
    const listener = await listenTcp({ host: '127.0.0.1', port: 0 }, (socket) => server.accept(socket));
    // The application's side: a local socket the stream is spliced into, read at its own pace.
    const sink = net.createServer();
    sink.listen(0, '127.0.0.1');
    await once(sink, 'listening');
    const port = (sink.address() as net.AddressInfo).port;
    const client = new ClientSession();
    try {
      for (let i = 0; i < 2; i++) await client.addCarrier(await dialTcp({ host: '127.0.0.1', port: listener.address.port }));
      const accepted = once(sink, 'connection') as Promise<[net.Socket]>;
      // As the tunnel opens its sockets (writableHighWaterMark reaches the Duplex; @types/node's NetConnectOpts omits it).
      const local = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, writableHighWaterMark: SOCKET_WRITE_BUFFER } as net.NetConnectOpts);
      const [app] = await accepted;
      const hash = createHash('sha256');
      let received = 0;
      app.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        received += chunk.length;
      });
      const ended = once(app, 'end');
      const before = { allocated: readBlocks.allocated, reused: readBlocks.reused };
      const stream = client.openStream();
      const spliced = splice(stream, local);
      stream.end();
      await ended;
      app.end();
      await spliced;
      expect(received).toBe(SIZE);
      expect(hash.digest('hex')).toBe(createHash('sha256').update(sent).digest('hex'));
      // Reads were kept in blocks, and blocks were read into again once given back.
      expect(readBlocks.reused - before.reused).toBeGreaterThan(readBlocks.allocated - before.allocated);
    } finally {
      client.close();
      await listener.closeAll();
      server.close();
      sink.close();
    }
  });
});
