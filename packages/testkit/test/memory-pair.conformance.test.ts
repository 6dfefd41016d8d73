// The carrier conformance suite run on the in-memory pair, plain and with
// re-chunking, latency and a small high-water mark (to prove the suite holds
// when bytes arrive in odd pieces and late).
import { createMemoryPair, runCarrierSuite, seededRandom } from '../src/index.js';

runCarrierSuite('memory pair', async () => {
  const pair = createMemoryPair();
  return { client: pair.a, server: pair.b };
});

runCarrierSuite(
  'memory pair with chunk jitter, maxChunk 100 and 2 ms latency (seed 7)',
  async () => {
    const pair = createMemoryPair({ chunkJitter: true, random: seededRandom(7), maxChunk: 100, latencyMs: 2 });
    return { client: pair.a, server: pair.b };
  },
  { largeBytes: 1024 * 1024 },
);

runCarrierSuite(
  'memory pair with a 1 KiB high-water mark and maxChunk 1000',
  async () => {
    const pair = createMemoryPair({ highWaterMark: 1024, maxChunk: 1000 });
    return { client: pair.a, server: pair.b };
  },
  { largeBytes: 2 * 1024 * 1024 },
);
