// SocketReader: a socket read with `onread` into a reused buffer, copies
// handed to a destination, reading stopped as soon as the destination pushes
// back; bulk reads go into memory of their own and are handed on uncopied.
import { once } from 'node:events';
import * as net from 'node:net';
import { Duplex, Writable } from 'node:stream';
import { readAcceptedWith } from '@mpx/transport-tcp';
import { afterEach, describe, expect, it } from 'vitest';
import { splice } from '../src/pipe.js';
import { MAX_READ, MIN_READ, SocketReader, type ReadMemory } from '../src/socket-reader.js';

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

/** ReadMemory that counts what it lends and gets back, and which of its buffers were copied into. */
class CountingMemory implements ReadMemory {
  taken = 0;
  released = 0;
  readonly buffers = new Set<ArrayBufferLike>();
  readonly copiedInto = new Set<ArrayBufferLike>();

  take(n: number): Buffer {
    const b = Buffer.allocUnsafeSlow(n);
    this.taken += n;
    this.buffers.add(b.buffer);
    const copied = this.copiedInto;
    b.set = function (this: Buffer, ...args: Parameters<Uint8Array['set']>) {
      copied.add(this.buffer);
      Uint8Array.prototype.set.apply(this, args);
    };
    return b;
  }

  release(bytes: Uint8Array): void {
    expect(this.buffers.has(bytes.buffer)).toBe(true);
    this.released += bytes.byteLength;
  }
}

/** A destination that keeps every chunk it is given as it is. */
function keepingWritable(chunks: Buffer[]): Writable {
  return new Writable({
    highWaterMark: 64 * MiB,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
}

const servers: net.Server[] = [];

/** A reader with ample room and a CountingMemory, started on a loopback pair, handing reads to `chunks` as they are. */
async function readingInto(): Promise<{ memory: CountingMemory; source: net.Socket; read: net.Socket; chunks: Buffer[] }> {
  const memory = new CountingMemory();
  const reader = new SocketReader({ room: () => 1 << 30, buffer: Buffer.allocUnsafe(MAX_READ), memory });
  const { source, read } = await connectedPair(reader);
  const chunks: Buffer[] = [];
  reader.start(read, { to: keepingWritable(chunks), onBytes: () => {} });
  return { memory, source, read, chunks };
}
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

  it('reads bulk straight into memory of its own and hands it on uncopied; the memory it leaves unfilled goes back', async () => {
    const { memory, source, read, chunks } = await readingInto();
    const total = 8 * MiB + 5;
    source.end(pattern(0, total));
    await once(read, 'end');
    expect(Buffer.concat(chunks).equals(pattern(0, total))).toBe(true);
    // Every byte handed on lies in memory taken for it, and nothing else taken is still out.
    expect(memory.taken - memory.released).toBe(total);
    expect(chunks.every((c) => memory.buffers.has(c.buffer))).toBe(true);
    const inPlace = chunks.filter((c) => !memory.copiedInto.has(c.buffer));
    expect(inPlace.every((c) => c.byteOffset === 0)).toBe(true);
    // How many reads fill their buffer depends on how fast the source writes
    // against how fast the reader reads (one process, a loaded machine): more
    // than one read's worth came in place, whatever the pace.
    expect(inPlace.reduce((n, c) => n + c.byteLength, 0)).toBeGreaterThan(MAX_READ);
    expect(Math.min(...inPlace.map((c) => c.byteLength))).toBeGreaterThanOrEqual(MAX_READ / 4);
  });

  it('copies what an interactive socket sends: reads that do not fill their buffer never hold memory of their own', async () => {
    const { memory, source, chunks } = await readingInto();
    let sent = 0;
    for (let i = 0; i < 20; i++) {
      source.write(pattern(sent, 100 + i));
      sent += 100 + i;
      for (let t = 0; t < 1000 && chunks.reduce((n, c) => n + c.length, 0) < sent; t++) await turns(1);
    }
    expect(Buffer.concat(chunks).equals(pattern(0, sent))).toBe(true);
    expect(chunks.every((c) => memory.copiedInto.has(c.buffer))).toBe(true);
    expect(memory.taken - memory.released).toBe(sent);
  });

  /** Splices `read` (read by `reader`) with a sink on side `side`, sends 1 MiB from `source` with a FIN, and checks what the sink got. */
  async function carryThroughSplice(reader: SocketReader, source: net.Socket, read: net.Socket, side: 'a' | 'b'): Promise<void> {
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
    const spliced = side === 'b' ? splice(sink, read, { bReader: reader }) : splice(read, sink, { aReader: reader });
    source.end(pattern(0, MiB));
    await finished;
    expect(Buffer.concat(chunks).equals(pattern(0, MiB))).toBe(true);
    source.destroy();
    sink.destroy();
    const result = await spliced;
    expect(side === 'b' ? result.bToA : result.aToB).toBe(MiB);
  }

  it('carries a target socket through splice, ending the other side on a FIN', async () => {
    const reader = new SocketReader({ buffer: Buffer.allocUnsafe(MAX_READ) });
    const { source, read } = await connectedPair(reader);
    await carryThroughSplice(reader, source, read, 'b');
  });

  it("reads an accepted socket given its onread (the client's local connections) through splice as side a", async () => {
    const reader = new SocketReader({ buffer: Buffer.allocUnsafe(MAX_READ) });
    const server = net.createServer({ allowHalfOpen: true });
    servers.push(server);
    const given = new Promise<boolean>((resolve) =>
      server.on('connection', (socket: net.Socket) => resolve(readAcceptedWith(socket, reader.onread))),
    );
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const source = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, allowHalfOpen: true });
    const [read] = await accepted;
    sockets.push(source, read);
    expect(await given).toBe(true);
    await carryThroughSplice(reader, source, read, 'a');
  });
});
