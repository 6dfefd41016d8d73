import { describe, expect, it } from 'vitest';
import { MEASURED_FLOOR, MIN_INFLIGHT_CAP, PathEstimator } from '../src/path-estimator.js';

/** Feeds a delivery rate of `rate` bytes/ms from `from` to `to` ms, in ACKs 5 ms apart, with RTT samples of `rtt` (taken in turn when several). */
function deliver(e: PathEstimator, rate: number, from: number, to: number, rtt: number | readonly number[]): void {
  const rtts = typeof rtt === 'number' ? [rtt] : rtt;
  for (let t = from, i = 0; t <= to; t += 5, i++) {
    e.onRttSample(rtts[i % rtts.length] as number, t, 'frames');
    e.onAcked(rate * 5, t, true);
  }
}

/** A carrier whose ACKs are stamped (version 2) and whose peer sends no data on it; `align` 500: no drain before 1.5 s. */
function stamped(): PathEstimator {
  const e = new PathEstimator(500);
  e.onAckStamp(5010, 0, false);
  return e;
}

describe('PathEstimator', () => {
  it('smooths RTT samples like RFC 6298', () => {
    const e = new PathEstimator();
    e.onRttSample(100);
    expect(e.srtt).toBe(100);
    expect(e.rttvar).toBe(50);
    e.onRttSample(200);
    expect(e.srtt).toBeCloseTo(112.5);
    expect(e.rttvar).toBeCloseTo(62.5);
    expect(e.minRtt).toBe(100);
  });

  it('takes the minimum RTT from frames once one was timed, from PINGs and the handshake before', () => {
    const e = new PathEstimator();
    e.onRttSample(20, 0, 'ping');
    expect(e.minRtt).toBe(20);
    e.onRttSample(27, 10, 'frames'); // a frame also waits to pass the bottleneck
    expect(e.minRtt).toBe(27);
    e.onRttSample(10, 20, 'ping');
    expect(e.minRtt).toBe(27);
  });

  it('counts the ACK of a lone frame, which may have been delayed, for the minimum only', () => {
    const e = new PathEstimator();
    e.onRttSample(40, 0, 'frames');
    e.onRttSample(30, 10, 'lone-frame');
    expect(e.minRtt).toBe(30);
    expect(e.srtt).toBe(40);
  });

  it('measures the delivery rate over at least two RTTs and keeps the windowed maximum', () => {
    const e = new PathEstimator();
    e.onRttSample(20, 0, 'frames');
    e.onAcked(0, 0, true); // starts a sample
    e.onAcked(100_000, 25, true); // too short to close the sample
    e.onAcked(100_000, 50, true); // 200 kB in 50 ms
    expect(e.rate(50)).toBeCloseTo(4000);
    e.onAcked(50_000, 100, true); // 50 kB in 50 ms: lower, the max stays
    expect(e.rate(100)).toBeCloseTo(4000);
    expect(e.rate(5000)).toBeUndefined(); // forgotten after the window
  });

  it('takes no shorter a rate sample than the acknowledged frames took to send', () => {
    const e = new PathEstimator();
    e.onRttSample(20, 0, 'frames');
    e.onAcked(0, 0, true, 0);
    // ACKs held up, then arriving together: 200 kB acknowledged over 40 ms, sent over 100 ms.
    e.onAcked(200_000, 40, true, 100);
    expect(e.rate(40)).toBeCloseTo(2000);
  });

  it('forgets a rate within 1.5 s on a short path once two samples in a row show a queue, so a slower path loses its share', () => {
    const e = new PathEstimator(0);
    deliver(e, 5000, 0, 1000, 20);
    expect(e.rate(1000)).toBeCloseTo(5000);
    deliver(e, 500, 1005, 2400, 200);
    expect(e.rate(2400)).toBeLessThan(1000);
  });

  it('keeps its best rate through lower samples with no queue in them: ACKs came late, the path was not full', () => {
    const e = new PathEstimator(500);
    deliver(e, 5000, 0, 1000, 20);
    deliver(e, 1000, 1005, 5000, 20); // every sample still finds the path empty
    expect(e.rate(5000)).toBeCloseTo(5000);
  });

  it('drops samples taken while the carrier idled', () => {
    const e = new PathEstimator();
    e.onRttSample(10);
    e.onAcked(0, 0, true);
    e.onAcked(1000, 100, false);
    e.onAcked(1000, 200, true);
    expect(e.rate(200)).toBeUndefined();
  });

  it('caps in-flight bytes at 1.25 bandwidth-delay products of the minimum RTT, within [MEASURED_FLOOR, ceiling]', () => {
    const e = new PathEstimator(500); // no drain at the times asked
    expect(e.inflightCap(0, 1 << 24)).toBe(MIN_INFLIGHT_CAP); // nothing known yet
    e.onRttSample(100, 0, 'frames');
    for (let t = 1; t <= 50; t++) e.onRttSample(500, t, 'frames'); // a queue builds up: the minimum stays
    e.onAcked(0, 0, true);
    e.onAcked(30_000_000, 3000, true); // 10 kB/ms
    expect(e.rate(3000)).toBe(10_000);
    expect(e.minRtt).toBe(100);
    // 3000 ms is not in a probe round (one smoothed RTT, ≈ 500 ms, in eight).
    expect(e.inflightCap(3000, 1 << 24)).toBe(Math.ceil(1.25 * 10_000 * 102));
    expect(e.inflightCap(3000, 1_000_000)).toBe(1_000_000);
    // 4100 ms is: 1.5 products.
    expect(e.inflightCap(4100, 1 << 24)).toBe(Math.ceil(1.5 * 10_000 * 102));
    const slow = new PathEstimator(500);
    slow.onRttSample(1, 0, 'frames');
    slow.onAcked(0, 0, true);
    slow.onAcked(100, 10, true);
    expect(slow.inflightCap(11, 1 << 24)).toBe(MEASURED_FLOOR);
  });

  it('holds a carrier that shares 20 Mbit/s at a 20 ms round trip with another to 32 ms of its rate, not to three frames', () => {
    const e = new PathEstimator(500); // no drain at the times asked
    e.onRttSample(22, 0, 'frames');
    e.onAcked(0, 0, true);
    e.onAcked(1300 * 3000, 3000, true); // 1.3 kB/ms: half of 20 Mbit/s
    // 3030 ms is not in a probe round (one smoothed RTT, 22 ms, in eight): 1.25 products
    // (39 kB) are below the floor in time, 41.6 kB, which is below three frames (48 KiB).
    expect(Math.ceil(1.25 * 1300 * 24)).toBeLessThan(1300 * 32);
    expect(e.inflightCap(3030, 1 << 24)).toBe(1300 * 32);
    expect(e.inflightCap(3030, 1 << 24)).toBeLessThan(48 * 1024);
  });

  /** A carrier of 2 kB/ms (16 Mbit/s) on a 20 ms round trip whose ACKs are stamped (version 2): the floor in time sets its cap. */
  function floorBound(): PathEstimator {
    const e = stamped();
    deliver(e, 2000, 0, 300, 20);
    return e;
  }
  /** The first time from `from` on that is not in a probe round. */
  const cruise = (e: PathEstimator, from: number): number => {
    let t = from;
    while (e.pacingRate(t) === 1.5 * e.rate(t)!) t++;
    return t;
  };

  it('paces every frame of a carrier on a short round trip: at 1.25 × the rate with no queue kept, the rate with one, 0.9 × with a standing one', () => {
    const e = floorBound();
    const t0 = cruise(e, 300);
    expect(e.pacesAll(t0)).toBe(true);
    expect(e.pacingRate(t0)).toBeCloseTo(1.25 * 2000, 6);
    // Every frame RTT sample 10 ms above the minimum: the rate sample that
    // ends (two smoothed RTTs) keeps a queue, and so does the next one.
    deliver(e, 2000, 305, 400, 30);
    expect(e.pacingRate(cruise(e, 400))).toBeCloseTo(2000, 6);
    deliver(e, 2000, 405, 460, 30);
    expect(e.pacingRate(cruise(e, 460))).toBeCloseTo(0.9 * 2000, 6);
  });

  it('paces by the old rule a carrier on a round trip over 30 ms, one whose peer sends data on it, or one whose ACKs are not stamped (version 1)', () => {
    const long = stamped();
    deliver(long, 2000, 0, 600, 40); // 42 ms with the ACK delay: above the floor's 32 ms
    expect(long.pacesAll(cruise(long, 600))).toBe(false);
    const both = floorBound();
    expect(both.pacesAll(cruise(both, 300))).toBe(true);
    both.onAckStamp(5010, 300, true); // an ACK that came behind the peer's data
    expect(both.pacesAll(cruise(both, 300))).toBe(false);
    const unstamped = new PathEstimator(500);
    deliver(unstamped, 2000, 0, 300, 20);
    const t = cruise(unstamped, 300);
    expect(unstamped.pacesAll(t)).toBe(false);
    expect(unstamped.pacingRate(t)).toBeCloseTo(1.25 * 2000, 6);
  });

  it('never paces every frame of a carrier whose minimum RTT is under 5 ms (loopback, a LAN: the host limits it, not a link)', () => {
    const loopback = new PathEstimator(500);
    loopback.onAckStamp(5000.2, 0, false);
    deliver(loopback, 2000, 0, 300, 1);
    const t = cruise(loopback, 300);
    expect(loopback.pacesAll(t)).toBe(false);
    expect(loopback.pacingRate(t)).toBeCloseTo(1.25 * 2000, 6);
    const lan = new PathEstimator(500);
    lan.onAckStamp(5002.5, 0, false);
    deliver(lan, 2000, 0, 300, 5);
    expect(lan.pacesAll(cruise(lan, 300))).toBe(true);
  });

  it('keeps its best rate through lower samples with a queue in them while pacing, not its cap, held the carrier back', () => {
    const e = floorBound();
    // Two samples and more, each with a queue, at half the rate: sent at the pacing rate, delivered at it.
    for (let t = 305; t <= 1400; t += 5) {
      e.onRttSample(30, t, 'frames');
      e.onAcked(1000 * 5, t, true, undefined, true);
    }
    expect(e.rate(1400)).toBeCloseTo(2000, 6);
    // The same samples with the cap, not pacing, holding the carrier: the path's rate fell.
    const capped = floorBound();
    deliver(capped, 1000, 305, 1400, 30);
    expect(capped.rate(1400)).toBeLessThan(1500);
  });

  it('starts up at twice the rate until three rate samples in a row raise it by less than a quarter, and again once it was forgotten', () => {
    const e = stamped();
    deliver(e, 2000, 0, 45, 20); // the first rate sample (two smoothed RTTs)
    expect(e.pacingRate(45)).toBeCloseTo(2 * 2000, 6);
    expect(e.inflightCap(45, 1 << 24)).toBe(Math.ceil(2 * 2000 * 22));
    deliver(e, 3000, 50, 125, 20); // 1.5 times the rate: still growing
    expect(e.pacingRate(125)).toBeCloseTo(2 * 3000, 6);
    deliver(e, 3000, 130, 300, 20); // three samples no higher: the path's rate
    const t = cruise(e, 300);
    expect(e.pacingRate(t)).toBeCloseTo(1.25 * 3000, 6);
    expect(e.inflightCap(t, 1 << 24)).toBe(Math.max(32 * 3000, Math.ceil(1.25 * 3000 * 22)));
    expect(e.rate(t + 600)).toBeUndefined(); // idle through the rate window
    deliver(e, 2000, t + 600, t + 650, 20);
    expect(e.pacingRate(t + 650)).toBeCloseTo(2 * 2000, 6);
  });

  it('takes start-up’s rate samples over 200 ms, or one minimum RTT if longer, however far its queue pushed the smoothed RTT', () => {
    /** A carrier on a 150 ms (or `minRtt`) round trip whose smoothed RTT start-up's queue has pushed over 300 ms, a sample started at 100 ms. */
    const queued = (e: PathEstimator, minRtt: number): PathEstimator => {
      e.onRttSample(minRtt, 0, 'frames');
      for (let t = 5; t <= 50; t += 5) e.onRttSample(500, t, 'frames');
      expect(e.srtt).toBeGreaterThan(300);
      e.onAcked(0, 100, true);
      return e;
    };
    const e = queued(stamped(), 150);
    e.onAcked(100_000, 299, true);
    expect(e.rate(299)).toBeUndefined();
    e.onAcked(100_000, 300, true); // 200 kB in 200 ms
    expect(e.rate(300)).toBeCloseTo(1000);
    const long = queued(stamped(), 250);
    long.onAcked(100_000, 300, true);
    expect(long.rate(300)).toBeUndefined();
    long.onAcked(150_000, 350, true); // 250 kB in 250 ms
    expect(long.rate(350)).toBeCloseTo(1000);
    // Out of start-up (version 1: none), two smoothed RTTs.
    const unstamped = queued(new PathEstimator(500), 150);
    unstamped.onAcked(200_000, 600, true);
    expect(unstamped.rate(600)).toBeUndefined();
  });

  it('starts up at the cruise gain a carrier whose ACKs are not stamped (version 1) or whose peer sends data on it', () => {
    const unstamped = new PathEstimator(500);
    deliver(unstamped, 2000, 0, 45, 20);
    expect(unstamped.pacingRate(45)).toBeCloseTo(1.25 * 2000, 6);
    const both = new PathEstimator(500);
    both.onAckStamp(5010, 0, true);
    deliver(both, 2000, 0, 45, 20);
    expect(both.pacingRate(45)).toBeCloseTo(1.25 * 2000, 6);
  });

  it('makes room in the cap for the spread of its round trips: their mean less their least, averaged over rate samples', () => {
    // Round trips of 20 and 40 ms by turns, as over a path whose delay varies: a spread of 10 ms.
    const e = stamped();
    deliver(e, 2000, 0, 1000, [20, 40]);
    const t = cruise(e, 1000);
    expect(e.minRtt).toBe(20);
    expect(e.spread(t)).toBeGreaterThan(9);
    expect(e.spread(t)).toBeLessThanOrEqual(10);
    expect(e.inflightCap(t, 1 << 24)).toBe(Math.ceil(1.25 * 2000 * (20 + 2 + e.spread(t))));
    // The same samples without stamps: no room (the spread might be the peer's queue).
    const unstamped = new PathEstimator(500);
    deliver(unstamped, 2000, 0, 1000, [20, 40]);
    expect(unstamped.spread(t)).toBe(0);
    expect(unstamped.inflightCap(t, 1 << 24)).toBe(32 * 2000);
    // Nor under 5 ms of minimum RTT, and never more than two minimum RTTs.
    const loopback = stamped();
    deliver(loopback, 2000, 0, 1000, [1, 3]);
    expect(loopback.spread(1000)).toBe(0);
    // Each sample's spread of 90 ms counts as 40: after the four samples of a
    // second, 40 × (1 − 0.75⁴) = 27 (unbounded, 90 × (1 − 0.75⁴) = 62).
    const wide = stamped();
    deliver(wide, 2000, 0, 1000, [20, 200]);
    expect(wide.spread(1000)).toBeCloseTo(40 * (1 - 0.75 ** 4), 6);
  });

  it('paces every frame of a carrier on a longer round trip whose spread sets its cap', () => {
    const e = stamped();
    deliver(e, 2000, 0, 1000, 40); // 42 ms with the ACK delay: not paced every frame
    expect(e.pacesAll(cruise(e, 1000))).toBe(false);
    deliver(e, 2000, 1005, 2000, [40, 50]);
    const t = cruise(e, 2000);
    expect(e.spread(t)).toBeGreaterThan(4);
    expect(e.pacesAll(t)).toBe(true);
  });

  it('takes a stamped ACK’s one-way delay above the lowest of the last 10–20 s as its reverse wait, whatever the clocks’ offset', () => {
    const e = new PathEstimator(500);
    // The peer's clock reads 5 s behind ours: one-way delays of 10 ms read 5010.
    expect(e.onAckStamp(5010, 0)).toBe(0);
    expect(e.onAckStamp(5040, 100)).toBe(30);
    expect(e.reverseWait).toBeCloseTo(30 / 8, 9);
    expect(e.onAckStamp(5010, 200)).toBe(0);
    expect(e.reverseWait).toBeCloseTo((30 / 8) * (7 / 8), 9);
    // The lowest value is remembered for 10–20 s, then forgotten: the clocks may drift apart.
    expect(e.onAckStamp(5020, 10_500)).toBe(10);
    expect(e.onAckStamp(5020, 20_500)).toBe(0);
  });

  it('counts no reverse wait for a stamped ACK that came without the peer’s data: a longer one-way delay is then the path’s', () => {
    const e = new PathEstimator(500);
    expect(e.onAckStamp(10, 0)).toBe(0);
    expect(e.onAckStamp(100, 100, false)).toBe(0);
    expect(e.reverseWait).toBe(0);
    expect(e.onAckStamp(100, 200, true)).toBe(90);
  });

  it('keeps the reverse wait out of the minimum RTT and adds its average to the cap’s round trip', () => {
    const e = new PathEstimator(500); // no drain at the times asked
    e.onRttSample(100, 0, 'frames');
    e.onAcked(0, 0, true);
    e.onAcked(30_000_000, 3000, true); // 10 kB/ms
    e.onAckStamp(0, 3000);
    // An ACK that waited 40 ms behind the peer's data: a sample of 130 ms is a round trip of 90 ms plus that wait.
    e.onAckStamp(40, 3000);
    e.onRttSample(130, 3000, 'frames', 40);
    expect(e.minRtt).toBe(90);
    expect(e.srtt).toBeCloseTo(0.875 * 100 + 0.125 * 130, 9);
    expect(e.inflightCap(3000, 1 << 24)).toBe(Math.ceil(1.25 * 10_000 * (90 + 2 + 40 / 8)));
  });

  it('paces at the cap’s gain times the rate once the rate is known: 1.25, 1.5 in the probe round, 0.5 in a drain', () => {
    const e = new PathEstimator(500);
    expect(e.pacingRate(0)).toBeUndefined();
    e.onRttSample(100, 0, 'frames');
    for (let t = 1; t <= 50; t++) e.onRttSample(500, t, 'frames');
    e.onAcked(0, 0, true);
    e.onAcked(30_000_000, 3000, true); // 10 kB/ms
    expect(e.pacingRate(3000)).toBe(1.25 * 10_000);
    expect(e.pacingRate(4100)).toBe(1.5 * 10_000); // the probe round (see the cap's test)
    const d = new PathEstimator(0);
    d.onRttSample(20, 300, 'frames');
    deliver(d, 2500, 300, 1995, 40);
    expect(d.draining(2000)).toBe(true); // the first drain, on the 2 s grid
    expect(d.pacingRate(2000)).toBe(0.5 * d.rate(2000)!);
  });

  it('drains on the grid of aligned time: the cap falls to half a product, and a clean sample renews the minimum', () => {
    const e = new PathEstimator(0);
    e.onRttSample(20, 300, 'frames');
    deliver(e, 2500, 300, 1995, 40); // queued samples never raise the minimum
    expect(e.minRtt).toBe(20);
    expect(e.draining(1995)).toBe(false);
    // 2 s of aligned time: the first drain.
    expect(e.draining(2000)).toBe(true);
    const cap = e.inflightCap(2000, 1 << 24, 1_000_000);
    expect(cap).toBe(Math.ceil(0.5 * e.rate(2000)! * 22));
    // Still above half a product in flight: samples are not clean yet.
    e.onRttSample(45, 2010, 'frames');
    expect(e.minRtt).toBe(20);
    e.inflightCap(2020, 1 << 24, 1000); // the queue has gone: what is sent from now on is clean
    e.onRttSample(26, 2050, 'frames'); // sent at 2024
    expect(e.minRtt).toBe(26);
    expect(e.draining(2050)).toBe(false);
    // Renewed once: the next drains come every 10 s.
    deliver(e, 2500, 2055, 4000, 30);
    expect(e.draining(4000)).toBe(false);
    deliver(e, 2500, 4005, 9995, 30);
    expect(e.draining(10_000)).toBe(true);
  });

  it('aligns drains by the offset it is given, so that both ends drain together', () => {
    const a = new PathEstimator(0);
    const b = new PathEstimator(500); // its clock reads 500 ms less than aligned time
    for (const e of [a, b]) deliver(e, 2500, 300, 1495, 20);
    expect(b.draining(1500)).toBe(true);
    expect(a.draining(1500)).toBe(false);
    deliver(a, 2500, 1500, 1995, 20);
    expect(a.draining(2000)).toBe(true);
  });

  it('believes a drain that finds the round trip over twice the minimum only once it lasted 10 s', () => {
    const e = new PathEstimator(0);
    e.onRttSample(20, 300, 'frames');
    deliver(e, 2500, 300, 1995, 20);
    expect(e.draining(2000)).toBe(true);
    e.inflightCap(2000, 1 << 24, 0);
    e.onRttSample(200, 2300, 'frames'); // the path's delay jumped
    expect(e.minRtt).toBe(20);
    expect(e.draining(2300)).toBe(false);
    let t = 2300;
    for (; t < 19_000; t += 5) {
      e.onAcked(125, t, true);
      e.onRttSample(200, t, 'frames');
      e.inflightCap(t, 1 << 24, 0);
    }
    expect(e.minRtt).toBe(20); // the drain at 10 s found 200 ms for less than 10 s
    for (; t < 20_500; t += 5) {
      e.onAcked(125, t, true);
      e.onRttSample(200, t, 'frames');
      e.inflightCap(t, 1 << 24, 0);
    }
    expect(e.minRtt).toBe(200);
  });

  it('ends a drain that finds no clean sample, keeping the minimum while it is trusted', () => {
    const e = new PathEstimator(0);
    e.onRttSample(20, 300, 'frames');
    deliver(e, 2500, 300, 1995, 30);
    expect(e.draining(2000)).toBe(true);
    deliver(e, 2500, 2000, 2200, 30); // nothing sent once the queue went: no clean sample
    expect(e.draining(2200)).toBe(false);
    expect(e.minRtt).toBe(20);
  });
});
