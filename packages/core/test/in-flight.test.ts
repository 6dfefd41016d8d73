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

  it('hands its unacknowledged frames over, oldest first', () => {
    const f = new InFlight();
    f.push(win(1), 20, 0);
    f.push(win(2), 20, 1);
    expect(f.duplicateOldest(20).map((s) => s.frame)).toEqual([win(1)]);
    expect(f.takeAll().map((s) => s.frame)).toEqual([win(1), win(2)]);
    expect(f.bytes).toBe(0);
  });
});
