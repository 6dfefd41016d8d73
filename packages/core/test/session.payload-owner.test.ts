// Payload memory lent to the session (payload-owner.ts), with carriers that
// die or stall: every released block is poisoned and handed out again at
// once, so a byte the session read after releasing it would arrive wrong.
// The receiver checks every byte (SHA-256).
import { seededRandom } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { connect, digestOf, nextStream, patternBytes, sha256 } from './harness.js';
import type { PayloadOwner } from '../src/payload-owner.js';
import type { MpxStream } from '../src/stream.js';
import { MIN_INFLIGHT_CAP } from '../src/path-estimator.js';

const BLOCK = 16 * 1024;

/** Blocks reused as soon as all their bytes are back, poisoned first; kept ones are never reused. */
class PoisoningPool implements PayloadOwner {
  readonly #blocks = new Map<ArrayBufferLike, { bytes: Uint8Array; out: number; kept: boolean }>();
  readonly #free: Uint8Array[] = [];
  reused = 0;
  released = 0;
  kept = 0;

  take(n: number): Uint8Array {
    if (n > BLOCK) return new Uint8Array(n);
    let bytes = this.#free.pop();
    if (bytes === undefined) {
      bytes = new Uint8Array(BLOCK);
      this.#blocks.set(bytes.buffer, { bytes, out: 0, kept: false });
    } else {
      this.reused++;
    }
    const block = this.#blocks.get(bytes.buffer)!;
    block.out = n;
    return bytes.subarray(0, n);
  }

  release(payload: Uint8Array): void {
    const block = this.#blocks.get(payload.buffer);
    if (block === undefined || block.kept) return;
    block.out -= payload.byteLength;
    this.released += payload.byteLength;
    if (block.out < 0) throw new Error('released more bytes than were taken');
    if (block.out > 0) return;
    block.bytes.fill(0xee);
    this.#free.push(block.bytes);
  }

  keep(payload: Uint8Array): void {
    const block = this.#blocks.get(payload.buffer);
    if (block === undefined || block.kept) return;
    block.kept = true;
    this.kept++;
  }
}

/** Copies `data` into the pool's blocks in reads of varied sizes (as the tunnel's socket reader does) and sends them. */
async function sendThroughPool(stream: MpxStream, pool: PoisoningPool, data: Uint8Array, random: () => number): Promise<void> {
  for (let off = 0; off < data.byteLength;) {
    const n = Math.min(data.byteLength - off, 1 + Math.floor(random() * BLOCK));
    const block = pool.take(n);
    block.set(data.subarray(off, off + n));
    off += n;
    if (!stream.send(block)) await new Promise<void>((resolve) => stream.once('drain', resolve));
  }
  stream.end();
}

async function download(h: Awaited<ReturnType<typeof connect>>, pool: PoisoningPool, size: number, seed: number, fault: (sent: number) => void) {
  const random = seededRandom(seed);
  const data = patternBytes(seed, size);
  const accepted = nextStream(h.serverSession);
  const c = h.client.openStream();
  c.end('x');
  const s = await accepted;
  s.resume();
  let fired = 0;
  const watch = setInterval(() => fault((fired = h.serverSession.stats().bytesSent)), 5);
  const [got] = await Promise.all([digestOf(c), sendThroughPool(s, pool, data, random)]);
  clearInterval(watch);
  expect(fired).toBeGreaterThan(0);
  expect(got).toEqual({ bytes: size, sha256: sha256(data) });
}

describe('payload memory lent to the session, reused the moment it comes back', () => {
  for (const seed of [1, 2, 3]) {
    it(`no byte is read after its release when one of four carriers dies mid-transfer (seed ${seed})`, async () => {
      const pool = new PoisoningPool();
      const h = await connect({ weights: [1, 1, 1, 1], server: { payloadOwner: pool } });
      const victim = Math.floor(seededRandom(seed)() * 4);
      let killed = false;
      await download(h, pool, 4 * 1024 * 1024, seed, (sent) => {
        if (!killed && sent > 1024 * 1024) {
          killed = true;
          h.pairs[victim]!.kill();
        }
      });
      expect(killed).toBe(true);
      expect(pool.reused).toBeGreaterThan(0);
      expect(pool.released).toBeGreaterThan(0);
      h.close();
    });
  }

  it('no byte is read after its release when a stalled carrier has its frames copied to another', async () => {
    const pool = new PoisoningPool();
    const opts = { pingIntervalMs: 20, deadAfterMs: 60_000 };
    const h = await connect({ weights: [1], client: opts, server: { ...opts, maxInFlight: 1024 * 1024, payloadOwner: pool } });
    const slow = await h.addCarrier(1, { bytesPerSecond: MIN_INFLIGHT_CAP * 8 });
    let stalled = false;
    await download(h, pool, 4 * 1024 * 1024, 9, (sent) => {
      if (!stalled && sent > 1024 * 1024) {
        stalled = true;
        slow.stall();
      }
    });
    expect(pool.kept).toBeGreaterThan(0);
    expect(pool.reused).toBeGreaterThan(0);
    slow.unstall();
    h.close();
  });
});
