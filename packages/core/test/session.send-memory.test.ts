// Issue 11, points 1 and 3: what a session holds for streams whose peer never
// reads is its session window plus a small constant per stream (SPEC §7.3),
// and all of it comes back once the streams are gone. Memory is measured
// (ArrayBuffers and heap after a full gc), with generous slack; never time.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SEND_AHEAD, type MpxStream } from '../src/stream.js';
import { connect, eventually } from './harness.js';
import { heapAfterGc } from './hardening.helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const STREAMS = 100;
const SESSION_WINDOW = MiB;
const CHUNK = 16 * KiB;
/** Most each source may produce: the loop ends by itself. */
const SOURCE_LIMIT = 4 * MiB;

/** Bytes held in ArrayBuffers (outside the JS heap), after a full gc. */
function arrayBuffersAfterGc(): number {
  heapAfterGc();
  return process.memoryUsage().arrayBuffers;
}

/** A target that sends fresh 16 KiB chunks, as a socket's reads would arrive. */
function source(): Readable {
  let produced = 0;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (produced >= SOURCE_LIMIT) {
        this.push(null);
        return;
      }
      produced += CHUNK;
      this.push(Buffer.alloc(CHUNK, produced & 0xff));
    },
  });
}

/** Smallest and largest chunk of roomWriter, as apps/tunnel's SocketReader reads (MIN_READ, MAX_READ). */
const MIN_CHUNK = KiB;
const MAX_CHUNK = 64 * KiB;

/**
 * A writer that sizes each chunk by the stream's sendRoom, as a target socket
 * read with `onread` does (apps/tunnel/src/socket-reader.ts), and stops when
 * write() pushes back, until 'drain'. Ends after SOURCE_LIMIT bytes.
 */
function roomWriter(s: MpxStream): void {
  let produced = 0;
  const pump = (): void => {
    while (produced < SOURCE_LIMIT) {
      const n = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, s.sendRoom));
      produced += n;
      if (!s.write(Buffer.alloc(n, produced & 0xff))) {
        s.once('drain', pump);
        return;
      }
    }
    s.end();
  };
  pump();
}

/**
 * A session whose client grants SESSION_WINDOW of session credit, opens
 * STREAMS streams and never reads them; `feed` writes each server stream.
 */
async function unreadStreams(feed: (s: MpxStream) => void) {
  const h = await connect({ client: { sessionWindow: SESSION_WINDOW } });
  const serverStreams: MpxStream[] = [];
  h.serverSession.on('stream', (s: MpxStream) => {
    s.on('error', () => {});
    serverStreams.push(s);
    feed(s);
  });
  const clientStreams: MpxStream[] = [];
  for (let i = 0; i < STREAMS; i++) {
    const s = h.client.openStream();
    s.on('error', () => {});
    s.write('x');
    clientStreams.push(s);
  }
  const received = (): number => clientStreams.reduce((n, s) => n + s.stats().bytesReceived, 0);
  return { h, serverStreams, clientStreams, received };
}

describe('session: streams whose peer never reads', () => {
  it('hold nothing beyond the session credit when their writers read by sendRoom (SPEC §7.4)', async () => {
    const { h, serverStreams, clientStreams, received } = await unreadStreams(roomWriter);
    const sent = (): number => serverStreams.reduce((n, s) => n + s.stats().bytesSent, 0);
    // Settled: every writer waits for drain and nothing is in flight, so the
    // session credit is spent (with credit left, queued bytes would go out,
    // and a writer with room would not wait).
    await eventually(
      () =>
        serverStreams.length === STREAMS && received() >= SESSION_WINDOW && serverStreams.every((s) => s.writableNeedDrain) && sent() === received(),
    );

    // What the server's streams hold: their queues, together at most the
    // session credit they were granted (taken while it lasted, and sent by
    // other streams since) and at most SEND_AHEAD, plus one smallest chunk
    // per stream read when its room had run out; in each Duplex, only the
    // chunk that filled the room (its write returned false). Before this
    // bound every stream queued the 16 KiB streamSendBuffer plus a chunk
    // whatever the session credit (2.8 MB here), and its writer went on into
    // the Duplex's own 16 KiB buffer.
    const queued = serverStreams.reduce((n, s) => n + s.queuedBytes, 0);
    expect(queued).toBeLessThanOrEqual(Math.min(SESSION_WINDOW, SEND_AHEAD) + STREAMS * MIN_CHUNK);
    expect(Math.max(...serverStreams.map((s) => s.writableLength))).toBeLessThanOrEqual(MAX_CHUNK);
    expect(serverStreams.every((s) => s.sendRoom === 0)).toBe(true);

    for (const s of clientStreams) s.destroy();
    await eventually(() => serverStreams.every((s) => s.destroyed) && h.serverSession.streamCount === 0 && h.client.streamCount === 0);
    h.close();
  });

  it(`hold the session window plus a small constant per stream, and give it all back`, async () => {
    const arraysBefore = arrayBuffersAfterGc();
    const heapBefore = heapAfterGc();
    // The client grants the server 1 MiB of session credit and never reads.
    const sources: Readable[] = [];
    const { h, serverStreams, clientStreams, received } = await unreadStreams((s) => {
      const src = source();
      sources.push(src);
      src.pipe(s);
    });
    // Settled: the session credit is spent and every writer waits for drain.
    await eventually(() => serverStreams.length === STREAMS && received() === SESSION_WINDOW && serverStreams.every((s) => s.writableNeedDrain));

    const held = arrayBuffersAfterGc() - arraysBefore;
    // The window sits at the client, and (in flight, unacknowledged, or as
    // the memory pair's copies) at most once more at the server.
    const perStream = (held - 2 * SESSION_WINDOW) / STREAMS;
    // streamSendBuffer (16 KiB) + the writer's last chunk, the source's own
    // buffer, the receiver's Readable buffer: ~64 KiB. Before the fix: 256 KiB
    // of queue + 64 KiB of Duplex buffer + the rest, about 350 KiB.
    expect(perStream).toBeLessThan(96 * KiB);
    // SPEC §7.3: queues past streamSendBuffer were covered by credit when
    // taken, so together they stay within the session window.
    const queued = serverStreams.reduce((n, s) => n + s.queuedBytes, 0);
    expect(queued).toBeLessThanOrEqual(SESSION_WINDOW + STREAMS * (16 * KiB + CHUNK));

    for (const src of sources) src.destroy();
    for (const s of clientStreams) s.destroy();
    await eventually(() => serverStreams.every((s) => s.destroyed) && h.serverSession.streamCount === 0 && h.client.streamCount === 0);
    h.close();
    // The application lets go of its streams once they are closed.
    serverStreams.length = 0;
    clientStreams.length = 0;
    sources.length = 0;
    console.log('after', arrayBuffersAfterGc() - arraysBefore, heapAfterGc() - heapBefore);
    // Point 3: nothing stays behind once the streams and the session are gone.
    expect(arrayBuffersAfterGc() - arraysBefore).toBeLessThan(MiB);
    expect(heapAfterGc() - heapBefore).toBeLessThan(4 * MiB);
  });
});
