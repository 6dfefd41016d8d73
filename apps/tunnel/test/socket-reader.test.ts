// SocketReader: a socket read with `onread` into a reused buffer, copies
// handed to a destination, reading stopped as soon as the destination pushes back.
import { once } from 'node:events';
import * as net from 'node:net';
import { Duplex, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { splice } from '../src/pipe.js';
import { MAX_READ, MIN_READ, SocketReader } from '../src/socket-reader.js';

const MiB = 1024 * 1024;

/** Bytes 0, 1, …, 250, 0, … from `offset` on: a pattern whose order a reader can check. */
function pattern(offset: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (offset + i) % 251;
  return b;
}

/** A destination that takes writes into `received` but completes none until release(). */
class HeldWritable extends Writable {
  readonly received: Buffer[] = [];
  #held: Array<() => void> = [];
  #releasing = false;

  constructor() {
    super({ highWaterMark: 16 * 1024 });
  }

  get bytes(): number {
    return this.received.reduce((n, b) => n + b.length, 0);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.received.push(chunk);
    if (this.#releasing) cb();
    else this.#held.push(() => cb());
  }

  release(): void {
    this.#releasing = true;
    for (const cb of this.#held.splice(0)) cb();
  }
}

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** A loopback server whose first connection is returned; the client end reads through `reader`. */
async function connectedPair(reader: SocketReader): Promise<{ source: net.Socket; read: net.Socket }> {
  const server = net.createServer({ allowHalfOpen: true });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const read = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true, onread: reader.onread });
  await once(read, 'connect');
  const [source] = await accepted;
  sockets.push(source, read);
  return { source, read };
}

/** Writes the pattern from `from` up to `total`; stops once the socket stops taking them (its buffer is full) or all went. */
function fill(source: net.Socket, from: number, total: number): number {
  let sent = from;
  while (sent < total) {
    const n = Math.min(64 * 1024, total - sent);
    const more = source.write(pattern(sent, n));
    sent += n;
    if (!more) return sent;
  }
  return sent;
}

/** Lets the event loop run `turns` times (I/O included): no clock involved. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('SocketReader', () => {
  it('stops reading as soon as the destination pushes back: one read beyond its buffer, however much the peer sends', async () => {
    const reader = new SocketReader({ buffer: Buffer.allocUnsafe(MAX_READ) });
    const { source, read } = await connectedPair(reader);
    const to = new HeldWritable();
    let counted = 0;
    reader.start(read, { to, onBytes: (n) => (counted += n) });

    // Keep the source writing until the kernel's buffers are full too, then give the reader ample turns.
    let sent = 0;
    for (let round = 0; round < 200 && sent < 64 * MiB; round++) {
      sent = fill(source, sent, sent + 4 * MiB);
      await turns(20);
      if (source.writableLength > 0) break;
    }
    await turns(50);
    expect(source.writableLength).toBeGreaterThan(0); // the peer is backed up: reading really stopped
    // Every byte read was handed on (the destination holds them all: taken, or waiting in its buffer).
    expect(to.writableLength).toBe(counted);
    expect(counted).toBeLessThanOrEqual(to.writableHighWaterMark + MIN_READ);
  });

  it('sizes each read by the room the destination reports, never below MIN_READ nor above its buffer', async () => {
    let room = 0;
    const reader = new SocketReader({ room: () => room, buffer: Buffer.allocUnsafe(MAX_READ) });
    const { source, read } = await connectedPair(reader);
    const sizes: number[] = [];
    const chunks: Buffer[] = [];
    const to = new Writable({
      highWaterMark: 8 * MiB,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    reader.start(read, { to, onBytes: (n) => sizes.push(n) });
    const total = 4 * MiB;
    source.write(pattern(0, total / 2));
    for (let i = 0; i < 100_000 && sizes.reduce((a, b) => a + b, 0) < total / 2; i++) await turns(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MIN_READ);
    room = 1 << 30;
    const before = sizes.length;
    source.end(pattern(total / 2, total / 2));
    await once(read, 'end');
    expect(Math.max(...sizes.slice(before))).toBeGreaterThan(MIN_READ);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_READ);
    expect(Buffer.concat(chunks).equals(pattern(0, total))).toBe(true);
  });

  it('hands every byte on in order once the destination drains, including reads before start()', async () => {
    const reader = new SocketReader({ buffer: Buffer.allocUnsafe(MAX_READ) });
    const { source, read } = await connectedPair(reader);
    const total = 3 * MiB + 123;
    source.end(pattern(0, total));
    await turns(20); // reads may arrive before start(): they wait for it
    const to = new HeldWritable();
    reader.start(read, { to, onBytes: () => {} });
    to.release();
    await once(read, 'end');
    expect(Buffer.concat(to.received).equals(pattern(0, total))).toBe(true);
  });

  it('carries a target socket through splice, ending the other side on a FIN', async () => {
    const reader = new SocketReader({ buffer: Buffer.allocUnsafe(MAX_READ) });
    const { source, read } = await connectedPair(reader);
    const chunks: Buffer[] = [];
    const sink = new Duplex({
      allowHalfOpen: true,
      read() {},
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    const finished = once(sink, 'finish');
    const spliced = splice(sink, read, { bReader: reader });
    source.end(pattern(0, MiB));
    await finished;
    expect(Buffer.concat(chunks).equals(pattern(0, MiB))).toBe(true);
    source.destroy();
    sink.destroy();
    const result = await spliced;
    expect(result.bToA).toBe(MiB);
  });
});
