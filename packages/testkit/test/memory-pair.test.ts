// The in-memory pair's own behaviour beyond the conformance suite: fault
// injection (stall, kill, rate, latency), re-chunking, and the documented
// destroy semantics. Waits use event-loop turns (setImmediate) or events,
// never sleeps; time is only used for bounds that hold by construction.
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  collectBytes,
  createMemoryPair,
  digestOf,
  randomBytes,
  seededRandom,
  waitForClose,
  waitForDrain,
  watchErrors,
  writeChunks,
} from '../src/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Let `n` event-loop turns pass (the pair delivers on setImmediate when unpaced). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function slices(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += size) out.push(data.subarray(offset, offset + size));
  return out;
}

/** Record every 'data' event: its size and the running total at that moment. */
function recordArrivals(stream: Duplex): { sizes: number[]; totals: number[]; times: number[] } {
  const log = { sizes: [] as number[], totals: [] as number[], times: [] as number[] };
  let total = 0;
  stream.on('data', (chunk: Buffer) => {
    total += chunk.length;
    log.sizes.push(chunk.length);
    log.totals.push(total);
    log.times.push(performance.now());
  });
  return log;
}

describe('createMemoryPair', () => {
  it('delivers asynchronously, never inside write()', async () => {
    const { a, b } = createMemoryPair();
    let returned = false;
    const seenAfterReturn: boolean[] = [];
    b.on('data', () => seenAfterReturn.push(returned));
    a.write(Buffer.from('hello'));
    returned = true;
    await turns(3);
    expect(seenAfterReturn).toEqual([true]);
  });

  it('moves 64 MiB one way with backpressure respected (seed 11)', async () => {
    const { a, b, stats } = createMemoryPair();
    const block = randomBytes(seededRandom(11), MiB);
    const writes = Array.from({ length: 64 }, () => slices(block, 16 * KiB)).flat();
    const received = collectBytes(b);
    await writeChunks(a, writes);
    a.end();
    expect(await received).toEqual(digestOf(...writes));
    expect(stats.aToB).toBe(64 * MiB);
  });

  it('holds a paused reader at its readable high-water mark and backpressures the writer', async () => {
    const { a, b, stats } = createMemoryPair({ highWaterMark: 16 * KiB });
    b.pause();
    const data = randomBytes(seededRandom(12), 256 * KiB);
    for (const piece of slices(data, 4 * KiB)) a.write(piece);
    await turns(10);
    expect(b.readableLength).toBeGreaterThanOrEqual(16 * KiB);
    expect(b.readableLength).toBeLessThanOrEqual(16 * KiB + 4 * KiB);
    expect(stats.aToB).toBe(b.readableLength);
    expect(a.writableNeedDrain).toBe(true);
    const drained = waitForDrain(a);
    const received = collectBytes(b, data.length);
    b.resume();
    await drained;
    expect(await received).toEqual(digestOf(data));
  });

  describe('stall()', () => {
    it('stops delivery both ways and backpressures the writers; unstall() delivers everything', async () => {
      const pair = createMemoryPair();
      const { a, b, stats } = pair;
      const toB = randomBytes(seededRandom(13), MiB);
      const toA = randomBytes(seededRandom(14), 300 * KiB);
      const atB = collectBytes(b, toB.length);
      const atA = collectBytes(a, toA.length);
      pair.stall();
      for (const piece of slices(toB, 32 * KiB)) a.write(piece);
      for (const piece of slices(toA, 32 * KiB)) b.write(piece);
      await turns(10);
      expect(stats).toEqual({ aToB: 0, bToA: 0 });
      expect(a.writableNeedDrain && b.writableNeedDrain).toBe(true);
      // The path holds one window (64 KiB) plus one write; the rest waits in the writer.
      expect(a.writableLength).toBeGreaterThanOrEqual(toB.length - 64 * KiB - 32 * KiB);
      const drained = Promise.all([waitForDrain(a), waitForDrain(b)]);
      pair.unstall();
      await drained;
      expect(await atB).toEqual(digestOf(toB));
      expect(await atA).toEqual(digestOf(toA));
      expect(stats).toEqual({ aToB: toB.length, bToA: toA.length });
    });

    it('can stall in the middle of a transfer without losing or reordering bytes', async () => {
      const pair = createMemoryPair({ maxChunk: 1000 });
      const data = randomBytes(seededRandom(15), 200 * KiB);
      const received = collectBytes(pair.b);
      let stalls = 0;
      pair.b.on('data', () => {
        if (pair.stats.aToB > stalls * 50 * KiB) {
          stalls++;
          pair.stall();
          setImmediate(() => pair.unstall());
        }
      });
      await writeChunks(pair.a, slices(data, 8 * KiB));
      pair.a.end();
      expect(await received).toEqual(digestOf(data));
      expect(stalls).toBeGreaterThanOrEqual(4);
    });
  });

  describe('kill()', () => {
    it('destroys both ends with the error and drops bytes in flight', async () => {
      const pair = createMemoryPair();
      const aErrors = watchErrors(pair.a);
      const bErrors = watchErrors(pair.b);
      let delivered = 0;
      pair.b.on('data', (chunk: Buffer) => (delivered += chunk.length));
      pair.a.write(randomBytes(seededRandom(16), 256 * KiB));
      const failure = new Error('path lost');
      pair.kill(failure);
      await Promise.all([waitForClose(pair.a), waitForClose(pair.b)]);
      await turns(5);
      expect(aErrors).toEqual([failure]);
      expect(bErrors).toEqual([failure]);
      expect(delivered).toBe(0);
      expect(pair.stats.aToB).toBe(0);
    });

    it('uses an ECONNRESET error by default and fails later writes', async () => {
      const pair = createMemoryPair();
      const aErrors = watchErrors(pair.a);
      watchErrors(pair.b);
      pair.kill();
      await waitForClose(pair.a);
      expect(aErrors[0]).toMatchObject({ code: 'ECONNRESET' });
      const writeError = await new Promise<Error | null | undefined>((resolve) => pair.a.write(Buffer.from('x'), resolve));
      expect(writeError).toBeInstanceOf(Error);
    });

    it('fails a write that was waiting for room in the path', async () => {
      const pair = createMemoryPair({ highWaterMark: 4 * KiB });
      watchErrors(pair.a);
      watchErrors(pair.b);
      pair.stall();
      const results: (Error | null | undefined)[] = [];
      for (let i = 0; i < 4; i++) pair.a.write(Buffer.alloc(4 * KiB), (err) => results.push(err));
      await turns(5);
      const completedBeforeKill = results.length;
      pair.kill();
      await waitForClose(pair.a);
      await turns(2);
      expect(completedBeforeKill).toBe(1);
      expect(results).toHaveLength(4);
      expect(results.slice(1).every((err) => err instanceof Error)).toBe(true);
    });
  });

  describe('destroy semantics', () => {
    it('clean destroy(): bytes already written still arrive, then the peer sees end', async () => {
      const { a, b } = createMemoryPair({ latencyMs: 5 });
      const data = randomBytes(seededRandom(17), 40 * KiB);
      const received = collectBytes(b);
      a.write(data);
      a.destroy();
      expect(await received).toEqual(digestOf(data));
      expect(b.writable).toBe(true);
    });

    it('destroy(error): the peer is destroyed with ECONNRESET', async () => {
      const { a, b } = createMemoryPair();
      const aErrors = watchErrors(a);
      const bErrors = watchErrors(b);
      const boom = new Error('boom');
      a.destroy(boom);
      await waitForClose(b);
      expect(aErrors).toEqual([boom]);
      expect(bErrors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ECONNRESET']);
    });

    it('bytes sent to a cleanly destroyed end reset the sender with ECONNRESET', async () => {
      const { a, b } = createMemoryPair();
      const bErrors = watchErrors(b);
      b.resume();
      a.destroy();
      await waitForClose(a);
      b.write(Buffer.from('anyone there?'));
      await waitForClose(b);
      expect(bErrors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ECONNRESET']);
    });
  });

  describe('pacing', () => {
    it('caps the rate: bytes delivered never exceed rate × elapsed + one piece (seed 18)', async () => {
      const rate = 4 * MiB;
      const piece = Math.floor(rate * 0.01);
      const { a, b } = createMemoryPair({ bytesPerSecond: rate });
      const data = randomBytes(seededRandom(18), 256 * KiB);
      const log = recordArrivals(b);
      const received = collectBytes(b);
      const start = performance.now();
      await writeChunks(a, slices(data, 16 * KiB));
      a.end();
      expect(await received).toEqual(digestOf(data));
      expect(Math.max(...log.sizes)).toBeLessThanOrEqual(piece);
      log.totals.forEach((total, i) => {
        const elapsedSeconds = ((log.times[i] ?? Infinity) - start) / 1000;
        expect(total).toBeLessThanOrEqual(rate * elapsedSeconds + piece);
      });
    });

    it('setRate() lowers the rate mid-transfer and setRate(undefined) lifts it', async () => {
      const pair = createMemoryPair({ bytesPerSecond: 8 * MiB });
      const slow = 64 * KiB;
      const data = randomBytes(seededRandom(19), 512 * KiB);
      const received = collectBytes(pair.b);
      let switchedAt = 0;
      let bytesAtSwitch = 0;
      const afterSwitch: { total: number; time: number }[] = [];
      let total = 0;
      pair.b.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (switchedAt === 0 && total >= 64 * KiB) {
          switchedAt = performance.now();
          bytesAtSwitch = total;
          pair.setRate(slow);
        } else if (switchedAt !== 0 && afterSwitch.length < 10) {
          afterSwitch.push({ total, time: performance.now() });
          if (afterSwitch.length === 10) pair.setRate(undefined);
        }
      });
      await writeChunks(pair.a, slices(data, 16 * KiB));
      pair.a.end();
      expect(await received).toEqual(digestOf(data));
      expect(afterSwitch).toHaveLength(10);
      const slowPiece = Math.floor(slow * 0.01);
      for (const { total: t, time } of afterSwitch) {
        expect(t - bytesAtSwitch).toBeLessThanOrEqual((slow * (time - switchedAt)) / 1000 + slowPiece);
      }
    });

    it('delays delivery by the latency, not inside write()', async () => {
      const latencyMs = 20;
      const { a, b } = createMemoryPair({ latencyMs });
      const log = recordArrivals(b);
      const received = collectBytes(b);
      const writtenAt = performance.now();
      a.write(Buffer.from('delayed'));
      expect(log.sizes).toEqual([]);
      a.end();
      expect(await received).toEqual(digestOf(Buffer.from('delayed')));
      expect((log.times[0] ?? 0) - writtenAt).toBeGreaterThanOrEqual(latencyMs);
    });

    it('setLatency() never lets later bytes overtake earlier ones', async () => {
      const pair = createMemoryPair({ latencyMs: 30 });
      const received = collectBytes(pair.b);
      pair.a.write(Buffer.from('first,'));
      pair.setLatency(0);
      pair.a.write(Buffer.from('second'));
      pair.a.end();
      expect(await received).toEqual(digestOf(Buffer.from('first,second')));
    });
  });

  describe('re-chunking', () => {
    it('delivers at most maxChunk bytes per data event', async () => {
      const { a, b } = createMemoryPair({ maxChunk: 10 });
      const log = recordArrivals(b);
      const received = collectBytes(b);
      const data = randomBytes(seededRandom(20), 10 * KiB);
      a.end(data);
      expect(await received).toEqual(digestOf(data));
      expect(Math.max(...log.sizes)).toBe(10);
    });

    it('splits and merges at random points, the same way for the same seed (seed 21)', async () => {
      const data = randomBytes(seededRandom(22), 20 * KiB);
      const run = async (): Promise<number[]> => {
        const { a, b } = createMemoryPair({ chunkJitter: true, random: seededRandom(21), maxChunk: 300 });
        const log = recordArrivals(b);
        const received = collectBytes(b);
        a.cork();
        for (const piece of slices(data, 50)) a.write(piece);
        a.uncork();
        a.end();
        expect(await received).toEqual(digestOf(data));
        return log.sizes;
      };
      const first = await run();
      expect(await run()).toEqual(first);
      expect(first.some((size) => size > 50)).toBe(true);
      expect(first.some((size) => size < 50)).toBe(true);
      expect(Math.max(...first)).toBeLessThanOrEqual(300);
    });

    it('refuses chunkJitter without a seeded random source', () => {
      expect(() => createMemoryPair({ chunkJitter: true })).toThrow(RangeError);
    });
  });
});
