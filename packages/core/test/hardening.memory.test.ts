// Issue 6, item 2: memory follows the credit (SPEC §7), whatever the sizes and
// chunking of the peer's frames. Credit counts payload bytes; these tests
// check that what those bytes cost (stored pieces, pinned read buffers, queued
// chunks) stays close to them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameType, WireCode } from '../src/constants.js';
import type { MpxError } from '../src/errors.js';
import { FrameDecoder } from '../src/decode.js';
import { ON_HEAP_MAX } from '../src/read-blocks.js';
import { ReorderBuffer } from '../src/reorder-buffer.js';
import { MpxServer } from '../src/server.js';
import type { Session } from '../src/session.js';
import type { MpxStream } from '../src/stream.js';
import { eventually } from './harness.js';
import type { RawPeer } from './raw-peer.js';
import { dataBytes, heapAfterGc, joinedRawPeer, resetBytes, turn } from './hardening.helpers.js';

const MiB = 1024 * 1024;

/** Bytes held in ArrayBuffers (outside the JS heap), after a full gc. */
function arrayBuffersAfterGc(): number {
  heapAfterGc();
  return process.memoryUsage().arrayBuffers;
}

describe('reorder buffer: memory per buffered byte', () => {
  it('copies a small piece that would pin a large read buffer', () => {
    const rb = new ReorderBuffer();
    const read = new Uint8Array(64 * 1024);
    read[100] = 42;
    rb.insert(1, read.subarray(100, 101)); // out of order: it waits
    rb.insert(0, Uint8Array.of(7));
    const first = rb.read()!;
    // Joined with its neighbour into a fresh 2-byte piece, not a view of `read`.
    expect([...first]).toEqual([7, 42]);
    expect(first.buffer.byteLength).toBeLessThan(64);
  });

  it('keeps an honest 16 KiB payload from a 64 KiB read as a view (no copy)', () => {
    const rb = new ReorderBuffer();
    const read = new Uint8Array(64 * 1024);
    const payload = read.subarray(20, 20 + 16 * 1024);
    rb.insert(0, payload);
    expect(rb.read()!.buffer).toBe(read.buffer);
  });

  it('joins neighbouring tiny pieces: 100 000 one-byte pieces behind a gap make few pieces', () => {
    const rb = new ReorderBuffer();
    const shared = new Uint8Array(1); // one backing buffer, so only object overhead is measured
    for (let offset = 1; offset <= 100_000; offset++) rb.insert(offset, shared);
    expect(rb.bufferedBytes).toBe(100_000);
    expect(rb.pieceCount).toBeLessThanOrEqual(Math.ceil((2 * 100_000) / 4096) + 1);
    rb.insert(0, shared);
    let n = 0;
    for (let c = rb.read(); c !== null; c = rb.read()) n += c.length;
    expect(n).toBe(100_001);
  });

  it('keeps at most one piece per 2 KiB buffered, plus one per gap, under random tiny inserts (fixed seed)', () => {
    const op = fc.oneof(
      { weight: 9, arbitrary: fc.record({ offset: fc.integer({ min: 0, max: 30_000 }), length: fc.integer({ min: 1, max: 64 }) }) },
      { weight: 1, arbitrary: fc.constant('read' as const) },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 3000 }), (ops) => {
        const content = new Uint8Array(30_100).map((_, i) => (i * 7) & 0xff);
        const rb = new ReorderBuffer();
        const delivered: number[] = [];
        for (const o of ops) {
          if (o === 'read') {
            for (let c = rb.read(); c !== null; c = rb.read()) delivered.push(...c);
          } else {
            try {
              rb.insert(o.offset, content.subarray(o.offset, o.offset + o.length));
            } catch {
              continue; // over the gap cap: PROTOCOL, nothing stored
            }
          }
          expect(rb.pieceCount).toBeLessThanOrEqual(Math.floor((2 * rb.bufferedBytes) / 4096) + rb.gapCount + 1);
        }
        expect(delivered).toEqual([...content.subarray(0, delivered.length)]);
      }),
      { seed: 0x6d70_6d65, numRuns: 40 },
    );
  });
});

describe('decoder: memory of a frame trickled in tiny chunks', () => {
  it('holds a 64 KiB frame sent one byte per chunk in about 64 KiB, not one object per byte', () => {
    const frame = dataBytes(1, 0, Buffer.alloc(65_000, 3), 0x01);
    const decoder = new FrameDecoder({ maxFrame: 65_536 });
    const before = heapAfterGc();
    for (let i = 0; i < frame.length - 1; i++) {
      decoder.push(frame.subarray(i, i + 1)); // a view: an object per push
      expect(decoder.next()).toBeNull();
    }
    const held = heapAfterGc() - before;
    // Without joining: 65 000 views of ~100 bytes each, about 6 MB.
    expect(held).toBeLessThan(MiB);
    decoder.push(frame.subarray(frame.length - 1));
    const f = decoder.next();
    expect(f).toMatchObject({ type: FrameType.DATA, streamId: 1, syn: true });
    expect(f?.type === FrameType.DATA && f.payload.every((b) => b === 3)).toBe(true);
  });
});

/** A 60 KB duplicate for stream 1, once its first 60,001 bytes were read (it takes no credit). */
const FILLER = Buffer.alloc(60_000, 7);
const SPLIT_PAYLOAD = Buffer.alloc(16 * 1024, 9);
/** The smallest head part the decoder hands on as a view of its read; a shorter one is copied (decode.ts). */
const HEAD_PART = ON_HEAP_MAX + 1;

/**
 * Payload `j` of stream `id` (16 KiB at offset 2 + j × 16 KiB, offset 1
 * left a gap), split by the end of a read: its head part (HEAD_PART bytes) in a
 * read made of stream 1's 60 KB duplicate, its rest in the next read.
 */
function sendSplitPayload(peer: RawPeer, id: number, j: number): void {
  const frame = dataBytes(id, 2 + j * SPLIT_PAYLOAD.length, SPLIT_PAYLOAD);
  const headEnd = frame.length - SPLIT_PAYLOAD.length + HEAD_PART;
  peer.sendRaw(Buffer.concat([dataBytes(1, 1, FILLER), frame.subarray(0, headEnd)]));
  peer.sendRaw(Buffer.from(frame.subarray(headEnd)));
}

/** A server whose raw peer opened `count` streams (1, 3, …) with one byte each; nobody reads them. */
async function pausedStreams(count: number) {
  const server = new MpxServer();
  const streams: MpxStream[] = [];
  server.on('stream', (s: MpxStream) => {
    s.on('error', () => {});
    streams.push(s); // nobody reads
  });
  const raw = await joinedRawPeer(server);
  for (let i = 0; i < count; i++) raw.peer.sendRaw(dataBytes(1 + 2 * i, 0, Buffer.from('x'), 0x01));
  await eventually(() => streams.length === count);
  return { server, streams, ...raw };
}

/** pausedStreams(count), then stream 1 read up to FILLER's end: a copy of FILLER is a duplicate, which takes no credit. */
async function pausedStreamsBesideFiller(count: number) {
  const paused = await pausedStreams(count);
  const [first] = paused.streams as [MpxStream];
  paused.peer.sendRaw(dataBytes(1, 1, FILLER));
  first.resume();
  await eventually(() => first.stats().bytesReceived === 1 + FILLER.length && first.readableLength === 0);
  return paused;
}

describe('session: a peer cannot make a byte of credit cost much more than a byte', () => {
  it('100 000 one-byte DATA frames to a paused reader cost well under 2 MiB of heap', async () => {
    const { server, streams, peer } = await pausedStreams(1);
    const before = heapAfterGc();
    const arrays = arrayBuffersAfterGc();
    const one = Buffer.from('y');
    for (let i = 1; i <= 100_000; i += 1000) {
      const batch: Buffer[] = [];
      for (let j = i; j < i + 1000; j++) batch.push(dataBytes(1, j, one));
      peer.sendRaw(Buffer.concat(batch));
      await turn();
    }
    await eventually(() => streams[0]!.stats().bytesReceived === 100_001);
    expect(streams[0]!.stats().buffered).toBe(100_001);
    // Before joining: about 14 MB of heap and 3 MB of pinned pool slabs.
    expect(heapAfterGc() - before).toBeLessThan(2 * MiB);
    expect(arrayBuffersAfterGc() - arrays).toBeLessThan(MiB);
    server.close();
  });

  it('one-byte frames riding with 60 KB duplicates pin no read buffers', async () => {
    const { server, streams, peer } = await pausedStreamsBesideFiller(2);
    const b = streams[1]!;
    const arrays = arrayBuffersAfterGc();
    for (let i = 1; i <= 1000; i++) {
      // One chunk each: a 60 KB duplicate for stream 1, then one new byte for stream 3.
      peer.sendRaw(Buffer.concat([dataBytes(1, 1, FILLER), dataBytes(3, i, Buffer.from('z'))]));
      if (i % 50 === 0) await turn();
    }
    await eventually(() => b.stats().bytesReceived === 1001);
    // Before the fix: 1000 pieces of one byte pinned 60 MB of reads.
    expect(arrayBuffersAfterGc() - arrays).toBeLessThan(4 * MiB);
    server.close();
  });

  it(`a ${HEAD_PART}-byte head part of a 16 KiB payload stays a view of its 60 KB read only within the session PinBudget (pinning.ts)`, async () => {
    const paused = 10;
    const { server, streams, peer } = await pausedStreamsBesideFiller(1 + paused);
    const session = [...server.sessions.values()][0]!;
    const arrays = arrayBuffersAfterGc();
    // Each paused stream: 30 payloads of 16 KiB, each split so that its head part is HEAD_PART bytes of a 60 KB read.
    const payloads = 30;
    for (let j = 0; j < payloads; j++) {
      for (let i = 1; i <= paused; i++) sendSplitPayload(peer, 1 + 2 * i, j);
      await turn();
    }
    await eventually(() => streams.slice(1).every((s) => s.stats().bytesReceived === 1 + payloads * SPLIT_PAYLOAD.length + 1));
    const pins = session.reorderPins;
    expect(pins.max).toBe(4 * MiB); // 1/16 of the default 64 MiB session window
    // Views up to the budget, each charged its read (~60 KB), then copies.
    expect(pins.used).toBeLessThanOrEqual(pins.max);
    expect(pins.used).toBeGreaterThan(pins.max - 64 * 1024);
    // 300 reads of 60 KB would be 18 MB as views; held: the budget and the
    // payloads' rests (4.9 MB, views of reads their own size).
    expect(arrayBuffersAfterGc() - arrays).toBeLessThan(pins.max + paused * payloads * SPLIT_PAYLOAD.length + MiB);
    // The gaps filled and everything read: nothing stays pinned.
    for (let i = 1; i <= paused; i++) peer.sendRaw(dataBytes(1 + 2 * i, 1, Buffer.from('y')));
    for (const s of streams) s.resume();
    await eventually(() => streams.slice(1).every((s) => s.stats().buffered === 0));
    expect(pins.used).toBe(0);
    server.close();
  });
});

describe('session: a peer cannot fragment the reorder buffers without bound (issue 11, point 2)', () => {
  it('closes the carrier with LIMIT_EXCEEDED once 1-byte gapped DATA frames fill the session gap budget; memory stays under the bound', async () => {
    const server = new MpxServer(); // default session window: 64 MiB, so at most 65 536 gaps (SPEC §12)
    const sessionGaps = 65_536;
    const closed: Array<MpxError | undefined> = [];
    server.on('session', (s: Session) => s.on('carrierClose', (_stats: unknown, err?: MpxError) => closed.push(err)));
    server.on('stream', (s: MpxStream) => s.on('error', () => {})); // nobody reads
    const { peer, pair } = await joinedRawPeer(server);
    const heap = heapAfterGc();
    const arrays = arrayBuffersAfterGc();
    const one = Buffer.from('g');
    // 200 streams × 1000 one-byte frames, every other byte: 200 000 gaps wanted,
    // about 400 KB of credit, far inside every window. Before the bound this
    // held every one of them, about 350 bytes each (70 MB measured).
    for (let s = 0; s < 200 && !pair.b.destroyed; s++) {
      const id = 1 + 2 * s;
      const batch: Buffer[] = [dataBytes(id, 0, one, 0x01)];
      for (let k = 1; k <= 1000; k++) batch.push(dataBytes(id, 2 * k, one));
      peer.sendRaw(Buffer.concat(batch));
      await turn();
    }
    await eventually(() => closed.length === 1);
    expect(closed[0]).toMatchObject({ code: 'MPX_ERR_LIMIT_EXCEEDED', wireCode: WireCode.LIMIT_EXCEEDED });
    const session = [...server.sessions.values()][0]!;
    expect(session.reorderGaps.used).toBe(sessionGaps);
    expect(session.streamStats().length).toBeLessThan(70); // the flood stopped at the 66th stream
    // SECURITY.md: a gap costs about 350 bytes (charged 1 KiB), and the session
    // holds at most sessionWindow / 1 KiB of them; the streams add a few KB each.
    const held = heapAfterGc() - heap + (arrayBuffersAfterGc() - arrays);
    expect(held).toBeLessThan(sessionGaps * 512 + 70 * 16 * 1024);
    server.close();
  });
});

describe('session: gaps go back to the session budget', () => {
  it('when the peer resets a stream with gaps, and when the application destroys one', async () => {
    const server = new MpxServer();
    const streams: MpxStream[] = [];
    server.on('stream', (s: MpxStream) => {
      s.on('error', () => {});
      streams.push(s);
    });
    const { peer } = await joinedRawPeer(server);
    const one = Buffer.from('g');
    for (const id of [1, 3]) {
      const batch: Buffer[] = [dataBytes(id, 0, one, 0x01)];
      for (let k = 1; k <= 10; k++) batch.push(dataBytes(id, 2 * k, one));
      peer.sendRaw(Buffer.concat(batch));
    }
    await eventually(() => streams.length === 2 && streams[1]!.stats().bytesReceived === 21);
    const session = [...server.sessions.values()][0]!;
    expect(session.reorderGaps.used).toBe(20);
    peer.sendRaw(resetBytes(1, WireCode.CANCEL, 21));
    await eventually(() => session.reorderGaps.used === 10);
    streams[1]!.destroy();
    await eventually(() => session.reorderGaps.used === 0);
    server.close();
  });

  it('and so does what small parts pin (pinning.ts), when the peer resets a stream and when the application destroys one', async () => {
    const { server, streams, peer } = await pausedStreamsBesideFiller(3);
    for (let j = 0; j < 5; j++) for (const id of [3, 5]) sendSplitPayload(peer, id, j);
    const end = 2 + 5 * SPLIT_PAYLOAD.length;
    await eventually(() => streams[1]!.stats().bytesReceived === end && streams[2]!.stats().bytesReceived === end);
    const pins = [...server.sessions.values()][0]!.reorderPins;
    const perStream = pins.used / 2;
    expect(perStream).toBeGreaterThanOrEqual(5 * FILLER.length); // five head parts each, each charged its read
    peer.sendRaw(resetBytes(3, WireCode.CANCEL, end));
    await eventually(() => pins.used === perStream);
    streams[2]!.destroy();
    await eventually(() => pins.used === 0);
    server.close();
  });
});
