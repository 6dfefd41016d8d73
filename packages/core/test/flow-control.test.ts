// SPEC §7: flow-control accounting with absolute offsets.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { WireCode } from '../src/constants.js';
import { MpxError, MpxProtocolError } from '../src/errors.js';
import { ReceiveWindow, SendCredit } from '../src/flow-control.js';
import { OFFSET_STEP } from '../src/small-integers.js';
import { wireCodeOf } from './wire-code-of.js';

describe('SendCredit', () => {
  it('starts with the initial credit and nothing sent', () => {
    const credit = new SendCredit(1000);
    expect(credit.max).toBe(1000);
    expect(credit.sent).toBe(0);
    expect(credit.available).toBe(1000);
  });

  it('charges sent bytes against the credit', () => {
    const credit = new SendCredit(1000);
    credit.charge(300);
    credit.charge(700);
    expect(credit.sent).toBe(1000);
    expect(credit.available).toBe(0);
  });

  it('refuses to charge more than is available, leaving the credit unchanged', () => {
    const credit = new SendCredit(100);
    credit.charge(60);
    let caught: unknown;
    try {
      credit.charge(41);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MpxError);
    expect((caught as MpxError).code).toBe('MPX_ERR_INVALID_ARGUMENT');
    expect(credit.sent).toBe(60);
    expect(credit.available).toBe(40);
  });

  it('raises the limit on a larger WINDOW and ignores a smaller or repeated one', () => {
    const credit = new SendCredit(100);
    expect(credit.update(250)).toBe(true);
    expect(credit.update(250)).toBe(false);
    expect(credit.update(180)).toBe(false);
    expect(credit.max).toBe(250);
    expect(credit.available).toBe(250);
  });

  it('never goes negative under any mix of charges and updates', () => {
    const op = fc.oneof(fc.record({ charge: fc.integer({ min: 0, max: 500 }) }), fc.record({ update: fc.integer({ min: 0, max: 5000 }) }));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.array(op, { maxLength: 50 }), (initial, ops) => {
        const credit = new SendCredit(initial);
        let max = initial;
        let sent = 0;
        for (const o of ops) {
          if ('charge' in o) {
            if (o.charge <= max - sent) {
              credit.charge(o.charge);
              sent += o.charge;
            } else {
              expect(() => credit.charge(o.charge)).toThrow(MpxError);
            }
          } else {
            expect(credit.update(o.update)).toBe(o.update > max);
            max = Math.max(max, o.update);
          }
          expect(credit.available).toBeGreaterThanOrEqual(0);
          expect(credit.available).toBe(max - sent);
          expect(credit.sent).toBe(sent);
        }
      }),
      { seed: 7071, numRuns: 300 },
    );
  });

  it('ends at the largest WINDOW whatever the order and duplication of updates', () => {
    const updates = fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 30 }).chain((values) => {
      const doubled = [...values, ...values.slice(0, Math.ceil(values.length / 2))];
      return fc.tuple(fc.constant(values), fc.shuffledSubarray(doubled, { minLength: doubled.length, maxLength: doubled.length }));
    });
    fc.assert(
      fc.property(updates, ([values, arrival]) => {
        const credit = new SendCredit(0);
        let grew = 0;
        for (const v of arrival) if (credit.update(v)) grew++;
        expect(credit.max).toBe(Math.max(...values));
        expect(grew).toBeLessThanOrEqual(new Set(values).size);
      }),
      { seed: 424242, numRuns: 300 },
    );
  });
});

describe('ReceiveWindow', () => {
  it('grants one window up front', () => {
    const rw = new ReceiveWindow(1000);
    expect(rw.window).toBe(1000);
    expect(rw.advertised).toBe(1000);
    expect(rw.received).toBe(0);
    expect(rw.consumed).toBe(0);
  });

  it('accepts data up to the granted offset', () => {
    const rw = new ReceiveWindow(1000);
    rw.onReceive(400);
    rw.onReceive(1000);
    expect(rw.received).toBe(1000);
  });

  it('rejects data beyond the granted offset with FLOW_CONTROL', () => {
    const rw = new ReceiveWindow(1000);
    rw.onReceive(500);
    let caught: unknown;
    try {
      rw.onReceive(1001);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MpxProtocolError);
    expect((caught as MpxProtocolError).wireCode).toBe(WireCode.FLOW_CONTROL);
    expect((caught as MpxProtocolError).code).toBe('MPX_ERR_FLOW_CONTROL');
    expect(rw.received).toBe(500);
  });

  it('ignores a lower highest offset from a retransmitted or reordered frame', () => {
    const rw = new ReceiveWindow(1000);
    rw.onReceive(800);
    rw.onReceive(300);
    expect(rw.received).toBe(800);
  });

  it('holds back WINDOW until reads would raise the credit by half a window', () => {
    const rw = new ReceiveWindow(1000);
    rw.onReceive(1000);
    expect(rw.onConsume(200)).toBeNull();
    expect(rw.onConsume(299)).toBeNull();
    expect(rw.advertised).toBe(1000);
    // consumed 500: raising to 1500 adds exactly half a window.
    expect(rw.onConsume(1)).toBe(1500);
    expect(rw.advertised).toBe(1500);
    rw.onReceive(1500);
    expect(rw.onConsume(499)).toBeNull();
    expect(rw.onConsume(1)).toBe(2000);
  });

  it('returns credit on consumption, not on receipt', () => {
    const rw = new ReceiveWindow(1000);
    rw.onReceive(1000);
    expect(rw.advertised).toBe(1000);
    expect(() => rw.onReceive(1001)).toThrow(MpxProtocolError);
  });

  it('refuses to consume more than was received', () => {
    const rw = new ReceiveWindow(1000);
    rw.onReceive(100);
    expect(() => rw.onConsume(101)).toThrow(MpxError);
    expect(rw.consumed).toBe(0);
  });

  it('forces an update below the batching threshold, once', () => {
    const rw = new ReceiveWindow(1000);
    rw.onReceive(100);
    expect(rw.onConsume(100)).toBeNull();
    expect(rw.forceUpdate()).toBe(1100);
    expect(rw.advertised).toBe(1100);
    expect(rw.forceUpdate()).toBeNull();
  });

  it('never grants from a zero window', () => {
    const rw = new ReceiveWindow(0);
    expect(rw.onConsume(0)).toBeNull();
    expect(rw.forceUpdate()).toBeNull();
    expect(() => rw.onReceive(1)).toThrow(MpxProtocolError);
  });

  it('keeps the peer within one window of what was consumed and batches updates', () => {
    const scenario = fc.record({
      // Large windows take the offsets past 2^30 and 2^31, where the window moves its base (small-integers.ts).
      window: fc.oneof(fc.integer({ min: 2, max: 10_000 }), fc.integer({ min: 2 ** 27, max: 2 ** 29 })),
      steps: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), {
        maxLength: 60,
      }),
    });
    fc.assert(
      fc.property(scenario, ({ window, steps }) => {
        const rw = new ReceiveWindow(window);
        // The peer learns credit only through returned updates (taken as delivered here).
        let peerMax = window;
        let lastUpdate = window;
        for (const [sendFrac, readFrac] of steps) {
          const target = rw.received + Math.floor((peerMax - rw.received) * sendFrac);
          rw.onReceive(target);
          const n = Math.floor((rw.received - rw.consumed) * readFrac);
          const update = rw.onConsume(n);
          if (update !== null) {
            expect(update - lastUpdate).toBeGreaterThanOrEqual(window / 2);
            expect(update).toBe(rw.consumed + window);
            lastUpdate = update;
            peerMax = Math.max(peerMax, update);
          }
          expect(rw.advertised).toBe(peerMax);
          expect(rw.advertised).toBeLessThanOrEqual(rw.consumed + window);
          expect(rw.advertised).toBeGreaterThan(rw.consumed + window / 2);
          expect(() => rw.onReceive(peerMax + 1)).toThrow(MpxProtocolError);
        }
      }),
      { seed: 1337, numRuns: 300 },
    );
  });
});

describe('offsets past 2^31 (small-integers.ts)', () => {
  it('SendCredit charges and takes WINDOW values exactly across the steps of its base', () => {
    const credit = new SendCredit(OFFSET_STEP - 10);
    credit.charge(OFFSET_STEP - 10);
    expect(credit.available).toBe(0);
    expect(credit.update(3 * OFFSET_STEP)).toBe(true);
    credit.charge(OFFSET_STEP);
    credit.charge(OFFSET_STEP + 5); // the sent count passes 2^31
    expect(credit.sent).toBe(3 * OFFSET_STEP - 5);
    expect(credit.max).toBe(3 * OFFSET_STEP);
    expect(credit.available).toBe(5);
    expect(credit.update(2 * OFFSET_STEP)).toBe(false); // a stale WINDOW from below the base
    expect(credit.update(3 * OFFSET_STEP)).toBe(false);
    expect(credit.update(2 ** 40)).toBe(true);
    expect(credit.available).toBe(2 ** 40 - 3 * OFFSET_STEP + 5);
    expect(() => credit.charge(2 ** 40)).toThrow(MpxError);
  });

  it('ReceiveWindow grants, checks and reports absolute offsets across the steps of its base', () => {
    const window = 2 ** 28;
    const rw = new ReceiveWindow(window);
    let end = 0;
    let updates = 0;
    // Ten windows in quarters: the consumed count passes 2^30 and 2^31.
    for (let i = 0; i < 40; i++) {
      end += window / 4;
      rw.onReceive(end);
      const update = rw.onConsume(window / 4);
      if (update !== null) {
        expect(update).toBe(end + window);
        updates++;
      }
      expect(rw.received).toBe(end);
      expect(rw.consumed).toBe(end);
      expect(rw.advertised).toBeGreaterThanOrEqual(end + window / 2);
      expect(wireCodeOf(() => rw.onReceive(rw.advertised + 1))).toBe(WireCode.FLOW_CONTROL);
    }
    expect(end).toBe(10 * window);
    expect(updates).toBe(20);
    rw.onReceive(end - window); // a late frame from below the base
    expect(rw.received).toBe(end);
  });

  it('ReceiveWindow.grow counts the session sum past 2^31 and refuses what exceeds the credit, changing nothing', () => {
    const rw = new ReceiveWindow(2 ** 29);
    for (let i = 0; i < 12; i++) {
      rw.grow(2 ** 28);
      rw.onConsume(2 ** 28);
    }
    expect(rw.received).toBe(12 * 2 ** 28);
    const room = rw.advertised - rw.received;
    expect(wireCodeOf(() => rw.grow(room + 1))).toBe(WireCode.FLOW_CONTROL);
    expect(rw.received).toBe(12 * 2 ** 28);
    rw.grow(room);
    expect(rw.received).toBe(rw.advertised);
  });
});
