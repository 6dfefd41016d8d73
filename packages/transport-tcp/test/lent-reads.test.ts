// A dialled TCP or TLS carrier, and an accepted TCP one, lends its reads
// (LEND_READS, @mpx/core transport.ts): after the reader borrows them, every
// read arrives as a view of one reused buffer, except that a read after one
// that filled it comes in a block of @mpx/core's readBlocks for the reader to
// keep (until two reads in a row fall short of it); bytes read before stay
// on the readable side, and the socket still ends as a Duplex does.
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { LEND_READS, readBlocks, type LendsReads } from '@mpx/core';
import { randomBytes, seededRandom } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { LentReadBuffers, SHORT_READS_TO_LEAVE } from '../src/lent-reads.js';
import { tcpPair, tlsPair, withPair } from './helpers.js';

const SEED = 0x1e47;

interface Reads {
  /** Everything `client` gave, in order. */
  bytes: Buffer;
  /** Buffers of the reads lent (valid only during the call). */
  lentBuffers: Set<ArrayBufferLike>;
  /** The reads given to keep, as given (not copied). */
  kept: Uint8Array[];
}

/** Everything `client` gives: 'data' chunks read before the borrow, then the lent reads (copied) and kept ones, until 'end'. */
async function readAll(client: Duplex, server: Duplex, early: Buffer, late: Buffer, pace?: () => Promise<void>): Promise<Reads> {
  const parts: Uint8Array[] = [];
  const lentBuffers = new Set<ArrayBufferLike>();
  const kept: Uint8Array[] = [];
  server.write(early);
  // Let the early bytes reach the client's readable side before anyone borrows.
  await once(client, 'readable');
  (client as Duplex & LendsReads)[LEND_READS]((chunk, isKept) => {
    if (isKept) {
      kept.push(chunk);
      parts.push(chunk);
      return;
    }
    lentBuffers.add(chunk.buffer);
    parts.push(Buffer.from(chunk));
  });
  client.on('data', (chunk: Buffer) => parts.push(chunk));
  const ended = once(client, 'end');
  if (pace === undefined) server.end(late);
  else {
    for (let i = 0; i < late.length; i += 100) {
      server.write(late.subarray(i, i + 100));
      await pace();
    }
    server.end();
  }
  await ended;
  return { bytes: Buffer.concat(parts), lentBuffers, kept };
}

// A dialled TLS carrier lends a bulk turn's records gathered into a buffer of its own (gathered-reads.ts), the
// others in the shared one: all are lent, in at most two buffers.
// An accepted plain TCP carrier lends its reads too (accepted-reads.ts): the pair is turned round so that it is the one read.
describe.each([
  ['a dialled TCP', true, () => tcpPair({ host: '127.0.0.1' }, { host: '127.0.0.1' })] as const,
  ['a dialled TLS', false, tlsPair] as const,
  [
    'an accepted TCP',
    true,
    async () => {
      const { client, server, cleanup } = await tcpPair({ host: '127.0.0.1' }, { host: '127.0.0.1' });
      return { client: server, server: client, cleanup };
    },
  ] as const,
])('%s carrier', (_name, bulkKept, makePair) => {
  it(`lends reads as views of one reused buffer${bulkKept ? ' and gives bulk reads to keep' : ''}, all in order (seed ${SEED})`, async () => {
    await withPair(makePair(), async ({ client, server }) => {
      const random = seededRandom(SEED);
      const early = randomBytes(random, 1000);
      const late = randomBytes(random, 4 * 1024 * 1024);
      const { bytes, lentBuffers, kept } = await readAll(client, server, early, late);
      // Kept reads were not copied by the test: equal bytes mean no later read overwrote them.
      expect(bytes.equals(Buffer.concat([early, late]))).toBe(true);
      expect(lentBuffers.size).toBeLessThanOrEqual(bulkKept ? 1 : 2);
      if (bulkKept) expect(kept.length).toBeGreaterThan(0);
      else expect(kept).toEqual([]);
      expect(new Set(kept.map((c) => c.buffer)).size).toBe(kept.length);
      // Blocks of the process's pool (read-blocks.ts), each held until its reader is done with it (this one never says so).
      for (const c of kept) expect(readBlocks.owns(c)).toBe(true);
      for (const c of kept) expect(lentBuffers.has(c.buffer)).toBe(false);
    });
  });

  it('lends every read of a trickle: reads that do not fill the buffer are never given to keep', async () => {
    await withPair(makePair(), async ({ client, server }) => {
      const late = randomBytes(seededRandom(SEED + 1), 3000);
      const pace = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2));
      const { bytes, lentBuffers, kept } = await readAll(client, server, Buffer.from('early'), late, pace);
      expect(bytes.equals(Buffer.concat([Buffer.from('early'), late]))).toBe(true);
      expect(kept).toEqual([]);
      expect(lentBuffers.size).toBe(1);
    });
  });
});

describe('an accepted TLS carrier', () => {
  it('does not lend its reads (the TLS layer reads the connection): it gives them as data', async () => {
    await withPair(tlsPair(), async ({ client, server }) => {
      expect(LEND_READS in server).toBe(false);
      const got = once(server, 'data');
      client.write('hello');
      const [chunk] = (await got) as [Buffer];
      expect(chunk.toString()).toBe('hello');
    });
  });
});

describe('LentReadBuffers (no I/O)', () => {
  it(`reads into blocks to keep from a full read until ${SHORT_READS_TO_LEAVE} reads in a row fall short, so a bulk frame's last bytes do not end it`, () => {
    const shared = Buffer.alloc(readBlocks.blockSize);
    const buffers = new LentReadBuffers(shared);
    const taken: Uint8Array[] = [];
    /** One read of `n` bytes into the buffer next() gives; whether it was given to keep. */
    const read = (n: number): boolean => {
      const buf = buffers.next();
      if (buf !== shared) taken.push(buf);
      return buffers.read(n, buf);
    };
    try {
      // Interactive: short reads stay in the shared buffer.
      expect([read(100), read(2000)]).toEqual([false, false]);
      // A full read, then what a reader keeping pace with 64 KiB payloads and their 20-byte prefix reads.
      expect(read(shared.byteLength)).toBe(false);
      expect([read(20), read(shared.byteLength), read(40), read(shared.byteLength)]).toEqual([true, true, true, true]);
      expect(taken).toHaveLength(4);
      for (const block of taken) expect(readBlocks.owns(block)).toBe(true);
      // Two short reads in a row: the burst is over, the next read is lent again.
      expect([read(60), read(10), read(10)]).toEqual([true, true, false]);
      expect(taken).toHaveLength(6);
    } finally {
      for (const block of taken) readBlocks.readDone(block);
    }
  });
});
