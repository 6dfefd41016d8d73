// A stream's send side (SPEC §6.2, §6.3, §7.1) without a session: queue,
// credit, offsets, SYN/FIN, and stop on reset.
import { describe, expect, it } from 'vitest';
import { StreamSender, UNJOINED } from '../src/stream-sender.js';

function sender(credit: number, local = true): { tx: StreamSender; queued: () => number } {
  let total = 0;
  const tx = new StreamSender(3, credit, local, (delta) => (total += delta));
  return { tx, queued: () => total };
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('StreamSender', () => {
  it('sends a SYN-only frame for a new local stream, none for a peer stream', () => {
    const local = sender(100).tx;
    expect(local.nextPayload(100, 50)).toBe(0);
    expect(local.takeFrame(0)).toMatchObject({ streamId: 3, offset: 0, syn: true, fin: false });
    expect(local.nextPayload(100, 50)).toBe(-1);
    expect(sender(100, false).tx.nextPayload(100, 50)).toBe(-1);
  });

  it('cuts frames at the smallest of queue, stream credit, session credit and max payload, joining chunks', () => {
    const { tx, queued } = sender(8);
    tx.enqueue(text('abc'));
    tx.enqueue(text('defgh'));
    tx.enqueue(text('ij'));
    expect(queued()).toBe(10);
    expect(tx.nextPayload(100, 4)).toBe(4);
    const first = tx.takeFrame(4);
    expect(first).toMatchObject({ offset: 0, syn: true });
    expect(Buffer.from(first.payload).toString()).toBe('abcd');
    expect(tx.nextPayload(3, 100)).toBe(3);
    expect(Buffer.from(tx.takeFrame(3).payload).toString()).toBe('efg');
    // Stream credit (8) leaves 1 byte.
    expect(tx.nextPayload(100, 100)).toBe(1);
    expect(tx.takeFrame(1)).toMatchObject({ offset: 7, syn: false });
    expect(tx.nextPayload(100, 100)).toBe(-1);
    expect(tx.offset).toBe(8);
    expect(queued()).toBe(2);
  });

  it('waits for more credit from a WINDOW, and reports when only session credit is missing', () => {
    const { tx } = sender(0, false);
    tx.enqueue(text('xy'));
    expect(tx.nextPayload(10, 10)).toBe(-1);
    expect(tx.blockedOnSession(0)).toBe(false);
    expect(tx.updateCredit(5)).toBe(true);
    expect(tx.updateCredit(4)).toBe(false);
    expect(tx.blockedOnSession(0)).toBe(true);
    expect(tx.nextPayload(10, 10)).toBe(2);
  });

  it('sets FIN on the frame with the last queued byte, then sends nothing more', () => {
    const { tx } = sender(100, false);
    tx.enqueue(text('end'));
    tx.queueFin();
    expect(tx.takeFrame(tx.nextPayload(100, 2))).toMatchObject({ fin: false });
    expect(tx.takeFrame(tx.nextPayload(100, 2))).toMatchObject({ fin: true, offset: 2 });
    expect(tx.finSent).toBe(true);
    expect(tx.nextPayload(100, 2)).toBe(-1);
  });

  it('on stop drops the queue, reports the final size and sends nothing more', () => {
    const { tx, queued } = sender(100, false);
    tx.enqueue(text('abcdef'));
    tx.takeFrame(2);
    expect(tx.stop()).toBe(2);
    expect(queued()).toBe(0);
    expect(tx.stopped).toBe(true);
    expect(tx.nextPayload(100, 100)).toBe(-1);
    tx.enqueue(text('x'));
    expect(tx.blockedOnSession(0)).toBe(false);
  });
});

describe('StreamSender and payload memory (payload-owner.ts)', () => {
  function lent(): { tx: StreamSender; released: number[]; taken: number[] } {
    const released: number[] = [];
    const taken: number[] = [];
    const owner = {
      take: (n: number) => {
        taken.push(n);
        return new Uint8Array(n);
      },
      release: (p: Uint8Array) => released.push(p.byteLength),
      keep: () => {},
    };
    return { tx: new StreamSender(3, 1 << 20, false, () => {}, owner), released, taken };
  }

  it(`ends a frame where a chunk of UNJOINED (${UNJOINED}) bytes or more ends, instead of joining it to the next`, () => {
    const { tx, taken } = lent();
    tx.enqueue(new Uint8Array(UNJOINED + 100));
    tx.enqueue(new Uint8Array(UNJOINED));
    expect(tx.nextPayload(1 << 20, 16384)).toBe(UNJOINED + 100);
    tx.takeFrame(UNJOINED + 100);
    expect(tx.nextPayload(1 << 20, 16384)).toBe(UNJOINED);
    expect(taken).toEqual([]);
  });

  it('joins a run of small chunks only up to the next large one, in memory taken from the owner, and releases what it copied', () => {
    const { tx, taken, released } = lent();
    tx.enqueue(new Uint8Array(100));
    tx.enqueue(new Uint8Array(200));
    tx.enqueue(new Uint8Array(UNJOINED));
    expect(tx.nextPayload(1 << 20, 16384)).toBe(300);
    const frame = tx.takeFrame(300);
    expect(frame.payload.byteLength).toBe(300);
    expect(taken).toEqual([300]);
    expect(released).toEqual([100, 200]);
  });

  it('releases what is still queued when the stream is reset', () => {
    const { tx, released } = lent();
    tx.enqueue(new Uint8Array(UNJOINED));
    tx.enqueue(new Uint8Array(50));
    tx.takeFrame(1000);
    tx.stop();
    expect(released).toEqual([UNJOINED - 1000, 50]);
  });

  it('numbers frames exactly past 2^31, where its offset and credit move their bases (small-integers.ts)', () => {
    const { tx, queued } = sender(2 ** 32);
    const chunk = new Uint8Array(1 << 20);
    const total = 2 ** 31 + 2 * chunk.length;
    let offset = 0;
    while (offset < total) {
      tx.enqueue(chunk);
      const n = tx.nextPayload(2 ** 40, chunk.length);
      expect(n).toBe(chunk.length);
      expect(tx.takeFrame(n).offset).toBe(offset);
      offset += n;
    }
    expect(tx.offset).toBe(total);
    expect(tx.creditAvailable).toBe(2 ** 32 - total);
    expect(tx.updateCredit(2 ** 31)).toBe(false); // a stale WINDOW
    expect(tx.updateCredit(2 ** 33)).toBe(true);
    expect(tx.creditAvailable).toBe(2 ** 33 - total);
    tx.enqueue(chunk);
    expect(tx.stop()).toBe(total);
    expect(queued()).toBe(0);
  });
});
