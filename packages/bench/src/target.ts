// The bench target: one TCP server speaking protocol.ts (sink with sha256 and
// delivery timeline, pattern source, echo, slow sink). Runs in its own
// process (target-main.ts) so that its event loop and file descriptors are
// not the bench's.

import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { Pattern } from './data.js';
import { DeliveryTimeline, wallNow } from './gaps.js';
import { HEADER_SIZE, decodeHeader } from './protocol.js';
import type { Header, SinkReport } from './protocol.js';

export interface TargetServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startTarget(port = 0, host = '127.0.0.1'): Promise<TargetServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    readHeader(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: 4096 }, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function readHeader(socket: Socket): void {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    if (head.length < HEADER_SIZE) return;
    socket.off('data', onData);
    socket.pause();
    let header: Header;
    try {
      header = decodeHeader(head);
    } catch {
      socket.destroy();
      return;
    }
    serve(socket, header, head.subarray(HEADER_SIZE));
  };
  socket.on('data', onData);
}

function serve(socket: Socket, h: Header, rest: Buffer): void {
  switch (h.mode) {
    case 'sink':
      return sink(socket, h.length, rest);
    case 'source':
      return source(socket, h.seed, h.length);
    case 'echo':
      if (rest.length > 0) socket.write(rest);
      socket.pipe(socket);
      socket.resume();
      return;
    case 'slowSink':
      return slowSink(socket, h.seed);
  }
}

function sink(socket: Socket, length: number, rest: Buffer): void {
  const hash = createHash('sha256');
  const timeline = new DeliveryTimeline();
  let done = false;
  const take = (chunk: Buffer): void => {
    if (done) return;
    timeline.record(wallNow(), chunk.length);
    hash.update(chunk);
    if (timeline.bytes >= length) finish();
  };
  const finish = (): void => {
    if (done) return;
    done = true;
    const s = timeline.summary();
    const report: SinkReport = {
      bytes: s.bytes,
      sha256: hash.digest('hex'),
      firstAt: s.firstAt,
      lastAt: s.lastAt,
      longestGapMs: s.longestGapMs,
      gaps: s.gaps,
    };
    socket.end(`${JSON.stringify(report)}\n`);
  };
  if (rest.length > 0) take(rest);
  socket.on('data', take);
  socket.on('end', finish);
  socket.resume();
}

function source(socket: Socket, seed: number, length: number): void {
  const pattern = new Pattern(seed);
  let left = length;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, 64 * 1024);
      left -= n;
      if (!socket.write(pattern.next(n))) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  };
  socket.resume(); // discard anything the client sends
  pump();
}

/** Reads at `rate` bytes/s on average (0: never reads). */
function slowSink(socket: Socket, rate: number): void {
  if (rate <= 0) return; // stays paused
  socket.on('data', (chunk: Buffer) => {
    socket.pause();
    const t = setTimeout(() => socket.resume(), (chunk.length / rate) * 1000);
    socket.once('close', () => clearTimeout(t));
  });
  socket.resume();
}
