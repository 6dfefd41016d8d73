// A stream's receive side (SPEC §6.4, §6.5, §7.1, §7.2) without a session:
// validate → insert → read → credit, and the session ledger it charges.
import { describe, expect, it } from 'vitest';
import { WireCode } from '../src/constants.js';
import { MpxProtocolError } from '../src/errors.js';
import { GapBudget } from '../src/reorder-buffer.js';
import { SessionReceive, StreamReceiver, type ReceiveLedger } from '../src/stream-receiver.js';
import { wireCodeOf } from './wire-code-of.js';

/** A ledger that records what the receiver charges and releases. */
class Ledger implements ReceiveLedger {
  admitted = 0;
  releasedBytes = 0;
  limit = Infinity;
  admit(growth: number): void {
    if (this.admitted + growth > this.limit) throw new MpxProtocolError(WireCode.FLOW_CONTROL, 'session limit');
    this.admitted += growth;
  }
  release(n: number): void {
    this.releasedBytes += n;
  }
}

function receiver(window = 1000, ledger = new Ledger()): { rx: StreamReceiver; ledger: Ledger; gaps: GapBudget } {
  const gaps = new GapBudget(100);
  return { rx: new StreamReceiver(7, window, gaps, ledger), ledger, gaps };
}

function bytes(n: number): Uint8Array {
  return new Uint8Array(n).fill(0x61);
}

describe('StreamReceiver', () => {
  it('charges the session only for bytes beyond the highest offset received', () => {
    const { rx, ledger } = receiver();
    //   [0,100) then [200,300) then [50,250): growth 100, 200, 0
    expect(rx.onData(0, bytes(100), false)).toBe(100);
    expect(rx.onData(200, bytes(100), false)).toBe(100);
    expect(rx.onData(50, bytes(200), false)).toBe(100);
    expect(ledger.admitted).toBe(300);
    expect(rx.highestReceived).toBe(300);
    expect(rx.bufferedBytes).toBe(300);
  });

  it('takes a payload split in two (`rest`) as the one frame it is: checked, charged and ended at the end of the rest', () => {
    const { rx, ledger } = receiver(1000);
    expect(wireCodeOf(() => rx.onData(0, bytes(600), false, bytes(401)))).toBe(WireCode.FLOW_CONTROL);
    expect(ledger.admitted).toBe(0);
    expect(
      rx.onData(
        0,
        bytes(600),
        true,
        Uint8Array.from({ length: 400 }, () => 0x62),
      ),
    ).toBe(1000);
    expect(ledger.admitted).toBe(1000);
    expect(rx.highestReceived).toBe(1000);
    const parts: Uint8Array[] = [];
    for (let p = rx.read(); p !== null; p = rx.read()) parts.push(p);
    expect(Buffer.concat(parts).equals(Buffer.concat([bytes(600), Buffer.alloc(400, 0x62)]))).toBe(true);
    rx.release(1000);
    expect(rx.isFinished).toBe(true);
  });

  it('returns credit as the reader takes bytes, a WINDOW once half the window was read', () => {
    const { rx, ledger } = receiver(1000);
    rx.onData(0, bytes(600), false);
    const chunk = rx.read();
    expect(chunk?.byteLength).toBe(600);
    expect(rx.release(400)).toBeNull();
    expect(rx.release(200)).toBe(1600);
    expect(ledger.releasedBytes).toBe(600);
    expect(rx.released).toBe(600);
  });

  it('asks for no WINDOW once the final size is known, but still releases session credit', () => {
    const { rx, ledger } = receiver(1000);
    rx.onData(0, bytes(600), true);
    rx.read();
    expect(rx.release(600)).toBeNull();
    expect(ledger.releasedBytes).toBe(600);
    expect(rx.isFinished).toBe(true);
  });

  it('refuses data beyond the stream credit with FLOW_CONTROL and charges nothing', () => {
    const { rx, ledger } = receiver(100);
    expect(wireCodeOf(() => rx.onData(50, bytes(51), false))).toBe(WireCode.FLOW_CONTROL);
    expect(ledger.admitted).toBe(0);
    expect(rx.highestReceived).toBe(0);
  });

  it('refuses data the session has no credit for and stores nothing', () => {
    const ledger = new Ledger();
    ledger.limit = 10;
    const { rx } = receiver(100, ledger);
    expect(wireCodeOf(() => rx.onData(0, bytes(11), false))).toBe(WireCode.FLOW_CONTROL);
    expect(rx.bufferedBytes).toBe(0);
    expect(rx.highestReceived).toBe(0);
  });

  it('refuses data past the final size, a second FIN elsewhere, and a FIN below bytes received (FINAL_SIZE)', () => {
    const { rx } = receiver();
    rx.onData(0, bytes(10), true);
    expect(wireCodeOf(() => rx.onData(10, bytes(1), false))).toBe(WireCode.FINAL_SIZE);
    expect(wireCodeOf(() => rx.onData(0, bytes(5), true))).toBe(WireCode.FINAL_SIZE);
    const other = receiver().rx;
    other.onData(0, bytes(10), false);
    expect(wireCodeOf(() => other.onData(0, bytes(5), true))).toBe(WireCode.FINAL_SIZE);
  });

  it('after a local reset releases everything counted, and discards later bytes, charging a duplicate once', () => {
    const { rx, ledger, gaps } = receiver();
    //   ###.....###        [0,10) and [20,30): one gap
    rx.onData(0, bytes(10), false);
    rx.onData(20, bytes(10), false);
    expect(gaps.used).toBe(1);
    rx.dropAll();
    expect(gaps.used).toBe(0);
    expect(ledger.releasedBytes).toBe(30);
    // [30,40) twice: counted and released once, never stored.
    expect(rx.onData(30, bytes(10), false)).toBe(0);
    expect(rx.onData(30, bytes(10), false)).toBe(0);
    expect(ledger.admitted).toBe(40);
    expect(ledger.releasedBytes).toBe(40);
    expect(rx.bufferedBytes).toBe(0);
    // The RESET that answers ours must carry at least what arrived.
    expect(wireCodeOf(() => rx.onReset(39))).toBe(WireCode.FINAL_SIZE);
    rx.onReset(40);
    expect(ledger.admitted).toBe(40);
    expect(ledger.releasedBytes).toBe(40);
  });

  it('on the peer’s RESET charges up to its final size and releases every byte not yet read', () => {
    const { rx, ledger } = receiver();
    rx.onData(0, bytes(100), false);
    rx.read();
    rx.release(100);
    rx.onData(150, bytes(50), false);
    rx.onReset(300);
    expect(rx.resetReceived).toBe(true);
    expect(ledger.admitted).toBe(300);
    expect(ledger.releasedBytes).toBe(300);
    expect(rx.bufferedBytes).toBe(0);
  });

  it('refuses a RESET whose final size contradicts a FIN, or lies beyond the credit', () => {
    const fin = receiver().rx;
    fin.onData(0, bytes(10), true);
    expect(wireCodeOf(() => fin.onReset(11))).toBe(WireCode.FINAL_SIZE);
    const far = receiver(100).rx;
    expect(wireCodeOf(() => far.onReset(101))).toBe(WireCode.FLOW_CONTROL);
  });

  it('gives its gaps back to the session budget when closed', () => {
    const { rx, gaps } = receiver();
    rx.onData(10, bytes(10), false);
    expect(gaps.used).toBe(1);
    rx.close();
    expect(gaps.used).toBe(0);
  });
});

describe('SessionReceive', () => {
  it('refuses growth beyond the session credit and asks for a WINDOW once half the window was released', () => {
    const updates: Array<number | null> = [];
    const session = new SessionReceive(100, (max) => updates.push(max));
    session.admit(60);
    expect(wireCodeOf(() => session.admit(41))).toBe(WireCode.FLOW_CONTROL);
    expect(session.received).toBe(60);
    session.release(30);
    session.release(30);
    expect(updates).toEqual([null, 160]);
    expect(session.advertised).toBe(160);
  });

  it('counts, checks and releases exactly past 2^31, where its window and buffer move their bases (small-integers.ts)', () => {
    const updates: number[] = [];
    const session = new SessionReceive(2 ** 29, (max) => {
      if (max !== null) updates.push(max);
    });
    const rx = new StreamReceiver(7, 2 ** 28, new GapBudget(100), session);
    const chunk = bytes(1 << 20);
    const total = 2 ** 31 + 3 * chunk.length;
    let windowUpdates = 0;
    // Each chunk arrives after the one behind it, and is read as the next one lands.
    for (let at = 0; at < total; at += chunk.length) {
      rx.onData(at + chunk.length, chunk, false);
      rx.onData(at, chunk, false);
      const read = rx.read()!;
      expect(read.length).toBe(chunk.length);
      const max = rx.release(read.length);
      if (max !== null) {
        expect(max).toBe(at + read.length + 2 ** 28);
        windowUpdates++;
      }
    }
    expect(rx.highestReceived).toBe(total + chunk.length);
    expect(rx.released).toBe(total);
    expect(rx.bufferedBytes).toBe(chunk.length);
    expect(rx.advertised).toBeGreaterThan(total);
    expect(windowUpdates).toBeGreaterThan(2 ** 31 / 2 ** 28);
    expect(session.received).toBe(total + chunk.length);
    expect(updates.at(-1)).toBe(session.advertised);
    expect(session.advertised).toBeGreaterThan(total);
    // Beyond the credit, and a RESET below what came: refused with exact offsets.
    expect(wireCodeOf(() => rx.onData(rx.advertised, bytes(1), false))).toBe(WireCode.FLOW_CONTROL);
    expect(wireCodeOf(() => rx.onReset(total))).toBe(WireCode.FINAL_SIZE);
    rx.onReset(total + chunk.length);
    expect(rx.released).toBe(total + chunk.length);
    expect(session.received).toBe(total + chunk.length);
  });
});
