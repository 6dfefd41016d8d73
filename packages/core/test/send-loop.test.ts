// SPEC §9: frames sent again go out in the order they were first sent, even
// when the carriers that held them are lost one at a time.
import { describe, expect, it } from 'vitest';
import type { CarrierLink } from '../src/carrier-link.js';
import { FrameType, SMALL_STREAM_BYTES } from '../src/constants.js';
import type { Frame } from '../src/frame.js';
import { SendLoop, type FrameSink } from '../src/send-loop.js';
import type { SentFrame } from '../src/sent-frames.js';
import type { MpxStream } from '../src/stream.js';

/** A carrier that records what it is given, as its in-flight record keeps it. */
function recorder(): { link: CarrierLink; sent: SentFrame[]; frames: Frame[]; streams: number[] } {
  const sent: SentFrame[] = [];
  // unackedBytes stays 0, as the sinks below say: no test here reaches the send buffer's cap.
  const link = { send: (frame: Frame, order: number) => (sent.push({ frame, order }), true), unackedBytes: 0 } as unknown as CarrierLink;
  return {
    link,
    sent,
    get frames() {
      return sent.map((s) => s.frame);
    },
    /** The stream of each frame sent, -1 for a frame that is not DATA. */
    get streams() {
      return sent.map((s) => (s.frame.type === FrameType.DATA ? s.frame.streamId : -1));
    },
  };
}

/** A sink whose carrier is `current.link` (none while undefined). */
function sinkOf(current: { link: CarrierLink | undefined }): FrameSink {
  return {
    pick: () => current.link,
    pickData: () => current.link,
    pickAhead: () => current.link,
    pickDataAhead: () => current.link,
    chargeData: () => {},
    unackedBytes: 0,
  };
}

const flushed = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));

describe('SendLoop, retransmission order (SPEC §9)', () => {
  it('sends the frames of carriers lost one after another in their original send order', async () => {
    const a = recorder();
    const b = recorder();
    const current: { link: CarrierLink | undefined } = { link: undefined };
    const loop = new SendLoop(sinkOf(current), 1 << 20, 1024);
    // Six WINDOW frames (counted, SPEC §9), alternately on carriers a and b.
    for (let i = 1; i <= 6; i++) {
      current.link = i % 2 === 1 ? a.link : b.link;
      loop.windowUpdate(i, 100 * i);
      await flushed();
    }
    expect(a.frames.map((f) => (f.type === FrameType.WINDOW ? f.streamId : -1))).toEqual([1, 3, 5]);
    // Both are lost: a's frames are handed over first, then b's; no carrier meanwhile.
    current.link = undefined;
    loop.retransmit(a.sent);
    loop.retransmit(b.sent);
    const c = recorder();
    current.link = c.link;
    loop.schedule();
    await flushed();
    expect(c.frames.map((f) => (f.type === FrameType.WINDOW ? f.streamId : -1))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(loop.retransmitted).toBe(6);
  });
});

/**
 * A stream with `frames` frames of `size` bytes to send after `sent` bytes
 * sent before, of which the peer acknowledged `acked`, as the send loop sees
 * it (MpxStream's small-stream allowance included).
 */
function fakeStream(id: number, frames: number, size: number, sent = 0, acked = 0): MpxStream {
  let left = frames;
  let offset = sent;
  let smallFrom = 0;
  return {
    id,
    get queuedBytes() {
      return left * size;
    },
    get sendOffset() {
      return offset;
    },
    get smallBytes() {
      return offset + left * size - smallFrom;
    },
    renewSmall: () => {
      if (acked >= offset) smallFrom = offset;
    },
    nextPayload: () => (left > 0 ? size : -1),
    blockedOnSession: () => false,
    takeFrame: (n: number): Frame => {
      left--;
      offset += n;
      return { type: FrameType.DATA, streamId: id, offset: offset - n, syn: false, fin: false, payload: new Uint8Array(n) };
    },
  } as unknown as MpxStream;
}

describe('SendLoop, streams served in turn (SPEC §8)', () => {
  it("sends a new stream's frame at the next drain that frees room for one frame, not after the bulk stream's", async () => {
    const out = recorder();
    // A carrier that takes one frame per drain, as one capped by its in-flight cap.
    let room = 0;
    const sink: FrameSink = {
      pick: () => out.link,
      pickData: () => (room > 0 ? (room--, out.link) : undefined),
      pickAhead: () => undefined,
      pickDataAhead: () => undefined,
      chargeData: () => {},
      unackedBytes: 0,
    };
    const loop = new SendLoop(sink, 1 << 30, 1024);
    loop.adoptPeer(1 << 30, 1024);
    loop.wake(fakeStream(1, 100, 1024));
    await flushed();
    // A stream with more than SMALL_STREAM_BYTES to send: it takes its turn in the round.
    loop.wake(fakeStream(3, 17, 1024));
    for (let drain = 0; drain < 3; drain++) {
      room = 1;
      loop.schedule();
      await flushed();
    }
    // The bulk stream's frame had found no carrier before the new stream woke, so it goes first; the new stream next.
    expect(out.streams).toEqual([1, 3, 1]);
  });
});

describe('SendLoop, small streams and control frames ahead of the caps (SPEC §8)', () => {
  /** A sink whose carrier is at its cap (pickData finds none) but takes frames ahead of it (pickDataAhead). */
  function cappedSink(out: { link: CarrierLink }): FrameSink & { ahead: number } {
    const sink = {
      ahead: 0,
      pick: () => undefined,
      pickData: () => undefined,
      pickAhead: () => (sink.ahead++, out.link),
      pickDataAhead: () => (sink.ahead++, out.link),
      chargeData: () => {},
      unackedBytes: 0,
    };
    return sink;
  }

  it.each([
    ['a new small stream', () => fakeStream(3, 1, 100)],
    [
      'a stream that sent more than SMALL_STREAM_BYTES, once the peer acknowledged all of it (a long-lived connection between requests)',
      () => fakeStream(3, 1, 100, 4 * SMALL_STREAM_BYTES, 4 * SMALL_STREAM_BYTES),
    ],
  ])('sends the frame of %s at once, ahead of the cap, while a bulk stream waits for room', async (_case, stream) => {
    const out = recorder();
    const sink = cappedSink(out);
    const loop = new SendLoop(sink, 1 << 30, 1024);
    loop.adoptPeer(1 << 30, 1024);
    loop.wake(fakeStream(1, 100, 1024));
    loop.wake(stream());
    await flushed();
    expect(out.streams).toEqual([3]);
    expect(sink.ahead).toBe(1);
  });

  it("sends a small stream's frame on the carrier behind the least queue, not the weighted picker's", async () => {
    const picked = recorder();
    const least = recorder();
    const sink: FrameSink = {
      pick: () => picked.link,
      pickData: () => picked.link,
      pickAhead: () => least.link,
      pickDataAhead: () => least.link,
      chargeData: () => {},
      unackedBytes: 0,
    };
    const loop = new SendLoop(sink, 1 << 30, 1024);
    loop.adoptPeer(1 << 30, 1024);
    loop.wake(fakeStream(3, 1, 100));
    loop.wake(fakeStream(5, 17, 1024));
    await flushed();
    expect(least.streams).toEqual([3]);
    expect(picked.streams).toEqual(Array<number>(17).fill(5));
  });

  it('serves small streams in the order they woke, before the round', async () => {
    const out = recorder();
    const loop = new SendLoop(sinkOf({ link: out.link }), 1 << 30, 1024);
    loop.adoptPeer(1 << 30, 1024);
    loop.wake(fakeStream(1, 17, 1024));
    loop.wake(fakeStream(3, 1, 10));
    loop.wake(fakeStream(5, 1, SMALL_STREAM_BYTES));
    await flushed();
    expect(out.streams).toEqual([3, 5, ...Array<number>(17).fill(1)]);
  });

  it.each([
    // A stream with more to send than a small one.
    ['has more than SMALL_STREAM_BYTES to send', () => fakeStream(3, 1, SMALL_STREAM_BYTES + 1)],
    // A bulk stream whose source is read a little at a time while the carriers are at their caps.
    [
      'sent SMALL_STREAM_BYTES before, however little it queues now, while some of it is unacknowledged',
      () => fakeStream(3, 1, 100, SMALL_STREAM_BYTES, SMALL_STREAM_BYTES - 1),
    ],
  ])('does not send ahead of the cap a stream that %s', async (_case, stream) => {
    const out = recorder();
    const sink = cappedSink(out);
    const loop = new SendLoop(sink, 1 << 30, 1024);
    loop.adoptPeer(1 << 30, 1024);
    loop.wake(stream());
    await flushed();
    expect(out.frames).toEqual([]);
    expect(sink.ahead).toBe(0);
  });

  it('sends a WINDOW ahead of the caps', async () => {
    const out = recorder();
    const sink = cappedSink(out);
    const loop = new SendLoop(sink, 1 << 30, 1024);
    loop.windowUpdate(7, 4096);
    await flushed();
    expect(out.frames).toEqual([{ type: FrameType.WINDOW, streamId: 7, maxOffset: 4096 }]);
  });
});

describe('SendLoop, bulk frames on fast carriers (SPEC §8)', () => {
  /** A stream with `bytes` queued, cut into frames of at most the payload it is asked for. */
  function bulkStream(id: number, bytes: number): MpxStream {
    let left = bytes;
    let offset = 0;
    return {
      id,
      get queuedBytes() {
        return left;
      },
      get sendOffset() {
        return offset;
      },
      // Sent more than a small stream before: it takes its turn in the round.
      smallBytes: SMALL_STREAM_BYTES + 1,
      renewSmall: () => {},
      nextPayload: (_credit: number, max: number) => (left > 0 ? Math.min(left, max) : -1),
      blockedOnSession: () => false,
      takeFrame: (n: number): Frame => {
        left -= n;
        offset += n;
        return { type: FrameType.DATA, streamId: id, offset: offset - n, syn: false, fin: false, payload: new Uint8Array(n) };
      },
    } as unknown as MpxStream;
  }

  const KiB = 1024;
  it.each([
    // A fast carrier: a full payload or more queued goes out as one bulk frame, the rest as it is.
    { fast: true, largest: 128 * KiB - 8, frames: [64 * KiB, 64 * KiB, 64 * KiB, 10 * KiB] },
    // Within the peer's max frame.
    { fast: true, largest: 40 * KiB, frames: [40 * KiB, 40 * KiB, 40 * KiB, 40 * KiB, 40 * KiB, 2 * KiB] },
    // A carrier that is not fast: maxPayload, the striping granularity.
    { fast: false, largest: 128 * KiB - 8, frames: [...Array<number>(12).fill(16 * KiB), 10 * KiB] },
  ])(
    'cuts 202 KiB into $frames.length frames on a carrier whose rate is fast: $fast, peer max payload $largest',
    async ({ fast, largest, frames }) => {
      const out = recorder();
      (out.link as unknown as { sendsWithinFrameTime: () => boolean }).sendsWithinFrameTime = () => fast;
      let charged = 0;
      const sink: FrameSink = {
        pick: () => out.link,
        pickData: () => out.link,
        pickAhead: () => out.link,
        pickDataAhead: () => out.link,
        chargeData: (_link, size) => {
          charged += size;
        },
        unackedBytes: 0,
      };
      const loop = new SendLoop(sink, 1 << 30, 16 * KiB);
      loop.adoptPeer(1 << 30, 16 * KiB, largest);
      loop.wake(bulkStream(1, 202 * KiB));
      await flushed();
      const sizes = out.frames.map((f) => (f.type === FrameType.DATA ? f.payload.byteLength : -1));
      expect(sizes).toEqual(frames);
      // The picker charged each frame for 16 KiB and the bulk frames' extra here: every byte once.
      expect(charged).toBe(frames.reduce((sum, n) => sum + Math.max(0, n - 16 * KiB), 0));
    },
  );

  it('gives two bulk streams that share the round bulk frames in turn on a fast carrier, each paying for one with the turns it carried beyond maxPayload', async () => {
    const out = recorder();
    (out.link as unknown as { sendsWithinFrameTime: () => boolean }).sendsWithinFrameTime = () => true;
    const loop = new SendLoop(sinkOf(out), 1 << 30, 16 * KiB);
    loop.adoptPeer(1 << 30, 16 * KiB, 128 * KiB - 8);
    loop.wake(bulkStream(1, 128 * KiB));
    loop.wake(bulkStream(3, 192 * KiB));
    await flushed();
    const sent = out.frames.map((f) => (f.type === FrameType.DATA ? `${f.streamId}:${f.payload.byteLength / KiB}` : '-'));
    // Each 64 KiB frame costs its stream three turns while the other waits; stream 3, alone at the end, owes nothing.
    expect(sent).toEqual(['1:64', '3:64', '1:64', '3:64', '3:64']);
  });

  it('shares bytes, not frames, between two bulk streams whose turns fall on a fast and a slow carrier in turn', async () => {
    const out = recorder();
    let fast = false;
    (out.link as unknown as { sendsWithinFrameTime: () => boolean }).sendsWithinFrameTime = () => (fast = !fast);
    const loop = new SendLoop(sinkOf(out), 1 << 30, 16 * KiB);
    loop.adoptPeer(1 << 30, 16 * KiB, 128 * KiB - 8);
    const size = 1024 * KiB;
    loop.wake(bulkStream(1, size));
    loop.wake(bulkStream(3, size));
    await flushed();
    const bytes = new Map([
      [1, 0],
      [3, 0],
    ]);
    let atFirstEnd = -1;
    for (const f of out.frames) {
      if (f.type !== FrameType.DATA) continue;
      bytes.set(f.streamId, (bytes.get(f.streamId) ?? 0) + f.payload.byteLength);
      if (atFirstEnd < 0 && bytes.get(f.streamId) === size) atFirstEnd = Math.min(...bytes.values());
    }
    expect([...bytes.values()]).toEqual([size, size]);
    // Frames in turn with bulk frames on every other decision would give one stream four times the other's bytes.
    expect(atFirstEnd).toBeGreaterThanOrEqual(size - 64 * KiB);
  });
});
