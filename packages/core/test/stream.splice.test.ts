// The relay fast path of MpxStream: attachSink() (received bytes straight to
// a sink, not through the Readable) and send() (bytes into the send queue,
// not through the Writable), with the credit and backpressure of the Duplex
// API (SPEC §7).
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { StreamSink } from '../src/stream.js';
import { connect, digestOf, eventually, nextStream, patternBytes, sha256, writeAll } from './harness.js';

const KiB = 1024;
const STREAM_WINDOW = 64 * KiB;

/** A sink that records what it takes and says it is full while `full` is set. */
function recordingSink(): StreamSink & { chunks: Buffer[]; full: boolean; unflushed: number; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  return {
    chunks,
    full: false,
    unflushed: 0,
    write(chunk: Uint8Array): boolean {
      chunks.push(Buffer.from(chunk));
      this.unflushed++;
      return !this.full;
    },
    flush(): void {
      this.unflushed = 0;
    },
    bytes: () => Buffer.concat(chunks),
  };
}

describe('MpxStream relay fast path', () => {
  it('send() takes bytes in order after write(), pushes back where write() would, and emits drain once the room is back', async () => {
    const h = await connect({ server: { streamWindow: STREAM_WINDOW }, client: { streamSendBuffer: 16 * KiB } });
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    s.on('error', () => {});
    const data = patternBytes(7, 4 * STREAM_WINDOW);
    expect(s.write(data.subarray(0, 100))).toBe(true);
    // The whole credit in one go fills the room: queued at once, and stop.
    expect(s.send(data.subarray(100, STREAM_WINDOW))).toBe(false);
    expect(s.queuedBytes).toBe(STREAM_WINDOW);
    expect(s.writableLength).toBe(0);
    const drained = once(s, 'drain');
    const peer = await accepted;
    const digest = digestOf(peer);
    await drained;
    let off = STREAM_WINDOW;
    while (off < data.length) {
      const end = Math.min(off + 8 * KiB, data.length);
      const more = s.send(data.subarray(off, end));
      off = end;
      if (!more) await once(s, 'drain');
    }
    s.end();
    expect(await digest).toEqual({ bytes: data.length, sha256: sha256(data) });
    h.close();
  });

  it('send() after destroy() says stop, as write() does, and queues nothing', async () => {
    const h = await connect();
    const s = h.client.openStream();
    s.write(patternBytes(9, 100));
    const peer = await nextStream(h.serverSession);
    peer.on('error', () => {});
    s.destroy();
    expect(s.send(patternBytes(10, 100))).toBe(false);
    expect(s.queuedBytes).toBe(0);
    h.close();
  });

  it('attachSink() hands over what the Readable held first, then every received byte in order, each delivery flushed, then ends', async () => {
    const h = await connect();
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    s.on('error', () => {});
    const data = patternBytes(11, 300 * KiB);
    s.write(data.subarray(0, 1000));
    const peer = await accepted;
    // A reader takes the first bytes, as a target header reader does, and leaves the rest buffered.
    await once(peer, 'readable');
    expect(peer.read(10)).toEqual(data.subarray(0, 10));
    expect(peer.readableLength).toBeGreaterThan(0);
    const sink = recordingSink();
    const ended = once(peer, 'end');
    peer.attachSink(sink);
    await writeAll(s, data.subarray(1000), 7 * KiB);
    await ended;
    expect(sink.bytes().equals(data.subarray(10))).toBe(true);
    expect(sink.unflushed).toBe(0);
    expect(peer.readableEnded).toBe(true);
    h.close();
  });

  it("a full sink holds the stream's credit: the peer stops at the stream window until sinkDrained()", async () => {
    const h = await connect({ server: { streamWindow: STREAM_WINDOW } });
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    s.on('error', () => {});
    const data = patternBytes(13, 4 * STREAM_WINDOW);
    const written = writeAll(s, data, 16 * KiB);
    const peer = await accepted;
    const sink = recordingSink();
    sink.full = true;
    peer.attachSink(sink);
    // The sink took one chunk and said stop; the rest of the window waits in
    // the reorder buffer, its credit not returned, so the sender stops there.
    await eventually(() => s.stats().bytesSent === STREAM_WINDOW && peer.stats().buffered === STREAM_WINDOW - sink.bytes().length);
    expect(sink.chunks.length).toBe(1);
    expect(s.stats().bytesSent).toBe(STREAM_WINDOW);
    const ended = once(peer, 'end');
    sink.full = false;
    peer.sinkDrained();
    await written;
    await ended;
    expect(sink.bytes().equals(data)).toBe(true);
    h.close();
  });
});
