// The carrier conformance suite (SPEC §1: a carrier is one reliable, ordered
// byte stream). Every transport (TCP, TLS, WebSocket, in-memory) runs it so
// that the session core can rely on the same Duplex contract everywhere:
// ordered lossless bytes, write()/'drain' backpressure that reflects the peer,
// half-close, and a peer that closes (no hang) when the other end is destroyed.
//
// Each case runs twice: client→server (the client acts) and server→client
// (roles swapped). Seeds are fixed and printed in the test names.
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { randomBytes, randomInt, seededRandom } from './seeded-random.js';
import { collectBytes, digestOf, randomSlices, waitForClose, waitForDrain, watchErrors, writeChunks, writeRandom } from './stream-helpers.js';

export interface CarrierPair {
  /** The dialled end. */
  client: Duplex;
  /** The accepted end. */
  server: Duplex;
  /** Release listeners, servers, certificates… after the case. */
  cleanup?: () => Promise<void> | void;
}

/** Make one connected carrier pair: `client` dialled, `server` accepted. */
export type CarrierPairFactory = () => Promise<CarrierPair>;

export interface CarrierSuiteOptions {
  /** Bytes sent each way in the bulk case (default 8 MiB). */
  largeBytes?: number;
  /** Per-test timeout (default 20 s). */
  timeoutMs?: number;
  /** Most bytes a non-reading peer may absorb before write() must push back (default 64 MiB). */
  backpressureLimit?: number;
  /**
   * How long the backpressure case waits for a 'drain' before it treats the
   * writer as blocked (default 250 ms). A slower transport only makes that case
   * stop earlier; it cannot make it pass wrongly.
   */
  quietMs?: number;
  /** Base seed of every case (default 0x5eed). */
  seed?: number;
}

interface Ends {
  /** The end that acts (writes first, ends, destroys). */
  x: Duplex;
  /** The other end. */
  y: Duplex;
  xErrors: Error[];
  yErrors: Error[];
}

const MiB = 1024 * 1024;

async function withPair(makePair: CarrierPairFactory, swapped: boolean, body: (ends: Ends) => Promise<void>): Promise<void> {
  const pair = await makePair();
  const [x, y] = swapped ? [pair.server, pair.client] : [pair.client, pair.server];
  const ends: Ends = { x, y, xErrors: watchErrors(x), yErrors: watchErrors(y) };
  try {
    await body(ends);
  } finally {
    x.destroy();
    y.destroy();
    await pair.cleanup?.();
  }
}

/** Keep a promise for a later await without an unhandled rejection if the case fails before that. */
function later<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Resolves true on 'drain', false if none came within `quietMs` (the writer is blocked). */
function drainedWithin(stream: Duplex, quietMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stream.off('drain', onDrain);
      resolve(false);
    }, quietMs);
    const onDrain = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    stream.once('drain', onDrain);
  });
}

export function runCarrierSuite(name: string, makePair: CarrierPairFactory, options: CarrierSuiteOptions = {}): void {
  const largeBytes = options.largeBytes ?? 8 * MiB;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const backpressureLimit = options.backpressureLimit ?? 64 * MiB;
  const quietMs = options.quietMs ?? 250;
  const seed = options.seed ?? 0x5eed;

  describe(name, () => {
    for (const swapped of [false, true]) {
      describe(swapped ? 'server→client' : 'client→server', () => {
        const run = (body: (ends: Ends) => Promise<void>) => () => withPair(makePair, swapped, body);

        it(
          `carries ${largeBytes} bytes byte-identical in both directions at once (seed ${seed})`,
          run(async ({ x, y, xErrors, yErrors }) => {
            const [atY, atX, sentByX, sentByY] = await Promise.all([
              collectBytes(y, largeBytes),
              collectBytes(x, largeBytes),
              writeRandom(x, seededRandom(seed), largeBytes),
              writeRandom(y, seededRandom(seed + 1), largeBytes),
            ]);
            expect(atY).toEqual(sentByX);
            expect(atX).toEqual(sentByY);
            expect([...xErrors, ...yErrors]).toEqual([]);
          }),
          timeoutMs,
        );

        it(
          `preserves the order of 10000 small writes of 1-100 bytes (seed ${seed + 2})`,
          run(async ({ x, y, xErrors, yErrors }) => {
            const random = seededRandom(seed + 2);
            const sizes = Array.from({ length: 10_000 }, () => randomInt(random, 1, 100));
            const data = randomBytes(
              random,
              sizes.reduce((sum, n) => sum + n, 0),
            );
            const writes: Buffer[] = [];
            for (let offset = 0, i = 0; i < sizes.length; offset += sizes[i++] ?? 0) {
              writes.push(data.subarray(offset, offset + (sizes[i] ?? 0)));
            }
            const received = later(collectBytes(y));
            await writeChunks(x, writes);
            x.end();
            expect(await received).toEqual(digestOf(data));
            expect([...xErrors, ...yErrors]).toEqual([]);
          }),
          timeoutMs,
        );

        it(
          `pushes back on the writer while the peer does not read, and drains once it reads (seed ${seed + 3})`,
          run(async ({ x, y, xErrors, yErrors }) => {
            y.pause();
            const chunk = randomBytes(seededRandom(seed + 3), 64 * 1024);
            let writes = 0;
            for (;;) {
              if (writes * chunk.length > backpressureLimit) {
                throw new Error(`write() still accepts data after ${writes * chunk.length} bytes to a peer that does not read`);
              }
              writes++;
              if (x.write(chunk)) continue;
              if (!(await drainedWithin(x, quietMs))) break;
            }
            expect(x.writableNeedDrain).toBe(true);
            expect(writes * chunk.length).toBeLessThanOrEqual(backpressureLimit + chunk.length);
            const received = later(collectBytes(y, writes * chunk.length));
            const drained = later(waitForDrain(x));
            y.resume();
            await drained;
            expect(await received).toEqual(digestOf(...Array.from({ length: writes }, () => chunk)));
            expect([...xErrors, ...yErrors]).toEqual([]);
          }),
          timeoutMs,
        );

        it(
          `half-closes: end() gives 'end' after all data, the peer still writes back, then both close (seed ${seed + 4})`,
          run(async ({ x, y, xErrors, yErrors }) => {
            const random = seededRandom(seed + 4);
            const toY = randomBytes(random, 256 * 1024);
            const toX = randomBytes(random, 256 * 1024);
            const xClosed = waitForClose(x);
            const yClosed = waitForClose(y);
            const atY = later(collectBytes(y));
            await writeChunks(x, randomSlices(random, toY), random);
            x.end();
            expect(await atY).toEqual(digestOf(toY));
            expect(y.readableEnded).toBe(true);
            expect(y.writable).toBe(true);
            const atX = later(collectBytes(x));
            await writeChunks(y, randomSlices(random, toX), random);
            y.end();
            expect(await atX).toEqual(digestOf(toX));
            await Promise.all([xClosed, yClosed]);
            expect(x.destroyed && y.destroyed).toBe(true);
            expect([...xErrors, ...yErrors]).toEqual([]);
          }),
          timeoutMs,
        );

        for (const withError of [false, true]) {
          it(
            `closes the peer after ${withError ? 'destroy(error)' : 'destroy()'} on one side (no hang)`,
            run(async ({ x, y, xErrors, yErrors }) => {
              const boom = new Error('destroyed by the conformance suite');
              let peerSawEnd = false;
              y.on('end', () => {
                peerSawEnd = true;
                y.end();
              });
              y.resume();
              const closed = Promise.all([waitForClose(x), waitForClose(y)]);
              x.write(Buffer.from('last words'));
              x.destroy(withError ? boom : undefined);
              await closed;
              expect(peerSawEnd || yErrors.length > 0).toBe(true);
              expect(xErrors).toEqual(withError ? [boom] : []);
            }),
            timeoutMs,
          );
        }

        it(
          'closes a peer that keeps writing after the other side was destroyed (no hang)',
          run(async ({ x, y }) => {
            y.resume();
            const yClosed = waitForClose(y);
            x.destroy();
            const chunk = Buffer.alloc(16 * 1024, 0x61);
            let written = 0;
            while (!y.destroyed) {
              if (written > backpressureLimit) throw new Error(`peer still writable after ${written} bytes`);
              written += chunk.length;
              const ok = y.write(chunk);
              if (!ok && y.writableNeedDrain) await Promise.race([waitForDrain(y).catch(() => undefined), yClosed]);
              else await new Promise<void>((resolve) => setImmediate(resolve));
            }
            await yClosed;
            expect(y.destroyed).toBe(true);
          }),
          timeoutMs,
        );

        it(
          'carries an empty write and a corked writev exactly',
          run(async ({ x, y, xErrors, yErrors }) => {
            const received = later(collectBytes(y));
            await new Promise<void>((resolve, reject) => x.write(Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
            const written = later(
              new Promise<void>((resolve, reject) => {
                x.cork();
                x.write(Buffer.from('ab'));
                x.write(Buffer.alloc(0));
                x.write(Uint8Array.of(0x63, 0x64));
                x.write(Buffer.from('ef'), (err) => (err ? reject(err) : resolve()));
                x.uncork();
              }),
            );
            await written;
            x.end();
            expect(await received).toEqual(digestOf(Buffer.from('abcdef')));
            expect([...xErrors, ...yErrors]).toEqual([]);
          }),
          timeoutMs,
        );
      });
    }
  });
}
