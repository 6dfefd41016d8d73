// MpxClient redial policy (SPEC §9 "Redial"): backoff is capped while streams
// wait for a carrier, and one successful dial restarts every other target's
// attempts. Time is a manual clock, advanced by the test; dials settle on the
// microtask queue, flushed with setImmediate.
import type { Duplex } from 'node:stream';
import { createMemoryPair, seededRandom } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { WAITING_REDIAL_CAP_MS, YOUNG_CARRIER_MS } from '../src/backoff.js';
import { MpxClient } from '../src/client-pool.js';
import type { Clock, Timer } from '../src/clock.js';
import { MpxServer } from '../src/server.js';

class ManualClock implements Clock {
  #now = 0;
  #timers: Array<{ at: number; fn: () => void; unref: () => unknown }> = [];
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): Timer {
    const t = { at: this.#now + ms, fn, unref: () => t };
    this.#timers.push(t);
    return t;
  }
  clearTimeout(timer: Timer): void {
    this.#timers = this.#timers.filter((t) => t !== timer);
  }
  /** Moves time forward by `ms`, firing due timers in order and letting dials settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (let guard = 0; guard < 10_000; guard++) {
      const next = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (next === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = next.at;
      next.fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** Two targets whose reachability the test switches; dials are counted per target. */
function twoTargets(clock: ManualClock) {
  const server = new MpxServer({ graceMs: 600_000 });
  const state = { reachable: { a: false, b: false }, dials: { a: 0, b: 0 }, delays: { a: [] as number[], b: [] as number[] } };
  const dialer = (name: 'a' | 'b') => async (): Promise<Duplex> => {
    state.dials[name]++;
    if (!state.reachable[name]) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const pair = createMemoryPair();
    server.accept(pair.b);
    return pair.a;
  };
  const client = new MpxClient({
    targets: [
      { label: 'a', dial: dialer('a') },
      { label: 'b', dial: dialer('b') },
    ],
    carriersPerTarget: 1,
    backoffInitialMs: 200,
    backoffMaxMs: 10_000,
    random: seededRandom(11),
    clock,
    graceMs: 600_000,
  });
  client.on('dialError', (label, _err, delay) => state.delays[label as 'a' | 'b'].push(delay));
  return { server, client, state };
}

/** Both targets unreachable for 20 s of clock time, no stream open: backoffs have grown long. */
async function backedOff() {
  const clock = new ManualClock();
  const rig = twoTargets(clock);
  rig.client.start();
  await settle();
  await clock.advance(20_000);
  return { clock, ...rig };
}

describe('MpxClient redial policy', () => {
  it('backs off without bound (up to the ceiling) while no stream waits', async () => {
    const { server, client, state } = await backedOff();
    expect(Math.max(...state.delays.a)).toBeGreaterThan(WAITING_REDIAL_CAP_MS * 4);
    await client.close();
    server.close();
  });

  it('caps the redial delay once a stream waits, including a retry already scheduled further out', async () => {
    const { clock, server, client, state } = await backedOff(); // long backoffs by now
    const before = { a: state.dials.a, b: state.dials.b };
    client.openStream(); // no carrier: the stream waits
    await clock.advance(WAITING_REDIAL_CAP_MS);
    expect(state.dials.a).toBeGreaterThan(before.a);
    expect(state.dials.b).toBeGreaterThan(before.b);
    const n = state.delays.a.length;
    await clock.advance(5_000);
    const later = state.delays.a.slice(n);
    expect(later.length).toBeGreaterThanOrEqual(5_000 / WAITING_REDIAL_CAP_MS - 1);
    expect(Math.max(...later)).toBeLessThanOrEqual(WAITING_REDIAL_CAP_MS);
    await client.close();
    server.close();
  });

  it('dials every other target at once when one dial succeeds, and restarts its backoff', async () => {
    const { clock, server, client, state } = await backedOff();
    state.reachable.a = true;
    const dialsB = state.dials.b;
    // Step until a's pending retry fires and succeeds; b's dial must follow without further waiting.
    for (let i = 0; i < 200 && (client.session?.carrierCount ?? 0) === 0; i++) await clock.advance(100);
    expect(client.session?.carrierCount).toBe(1);
    expect(state.dials.b).toBe(dialsB + 1);
    // b is still refused; its count started over, so its next delay is the first step again.
    expect(state.delays.b.at(-1)).toBeLessThanOrEqual(200);
    await client.close();
    server.close();
  });

  it('backs off a target whose carriers close right after they come up, though every dial succeeds', async () => {
    const clock = new ManualClock();
    const server = new MpxServer({ graceMs: 600_000 });
    let dials = 0;
    let last: Duplex | undefined;
    const client = new MpxClient({
      targets: [
        {
          label: 'cut',
          dial: async () => {
            dials++;
            const pair = createMemoryPair();
            server.accept(pair.b);
            last = pair.a;
            return pair.a;
          },
        },
      ],
      carriersPerTarget: 1,
      backoffInitialMs: 200,
      backoffMaxMs: 10_000,
      random: seededRandom(5),
      clock,
      graceMs: 600_000,
    });
    // A proxy that cuts every carrier as soon as it carries anything: here, at once.
    let cut = true;
    client.on('carrierUp', () => {
      if (cut) last?.destroy();
    });
    const redials: Array<number | undefined> = [];
    client.on('carrierDown', (_label: string, _err: unknown, _stats: unknown, redialInMs?: number) => redials.push(redialInMs));
    client.start();
    server.on('stream', (stream) => stream.on('error', () => {}));
    // A stream waits: the waiting cap must not shorten this backoff. It fails when the test closes the client.
    client.openStream().on('error', () => {});
    // Small steps: a handshake settles on real I/O between them.
    const step = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += 50) await clock.advance(50);
    };
    await step(30_000);
    // Without the backoff every close was redialled at once (hundreds a second); with it the delays double up to the ceiling.
    expect(dials).toBeLessThan(15);
    expect(redials.length).toBeGreaterThan(3);
    expect(redials.every((d) => d !== undefined)).toBe(true);
    expect(Math.max(...(redials as number[]))).toBeGreaterThan(WAITING_REDIAL_CAP_MS * 4);
    expect(client.stats().targets[0]?.youngCloses).toBe(redials.length);

    // Once a carrier lives past YOUNG_CARRIER_MS, its close is redialled at once and the count starts over.
    cut = false;
    await step(10_000);
    expect(client.session?.carrierCount).toBe(1);
    await step(YOUNG_CARRIER_MS);
    const before = dials;
    last?.destroy();
    await settle();
    expect(dials).toBe(before + 1);
    expect(redials.at(-1)).toBeUndefined();
    expect(client.stats().targets[0]?.youngCloses).toBe(0);
    await client.close();
    server.close();
  });
});
