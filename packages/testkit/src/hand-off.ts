// A front server that reads each new connection until `complete(head)` holds,
// pauses it and hands it on with the bytes read: what the primary of
// `mpx-tunnel server --workers` does, for tests of a listener's adopt().
import { once } from 'node:events';
import * as net from 'node:net';

export interface HandOffFront {
  readonly port: number;
  readonly close: () => Promise<void>;
}

export async function startHandOffFront(
  complete: (head: Buffer) => boolean,
  take: (socket: net.Socket, head: Buffer) => void,
): Promise<HandOffFront> {
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      const head = Buffer.concat(chunks);
      if (!complete(head)) return;
      socket.off('data', onData);
      socket.pause();
      take(socket, head);
    };
    socket.on('data', onData);
    socket.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
