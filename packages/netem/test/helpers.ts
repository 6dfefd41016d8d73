// Loopback servers and client helpers for the Path tests (127.0.0.1 only, ephemeral ports).

import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Path } from '../src/path.js';
import type { PathOptions } from '../src/path.js';

export interface TestServer {
  server: Server;
  port: number;
  /** Server-side sockets accepted so far. */
  sockets: Socket[];
  close(): Promise<void>;
}

async function listen(onSocket: (s: Socket) => void): Promise<TestServer> {
  const sockets: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    onSocket(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return {
    server,
    port: addr.port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Echoes everything; ends its side after the client's FIN. */
export function echoServer(): Promise<TestServer> {
  return listen((s) => s.pipe(s));
}

/** Reads and discards; `received` resolves per socket with the byte count at FIN. */
export function sinkServer(): Promise<TestServer & { counts: number[] }> {
  const counts: number[] = [];
  return listen((s) => {
    const i = counts.push(0) - 1;
    s.on('data', (c: Buffer) => (counts[i]! += c.length));
    s.on('end', () => s.end());
  }).then((t) => Object.assign(t, { counts }));
}

/** Sends `pattern(n)` to every client, then FIN. */
export function sourceServer(n: number): Promise<TestServer> {
  return listen((s) => s.end(pattern(n)));
}

/** Deterministic bytes (an LCG with a fixed seed) so corruption or reordering shows. */
export function pattern(n: number, seed = 12345): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export async function dial(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  s.on('error', () => undefined); // tests observe errors via 'close' or their own listeners
  await once(s, 'connect');
  return s;
}

/** Collects a socket's bytes until FIN (rejects on error). */
export function collect(s: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (c: Buffer) => parts.push(c));
    s.once('end', () => resolve(Buffer.concat(parts)));
    s.once('error', reject);
  });
}

/** Resolves once `n` bytes have arrived on `s` (data listener left attached). */
export function readBytes(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const onData = (c: Buffer): void => {
      parts.push(c);
      got += c.length;
      if (got >= n) {
        s.off('data', onData);
        s.off('error', reject);
        resolve(Buffer.concat(parts));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

/** What a test started, undone in reverse order by the test file's afterEach. */
export const cleanups: (() => Promise<void> | void)[] = [];

export async function startPath(o: PathOptions): Promise<Path> {
  const p = await Path.start(o);
  cleanups.push(() => p.close());
  return p;
}

export async function client(port: number): Promise<Socket> {
  const s = await dial(port);
  cleanups.push(() => void s.destroy());
  return s;
}
