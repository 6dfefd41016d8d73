// A plain Node TCP relay, the baseline for mpx's client + server pair: every
// accepted connection is piped both ways to `to`, half-close passed on.

import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export interface Relay {
  port: number;
  server: Server;
}

export async function startRelay(to: { host: string; port: number }, port = 0): Promise<Relay> {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (a: Socket) => {
    const b = connect({ host: to.host, port: to.port, allowHalfOpen: true, noDelay: true });
    const kill = (): void => {
      a.destroy();
      b.destroy();
    };
    a.on('error', kill);
    b.on('error', kill);
    a.pipe(b);
    b.pipe(a);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, server };
}
