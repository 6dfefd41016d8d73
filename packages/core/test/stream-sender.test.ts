// A stream's send side (SPEC §6.2, §6.3, §7.1) without a session: queue,
// credit, offsets, SYN/FIN, and stop on reset.
import { describe, expect, it } from 'vitest';
import { StreamSender } from '../src/stream-sender.js';

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
