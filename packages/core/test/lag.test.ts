// SPEC §8, head-of-line relief: which carriers lag, checked against the rule
// as SPEC §8 states it, over carriers drawn from a fixed seed (ages around
// the smallest threshold, 100 ms, included), and over a session's life:
// frames sent, acknowledged and carriers closed as time passes, so that the
// looks LagWatch skips are checked too.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { CarrierLink } from '../src/carrier-link.js';
import { LagWatch } from '../src/lag.js';
import { PathEstimator } from '../src/path-estimator.js';

interface Shape {
  open: boolean;
  /** RTT samples taken, none for a carrier not measured yet. */
  rtts: number[];
  /** Age of the oldest unacknowledged frame, ms, or undefined if none. */
  age: number | undefined;
}

const NOW = 10_000;

/** What lag.ts reads of a carrier: its state, its path estimate and its oldest unacknowledged frame. */
function link(shape: Shape): CarrierLink {
  const estimator = new PathEstimator();
  for (const ms of shape.rtts) estimator.onRttSample(ms, 0, 'frames');
  const oldest = shape.age === undefined ? undefined : NOW - shape.age;
  return { state: shape.open ? 'open' : 'closed', estimator, oldestUnackedAt: () => oldest } as unknown as CarrierLink;
}

/** SPEC §8 word for word: older than max(2·srtt + 4·rttvar, 4·fastest srtt) + 100 ms while another carrier is healthy. */
function specLagging(links: CarrierLink[], now = NOW): CarrierLink[] {
  const open = links.filter((l) => l.state === 'open');
  const srtts = open.map((l) => l.estimator.srtt).filter((s): s is number => s !== undefined);
  if (srtts.length === 0) return [];
  const fastest = Math.min(...srtts);
  const lagging = open.filter((l) => {
    const oldest = l.oldestUnackedAt();
    if (oldest === undefined) return false;
    const srtt = l.estimator.srtt ?? fastest;
    return now - oldest > Math.max(2 * srtt + 4 * l.estimator.rttvar, 4 * fastest) + 100;
  });
  return lagging.length < open.length ? lagging : [];
}

const shape: fc.Arbitrary<Shape> = fc.record({
  open: fc.boolean(),
  rtts: fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 3 }),
  age: fc.option(fc.oneof(fc.integer({ min: 95, max: 105 }), fc.integer({ min: 0, max: 600 })), { nil: undefined }),
});

/** A carrier whose unacknowledged frames are only their send times. */
class SimLink {
  readonly estimator = new PathEstimator();
  state = 'open';
  readonly sent: number[] = [];

  constructor(srtt: number | undefined) {
    if (srtt !== undefined) this.estimator.onRttSample(srtt, 0, 'frames');
  }

  oldestUnackedAt(): number | undefined {
    return this.sent[0];
  }
}

type Step =
  { kind: 'wait'; ms: number } | { kind: 'send'; link: number } | { kind: 'ack'; link: number; frames: number } | { kind: 'close'; link: number };

// Closes are rare, so that most steps have several open carriers to compare.
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('send' as const), link: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('ack' as const), link: fc.nat(3), frames: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), link: fc.nat(3) }) },
);

const lagging = (links: Iterable<CarrierLink>, now: number): CarrierLink[] => [...new LagWatch().lagging(links, now)];

describe('LagWatch', () => {
  it('names exactly the carriers the SPEC §8 rule names', () => {
    fc.assert(
      fc.property(fc.array(shape, { minLength: 1, maxLength: 5 }), (shapes) => {
        const links = shapes.map(link);
        expect(lagging(links, NOW)).toEqual(specLagging(links));
      }),
      { seed: 0x5eed_1a90, numRuns: 2000 },
    );
  });

  it('counts a frame just over 100 ms old as lagging on a carrier whose round trip measured zero', () => {
    const healthy = link({ open: true, rtts: [0], age: undefined });
    const stalled = link({ open: true, rtts: [0], age: 101 });
    const borderline = link({ open: true, rtts: [0], age: 100 });
    expect(lagging([healthy, stalled, borderline], NOW)).toEqual([stalled]);
  });

  it('names what the SPEC §8 rule names at every step, while frames are sent and acknowledged, carriers close and time passes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.constantFrom(0, 1, 5, 30), { nil: undefined }), { minLength: 4, maxLength: 4 }),
        fc.array(step, { maxLength: 300 }),
        (srtts, steps) => {
          const sims = srtts.map((srtt) => new SimLink(srtt));
          const links = sims as unknown as CarrierLink[];
          const watch = new LagWatch();
          let now = 1_000;
          for (const s of steps) {
            if (s.kind === 'wait') now += s.ms;
            else if (s.kind === 'send') (sims[s.link] as SimLink).sent.push(now);
            else if (s.kind === 'ack') (sims[s.link] as SimLink).sent.splice(0, s.frames);
            else (sims[s.link] as SimLink).state = 'closed';
            expect([...watch.lagging(links, now)]).toEqual(specLagging(links, now));
          }
        },
      ),
      { seed: 0x5eed_1a91, numRuns: 500 },
    );
  });

  it('names none while every open carrier lags', () => {
    const a = link({ open: true, rtts: [10], age: 500 });
    const b = link({ open: true, rtts: [10], age: 400 });
    expect(lagging([a, b], NOW)).toEqual([]);
  });
});
