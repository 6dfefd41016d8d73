// MpxStream.sendRoom (SPEC §7.4): how much write() takes before it pushes
// back, so that a writer reading a socket can size its reads by it.
import { describe, expect, it } from 'vitest';
import type { MpxStream } from '../src/stream.js';
import { connect, eventually } from './harness.js';

const KiB = 1024;
const STREAM_WINDOW = 64 * KiB;
const SEND_BUFFER = 16 * KiB;

describe('MpxStream.sendRoom', () => {
  it("is the peer's credit while it lasts, then what is left of streamSendBuffer, and a write beyond it waits", async () => {
    const h = await connect({ server: { streamWindow: STREAM_WINDOW }, client: { streamSendBuffer: SEND_BUFFER } });
    const peer: MpxStream[] = [];
    h.serverSession.on('stream', (s: MpxStream) => peer.push(s)); // never read
    const s = h.client.openStream();
    s.on('error', () => {});
    expect(s.sendRoom).toBe(STREAM_WINDOW);

    // A write of the whole credit is taken; once it has gone out, only streamSendBuffer is left.
    expect(s.write(Buffer.alloc(STREAM_WINDOW))).toBe(true);
    await eventually(() => s.stats().bytesSent === STREAM_WINDOW);
    expect(s.sendRoom).toBe(SEND_BUFFER);
    expect(s.write(Buffer.alloc(4 * KiB))).toBe(true);
    expect(s.queuedBytes).toBe(4 * KiB);
    expect(s.sendRoom).toBe(SEND_BUFFER - 4 * KiB);

    // A write of exactly the room is taken at once; one byte more waits (its callback is held).
    expect(s.write(Buffer.alloc(s.sendRoom))).toBe(true);
    expect(s.writableLength).toBe(0);
    expect(s.sendRoom).toBe(0);
    s.write(Buffer.alloc(1));
    expect(s.writableLength).toBe(1);
    expect(s.sendRoom).toBe(0);
    await eventually(() => peer.length === 1);
    h.close();
  });
});
