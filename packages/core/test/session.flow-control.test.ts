// Issue 2, flow control (SPEC §7): a slow reader holds at most its window and
// does not slow the other streams on the same carriers.
import { describe, expect, it } from 'vitest';
import { connect, digestOf, eventually, nextStream, patternBytes, sha256, writeAll } from './harness.js';
import { INITIAL_STREAM_WINDOW } from '../src/flow-control.js';
import type { MpxStream } from '../src/stream.js';

describe('flow control', () => {
  it('a stream whose reader stopped does not stop another stream, and holds at most the initial window (512 KiB), not the 8 MiB maximum', async () => {
    // SPEC §7.1: the window grows only while its reader keeps up.
    const window = INITIAL_STREAM_WINDOW;
    const h = await connect({ weights: [1, 1] });
    const streams: MpxStream[] = [];
    h.serverSession.on('stream', (s) => streams.push(s));

    const slow = h.client.openStream();
    const fast = h.client.openStream();
    slow.on('error', () => {});
    // The slow stream's writer keeps writing, far beyond the window.
    const slowData = patternBytes(11, 16 * 1024 * 1024);
    void writeAll(slow, slowData).catch(() => {});
    const fastData = patternBytes(12, 24 * 1024 * 1024);
    await eventually(() => streams.length === 2);
    const [slowPeer, fastPeer] = streams as [MpxStream, MpxStream];
    slowPeer.pause(); // nobody reads it

    const [fastDigest] = await Promise.all([digestOf(fastPeer), writeAll(fast, fastData)]);
    expect(fastDigest).toEqual({ bytes: fastData.byteLength, sha256: sha256(fastData) });

    // The stalled stream holds at most its initial window at the receiver: its reorder
    // buffer plus what sits in its Duplex readable buffer.
    const held = slowPeer.stats().buffered + slowPeer.readableLength;
    expect(held).toBeLessThanOrEqual(window);
    expect(slowPeer.stats().bytesReceived).toBeLessThanOrEqual(window);
    // And the sender has not sent beyond the credit either.
    expect(slow.stats().bytesSent).toBeLessThanOrEqual(window);

    // Once the reader resumes, everything arrives.
    const slowDigest = digestOf(slowPeer);
    slowPeer.resume();
    expect(await slowDigest).toEqual({ bytes: slowData.byteLength, sha256: sha256(slowData) });
    h.close();
  });

  it('the session window caps what all streams together hold', async () => {
    const sessionWindow = 2 * 1024 * 1024;
    const h = await connect({ server: { streamWindow: 1024 * 1024, sessionWindow } });
    const peers: MpxStream[] = [];
    h.serverSession.on('stream', (s) => {
      s.pause();
      peers.push(s);
    });
    const writers = Array.from({ length: 6 }, (_, i) => {
      const s = h.client.openStream();
      s.on('error', () => {});
      void writeAll(s, patternBytes(20 + i, 4 * 1024 * 1024)).catch(() => {});
      return s;
    });
    await eventually(() => peers.length === 6);
    const received = (): number => peers.reduce((sum, s) => sum + s.stats().bytesReceived, 0);
    // The senders fill the session window...
    await eventually(() => received() >= sessionWindow * 0.9);
    // ...and however long they go on, never pass it.
    for (let i = 0; i < 500; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(received()).toBeLessThanOrEqual(sessionWindow);
    expect(writers.reduce((sum, s) => sum + s.stats().bytesSent, 0)).toBeLessThanOrEqual(sessionWindow);
    h.close();
  });

  it('returns credit in batches, not per read', async () => {
    const window = 256 * 1024;
    const h = await connect({ server: { streamWindow: window } });
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    const data = patternBytes(30, 4 * 1024 * 1024);
    const written = writeAll(s, data, 1000);
    const peer = await accepted;
    const digest = await digestOf(peer);
    await written;
    expect(digest.bytes).toBe(data.byteLength);
    // 4 MiB through a 256 KiB window in batches of at least half a window:
    // at most 4 MiB / 128 KiB = 32 stream WINDOW frames (plus session ones).
    const framesFromServer = h.serverSession.stats().framesSent;
    expect(framesFromServer).toBeLessThanOrEqual(40);
    h.close();
  });
});
