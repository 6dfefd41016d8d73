// MpxClient: keeping carriers up, redialling with backoff, renewing a session
// the server lost, and the grace period of a total outage (SPEC §9, §3.2).
import type { Duplex } from 'node:stream';
import { createMemoryPair, seededRandom, type MemoryPair } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { MpxClient, type MpxClientOptions } from '../src/client-pool.js';
import { MpxServer } from '../src/server.js';
import { digestOf, eventually, patternBytes, sha256, writeAll } from './harness.js';

/** A "network": each dial makes a memory pair whose far end the current server accepts. */
function network() {
  const net = {
    server: new MpxServer({ graceMs: 60_000 }),
    pairs: [] as MemoryPair[],
    refuse: false,
    dials: 0,
    dial: async (): Promise<Duplex> => {
      net.dials++;
      if (net.refuse) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      const pair = createMemoryPair();
      net.pairs.push(pair);
      net.server.accept(pair.b);
      return pair.a;
    },
  };
  return net;
}

function makeClient(net: ReturnType<typeof network>, extra: Partial<MpxClientOptions> = {}): MpxClient {
  return new MpxClient({
    targets: [
      { label: 'a', dial: net.dial, weight: 1 },
      { label: 'b', dial: net.dial, weight: 3 },
    ],
    carriersPerTarget: 2,
    backoffInitialMs: 5,
    backoffMaxMs: 50,
    random: seededRandom(7),
    ...extra,
  });
}

async function echoOnce(client: MpxClient, server: MpxServer, bytes = 200_000): Promise<void> {
  server.removeAllListeners('stream');
  server.on('stream', (s) => s.pipe(s));
  const s = client.openStream();
  const data = patternBytes(bytes, bytes);
  const [back] = await Promise.all([digestOf(s), writeAll(s, data)]);
  expect(back).toEqual({ bytes, sha256: sha256(data) });
}

describe('MpxClient', () => {
  it('keeps the wanted carriers per target, with their weights', async () => {
    const net = network();
    const client = makeClient(net);
    client.start();
    await client.ready();
    await eventually(() => client.stats().targets.every((t) => t.up === t.wanted));
    const weights = client
      .session!.carrierStats()
      .map((c) => c.weight)
      .sort();
    expect(weights).toEqual([1, 1, 3, 3]);
    await echoOnce(client, net.server);
    await client.close();
  });

  it('redials a lost carrier, with backoff while dials fail', async () => {
    const net = network();
    const client = makeClient(net);
    const errors: number[] = [];
    client.on('dialError', (_label: string, _err: Error, delay: number) => errors.push(delay));
    client.start();
    await eventually(() => client.stats().targets.every((t) => t.up === t.wanted));
    net.refuse = true;
    net.pairs[0]!.kill();
    await eventually(() => errors.length >= 3);
    expect(client.stats().targets.reduce((n, t) => n + t.up, 0)).toBe(3);
    net.refuse = false;
    await eventually(() => client.stats().targets.every((t) => t.up === t.wanted));
    // Delays grow (with jitter) up to the ceiling.
    expect(Math.max(...errors)).toBeLessThanOrEqual(50);
    expect(errors[2]!).toBeGreaterThanOrEqual(errors[0]! / 2);
    await echoOnce(client, net.server);
    await client.close();
  });

  it('dials 2 × 16 carriers at once on its one abort signal without a listener-leak warning', async () => {
    const net = network();
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    // Each dial listens on the signal until it settles, as a TCP dial does (dial-guard.ts).
    const held: Array<() => void> = [];
    const dial = (signal: AbortSignal): Promise<Duplex> =>
      new Promise((resolve, reject) => {
        const onAbort = (): void => reject(new Error('aborted'));
        signal.addEventListener('abort', onAbort, { once: true });
        held.push(() => {
          signal.removeEventListener('abort', onAbort);
          net.dial().then(resolve, reject);
        });
      });
    const client = makeClient(net, {
      targets: [
        { label: 'a', dial, weight: 1 },
        { label: 'b', dial, weight: 1 },
      ],
      carriersPerTarget: 16,
    });
    try {
      client.start();
      // The first carrier alone, then the other 31 at once.
      await eventually(() => held.length === 1);
      held.shift()!();
      await eventually(() => held.length === 31);
      for (const settle of held.splice(0)) settle();
      await eventually(() => client.stats().targets.every((t) => t.up === t.wanted));
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
      await echoOnce(client, net.server);
    } finally {
      process.off('warning', onWarning);
      await client.close();
    }
  });

  it('starts a new session when the server lost the old one (restart)', async () => {
    const net = network();
    const client = makeClient(net);
    const sessions: unknown[] = [];
    client.on('session', (s) => sessions.push(s));
    client.start();
    await client.ready();
    const first = client.session;
    // The server restarts: every carrier drops, and the new server knows nothing.
    net.server.close();
    net.server = new MpxServer();
    for (const p of [...net.pairs]) p.kill();
    await eventually(() => client.session !== first && (client.session?.carrierCount ?? 0) > 0);
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    await echoOnce(client, net.server);
    await client.close();
  });

  it('fails streams with MPX_ERR_SESSION_EXPIRED when no carrier returns within the grace period', async () => {
    const net = network();
    const client = makeClient(net, { graceMs: 50, backoffInitialMs: 1000, backoffMaxMs: 1000 });
    client.start();
    await client.ready();
    net.server.on('stream', () => {});
    const s = client.openStream();
    s.write('pending');
    const failed = new Promise<Error>((resolve) => s.once('error', resolve));
    net.refuse = true;
    for (const p of [...net.pairs]) p.kill();
    expect(await failed).toMatchObject({ code: 'MPX_ERR_SESSION_EXPIRED' });
    await client.close();
  });

  it('streams survive a total outage: carriers come back, nothing lost, nothing doubled', async () => {
    const net = network();
    const client = makeClient(net, { backoffInitialMs: 20, backoffMaxMs: 100 });
    client.start();
    await eventually(() => client.stats().targets.every((t) => t.up === t.wanted));
    net.server.on('stream', (s) => s.pipe(s));
    const s = client.openStream();
    const data = patternBytes(77, 6 * 1024 * 1024);
    const echoed = digestOf(s);
    let seen = 0;
    let cut = false;
    s.on('data', (chunk: Buffer) => {
      seen += chunk.byteLength;
      if (!cut && seen > 2 * 1024 * 1024) {
        cut = true;
        net.refuse = true;
        for (const p of [...net.pairs]) p.kill();
        // The path comes back after a while.
        setTimeout(() => (net.refuse = false), 500);
      }
    });
    await writeAll(s, data);
    expect(await echoed).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
    expect(cut).toBe(true);
    expect(client.session!.stats().retransmits).toBeGreaterThan(0);
    await client.close();
  });

  it('after the grace period both sides fail their streams and release the session', async () => {
    const net = network();
    net.server = new MpxServer({ graceMs: 100 });
    const client = makeClient(net, { graceMs: 100, backoffInitialMs: 5_000, backoffMaxMs: 5_000 });
    client.start();
    await client.ready();
    const serverFailed = new Promise<Error>((resolve) => net.server.on('stream', (st) => st.once('error', resolve)));
    const s = client.openStream();
    s.write('hello');
    const clientFailed = new Promise<Error>((resolve) => s.once('error', resolve));
    await eventually(() => [...net.server.sessions.values()].some((x) => x.streamCount === 1));
    net.refuse = true;
    for (const p of [...net.pairs]) p.kill();
    expect(await clientFailed).toMatchObject({ code: 'MPX_ERR_SESSION_EXPIRED' });
    expect(await serverFailed).toMatchObject({ code: 'MPX_ERR_SESSION_EXPIRED' });
    await eventually(() => net.server.sessions.size === 0);
    await client.close();
  });

  it('replaces carriers past their maximum age, opening the successor first (make-before-break)', async () => {
    const net = network();
    const client = makeClient(net, { maxCarrierAgeMs: 150 });
    client.start();
    await eventually(() => client.stats().targets.every((t) => t.up === t.wanted));
    const firstIds = new Set(client.session!.carrierStats().map((c) => c.id));
    const downs: Array<string | undefined> = [];
    client.on('carrierDown', (_label: string, err?: { code: string }) => downs.push(err?.code));
    net.server.on('stream', (st) => st.pipe(st));
    // A transfer runs across the rotation and loses nothing.
    const s = client.openStream();
    const data = patternBytes(99, 8 * 1024 * 1024);
    const echoed = digestOf(s);
    for (let off = 0; off < data.byteLength; off += 256 * 1024) {
      if (!s.write(data.subarray(off, off + 256 * 1024))) await new Promise((r) => s.once('drain', r));
      // Spread the transfer over the rotation.
      await new Promise((r) => setTimeout(r, 10));
    }
    s.end();
    await eventually(() => client.session!.carrierStats().every((c) => !firstIds.has(c.id)));
    expect(await echoed).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
    // Old carriers left gracefully (no error), and the pool never dropped below what it wants.
    expect(downs.length).toBeGreaterThanOrEqual(4);
    expect(downs.every((code) => code === undefined)).toBe(true);
    await client.close();
  });
});
