// MpxStream.sendRoom (SPEC §7.4): how much write() takes before it pushes
// back, so that a writer reading a socket can size its reads by it.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { INITIAL_STREAM_WINDOW } from '../src/flow-control.js';
import { RESUME_ROOM, SEND_AHEAD, type MpxStream } from '../src/stream.js';
import { connect, eventually } from './harness.js';

const KiB = 1024;
const STREAM_WINDOW = 64 * KiB;
const SEND_BUFFER = 16 * KiB;

describe('MpxStream.sendRoom', () => {
  it("is the peer's credit while it lasts, then what is left of streamSendBuffer, and the write that fills it waits", async () => {
    const h = await connect({ server: { streamWindow: STREAM_WINDOW }, client: { streamSendBuffer: SEND_BUFFER } });
    const peer: MpxStream[] = [];
    h.serverSession.on('stream', (s: MpxStream) => peer.push(s)); // never read
    const s = h.client.openStream();
    s.on('error', () => {});
    expect(s.sendRoom).toBe(STREAM_WINDOW);

    // A write of the whole credit is taken and fills the room, so it pushes
    // back until it has gone out; then only streamSendBuffer is left.
    expect(s.write(Buffer.alloc(STREAM_WINDOW))).toBe(false);
    await eventually(() => s.stats().bytesSent === STREAM_WINDOW && s.writableLength === 0);
    expect(s.sendRoom).toBe(SEND_BUFFER);
    expect(s.write(Buffer.alloc(4 * KiB))).toBe(true);
    expect(s.queuedBytes).toBe(4 * KiB);
    expect(s.sendRoom).toBe(SEND_BUFFER - 4 * KiB);

    // A write that fills the room is queued and pushes back at once (its
    // callback is held, as Node's Writable does at its high-water mark), so a
    // writer that reads a socket stops with nothing read beyond the room.
    const fill = s.sendRoom;
    expect(s.write(Buffer.alloc(fill))).toBe(false);
    expect(s.writableLength).toBe(fill);
    expect(s.queuedBytes).toBe(SEND_BUFFER);
    expect(s.sendRoom).toBe(0);
    await eventually(() => peer.length === 1);
    h.close();
  });

  it('stops past streamSendBuffer once the streams of the session queue SEND_AHEAD together, whatever the credit', async () => {
    const h = await connect({ client: { streamSendBuffer: SEND_BUFFER } });
    h.serverSession.on('stream', () => {}); // taken, never read (a stream nobody takes is refused, SPEC §6.2)
    const [a, b, c] = [h.client.openStream(), h.client.openStream(), h.client.openStream()];
    for (const s of [a, b, c]) s.on('error', () => {});
    // Each stream's initial credit (SPEC §7.1) is half of SEND_AHEAD: two streams fill it.
    expect(2 * INITIAL_STREAM_WINDOW).toBe(SEND_AHEAD);
    expect(a.sendRoom).toBe(INITIAL_STREAM_WINDOW);
    // Written in one go (the send loop runs later, in a microtask): each fills its room and pushes back.
    expect(a.write(Buffer.alloc(INITIAL_STREAM_WINDOW))).toBe(false);
    expect(a.sendRoom).toBe(0);
    expect(b.write(Buffer.alloc(INITIAL_STREAM_WINDOW))).toBe(false);
    // The held writer goes on once its queue is empty, a quarter of SEND_AHEAD is free again, or
    // its queue is down to half its share of SEND_AHEAD (a quarter of it, or less, with b in the round).
    const drained = once(a, 'drain').then(() => a.queuedBytes <= SEND_AHEAD / 4 || a.sendRoom >= RESUME_ROOM);
    // A third stream, with credit to spare, still takes its streamSendBuffer, and no more.
    expect(c.sendRoom).toBe(SEND_BUFFER);
    expect(c.write(Buffer.alloc(SEND_BUFFER))).toBe(false);
    expect(c.sendRoom).toBe(0);
    // Once the bytes have gone to a carrier, the room is back (c's credit is still larger).
    expect(await drained).toBe(true);
    await eventually(() => a.queuedBytes + b.queuedBytes + c.queuedBytes === 0);
    expect(c.sendRoom).toBe(INITIAL_STREAM_WINDOW - SEND_BUFFER);
    h.close();
  });

  it('lets the held writer of one of two streams go on once its queue is down to half its share of SEND_AHEAD, before its room is back', async () => {
    const h = await connect({ client: { streamSendBuffer: SEND_BUFFER } });
    // Never read: the streams' credit stays about what it was, and so their room stays below RESUME_ROOM.
    h.serverSession.on('stream', () => {});
    const [a, b] = [h.client.openStream(), h.client.openStream()];
    for (const s of [a, b]) s.on('error', () => {});
    // Together they fill SEND_AHEAD; both push back and share the send round.
    expect(a.write(Buffer.alloc(INITIAL_STREAM_WINDOW))).toBe(false);
    expect(b.write(Buffer.alloc(INITIAL_STREAM_WINDOW))).toBe(false);
    const atDrain = (s: MpxStream) => once(s, 'drain').then(() => ({ queued: s.queuedBytes, room: s.sendRoom }));
    const [da, db] = await Promise.all([atDrain(a), atDrain(b)]);
    // Two streams in the round: half of a stream's share is a quarter of SEND_AHEAD.
    // By the room alone (or an empty queue), neither would have gone on yet.
    for (const d of [da, db]) {
      expect(d.queued).toBeGreaterThan(0);
      expect(d.queued).toBeLessThanOrEqual(SEND_AHEAD / 4);
      expect(d.room).toBeLessThan(RESUME_ROOM);
    }
    h.close();
  });

  it('roomWithin(ahead) and send(chunk, ahead): a stream without credit queues `ahead` bytes instead of streamSendBuffer', async () => {
    const h = await connect({ server: { streamWindow: STREAM_WINDOW }, client: { streamSendBuffer: SEND_BUFFER } });
    h.serverSession.on('stream', () => {}); // never read
    const s = h.client.openStream();
    s.on('error', () => {});
    expect(s.roomWithin(KiB)).toBe(STREAM_WINDOW);
    s.write(Buffer.alloc(STREAM_WINDOW));
    await eventually(() => s.stats().bytesSent === STREAM_WINDOW && s.writableLength === 0);
    // Credit spent: streamSendBuffer for write() and send(), `ahead` for a send() that names it.
    expect(s.sendRoom).toBe(SEND_BUFFER);
    expect(s.roomWithin(KiB)).toBe(KiB);
    expect(s.send(Buffer.alloc(KiB / 2), KiB)).toBe(true);
    expect(s.roomWithin(KiB)).toBe(KiB / 2);
    // The send that fills `ahead` pushes back; 'drain' comes once the queue can move again.
    expect(s.send(Buffer.alloc(KiB / 2), KiB)).toBe(false);
    expect(s.queuedBytes).toBe(KiB);
    expect(s.sendRoom).toBe(SEND_BUFFER - KiB);
    h.close();
  });

  it('roomWithin(ahead): past SEND_AHEAD a stream with credit still takes streamSendBuffer; readRoom is the room a read finds once the queue has gone', async () => {
    const h = await connect({ client: { streamSendBuffer: SEND_BUFFER } });
    h.serverSession.on('stream', () => {}); // taken, never read (a stream nobody takes is refused, SPEC §6.2)
    const [a, b, c] = [h.client.openStream(), h.client.openStream(), h.client.openStream()];
    for (const s of [a, b, c]) s.on('error', () => {});
    // a and b fill SEND_AHEAD in one go (the send loop runs later, in a microtask).
    a.write(Buffer.alloc(INITIAL_STREAM_WINDOW));
    b.write(Buffer.alloc(INITIAL_STREAM_WINDOW));
    // c has credit: what it names as `ahead` (1 KiB) is for a stream without
    // credit; past SEND_AHEAD it takes streamSendBuffer, as a writer does.
    expect(c.roomWithin(KiB)).toBe(SEND_BUFFER);
    expect(c.readRoom(KiB)).toBe(SEND_BUFFER);
    expect(c.send(Buffer.alloc(SEND_BUFFER), KiB)).toBe(false);
    expect(c.roomWithin(KiB)).toBe(0);
    // Held: the socket is read again once c's queue has gone out, and that
    // read may bring streamSendBuffer again (a and b still hold SEND_AHEAD).
    expect(c.readRoom(KiB)).toBe(SEND_BUFFER);
    await eventually(() => a.queuedBytes + b.queuedBytes + c.queuedBytes === 0);
    expect(c.readRoom(KiB)).toBe(c.roomWithin(KiB));
    h.close();
  });

  it('readRoom(ahead) of a stream without credit is `ahead` once its queue has gone, never more', async () => {
    const h = await connect({ server: { streamWindow: STREAM_WINDOW }, client: { streamSendBuffer: SEND_BUFFER } });
    h.serverSession.on('stream', () => {}); // never read
    const s = h.client.openStream();
    s.on('error', () => {});
    s.write(Buffer.alloc(STREAM_WINDOW));
    await eventually(() => s.stats().bytesSent === STREAM_WINDOW && s.writableLength === 0);
    expect(s.readRoom(KiB)).toBe(KiB);
    expect(s.send(Buffer.alloc(KiB), KiB)).toBe(false);
    expect(s.roomWithin(KiB)).toBe(0);
    // Its queue waits for credit; once credit sends it, a read may bring `ahead` again.
    expect(s.readRoom(KiB)).toBe(KiB);
    expect(s.queuedBytes).toBe(KiB);
    h.close();
  });
});
