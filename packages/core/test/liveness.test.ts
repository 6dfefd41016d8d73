// SPEC §5.5, §9 liveness without sockets: the PING schedule, RTT samples from
// PONGs and the dead-after check, on a manual clock.
import { describe, expect, it } from 'vitest';
import { Liveness, MAX_PINGS_AWAITED } from '../src/liveness.js';
import { PathEstimator } from '../src/path-estimator.js';
import { ManualClock } from './hardening.helpers.js';

const PING_MS = 100;
const DEAD_MS = 350;

function setup(deadAfterMs = DEAD_MS): {
  clock: ManualClock;
  live: Liveness;
  estimator: PathEstimator;
  pings: bigint[];
  dead: string[];
  state: { open: boolean; oldest: number | undefined };
} {
  const clock = new ManualClock();
  const estimator = new PathEstimator();
  const pings: bigint[] = [];
  const dead: string[] = [];
  const state: { open: boolean; oldest: number | undefined } = { open: true, oldest: undefined };
  const live = new Liveness(clock, { pingIntervalMs: PING_MS, deadAfterMs }, estimator, {
    isOpen: () => state.open,
    oldestUnackedAt: () => state.oldest,
    ping: (opaque) => pings.push(opaque),
    dead: (reason) => dead.push(reason),
  });
  return { clock, live, estimator, pings, dead, state };
}

describe('Liveness (SPEC §9)', () => {
  it('sends nothing before start(), then one PING per interval with increasing sequence numbers', () => {
    const { clock, live, pings, dead } = setup();
    clock.advance(PING_MS * 3);
    expect(pings).toEqual([]);
    live.heard();
    live.start();
    clock.advance(PING_MS);
    live.heard();
    expect(pings).toEqual([0n]);
    live.onPong(0n);
    clock.advance(PING_MS);
    live.heard();
    expect(pings).toEqual([0n, 1n]);
    expect(dead).toEqual([]);
  });

  it('turns a PONG that answers a remembered PING into an RTT sample for the estimator', () => {
    const { clock, live, estimator, pings } = setup();
    live.start();
    clock.advance(PING_MS);
    expect(pings).toEqual([0n]);
    clock.advance(30);
    live.heard();
    live.onPong(0n);
    expect(estimator.srtt).toBe(30);
    expect(live.awaited).toBe(0);
    live.onPong(0n); // a duplicate PONG gives no second sample
    live.onPong(99n); // nor one that answers no PING
    expect(estimator.srtt).toBe(30);
  });

  it('remembers at most MAX_PINGS_AWAITED PINGs while no PONG comes, forgetting the oldest', () => {
    const { clock, live, pings, estimator } = setup(PING_MS * 100);
    live.start();
    for (let i = 0; i < MAX_PINGS_AWAITED + 5; i++) {
      clock.advance(PING_MS);
      live.heard(); // the peer sends, but answers no PING
    }
    expect(pings).toHaveLength(MAX_PINGS_AWAITED + 5);
    expect(live.awaited).toBe(MAX_PINGS_AWAITED);
    live.onPong(0n); // forgotten: no sample
    expect(estimator.srtt).toBeUndefined();
    clock.advance(10);
    live.onPong(BigInt(MAX_PINGS_AWAITED + 4)); // the newest, sent 10 ms ago
    expect(estimator.srtt).toBe(10);
  });

  it('declares the carrier dead when nothing is heard for deadAfterMs, and stops pinging', () => {
    const { clock, live, pings, dead } = setup();
    live.start();
    clock.advance(PING_MS * 10);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatch(/^heard nothing for 400 ms$/);
    expect(pings).toEqual([0n, 1n, 2n]);
    expect(clock.pending).toBe(0);
  });

  it('declares the carrier dead when the peer talks but never answers a PING (one-way blackhole)', () => {
    const { clock, live, dead } = setup();
    live.start();
    for (let i = 0; i < 10 && dead.length === 0; i++) {
      clock.advance(PING_MS);
      live.heard();
    }
    expect(dead).toEqual(['no PONG for 400 ms']);
  });

  it('declares the carrier dead when its oldest frame stays unacknowledged past deadAfterMs', () => {
    const { clock, live, dead, state, pings } = setup();
    live.start();
    state.oldest = 0;
    for (let i = 0; i < 10 && dead.length === 0; i++) {
      clock.advance(PING_MS);
      live.heard();
      live.onPong(pings[pings.length - 1] ?? -1n);
    }
    expect(dead).toEqual(['no acknowledgement for 400 ms']);
  });

  it('stops the schedule once the carrier is no longer open, and stop() clears the timer', () => {
    const { clock, live, pings, dead, state } = setup();
    live.start();
    state.open = false;
    clock.advance(PING_MS * 10);
    expect(pings).toEqual([]);
    expect(dead).toEqual([]);
    expect(clock.pending).toBe(0);
    state.open = true;
    live.start();
    expect(clock.pending).toBe(1);
    live.stop();
    expect(clock.pending).toBe(0);
  });
});
