// WebSocketDuplex against a raw `ws` peer: what goes on the wire (message
// batching, the EOF marker, close codes) and how the carrier reacts to a peer.
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { LEND_READS, MpxError, readBlocks } from '@mpx/core';
import { sharedReadBuffer } from '@mpx/transport-tcp';
import { seededRandom } from '@mpx/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer, type ServerOptions } from 'ws';
import { dialWebSocket, WebSocketClosedError, WebSocketDuplex } from '../src/index.js';
import { unmaskedHeader } from '../src/frames.js';
import { maskedBlockCounts } from '../src/masked-blocks.js';
import { acceptingListener, urlOf } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A plain ws server on 127.0.0.1: the peer the carrier talks to. */
async function rawPeer(options: ServerOptions = {}): Promise<{ carrier: WebSocketDuplex; peer: WebSocket }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await once(wss, 'listening');
  cleanups.push(() => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
  const connected = once(wss, 'connection') as Promise<[WebSocket]>;
  const carrier = await dialWebSocket({ url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/` });
  cleanups.push(() => void carrier.destroy());
  carrier.on('error', () => {});
  const [peer] = await connected;
  return { carrier, peer };
}

/** The binary messages the peer receives before the EOF marker (an empty message). */
function messagesUntilEof(peer: WebSocket): Promise<Buffer[]> {
  const messages: Buffer[] = [];
  return new Promise((resolve, reject) => {
    peer.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) reject(new Error('text message on the wire'));
      else if (data.length === 0) resolve(messages);
      else messages.push(data);
    });
  });
}

function closeOf(peer: WebSocket): Promise<{ code: number; reason: string }> {
  return (once(peer, 'close') as Promise<[number, Buffer]>).then(([code, reason]) => ({ code, reason: reason.toString() }));
}

describe('WebSocketDuplex writes', () => {
  it('sends a corked header and payload as one binary message', async () => {
    const { carrier, peer } = await rawPeer();
    const received = messagesUntilEof(peer);
    carrier.cork();
    carrier.write(Buffer.from('0c0000000000000000000001', 'hex'));
    carrier.write(Buffer.from('payload'));
    carrier.uncork();
    carrier.end();
    expect(await received).toEqual([Buffer.concat([Buffer.from('0c0000000000000000000001', 'hex'), Buffer.from('payload')])]);
  });

  it('batches every write queued while a send is in flight into the next message', async () => {
    const { carrier, peer } = await rawPeer();
    const received = messagesUntilEof(peer);
    const chunks = Array.from({ length: 100 }, (_, i) => Buffer.alloc(10, i));
    for (const chunk of chunks) carrier.write(chunk);
    carrier.end();
    const messages = await received;
    expect(messages.map((m) => m.length)).toEqual([10, 990]);
    expect(Buffer.concat(messages)).toEqual(Buffer.concat(chunks));
  });

  /** A client carrier (its frames masked) to a plain ws server, and what the server receives until the EOF marker. */
  async function clientToServer(maxMessageSize: number): Promise<{ carrier: WebSocketDuplex; received: Promise<Buffer[]> }> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    cleanups.push(() => {
      for (const client of wss.clients) client.terminate();
      wss.close();
    });
    const connected = once(wss, 'connection') as Promise<[WebSocket]>;
    const carrier = await dialWebSocket({ url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, maxMessageSize });
    cleanups.push(() => void carrier.destroy());
    const [peer] = await connected;
    return { carrier, received: messagesUntilEof(peer) };
  }

  it('cuts a large write into messages of at most maxMessageSize', async () => {
    const { carrier, received } = await clientToServer(1 << 20);
    const data = Buffer.alloc(3.5 * (1 << 20), 0x5a);
    carrier.end(data);
    const messages = await received;
    expect(messages.map((m) => m.length)).toEqual([1 << 20, 1 << 20, 1 << 20, 1 << 19]);
    expect(Buffer.concat(messages).equals(data)).toBe(true);
  });

  it('keeps every message of a batch within maxMessageSize: queued small writes and large ones, from the client side', async () => {
    const { carrier, received } = await clientToServer(4096);
    const chunks = [...Array.from({ length: 300 }, (_, i) => Buffer.alloc(100, i)), Buffer.alloc(50_000, 7), Buffer.alloc(3, 8)];
    carrier.cork();
    for (const chunk of chunks) carrier.write(chunk);
    carrier.uncork();
    carrier.end(Buffer.alloc(10_000, 9));
    const messages = await received;
    expect(Math.max(...messages.map((m) => m.length))).toBe(4096);
    expect(Buffer.concat(messages).equals(Buffer.concat([...chunks, Buffer.alloc(10_000, 9)]))).toBe(true);
  });

  it("keeps every message within the listener's maxMessageSize, from the server side", async () => {
    const { listener, next } = await acceptingListener({ host: '127.0.0.1', maxMessageSize: 2048 });
    cleanups.push(() => listener.closeAll());
    const peer = new WebSocket(urlOf(listener));
    cleanups.push(() => peer.terminate());
    const received = messagesUntilEof(peer);
    const { carrier } = await next();
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(i * 37, i));
    for (const chunk of chunks) carrier.write(chunk);
    carrier.end(Buffer.alloc(9000, 1));
    const messages = await received;
    expect(Math.max(...messages.map((m) => m.length))).toBe(2048);
    expect(Buffer.concat(messages).equals(Buffer.concat([...chunks, Buffer.alloc(9000, 1)]))).toBe(true);
  });

  it('masks each message into a reused block (masked-blocks.ts), given back once written and taken again by the next write', async () => {
    const { carrier, received } = await clientToServer(1 << 20);
    const data = Buffer.alloc(2.5 * (1 << 20));
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const half = data.length / 2;
    const before = maskedBlockCounts();
    await new Promise<void>((resolve, reject) => carrier.write(data.subarray(0, half), (err) => (err ? reject(err) : resolve())));
    const between = maskedBlockCounts();
    // 1.25 MiB in two messages (1 MiB, 256 KiB), each in a block, both back on the free lists.
    expect(between.allocated + between.reused - before.allocated - before.reused).toBe(2);
    expect(between.free - before.free).toBeGreaterThanOrEqual(Math.min(2, between.allocated - before.allocated));
    carrier.end(data.subarray(half));
    const messages = await received;
    expect(Buffer.concat(messages).equals(data)).toBe(true);
    expect(maskedBlockCounts().reused - between.reused).toBe(2);
  });
});

describe('WebSocketDuplex half-close (EOF marker)', () => {
  it('end() sends an empty message; the peer still writes back; both EOFs close the WebSocket with 1000', async () => {
    const { carrier, peer } = await rawPeer();
    const eof = messagesUntilEof(peer);
    carrier.end();
    await eof;
    const read: Buffer[] = [];
    carrier.on('data', (chunk: Buffer) => read.push(chunk));
    const ended = once(carrier, 'end');
    const carrierClosed = once(carrier, 'close');
    const peerClosed = closeOf(peer);
    peer.send(Buffer.from('reply'));
    peer.send(Buffer.alloc(0));
    await ended;
    expect(Buffer.concat(read).toString()).toBe('reply');
    expect((await peerClosed).code).toBe(1000);
    await carrierClosed;
    // The Duplex closes as soon as both sides are done; the close handshake may finish just after.
    if (carrier.ws.readyState !== WebSocket.CLOSED) await once(carrier.ws, 'close');
    expect(carrier.closeCode).toBe(1000);
  });

  it('fails with MPX_ERR_PROTOCOL on data after the peer EOF', async () => {
    const { carrier, peer } = await rawPeer();
    carrier.resume();
    const failed = once(carrier, 'error');
    peer.send(Buffer.alloc(0));
    peer.send(Buffer.from('too late'));
    const [err] = (await failed) as [MpxError];
    expect(err.code).toBe('MPX_ERR_PROTOCOL');
    expect((await closeOf(peer)).code).toBe(1008);
  });
});

type Given = { chunk: Buffer; kept: boolean | undefined; block: boolean; shared: boolean };

/** Borrows `carrier`'s reads as a session does; what it is given, in order. */
function borrow(carrier: WebSocketDuplex): Given[] {
  const given: Given[] = [];
  (carrier as WebSocketDuplex & { [LEND_READS](onChunk: (chunk: Uint8Array, kept?: boolean) => void): void })[LEND_READS]((chunk, kept) =>
    given.push({
      chunk: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
      kept,
      block: readBlocks.owns(chunk),
      shared: chunk.buffer === sharedReadBuffer.buffer,
    }),
  );
  return given;
}

const bytesGiven = (given: Given[]): number => given.reduce((n, g) => n + g.chunk.length, 0);
const patterned = (n: number, seed = 0): Buffer => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff));

/** A carrier accepted by a listener, and a plain ws client as its peer: the peer masks what it sends. */
async function rawClientPeer(): Promise<{ carrier: WebSocketDuplex; peer: WebSocket }> {
  const { listener, next } = await acceptingListener({ host: '127.0.0.1' });
  cleanups.push(() => listener.closeAll());
  const peer = new WebSocket(urlOf(listener));
  peer.on('error', () => {});
  const { carrier } = await next();
  carrier.on('error', () => {});
  if (peer.readyState !== WebSocket.OPEN) await once(peer, 'open');
  return { carrier, peer };
}

describe('WebSocketDuplex lends its reads (LEND_READS)', () => {
  it.each([
    ['the client side (plain frames)', rawPeer],
    ['the server side (masked frames)', rawClientPeer],
  ])('on %s, every later message comes in blocks of readBlocks to keep, in order; earlier ones stay data', async (_side, open) => {
    const { carrier, peer } = await open();
    const early = once(carrier, 'data') as Promise<[Buffer]>;
    peer.send(Buffer.from('early'));
    expect((await early)[0].toString()).toBe('early');

    const given = borrow(carrier);
    const messages = [patterned(3 * readBlocks.blockSize + 1000), Buffer.from('small'), patterned(70_000, 5), Buffer.from('x')];
    for (const m of messages) peer.send(m);
    const all = Buffer.concat(messages);
    await vi.waitFor(() => expect(bytesGiven(given)).toBe(all.length));
    expect(given.every((g) => g.kept === true)).toBe(true);
    // Bulk in reused blocks; only a small piece of a read (the 'small' and 'x' messages) as it came.
    expect(given.filter((g) => !g.block).every((g) => g.chunk.length < readBlocks.blockSize / 4)).toBe(true);
    expect(given.filter((g) => g.block).reduce((n, g) => n + g.chunk.length, 0)).toBeGreaterThan(3 * readBlocks.blockSize);
    expect(Buffer.concat(given.map((g) => g.chunk)).equals(all)).toBe(true);
    // A plain socket is read with onread (own-reads.ts): no 'data' listener left, and nothing given lies in the shared read buffer.
    expect((carrier.ws as unknown as { _socket: Socket })._socket.listenerCount('data')).toBe(0);
    expect(given.some((g) => g.shared)).toBe(false);
  });

  it('reads bulk into blocks where it lies, around pings and small messages, on both sides (seed 0x0bad)', async () => {
    for (const open of [rawPeer, rawClientPeer]) {
      const { carrier, peer } = await open();
      const given = borrow(carrier);
      const random = seededRandom(0x0bad);
      const messages: Buffer[] = [];
      let pongs = 0;
      peer.on('pong', () => pongs++);
      for (let i = 0; i < 40; i++) {
        const size = random() < 0.3 ? 1 + Math.floor(random() * 200) : 1 + Math.floor(random() * 300_000);
        const m = patterned(size, i);
        messages.push(m);
        peer.send(m);
        if (i % 7 === 3) peer.ping(Buffer.from(`p${i}`));
      }
      const all = Buffer.concat(messages);
      await vi.waitFor(() => expect(bytesGiven(given)).toBe(all.length), { timeout: 10_000 });
      await vi.waitFor(() => expect(pongs).toBe(6));
      expect(Buffer.concat(given.map((g) => g.chunk)).equals(all)).toBe(true);
      expect(given.some((g) => g.shared)).toBe(false);
      expect(given.every((g) => g.kept === true)).toBe(true);
    }
  });

  it('leaves pings, fragmented messages and the close handshake to ws', async () => {
    const { carrier, peer } = await rawClientPeer();
    const given = borrow(carrier);
    const pong = once(peer, 'pong') as Promise<[Buffer]>;
    peer.send(patterned(100, 1));
    peer.ping(Buffer.from('hi'));
    peer.send(patterned(30, 2), { fin: false });
    peer.send(patterned(40, 3), { fin: true });
    peer.send(patterned(50, 4));
    expect((await pong)[0].toString()).toBe('hi');
    const all = Buffer.concat([patterned(100, 1), patterned(30, 2), patterned(40, 3), patterned(50, 4)]);
    await vi.waitFor(() => expect(bytesGiven(given)).toBe(all.length));
    expect(Buffer.concat(given.map((g) => g.chunk)).equals(all)).toBe(true);

    const closed = once(carrier, 'close');
    carrier.resume();
    peer.close(1000);
    await closed;
    expect(carrier.closeCode).toBe(1000);
  });

  it.each([
    ['a text message', (peer: WebSocket) => peer.send('text'), 'MPX_ERR_PROTOCOL', 1003],
    [
      'a message after the end of stream',
      (peer: WebSocket) => (peer.send(Buffer.alloc(0)), peer.send(Buffer.from('late'))),
      'MPX_ERR_PROTOCOL',
      1008,
    ],
    ['a message over maxPayload', (peer: WebSocket) => peer.send(Buffer.alloc(2 * 1024 * 1024)), 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 1009],
  ])('fails on %s as before the borrow', async (_what, send, code, closeCode) => {
    const { carrier, peer } = await rawClientPeer();
    borrow(carrier);
    const failed = once(carrier, 'error') as Promise<[Error & { code: string }]>;
    const peerClosed = closeOf(peer);
    send(peer);
    expect((await failed)[0].code).toBe(code);
    expect((await peerClosed).code).toBe(closeCode);
  });

  it('ends on the end-of-stream marker, after the bytes before it', async () => {
    const { carrier, peer } = await rawPeer();
    const given = borrow(carrier);
    const ended = once(carrier, 'end');
    carrier.resume();
    peer.send(patterned(20_000));
    peer.send(Buffer.alloc(0));
    await ended;
    expect(bytesGiven(given)).toBe(20_000);
  });

  it('borrowed while ws is inside a frame, reads the socket itself from the next message on', async () => {
    const { carrier, peer } = await rawPeer();
    const receiver = (carrier.ws as unknown as { _receiver: { _bufferedBytes: number } })._receiver;
    const socket = (peer as unknown as { _socket: { write(b: Buffer): boolean } })._socket;
    const first = patterned(1000, 7);
    const wire = Buffer.concat([unmaskedHeader(first.length), first]);
    socket.write(wire.subarray(0, 500));
    await vi.waitFor(() => expect(receiver._bufferedBytes).toBeGreaterThan(0));
    const given = borrow(carrier);
    socket.write(wire.subarray(500));
    await vi.waitFor(() => expect(bytesGiven(given)).toBe(first.length));
    const then = patterned(20_000, 8);
    peer.send(then);
    await vi.waitFor(() => expect(bytesGiven(given)).toBe(first.length + then.length));
    // A message under a block that ws gives goes to the session as it is; one the carrier reads itself comes in a block.
    expect(given.map((g) => [g.chunk.length, g.block])).toEqual([
      [1000, false],
      [20_000, true],
    ]);
    expect(Buffer.concat(given.map((g) => g.chunk)).equals(Buffer.concat([first, then]))).toBe(true);
  });
});

describe('WebSocketDuplex reads', () => {
  it('rejects a text message with MPX_ERR_PROTOCOL and closes with 1003', async () => {
    const { carrier, peer } = await rawPeer();
    const failed = once(carrier, 'error');
    const peerClosed = closeOf(peer);
    peer.send('text is not allowed');
    const [err] = (await failed) as [MpxError];
    expect(err).toBeInstanceOf(MpxError);
    expect(err.code).toBe('MPX_ERR_PROTOCOL');
    expect(await peerClosed).toEqual({ code: 1003, reason: 'MPX_ERR_PROTOCOL' });
  });

  it('fails on a message above maxPayload and ws closes with 1009', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    cleanups.push(() => {
      for (const client of wss.clients) client.terminate();
      wss.close();
    });
    const connected = once(wss, 'connection') as Promise<[WebSocket]>;
    const carrier = await dialWebSocket({ url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, maxPayload: 1024 });
    const [peer] = await connected;
    const failed = once(carrier, 'error');
    const peerClosed = closeOf(peer);
    peer.send(Buffer.alloc(1025));
    const [err] = (await failed) as [Error & { code: string }];
    expect(err.code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    expect((await peerClosed).code).toBe(1009);
  });

  it('pauses the WebSocket while the reader is full and resumes it when read', async () => {
    const { listener, next } = await acceptingListener({ host: '127.0.0.1' });
    cleanups.push(() => listener.closeAll());
    const client = await dialWebSocket({ url: urlOf(listener) });
    cleanups.push(() => void client.destroy());
    const { carrier: server } = await next();
    const ws = server.ws;
    let markPaused: () => void = () => {};
    const paused = new Promise<void>((resolve) => (markPaused = resolve));
    const pause = ws.pause.bind(ws);
    ws.pause = () => {
      pause();
      markPaused();
    };
    let resumes = 0;
    const resume = ws.resume.bind(ws);
    ws.resume = () => {
      resumes++;
      resume();
    };

    const chunk = Buffer.alloc(64 * 1024, 0x42);
    let written = 0;
    let refused = 0;
    let isPaused = false;
    void paused.then(() => (isPaused = true));
    while (!isPaused) {
      if (written > 64 * 1024 * 1024) throw new Error('the reader never paused the WebSocket');
      written += chunk.length;
      if (!client.write(chunk)) {
        refused++;
        await Promise.race([once(client, 'drain'), paused]);
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(ws.isPaused).toBe(true);
    expect(server.readableLength).toBeGreaterThanOrEqual(server.readableHighWaterMark);

    let read = 0;
    server.on('data', (data: Buffer) => (read += data.length));
    client.end();
    await once(server, 'end');
    expect(read).toBe(written);
    expect(resumes).toBeGreaterThan(0);
  });
});

describe('WebSocketDuplex closing', () => {
  it('ends cleanly when the peer closes with 1000 without EOF', async () => {
    const { carrier, peer } = await rawPeer();
    const errors: Error[] = [];
    carrier.on('error', (err: Error) => errors.push(err));
    carrier.resume();
    const ended = once(carrier, 'end');
    const closed = once(carrier, 'close');
    peer.close(1000);
    await ended;
    await closed;
    expect(errors).toEqual([]);
    expect(carrier.closeCode).toBe(1000);
  });

  it('fails with MPX_ERR_CARRIER_CLOSED when the peer closes with 1011', async () => {
    const { carrier, peer } = await rawPeer();
    const failed = once(carrier, 'error');
    peer.close(1011, 'boom');
    const [err] = (await failed) as [MpxError];
    expect(err.code).toBe('MPX_ERR_CARRIER_CLOSED');
    expect(carrier.closeCode).toBe(1011);
    expect(carrier.closeReason).toBe('boom');
  });

  it('destroy(err) closes with the code for the error and its stable code as reason', async () => {
    const { carrier, peer } = await rawPeer();
    const peerClosed = closeOf(peer);
    carrier.destroy(new MpxError('MPX_ERR_AUTH_FAILED', 'bad mac'));
    expect(await peerClosed).toEqual({ code: 1008, reason: 'MPX_ERR_AUTH_FAILED' });
  });

  it('destroy() without an error drops the connection (the peer sees 1006)', async () => {
    const { carrier, peer } = await rawPeer();
    const peerClosed = closeOf(peer);
    carrier.destroy();
    expect((await peerClosed).code).toBe(1006);
  });

  it('fails a write made while the peer closes with the close code, not with "closing" (the first cause wins)', async () => {
    const { carrier, peer } = await rawPeer();
    const failed = once(carrier, 'error') as Promise<[WebSocketClosedError]>;
    carrier.cork();
    carrier.write(Buffer.alloc(1000));
    // Once ws has the close frame (its 'conclude' listener ran first), the WebSocket is CLOSING: write then.
    const receiver = (carrier.ws as unknown as { _receiver: NodeJS.EventEmitter })._receiver;
    receiver.once('conclude', () => {
      expect(carrier.ws.readyState).toBe(WebSocket.CLOSING);
      carrier.uncork();
    });
    peer.close(1009);
    const [err] = await failed;
    expect(err).toBeInstanceOf(WebSocketClosedError);
    expect(err.code).toBe('MPX_ERR_CARRIER_CLOSED');
    expect(err.closeCode).toBe(1009);
    expect(err.message).toBe('closed by the peer with 1009 (message too big)');
  });

  it("fails with 1006 when the connection closes without a close frame before the peer's EOF", async () => {
    const { carrier, peer } = await rawPeer();
    carrier.resume();
    const failed = once(carrier, 'error') as Promise<[WebSocketClosedError]>;
    peer.terminate();
    const [err] = await failed;
    expect(err.closeCode).toBe(1006);
    expect(err.message).toBe('the connection closed without a WebSocket close frame (1006)');
  });

  it("ends cleanly when the connection closes without a close frame after the peer's EOF", async () => {
    const { carrier, peer } = await rawPeer();
    const errors: Error[] = [];
    carrier.on('error', (err) => errors.push(err));
    carrier.resume();
    const ended = once(carrier, 'end');
    peer.send(Buffer.alloc(0), () => peer.terminate());
    await ended;
    await once(carrier, 'close');
    expect(carrier.closeCode).toBe(1006);
    expect(errors).toEqual([]);
  });

  it("fails a write cut by the peer's socket closing with the close code, not the socket error", async () => {
    const { carrier, peer } = await rawPeer();
    const failed = once(carrier, 'error') as Promise<[WebSocketClosedError]>;
    (peer as unknown as { _socket: Socket })._socket.destroy();
    // Writes keep coming until the carrier fails: the last ones meet a socket that is going.
    const writeMore = (): void => {
      if (!carrier.destroyed) carrier.write(Buffer.alloc(64 * 1024), () => setImmediate(writeMore));
    };
    writeMore();
    const [err] = await failed;
    expect(err).toBeInstanceOf(WebSocketClosedError);
    expect(err.closeCode).toBe(1006);
  });

  it('fails writes still queued when the WebSocket closes with MPX_ERR_CARRIER_CLOSED', async () => {
    const { carrier, peer } = await rawPeer();
    carrier.resume();
    carrier.cork(); // holds the write in the Duplex buffer until the close ends the writable side
    const written = new Promise<Error | null | undefined>((resolve) => carrier.write(Buffer.from('late'), resolve));
    peer.close(1000);
    const err = (await written) as MpxError;
    expect(err.code).toBe('MPX_ERR_CARRIER_CLOSED');
  });

  it('refuses a WebSocket that is not open yet', () => {
    const ws = new WebSocket('ws://127.0.0.1:9/');
    ws.on('error', () => {});
    expect(() => new WebSocketDuplex(ws)).toThrow(expect.objectContaining({ code: 'MPX_ERR_INVALID_ARGUMENT' }));
    ws.terminate();
  });

  it('refuses an open WebSocket whose socket it cannot write frames to', () => {
    // What a WebSocket that did not come from ws 8 looks like to the carrier.
    const fake = Object.create(WebSocket.prototype) as WebSocket;
    Object.defineProperty(fake, 'readyState', { value: WebSocket.OPEN });
    expect(() => new WebSocketDuplex(fake)).toThrow(expect.objectContaining({ code: 'MPX_ERR_INVALID_ARGUMENT' }));
  });
});
