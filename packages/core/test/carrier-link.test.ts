// The carrier link's I/O shell over an in-memory pair: the explicit handoff
// from one host to the next, and its end timer on the injected clock.
import { Duplex } from 'node:stream';
import { createMemoryPair, randomBytes, seededRandom } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { NO_HOST, type CarrierHost } from '../src/carrier-api.js';
import { CarrierLink, END_TIMEOUT_MS } from '../src/carrier-link.js';
import { AHEAD_OF_CAP_BYTES, FrameType, MAX_ACK_DELAY_MS, NONCE_SIZE, WireCode } from '../src/constants.js';
import { FrameDecoder } from '../src/decode.js';
import { readBlocks } from '../src/read-blocks.js';
import { GATHER_READS, LEND_READS, type LendsReads } from '../src/transport.js';
import { encodeFrame } from '../src/encode.js';
import { COPY_MAX } from '../src/turn-buffer.js';
import type { Frame } from '../src/frame.js';
import { ManualClock, dataBytes, turn } from './hardening.helpers.js';

function linkOn(clock: ManualClock, lend?: (socket: Duplex) => void): { link: CarrierLink; peer: Duplex } {
  const { a, b } = createMemoryPair();
  lend?.(a);
  b.on('error', () => {});
  return { link: linkOver(a, clock), peer: b };
}

function linkOver(socket: Duplex, clock: ManualClock): CarrierLink {
  // Pings and liveness are pushed far out so that only the timers under test run.
  return new CarrierLink(socket, {
    maxFrame: 65536,
    writeBuffer: 65536,
    maxInFlight: 1 << 24,
    pingIntervalMs: 3_600_000,
    deadAfterMs: 7_200_000,
    clock,
  });
}

/** A socket that records each write it is given (a writev of corked chunks counts as one), as `record` makes of its chunks. */
function writeRecorder<T>(record: (chunks: Buffer[]) => T): { socket: Duplex; writes: T[] } {
  const writes: T[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      writes.push(record([chunk]));
      callback();
    },
    writev(chunks, callback) {
      writes.push(record(chunks.map((c) => c.chunk as Buffer)));
      callback();
    },
  });
  return { socket, writes };
}

function framesOf(chunks: readonly Uint8Array[]): Frame[] {
  const decoder = new FrameDecoder({ maxFrame: 65536 });
  for (const c of chunks) decoder.push(c);
  const frames: Frame[] = [];
  for (let f = decoder.next(); f !== null; f = decoder.next()) frames.push(f);
  return frames;
}

/** Each write as the frames in it. */
const recordingSocket = (): { socket: Duplex; writes: Frame[][] } => writeRecorder(framesOf);
/** An open link over a socket that records each write as its chunks. */
function openLinkRecordingChunks(): { link: CarrierLink; writes: Buffer[][] } {
  const { socket, writes } = writeRecorder((chunks) => chunks);
  const link = linkOver(socket, new ManualClock());
  link.open();
  return { link, writes };
}

function recordingHost(frames: Frame[], closes: unknown[] = []): CarrierHost {
  return { ...NO_HOST, onFrame: (_link, frame) => frames.push(frame), onClose: (_link, err) => closes.push(err) };
}

const challenge = (): Frame => ({ type: FrameType.CHALLENGE, minVersion: 1, maxVersion: 1, nonce: new Uint8Array(NONCE_SIZE) });

function write(peer: Duplex, frame: Frame): void {
  for (const chunk of encodeFrame(frame)) peer.write(chunk);
}

describe('CarrierLink', () => {
  it('reports frames to the host set last, and to no earlier one', async () => {
    const clock = new ManualClock();
    const { link, peer } = linkOn(clock);
    const first: Frame[] = [];
    const second: Frame[] = [];
    link.setHost(recordingHost(first));
    write(peer, challenge());
    await turn();
    expect(first.map((f) => f.type)).toEqual([FrameType.CHALLENGE]);
    link.setHost(recordingHost(second));
    write(peer, challenge());
    await turn();
    expect(first).toHaveLength(1);
    expect(second.map((f) => f.type)).toEqual([FrameType.CHALLENGE]);
    link.destroy();
  });

  /** A link over a carrier that lends its reads, the frames it reports, and `lend` to hand it a read; open (past the handshake) if asked. */
  function linkLending(open = false) {
    let lender: ((chunk: Uint8Array, kept?: boolean) => void) | undefined;
    const { link } = linkOn(new ManualClock(), (socket) => {
      (socket as Duplex & LendsReads)[LEND_READS] = (onChunk) => (lender = onChunk);
    });
    const frames: Frame[] = [];
    link.setHost(recordingHost(frames));
    if (open) link.open();
    return { link, frames, lend: (chunk: Uint8Array, kept?: boolean) => lender?.(chunk, kept) };
  }

  /** linkLending() in its handshake, and a CHALLENGE then a DATA frame of `payload` as bytes. */
  function lendingLink() {
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const data: Frame = { type: FrameType.DATA, streamId: 1, offset: 0, syn: true, fin: false, payload };
    const bytes = Buffer.concat([...encodeFrame(challenge()), ...encodeFrame(data)]);
    return { ...linkLending(), payload, bytes };
  }

  it('parses reads lent by the carrier in place, and what it hands on survives the reuse of the read buffer', () => {
    const { link, frames, payload, bytes, lend } = lendingLink();
    const read = Buffer.alloc(bytes.length);
    for (const [from, to] of [
      [0, 30],
      [30, 95],
      [95, bytes.length],
    ] as const) {
      bytes.copy(read, 0, from, to);
      lend(read.subarray(0, to - from));
      read.fill(0xee); // the next read overwrites the buffer
    }
    expect(frames.map((f) => f.type)).toEqual([FrameType.CHALLENGE, FrameType.DATA]);
    const got = frames[1] as Frame & { type: typeof FrameType.DATA };
    expect({ streamId: got.streamId, syn: got.syn }).toEqual({ streamId: 1, syn: true });
    expect(Buffer.from(got.payload).equals(payload)).toBe(true);
    link.destroy();
  });

  /** A link over a carrier whose reads are gathered per turn (GATHER_READS, a TLS socket), open, and its frames. */
  function gatheringLink() {
    const { a: socket, b: peer } = createMemoryPair();
    peer.on('error', () => {});
    Object.defineProperty(socket, GATHER_READS, { value: true });
    const link = linkOver(socket, new ManualClock());
    const frames: Frame[] = [];
    link.setHost(recordingHost(frames));
    link.open();
    return { link, frames, socket };
  }

  /** The bytes of DATA frames on stream 1 carrying `sizes` bytes one after another, as reads of those frames. */
  function dataReads(sizes: number[]): Buffer[] {
    let offset = 0;
    return sizes.map((n, i) => {
      const payload = Buffer.alloc(n, i + 1);
      const bytes = Buffer.concat(encodeFrame({ type: FrameType.DATA, streamId: 1, offset, syn: offset === 0, fin: false, payload }));
      offset += n;
      return bytes;
    });
  }

  it('gathers the reads of a turn that brings a full TLS record, and reads them together at its end, in order', async () => {
    const { link, frames, socket } = gatheringLink();
    const reads = dataReads([16384, 16384, 100]);
    for (const read of reads) socket.emit('data', read);
    expect(frames).toEqual([]);
    await turn();
    expect(frames.map((f) => (f.type === FrameType.DATA ? f.payload.byteLength : -1))).toEqual([16384, 16384, 100]);
    link.destroy();
  });

  it('reads a smaller read with nothing gathered before it at once: a request waits for nothing', () => {
    const { link, frames, socket } = gatheringLink();
    socket.emit('data', dataReads([300])[0]);
    expect(frames.map((f) => f.type)).toEqual([FrameType.DATA]);
    link.destroy();
  });

  it('reads what it gathered before the end of the stream', () => {
    const { link, frames, socket } = gatheringLink();
    for (const read of dataReads([16384, 5])) socket.emit('data', read);
    socket.emit('end');
    expect(frames.map((f) => (f.type === FrameType.DATA ? f.payload.byteLength : -1))).toEqual([16384, 5]);
    link.destroy();
  });

  it('keeps a read given to keep: a DATA payload that fills a quarter of it is handed on as a view of it, not copied', () => {
    const { link, frames, payload, bytes, lend } = lendingLink();
    const read = Buffer.allocUnsafeSlow(bytes.length); // memory of its own, not a slice of Node's pool
    bytes.copy(read);
    lend(read, true);
    expect(frames.map((f) => f.type)).toEqual([FrameType.CHALLENGE, FrameType.DATA]);
    const got = frames[1] as Frame & { type: typeof FrameType.DATA };
    expect(got.payload.buffer).toBe(read.buffer);
    expect(Buffer.from(got.payload).equals(payload)).toBe(true);
    link.destroy();
  });

  it('reads into blocks of readBlocks again only once no payload handed on from them is still held (seed 0x5eed0014)', () => {
    // Kept reads are blocks of the process's pool. The test holds the payloads
    // handed on for a while, releases them in a random order, and checks each
    // just before its release; every block taken is first filled with 0xEE,
    // so a block read into while a payload of it is held would show.
    const random = seededRandom(0x5eed0014);
    const { link, frames, lend } = linkLending(true);
    const sent = randomBytes(random, 3 * 1024 * 1024);
    const encoded: Uint8Array[] = [];
    for (let at = 0; at < sent.length;) {
      const n = Math.min(sent.length - at, random() < 0.8 ? 16384 : 1 + Math.floor(random() * 16384));
      encoded.push(...encodeFrame({ type: FrameType.DATA, streamId: 1, offset: at, syn: at === 0, fin: false, payload: sent.subarray(at, at + n) }));
      at += n;
    }
    const bytes = Buffer.concat(encoded);
    const held: { view: Uint8Array; at: number }[] = [];
    const releaseOne = (i: number): void => {
      const [{ view, at }] = held.splice(i, 1) as [{ view: Uint8Array; at: number }];
      expect(Buffer.from(view).equals(sent.subarray(at, at + view.byteLength))).toBe(true);
      readBlocks.release(view);
    };
    const before = { allocated: readBlocks.allocated, reused: readBlocks.reused };
    let seen = 0;
    let received = 0;
    for (let at = 0; at < bytes.length;) {
      const n = Math.min(bytes.length - at, random() < 0.7 ? readBlocks.blockSize : 1 + Math.floor(random() * readBlocks.blockSize));
      const block = readBlocks.take();
      block.fill(0xee);
      bytes.copy(block, 0, at, at + n);
      at += n;
      lend(block.subarray(0, n), true);
      for (; seen < frames.length; seen++) {
        const frame = frames[seen]!;
        if (frame.type !== FrameType.DATA) continue;
        held.push({ view: frame.payload, at: frame.offset });
        if (frame.rest !== undefined) held.push({ view: frame.rest, at: frame.offset + frame.payload.byteLength });
        received += frame.payload.byteLength + (frame.rest?.byteLength ?? 0);
      }
      // Release some of what is held, in a random order: up to a few reads' worth stays held.
      while (held.length > 0 && (held.length > 12 || random() < 0.6)) releaseOne(Math.floor(random() * held.length));
    }
    while (held.length > 0) releaseOne(held.length - 1);
    expect(received).toBe(sent.length);
    // The blocks were read into again: most reads reused one (the first dozen or so needed new ones).
    expect(readBlocks.reused - before.reused).toBeGreaterThan(readBlocks.allocated - before.allocated);
    link.destroy();
  });

  it('gives a kept block back once a lent read after it completes the frame it held', () => {
    const { link, frames, lend } = linkLending(true);
    const payload = randomBytes(seededRandom(0x5eed0016), 16384);
    const bytes = Buffer.concat(encodeFrame({ type: FrameType.DATA, streamId: 1, offset: 0, syn: true, fin: false, payload }));
    const block = readBlocks.take();
    bytes.copy(block, 0, 0, 5000);
    lend(block.subarray(0, 5000), true);
    expect(frames).toEqual([]);
    const free = readBlocks.free;
    const read = Buffer.from(bytes.subarray(5000));
    lend(read, false); // lent: the frame is copied out of both reads
    read.fill(0xee);
    expect(frames).toHaveLength(1);
    expect(Buffer.from((frames[0] as Frame & { type: typeof FrameType.DATA }).payload).equals(payload)).toBe(true);
    expect(readBlocks.free).toBe(free + 1);
    expect(readBlocks.take().buffer).toBe(block.buffer);
    link.destroy();
  });

  it('cuts off a peer that never ends its side END_TIMEOUT_MS after ours ended, on the injected clock', async () => {
    const clock = new ManualClock();
    const { link } = linkOn(clock);
    const closes: unknown[] = [];
    link.setHost(recordingHost([], closes));
    link.close();
    await turn();
    expect(clock.pending).toBe(1);
    clock.advance(END_TIMEOUT_MS - 1);
    await turn();
    expect(closes).toHaveLength(0);
    expect(link.state).toBe('closing');
    clock.advance(1);
    await turn();
    expect(link.state).toBe('closed');
    expect(closes).toEqual([undefined]);
    expect(clock.pending).toBe(0);
  });

  it('writes the frames of one turn, sent from separate ticks, in one write, with the owed ACK after them (SPEC §9)', async () => {
    const clock = new ManualClock();
    const { socket, writes } = recordingSocket();
    const link = linkOver(socket, clock);
    link.setHost(recordingHost([]));
    link.open();
    // A lone counted frame arrives: its ACK waits for company (or MAX_ACK_DELAY_MS).
    socket.push(dataBytes(1, 0, Buffer.from('request'), 0x01));
    await turn();
    expect(writes).toEqual([]);
    const timers = clock.pending;
    link.send({ type: FrameType.WINDOW, streamId: 1, maxOffset: 100 });
    await new Promise<void>((resolve) => process.nextTick(resolve));
    link.send({ type: FrameType.WINDOW, streamId: 3, maxOffset: 200 });
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual([
      [
        { type: FrameType.WINDOW, streamId: 1, maxOffset: 100 },
        { type: FrameType.WINDOW, streamId: 3, maxOffset: 200 },
        { type: FrameType.ACK, count: 1 },
      ],
    ]);
    // The ACK's delay timer finds nothing due when it fires, and ends.
    clock.advance(MAX_ACK_DELAY_MS);
    await turn();
    expect(writes).toHaveLength(1);
    expect(clock.pending).toBe(timers - 1);
    link.destroy();
  });

  it('stamps its ACKs with its clock in microseconds, from a random origin, on a carrier of version 2, and not on one of version 1 (SPEC §5.4)', async () => {
    const stamps: number[] = [];
    for (const version of [1, 2, 2]) {
      const clock = new ManualClock();
      const { socket, writes } = recordingSocket();
      const link = linkOver(socket, clock);
      link.setHost(recordingHost([]));
      link.open(version);
      socket.push(Buffer.concat([dataBytes(1, 0, Buffer.from('a'), 0x01), dataBytes(1, 1, Buffer.from('b'))]));
      await turn();
      await turn();
      clock.advance(1234.5678);
      socket.push(Buffer.concat([dataBytes(1, 2, Buffer.from('c')), dataBytes(1, 3, Buffer.from('d'))]));
      await turn();
      await turn();
      const acks = writes.flat();
      if (version === 1) {
        expect(acks).toEqual([
          { type: FrameType.ACK, count: 2 },
          { type: FrameType.ACK, count: 4 },
        ]);
      } else {
        expect(acks).toEqual([
          { type: FrameType.ACK, count: 2, stamp: expect.any(Number) },
          { type: FrameType.ACK, count: 4, stamp: expect.any(Number) },
        ]);
        const [first, second] = acks as Array<{ stamp: number }>;
        expect(second!.stamp - first!.stamp).toBe(1_234_567);
        expect(first!.stamp).toBeLessThan(2 ** 47);
        stamps.push(first!.stamp);
      }
      link.destroy();
    }
    expect(stamps[0]).not.toBe(stamps[1]); // the same clock, two carriers: two origins
  });

  it('fails a carrier whose peer stamps its ACKs on version 1, or leaves them unstamped on version 2, with PROTOCOL', async () => {
    for (const [version, ack] of [
      [1, { type: FrameType.ACK, count: 0, stamp: 5 }],
      [2, { type: FrameType.ACK, count: 0 }],
    ] as const) {
      const { socket, writes } = recordingSocket();
      const link = linkOver(socket, new ManualClock());
      link.setHost(recordingHost([]));
      link.open(version);
      for (const chunk of encodeFrame(ack)) socket.push(chunk);
      await turn();
      await turn();
      expect(link.state).toBe('closing');
      expect(writes.flat()).toEqual([expect.objectContaining({ type: FrameType.CLOSE, code: WireCode.PROTOCOL })]);
      link.destroy();
    }
  });

  it('takes a stamped ACK’s one-way delay above the lowest one as time spent behind the peer’s data, when its data came with it (SPEC §8)', async () => {
    const clock = new ManualClock();
    const { link, peer } = linkOn(clock);
    link.setHost(recordingHost([]));
    link.open(2);
    // The peer's clock reads 1 s ahead of ours; its first ACK takes 10 ms one
    // way, the next ones 30 ms more.
    const ackAfter = (count: number, rtt: number, oneWay: number, data: number): void => {
      link.send({ type: FrameType.DATA, streamId: 1, offset: count, payload: Buffer.from('x'), syn: count === 0, fin: false });
      clock.advance(rtt);
      if (data > 0) peer.write(dataBytes(2, 0, Buffer.alloc(data), 0x01));
      write(peer, { type: FrameType.ACK, count: count + 1, stamp: (clock.now() + 1000 - oneWay) * 1000 });
    };
    ackAfter(0, 20, 10, 0);
    await turn();
    expect(link.estimator.reverseWait).toBe(0);
    // Alone (no data of the peer's before it): the delay is the path's, not a wait behind data.
    ackAfter(1, 50, 40, 0);
    await turn();
    expect(link.estimator.reverseWait).toBe(0);
    // Behind 16 KiB of the peer's data: 30 ms of reverse wait, averaged with weight 1/8.
    ackAfter(2, 50, 40, 16 * 1024);
    await turn();
    expect(link.estimator.reverseWait).toBeCloseTo(30 / 8, 6);
    link.destroy();
  });

  it('gathers the small frames of a turn into one chunk and writes a payload above COPY_MAX uncopied, in send order', async () => {
    const { link, writes } = openLinkRecordingChunks();
    const big = Buffer.alloc(COPY_MAX + 1, 0x62);
    const sent: Frame[] = [
      { type: FrameType.DATA, streamId: 1, offset: 0, payload: Buffer.from('small one'), syn: true, fin: false },
      { type: FrameType.WINDOW, streamId: 3, maxOffset: 500 },
      { type: FrameType.DATA, streamId: 5, offset: 7, payload: big, syn: false, fin: false },
      { type: FrameType.DATA, streamId: 1, offset: 9, payload: Buffer.alloc(COPY_MAX, 0x61), syn: false, fin: true },
    ];
    for (const frame of sent) link.send(frame);
    await turn();
    expect(writes).toHaveLength(1);
    const chunks = writes[0] as Buffer[];
    expect(chunks).toHaveLength(3); // frames 1–2 and frame 3's header; frame 3's payload; frame 4
    expect(chunks[1]).toBe(big);
    expect(framesOf(chunks)).toEqual(sent);
    link.destroy();
  });

  it('at its in-flight cap takes no more frames, but takes frames ahead of the cap up to AHEAD_OF_CAP_BYTES more (SPEC §8)', async () => {
    const { link } = openLinkRecordingChunks();
    const frame = (offset: number): Frame => ({
      type: FrameType.DATA,
      streamId: 1,
      offset,
      payload: Buffer.alloc(16 * 1024 - 20),
      syn: false,
      fin: false,
    });
    // Nothing measured: the cap is MIN_INFLIGHT_CAP (64 KiB), four frames of 16 KiB.
    for (let i = 0; i < 4; i++) link.send(frame(i));
    await turn();
    expect(link.writable).toBe(false);
    expect(link.aheadWait).toBeLessThan(Number.POSITIVE_INFINITY); // still takes a frame ahead of its cap
    expect(link.send({ type: FrameType.DATA, streamId: 3, offset: 0, payload: Buffer.alloc(AHEAD_OF_CAP_BYTES - 20), syn: true, fin: false })).toBe(
      false,
    );
    await turn();
    expect(link.aheadWait).toBe(Number.POSITIVE_INFINITY); // takes none
    link.destroy();
  });

  it('keeps nothing of a frame with a bad field: it throws, and the frames around it arrive intact', async () => {
    const { link, writes } = openLinkRecordingChunks();
    const good: Frame = { type: FrameType.DATA, streamId: 1, offset: 0, payload: Buffer.from('ok'), syn: true, fin: false };
    link.send(good);
    expect(() => link.send({ type: FrameType.DATA, streamId: 0, offset: 0, payload: Buffer.from('bad'), syn: false, fin: false })).toThrow(
      expect.objectContaining({ code: 'MPX_ERR_INVALID_ARGUMENT' }),
    );
    link.send({ ...good, offset: 2, syn: false });
    await turn();
    expect(framesOf(writes.flat())).toEqual([good, { ...good, offset: 2, syn: false }]);
    link.destroy();
  });
});
