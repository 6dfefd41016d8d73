// Issue 6, item 5: the soak routine. Many concurrent streams of random sizes
// go through an MpxClient and an echoing MpxServer over in-memory carriers,
// while carriers are reset and stalled at random (SPEC §8 head-of-line relief,
// §9 retransmission and liveness). Every echoed byte is checked (sha256 per
// stream). Afterwards it reports what is left: streams, sessions, timers and
// heap, which must return to their baseline.
//
// It does not depend on vitest, so the benchmark suite can run a longer
// version: `await runSoak({ streams: 5000, maxStreamBytes: 8 << 20, ... })`.
// It throws on the first corrupted or failed stream.
import type { Duplex } from 'node:stream';
import { createMemoryPair, randomInt, seededRandom, type MemoryPair } from '@mpx/testkit';
import { END_TIMEOUT_MS } from '../src/carrier-link.js';
import { MpxClient } from '../src/client-pool.js';
import { MpxServer } from '../src/server.js';
import type { MpxStream } from '../src/stream.js';
import { digestOf, eventually, patternBytes, sha256, writeAll } from './harness.js';
import { CountingClock, heapAfterGc } from './hardening.helpers.js';

export interface SoakOptions {
  /** Seed of every random choice (sizes, faults, which streams abort). */
  seed?: number;
  /** Streams, all open at once. */
  streams?: number;
  /** Largest stream; sizes are skewed towards small ones (size = max × r³). */
  maxStreamBytes?: number;
  /** Share of streams the client destroys half-way (exercises RESET and cleanup). */
  abortShare?: number;
  /** A fault (a carrier reset, or a stall) about this often, ms; 0 = none. */
  faultIntervalMs?: number;
  /** Longest stall, ms; stalls beyond `deadAfterMs` get the carrier declared dead. */
  maxStallMs?: number;
  /** Carrier targets and carriers per target. */
  targets?: number;
  carriersPerTarget?: number;
  /** Liveness of both sides (short, so that stalls are noticed within the run). */
  pingIntervalMs?: number;
  deadAfterMs?: number;
  /** Give up (throw) when the run takes longer than this, ms. */
  timeoutMs?: number;
}

export interface SoakResult {
  readonly streams: number;
  readonly verified: number;
  readonly aborted: number;
  readonly bytes: number;
  readonly kills: number;
  readonly stalls: number;
  readonly retransmits: number;
  readonly durationMs: number;
  /** What is left after the run: all must be 0 (or back to baseline). */
  readonly leftover: {
    readonly clientStreams: number;
    readonly serverStreams: number;
    readonly serverSessions: number;
    readonly pendingHandshakes: number;
    /** Timers held by the client's and server's clocks. */
    readonly clientTimers: number;
    readonly serverTimers: number;
    /** Active (ref'd) Timeout handles above those before the run. */
    readonly extraTimeouts: number;
  };
  /** heapUsed after gc, before the run and after it (everything closed). */
  readonly heapBefore: number;
  readonly heapAfter: number;
}

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

export async function runSoak(options: SoakOptions = {}): Promise<SoakResult> {
  const o = {
    seed: 1,
    streams: 300,
    maxStreamBytes: 512 * 1024,
    abortShare: 0.05,
    faultIntervalMs: 60,
    maxStallMs: 600,
    targets: 2,
    carriersPerTarget: 2,
    pingIntervalMs: 50,
    deadAfterMs: 400,
    timeoutMs: 60_000,
    ...options,
  };
  const random = seededRandom(o.seed);
  const timeoutsBefore = activeTimeouts();
  const heapBefore = heapAfterGc();
  const started = performance.now();

  const serverClock = new CountingClock();
  const clientClock = new CountingClock();
  const liveness = { pingIntervalMs: o.pingIntervalMs, deadAfterMs: o.deadAfterMs };
  const server = new MpxServer({ ...liveness, clock: serverClock });
  server.on('stream', (s: MpxStream) => {
    s.on('error', () => {}); // aborted streams arrive as resets
    s.pipe(s);
  });
  const pairs = new Set<MemoryPair>();
  const dial = async (): Promise<Duplex> => {
    const pair = createMemoryPair();
    pairs.add(pair);
    pair.a.once('close', () => pairs.delete(pair));
    server.accept(pair.b);
    return pair.a;
  };
  const client = new MpxClient({
    ...liveness,
    clock: clientClock,
    targets: Array.from({ length: o.targets }, (_, i) => ({ label: `t${i}`, dial, weight: 1 + i })),
    carriersPerTarget: o.carriersPerTarget,
    backoffInitialMs: 5,
    backoffMaxMs: 50,
    random: seededRandom(o.seed ^ 0x5eed),
  });
  client.start();
  await client.ready(o.timeoutMs);

  // Faults: at random, reset a carrier or stall it for a while.
  let kills = 0;
  let stalls = 0;
  const stalled = new Map<MemoryPair, ReturnType<typeof setTimeout>>();
  let faultTimer: ReturnType<typeof setTimeout> | undefined;
  const fault = (): void => {
    const live = [...pairs].filter((p) => !stalled.has(p));
    if (live.length > 1) {
      const pair = live[randomInt(random, 0, live.length - 1)]!;
      if (random() < 0.4) {
        kills++;
        pair.kill();
      } else {
        stalls++;
        pair.stall();
        stalled.set(
          pair,
          setTimeout(
            () => {
              stalled.delete(pair);
              pair.unstall();
            },
            randomInt(random, 10, o.maxStallMs),
          ),
        );
      }
    }
    faultTimer = setTimeout(fault, randomInt(random, o.faultIntervalMs / 2, (o.faultIntervalMs * 3) / 2));
  };
  if (o.faultIntervalMs > 0) faultTimer = setTimeout(fault, o.faultIntervalMs);

  // The streams: all at once; each echoes its bytes, checked by sha256.
  let bytes = 0;
  let verified = 0;
  let aborted = 0;
  const runs = Array.from({ length: o.streams }, async (_, i) => {
    const size = Math.max(1, Math.floor(o.maxStreamBytes * random() ** 3));
    const abort = random() < o.abortShare;
    const data = patternBytes(o.seed * 100_003 + i, size);
    const s = client.openStream();
    if (abort) {
      s.on('error', () => {});
      s.resume();
      s.write(data.subarray(0, size >> 1));
      await new Promise<void>((resolve) => setImmediate(resolve));
      s.destroy();
      aborted++;
      return;
    }
    const [back] = await Promise.all([digestOf(s), writeAll(s, data, 16 * 1024)]);
    if (back.bytes !== size || back.sha256 !== sha256(data)) {
      throw new Error(
        `soak: stream ${s.id} (seed ${o.seed}, #${i}) echoed ${back.bytes} of ${size} bytes, digest ${back.sha256 === sha256(data) ? 'equal' : 'different'}`,
      );
    }
    bytes += size;
    verified++;
  });
  let deadline: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.all(runs),
      new Promise<never>((_, reject) => {
        deadline = setTimeout(() => reject(new Error(`soak: not done within ${o.timeoutMs} ms (seed ${o.seed})`)), o.timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(deadline);
    if (faultTimer !== undefined) clearTimeout(faultTimer);
    for (const [pair, timer] of stalled) {
      clearTimeout(timer);
      pair.unstall();
    }
    stalled.clear();
  }

  // Every stream is done: both sides must have forgotten them all.
  const session = client.session!;
  const serverSession = server.sessions.get(session.idHex);
  await eventually(() => session.streamCount === 0 && (serverSession?.streamCount ?? 0) === 0, o.timeoutMs);
  const retransmits = session.stats().retransmits + (serverSession?.stats().retransmits ?? 0);
  const clientStreams = session.streamCount;
  const serverStreams = serverSession?.streamCount ?? 0;

  // Closing the client releases the server's session and every timer.
  await client.close();
  await eventually(() => server.sessions.size === 0 && pairs.size === 0, o.timeoutMs);
  server.close();
  await eventually(() => activeTimeouts() <= timeoutsBefore, o.timeoutMs);
  const durationMs = performance.now() - started;
  // A carrier whose side ended holds its end timer (carrier-link.ts,
  // END_TIMEOUT_MS) until its transport closes, which may be a moment after
  // the peer's. A leaked timer never goes: it still shows in `leftover`.
  await eventually(() => clientClock.pending === 0 && serverClock.pending === 0, END_TIMEOUT_MS * 2).catch(() => {});
  pairs.clear();
  runs.length = 0;
  return {
    streams: o.streams,
    verified,
    aborted,
    bytes,
    kills,
    stalls,
    retransmits,
    durationMs,
    leftover: {
      clientStreams,
      serverStreams,
      serverSessions: server.sessions.size,
      pendingHandshakes: server.pendingHandshakes,
      clientTimers: clientClock.pending,
      serverTimers: serverClock.pending,
      extraTimeouts: Math.max(0, activeTimeouts() - timeoutsBefore),
    },
    heapBefore,
    heapAfter: heapAfterGc(),
  };
}
