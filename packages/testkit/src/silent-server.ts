// A TCP server on 127.0.0.1 that accepts connections and never sends a byte:
// a peer whose handshake (TLS, WebSocket upgrade, mpx) never completes.
import { once } from 'node:events';
import * as net from 'node:net';

export interface SilentServer {
  readonly port: number;
  /** The first accepted connection. */
  readonly accepted: Promise<net.Socket>;
  /** Destroys every accepted connection and stops listening. */
  close(): void;
}

export async function silentServer(): Promise<SilentServer> {
  const sockets: net.Socket[] = [];
  let onAccept: (socket: net.Socket) => void = () => {};
  const accepted = new Promise<net.Socket>((resolve) => (onAccept = resolve));
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.resume(); // reads and drops whatever the client sends, answers nothing
    onAccept(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
