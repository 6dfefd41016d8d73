// socket-end.ts on real loopback sockets: a reset that Linux reads as an end
// of file (it arrived while received bytes waited unread) is told from a FIN,
// whether our own direction is still open or already shut down.
import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { endSeenAs, type EndSeen } from '../src/socket-end.js';

const SENT = 4 * 1024 * 1024;

/** What endSeenAs said, or why it was not asked. */
type Seen = EndSeen | { notAsked: string };
const servers: net.Server[] = [];

afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/**
 * A peer that sends SENT bytes, then resets (`reset`) or ends, while we read
 * nothing; once it is done, we read to the end and ask what the end was.
 */
async function endAfter(reset: boolean, shutOurSide: boolean): Promise<{ seen: Seen; bytes: number }> {
  let peerDone!: () => void;
  const done = new Promise<void>((resolve) => (peerDone = resolve));
  const server = net.createServer({ allowHalfOpen: true }, (peer) => {
    peer.on('error', () => {});
    peer.resume();
    // More than the socket buffers hold while we read nothing: the write
    // cannot finish, so a reset leaves bytes unread on our side and unsent on the peer's.
    peer.write(Buffer.alloc(SENT, 1));
    setImmediate(() => {
      if (reset) peer.resetAndDestroy();
      else peer.end();
      peerDone();
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => {});
  socket.pause();
  await once(socket, 'connect');
  if (shutOurSide) socket.end();
  await done;
  let bytes = 0;
  // An 'error' instead of 'end' would mean Linux reported the reset itself: then there is nothing to tell apart.
  const seen = new Promise<Seen>((resolve) => {
    socket.once('end', () => resolve(endSeenAs(socket)));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ notAsked: `an 'error' event (${err.code}), not 'end'` }));
  });
  socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
  socket.resume();
  const result = { seen: await seen, bytes };
  socket.destroy();
  return result;
}

describe('endSeenAs', () => {
  for (const shutOurSide of [false, true]) {
    const side = shutOurSide ? 'after our own FIN' : 'with our direction open';
    it(`tells a reset read as an end of file, ${side}`, async () => {
      const { seen, bytes } = await endAfter(true, shutOurSide);
      expect(bytes).toBeLessThan(SENT); // the reset cut the data short, yet Node saw 'end'
      expect(seen).toMatchObject({ code: 'ECONNRESET' });
    });

    it(`sees a FIN as a FIN, ${side}`, async () => {
      const { seen, bytes } = await endAfter(false, shutOurSide);
      expect(bytes).toBe(SENT);
      expect(seen).toBe('fin');
    });
  }
});
