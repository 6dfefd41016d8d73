// SPEC §8, small streams, over in-memory carrier pairs: a stream's
// small-stream allowance begins again once the peer has acknowledged every
// byte it sent (a long-lived connection between requests), not while any of
// it is in flight.
import { describe, expect, it } from 'vitest';
import { SMALL_STREAM_BYTES } from '../src/constants.js';
import { connect, eventually, patternBytes } from './harness.js';

describe('small-stream allowance (SPEC §8)', () => {
  it('begins again for a stream past SMALL_STREAM_BYTES once the peer has acknowledged all it sent', async () => {
    const h = await connect({ weights: [1, 1] });
    let received = 0;
    h.serverSession.on('stream', (s) => s.on('data', (c: Buffer) => (received += c.byteLength)));
    const stream = h.client.openStream();
    const bulk = 4 * SMALL_STREAM_BYTES;
    stream.write(patternBytes(3, bulk));
    // Past the allowance while its bytes are queued or in flight.
    expect(stream.smallBytes).toBeGreaterThan(SMALL_STREAM_BYTES);
    await eventually(() => received === bulk && h.client.carrierStats().every((c) => c.unackedBytes === 0));
    stream.write(Buffer.from('next request'));
    await eventually(() => received === bulk + 12);
    // Woken with nothing in flight: only the new request counts.
    expect(stream.smallBytes).toBe(12);
    h.close();
  });

  it('does not begin again while a frame of the stream is unacknowledged', async () => {
    const h = await connect({ weights: [1] });
    const stream = h.client.openStream();
    const bulk = 2 * SMALL_STREAM_BYTES;
    // The carrier delivers nothing (ACKs included): what is sent stays unacknowledged.
    h.pairs[0]!.stall();
    stream.write(patternBytes(4, bulk));
    await eventually(() => stream.sendOffset === bulk);
    stream.write(Buffer.from('x'));
    await eventually(() => stream.sendOffset + stream.queuedBytes === bulk + 1);
    // Still counted from the start: past the allowance, not 1 byte of a new one.
    expect(stream.smallBytes).toBeGreaterThan(SMALL_STREAM_BYTES);
    h.close();
  });
});
