// A dialled TCP or TLS carrier lends its reads (LEND_READS, @mpx/core
// transport.ts): after the reader borrows them, every read arrives as a view
// of one reused buffer; bytes read before stay on the readable side, and the
// socket still ends as a Duplex does.
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { LEND_READS, type LendsReads } from '@mpx/core';
import { randomBytes, seededRandom } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { CERT, KEY, tcpPair } from './helpers.js';

const SEED = 0x1e47;

/** Everything `client` gives: 'data' chunks read before the borrow, then the lent reads (copied), until 'end'. */
async function readAll(client: Duplex, server: Duplex, early: Buffer, late: Buffer): Promise<{ bytes: Buffer; lentBuffers: Set<ArrayBufferLike> }> {
  const parts: Buffer[] = [];
  const lentBuffers = new Set<ArrayBufferLike>();
  server.write(early);
  // Let the early bytes reach the client's readable side before anyone borrows.
  await once(client, 'readable');
  (client as Duplex & LendsReads)[LEND_READS]((chunk) => {
    lentBuffers.add(chunk.buffer);
    parts.push(Buffer.from(chunk));
  });
  client.on('data', (chunk: Buffer) => parts.push(chunk));
  const ended = once(client, 'end');
  server.end(late);
  await ended;
  return { bytes: Buffer.concat(parts), lentBuffers };
}

describe.each([
  ['TCP', () => tcpPair({ host: '127.0.0.1' }, { host: '127.0.0.1' })] as const,
  [
    'TLS',
    () => tcpPair({ host: '127.0.0.1', tls: { cert: CERT, key: KEY } }, { host: '127.0.0.1', tls: { ca: CERT, servername: 'localhost' } }),
  ] as const,
])('a dialled %s carrier', (_name, makePair) => {
  it(`hands every read after the borrow to the reader as a view of one reused buffer, in order (seed ${SEED})`, async () => {
    const { client, server, cleanup } = await makePair();
    try {
      const random = seededRandom(SEED);
      const early = randomBytes(random, 1000);
      const late = randomBytes(random, 4 * 1024 * 1024);
      const { bytes, lentBuffers } = await readAll(client, server, early, late);
      expect(bytes.equals(Buffer.concat([early, late]))).toBe(true);
      expect(lentBuffers.size).toBe(1);
    } finally {
      client.destroy();
      server.destroy();
      await cleanup?.();
    }
  });
});
