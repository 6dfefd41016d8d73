// SPEC §8, §9, sender side without sockets: ACKs release frames in flight and
// feed the path estimate, which caps what may be in flight.
import { describe, expect, it } from 'vitest';
import { FrameType } from '../src/constants.js';
import type { Frame } from '../src/frame.js';
import { InFlight } from '../src/in-flight.js';
import { MIN_INFLIGHT_CAP } from '../src/path-estimator.js';

const win = (n: number): Frame => ({ type: FrameType.WINDOW, streamId: 1, maxOffset: n });

describe('InFlight (SPEC §8, §9, sender side)', () => {
  it('takes an RTT sample from an ACK of two or more frames, timed from the newest', () => {
    const f = new InFlight();
    f.push(win(1), 20, 0);
    f.push(win(2), 20, 10);
    f.onAck(2, 50);
    expect(f.bytes).toBe(0);
    expect(f.estimator.srtt).toBe(40);
  });

  it('takes no RTT sample from the ACK of a lone frame, which may have been delayed', () => {
    const f = new InFlight();
    f.push(win(1), 20, 0);
    f.onAck(1, 50);
    expect(f.bytes).toBe(0);
    expect(f.estimator.srtt).toBeUndefined();
  });

  it('is capped once the bytes in flight reach the ceiling, and uncapped by an ACK', () => {
    const f = new InFlight();
    const ceiling = MIN_INFLIGHT_CAP;
    f.push(win(1), ceiling / 2, 0);
    expect(f.capped(0, ceiling)).toBe(false);
    f.push(win(2), ceiling / 2, 0);
    expect(f.capped(0, ceiling)).toBe(true);
    f.onAck(1, 5);
    expect(f.capped(5, ceiling)).toBe(false);
    expect(f.oldestSentAt()).toBe(0);
  });

  it('computes its cap afresh after an ACK, even at the same time as the cap it computed before', () => {
    const f = new InFlight();
    const ceiling = 1 << 24;
    const frame = 16 * 1024;
    for (let i = 0; i < 13; i++) f.push(win(i), frame, 0);
    f.onAck(2, 10); // an RTT sample (10 ms); a rate sample starts
    expect(f.capped(40, ceiling)).toBe(true); // no rate yet: the cap is MIN_INFLIGHT_CAP
    f.onAck(10, 40); // 128 KiB in 30 ms: the first rate sample sets the cap
    const cap = f.estimator.inflightCap(40, ceiling, f.bytes);
    expect(cap).not.toBe(MIN_INFLIGHT_CAP);
    const fresh = f.bytes >= cap - frame / 2;
    expect(fresh).not.toBe(f.bytes >= MIN_INFLIGHT_CAP - frame / 2); // the cap before the ACK would answer otherwise
    expect(f.capped(40, ceiling)).toBe(fresh);
  });

  it('stops half its largest frame short of the cap, so the bytes in flight are the cap rounded to whole frames', () => {
    const f = new InFlight();
    const ceiling = MIN_INFLIGHT_CAP; // 64 KiB: nothing measured, so the cap is the ceiling
    const frame = 16 * 1024;
    for (let i = 0; i < 3; i++) f.push(win(i), frame, 0);
    expect(f.capped(0, ceiling)).toBe(false); // 48 KiB + half a frame < 64 KiB + ...
    f.push(win(3), frame, 0);
    expect(f.capped(0, ceiling)).toBe(true); // 64 KiB
    const g = new InFlight();
    for (let i = 0; i < 3; i++) g.push(win(i), frame, 0);
    g.push(win(3), 8 * 1024, 0); // 56 KiB: within half a frame of the cap
    expect(g.capped(0, ceiling)).toBe(true);
  });

  it('takes a rate sample when an ACK empties a carrier that its cap held back, not one that ran out of data', () => {
    const held = new InFlight();
    const idle = new InFlight();
    for (const f of [held, idle]) {
      f.estimator.onRttSample(10, 0, 'ping');
      f.push(win(1), 20_000, 0);
      f.push(win(2), 20_000, 0);
    }
    expect(held.capped(0, 40_000)).toBe(true);
    for (const f of [held, idle]) f.onAck(2, 10); // starts a sample
    for (const f of [held, idle]) {
      f.push(win(3), 20_000, 10);
      f.push(win(4), 20_000, 10);
    }
    expect(held.capped(10, 40_000)).toBe(true);
    for (const f of [held, idle]) f.onAck(4, 40);
    expect(held.estimator.rate(40)).toBeCloseTo(40_000 / 30);
    expect(idle.estimator.rate(40)).toBeUndefined();
  });

  it('paces frames at the pacing rate while 48 KiB or more are in flight, and not before the rate is known', () => {
    const f = new InFlight(500);
    const frame = 16 * 1024;
    for (let i = 0; i < 9; i++) f.push(win(i), frame, 0);
    expect(f.paceWait(0)).toBe(0); // no rate yet: not paced
    f.onAck(2, 40); // an RTT sample of 40 ms (1.25 products are above the floor in time); a rate sample starts
    f.onAck(8, 160); // 96 KiB in 120 ms (two smoothed RTTs), with a frame still in flight: the rate is known
    const rate = f.estimator.pacingRate(160)!;
    expect(rate).toBeGreaterThan(0);
    expect(f.estimator.pacesAll(160)).toBe(false);
    expect(f.capped(160, 1 << 24)).toBe(false); // computes the cap and the pacing rate
    f.push(win(9), frame, 160);
    expect(f.paceWait(160)).toBe(0); // 32 KiB in flight: below the 48 KiB pacing starts at
    f.push(win(10), frame, 160);
    // 48 KiB in flight: the next frame waits for the two sent at 160 ms, less the 4 ms of slack.
    expect(f.paceWait(160)).toBeCloseTo((2 * frame) / rate - 4, 6);
    expect(f.paceWait(160, false)).toBe(0); // the peer sends no data on the carrier: not paced
  });

  it('paces every frame from the first while the floor in time sets the cap and the peer sends no data on the carrier', () => {
    const f = new InFlight(500);
    const frame = 16 * 1024;
    for (let i = 0; i < 9; i++) f.push(win(i), frame, 0);
    // ACKs stamped with the peer's clock (version 2, SPEC §5.4), with no data
    // of the peer's in front of them; an RTT sample of 20 ms, under the floor's 32 ms.
    f.onAck(2, 20, 1010, false);
    f.onAck(8, 80, 1070, false);
    expect(f.estimator.pacesAll(80)).toBe(true);
    const rate = f.estimator.pacingRate(80)!;
    expect(f.capped(80, 1 << 24)).toBe(false);
    f.push(win(9), frame, 80);
    expect(f.paceWait(80, false)).toBeCloseTo(frame / rate - 4, 6); // 16 KiB in flight, no data from the peer
  });

  it('catches up a late pacing timer for up to 20 ms, but the burst after waiting for ACKs for up to 4 ms only', () => {
    const frame = 16 * 1024;
    const paced = (): { f: InFlight; rate: number } => {
      const f = new InFlight(500);
      for (let i = 0; i < 9; i++) f.push(win(i), frame, 0);
      f.onAck(2, 20);
      f.onAck(8, 80);
      f.capped(80, 1 << 24);
      for (let i = 0; i < 4; i++) f.push(win(i), frame, 80);
      return { f, rate: f.estimator.pacingRate(80)! };
    };
    // Held by pacing, then woken 100 ms late: sends resume as if from 20 ms ago.
    const late = paced();
    expect(late.f.paceWait(80)).toBeGreaterThan(0);
    for (let i = 9; i < 12; i++) late.f.push(win(i), frame, 180);
    expect(late.f.paceWait(180)).toBeCloseTo((3 * frame) / late.rate - 20, 6);
    // Held by its cap last (it waited for ACKs): as if from 4 ms ago.
    const acked = paced();
    expect(acked.f.paceWait(80)).toBeGreaterThan(0);
    expect(acked.f.capped(80, 1)).toBe(true); // a ceiling of 1 byte: held by the cap
    for (let i = 9; i < 12; i++) acked.f.push(win(i), frame, 180);
    expect(acked.f.paceWait(180)).toBeCloseTo((3 * frame) / acked.rate - 4, 6);
  });

  it('keeps up with the path once its rate is measured, after a rate measured on WINDOW frames alone', () => {
    // The server of a download right after an upload on the same carrier: its
    // rate was measured on the WINDOW frames it sent during the upload (a few
    // bytes per ms); its first DATA frames went out at the cap, not paced.
    // (Frames of 16 KiB stand for DATA: their type does not matter here.)
    const f = new InFlight(500);
    const frame = 16 * 1024;
    const ceiling = 1 << 24;
    for (let i = 0; i < 3; i++) f.push(win(i), 20, i);
    f.onAck(1, 12, 1012, false);
    f.onAck(2, 40, 1040, false); // a rate sample starts, a WINDOW frame still in flight
    f.onAck(3, 100, 1100, false); // 20 bytes in 60 ms
    expect(f.estimator.rate(100)).toBeLessThan(1);
    // The download, over a path of 5000 bytes per ms (40 Mbit/s) and a 10 ms
    // round trip, which acknowledges each frame as it arrives; the peer's
    // stamped ACKs come behind no data of its own.
    const pathRate = 5000;
    const rtt = 10;
    const acks: { at: number; count: number }[] = [];
    let sent = 3;
    let arrived = 0;
    let ackedLate = 0;
    for (let now = 100; now < 700; now += 0.5) {
      while (acks.length > 0 && acks[0]!.at <= now) {
        f.onAck(acks.shift()!.count, now, 1000 + now - rtt / 2, false);
        if (now >= 400) ackedLate += frame;
      }
      for (let k = 0; k < 4 && !f.capped(now, ceiling) && f.paceWait(now, false) === 0; k++) {
        f.push(win(sent), frame, now);
        sent++;
        arrived = Math.max(now + rtt / 2, arrived + frame / pathRate);
        acks.push({ at: arrived + rtt / 2, count: sent });
      }
    }
    expect(f.estimator.pacesAll(700)).toBe(true); // every frame is paced at the measured rate
    expect(ackedLate / 300).toBeGreaterThan(0.9 * pathRate); // over the last 300 ms
  });

  it('holds the next frame back no longer than its cap takes to send at the pacing rate', () => {
    const f = new InFlight(500);
    const frame = 16 * 1024;
    const ceiling = 1 << 24;
    for (let i = 0; i < 9; i++) f.push(win(i), frame, 0);
    f.onAck(2, 40);
    f.onAck(8, 160); // the rate is known
    expect(f.capped(160, ceiling)).toBe(false);
    const rate = f.estimator.pacingRate(160)!;
    for (let i = 9; i < 40; i++) f.push(win(i), frame, 160); // frames pacing did not hold back (e.g. before it took hold)
    expect(f.paceWait(160)).toBeCloseTo((31 * frame) / rate - 4, 6);
    expect(f.capped(161, ceiling)).toBe(true); // the cap and the pacing rate computed afresh
    const cap = f.estimator.inflightCap(161, ceiling, f.bytes);
    expect(f.paceWait(161)).toBeCloseTo(cap / f.estimator.pacingRate(161)!, 6);
  });

  it('takes frames ahead of its cap until the bytes in flight reach the cap plus the allowance', () => {
    const f = new InFlight();
    const ceiling = MIN_INFLIGHT_CAP; // nothing measured: the cap is the ceiling
    const ahead = 16 * 1024;
    f.push(win(1), ceiling, 0);
    expect(f.capped(0, ceiling)).toBe(true);
    expect(f.roomAhead(0, ceiling, ahead)).toBe(true);
    f.push(win(2), ahead - 1, 0);
    expect(f.roomAhead(0, ceiling, ahead)).toBe(true);
    f.push(win(3), 1, 0);
    expect(f.roomAhead(0, ceiling, ahead)).toBe(false);
    f.onAck(1, 10);
    expect(f.roomAhead(10, ceiling, ahead)).toBe(true);
  });

  it('expects a frame sent now to be acknowledged after the minimum RTT, or after what is in flight drains at the rate', () => {
    const f = new InFlight();
    expect(f.ackWait(0)).toBe(0); // nothing measured
    f.estimator.onRttSample(10, 0, 'ping');
    expect(f.ackWait(0)).toBe(10); // no rate yet: the minimum RTT
    const frame = 16 * 1024;
    for (let i = 0; i < 9; i++) f.push(win(i), frame, 0);
    f.onAck(2, 20); // a frame RTT sample of 20 ms; a rate sample starts
    f.onAck(8, 80); // 96 KiB in 60 ms
    const rate = f.estimator.rate(80)!;
    expect(rate).toBeCloseTo((6 * frame) / 60);
    expect(f.ackWait(80)).toBe(f.estimator.minRtt); // one frame in flight: less than a round trip's worth
    for (let i = 9; i < 20; i++) f.push(win(i), frame, 80);
    expect(f.ackWait(80)).toBeCloseTo((12 * frame) / rate); // behind twelve frames at the rate
  });

  it('hands its unacknowledged frames over, oldest first', () => {
    const f = new InFlight();
    f.push(win(1), 20, 0);
    f.push(win(2), 20, 1);
    expect(f.duplicateOldest(20).map((s) => s.frame)).toEqual([win(1)]);
    expect(f.takeAll().map((s) => s.frame)).toEqual([win(1), win(2)]);
    expect(f.bytes).toBe(0);
  });
});
