// SPEC §9: frames sent again go out in the order they were first sent, even
// when the carriers that held them are lost one at a time.
import { describe, expect, it } from 'vitest';
import type { CarrierLink } from '../src/carrier-link.js';
import { FrameType } from '../src/constants.js';
import type { Frame } from '../src/frame.js';
import { SendLoop, type FrameSink } from '../src/send-loop.js';
import type { SentFrame } from '../src/sent-frames.js';
import type { MpxStream } from '../src/stream.js';

/** A carrier that records what it is given, as its in-flight record keeps it. */
function recorder(): { link: CarrierLink; sent: SentFrame[]; frames: Frame[] } {
  const sent: SentFrame[] = [];
  const link = { send: (frame: Frame, order: number) => (sent.push({ frame, order }), true) } as unknown as CarrierLink;
  return {
    link,
    sent,
    get frames() {
      return sent.map((s) => s.frame);
    },
  };
}

/** A sink whose carrier is `current.link` (none while undefined). */
function sinkOf(current: { link: CarrierLink | undefined }): FrameSink {
  return { pick: () => current.link, pickData: () => current.link, unackedBytes: 0 };
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

/** A stream with `frames` frames of `size` bytes to send, as the send loop sees it. */
function fakeStream(id: number, frames: number, size: number): MpxStream {
  let left = frames;
  let offset = 0;
  return {
    id,
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
    const sink: FrameSink = { pick: () => out.link, pickData: () => (room > 0 ? (room--, out.link) : undefined), unackedBytes: 0 };
    const loop = new SendLoop(sink, 1 << 30, 1024);
    loop.adoptPeer(1 << 30, 1024);
    loop.wake(fakeStream(1, 100, 1024));
    await flushed();
    loop.wake(fakeStream(3, 1, 1));
    for (let drain = 0; drain < 3; drain++) {
      room = 1;
      loop.schedule();
      await flushed();
    }
    const streams = out.frames.map((f) => (f.type === FrameType.DATA ? f.streamId : -1));
    // The bulk stream's frame had found no carrier before the new stream woke, so it goes first; the new stream next.
    expect(streams).toEqual([1, 3, 1]);
  });
});
