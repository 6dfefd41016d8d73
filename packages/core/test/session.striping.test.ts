// Issue 2, striping: one stream cut into frames spread over every carrier by
// weight, put back in order at the far end.
import { describe, expect, it } from 'vitest';
import { connect, digestOf, eventually, nextStream, patternBytes, sha256, writeAll } from './harness.js';

describe('striping over weighted carriers', () => {
  it('carries 64 MiB each way at once over carriers weighted 1,1,2,4, byte-identical, shares by weight', async () => {
    const weights = [1, 1, 2, 4];
    // Carriers are not the bottleneck here: the stream window (20 KiB) is the
    // limit, below what any carrier may hold (its write buffer, its in-flight
    // cap: at least MEASURED_FLOOR less half a frame), so no carrier is ever
    // skipped and the shares are the weighted picker's alone (SPEC §8).
    const window = { streamWindow: 20 * 1024 };
    const h = await connect({ weights, client: window, server: window });
    const size = 64 * 1024 * 1024;
    const up = patternBytes(1, size);
    const down = patternBytes(2, size);

    const accepted = nextStream(h.serverSession);
    const clientStream = h.client.openStream();
    const serverStream = await accepted;

    const [atServer, atClient] = await Promise.all([
      digestOf(serverStream),
      digestOf(clientStream),
      writeAll(clientStream, up),
      writeAll(serverStream, down),
    ]);
    expect(atServer).toEqual({ bytes: size, sha256: sha256(up) });
    expect(atClient).toEqual({ bytes: size, sha256: sha256(down) });

    const total = weights.reduce((a, b) => a + b, 0);
    for (const [direction, carriers] of [
      ['client→server', h.client.carrierStats()],
      ['server→client', h.serverSession.carrierStats()],
    ] as const) {
      const sent = carriers.map((c) => c.bytesOut);
      const all = sent.reduce((a, b) => a + b, 0);
      carriers.forEach((c, i) => {
        const share = (sent[i] as number) / all;
        const want = c.weight / total;
        expect(Math.abs(share - want) / want, `${direction} carrier ${i} (weight ${c.weight}) share ${share.toFixed(4)}`).toBeLessThan(0.05);
      });
    }
    h.close();
  });

  it('skips a carrier whose write buffer is full, so the stream goes on over the others', async () => {
    const h = await connect({ weights: [1, 1, 1], client: { carrierWriteBuffer: 64 * 1024 } });
    const stalled = h.pairs[0]!;
    stalled.stall();
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    const data = patternBytes(3, 16 * 1024 * 1024);
    const done = writeAll(s, data);
    const peer = await accepted;
    const digest = digestOf(peer);
    // While one carrier is stalled, the other two keep carrying frames (up to
    // the stream window: in-order delivery waits for the stalled frames).
    await eventually(() => {
      const [a, b, c] = h.client.carrierStats();
      return a!.writable === false && b!.bytesOut > 3 * 1024 * 1024 && c!.bytesOut > 3 * 1024 * 1024;
    });
    const [stuck] = h.client.carrierStats();
    expect(stuck!.bytesOut).toBeLessThan(1024 * 1024);
    stalled.unstall();
    await done;
    expect(await digest).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
    h.close();
  });

  it('serves streams fairly: two bulk streams progress together', async () => {
    const h = await connect({ weights: [1, 1] });
    const size = 8 * 1024 * 1024;
    const progress = new Map<number, number>();
    let atFirstEnd = -1;
    h.serverSession.on('stream', (s) => {
      progress.set(s.id, 0);
      s.on('data', (c: Buffer) => progress.set(s.id, (progress.get(s.id) ?? 0) + c.byteLength));
      s.on('end', () => {
        if (atFirstEnd < 0) atFirstEnd = Math.min(...progress.values());
      });
    });
    const a = h.client.openStream();
    const b = h.client.openStream();
    await Promise.all([writeAll(a, patternBytes(4, size)), writeAll(b, patternBytes(5, size))]);
    await eventually(() => [...progress.values()].every((n) => n === size));
    // When the first stream has all its bytes, the other has most of its own.
    expect(atFirstEnd).toBeGreaterThan(size * 0.75);
    h.close();
  });

  it('carries 200 concurrent streams, each byte-identical', async () => {
    const h = await connect({ weights: [1, 2, 3] });
    const count = 200;
    const payloads = Array.from({ length: count }, (_, i) => patternBytes(1000 + i, 10_000 + i * 997));
    const received = new Map<number, Promise<{ bytes: number; sha256: string }>>();
    h.serverSession.on('stream', (s) => {
      // Echo back what arrives, and digest it.
      received.set(s.id, digestOf(s));
      s.pipe(s);
    });
    const streams = payloads.map(() => h.client.openStream());
    const echoes = streams.map((s) => digestOf(s));
    await Promise.all(streams.map((s, i) => writeAll(s, payloads[i] as Buffer, 4096)));
    const back = await Promise.all(echoes);
    back.forEach((d, i) => expect(d).toEqual({ bytes: (payloads[i] as Buffer).byteLength, sha256: sha256(payloads[i] as Buffer) }));
    expect(received.size).toBe(count);
    h.close();
  });

  it('keeps the small frames of many streams on one carrier, so that a turn writes once, not once per carrier', async () => {
    const h = await connect({ weights: [1, 1, 1, 1] });
    const count = 20;
    const got = new Map<number, number>();
    h.serverSession.on('stream', (s) => s.on('data', (c: Buffer) => got.set(s.id, (got.get(s.id) ?? 0) + c.byteLength)));
    const streams = Array.from({ length: count }, () => h.client.openStream());
    for (const s of streams) s.write(patternBytes(7, 100));
    await eventually(() => got.size === count && [...got.values()].every((n) => n === 100));
    const before = h.client.carrierStats().map((c) => c.bytesOut);
    // One request per stream, all in one turn (fifty clients' requests read in one turn look alike).
    for (const s of streams) s.write(patternBytes(8, 100));
    await eventually(() => [...got.values()].every((n) => n === 200));
    const sent = h.client.carrierStats().map((c, i) => c.bytesOut - (before[i] as number));
    // Every payload on one carrier (the others carry at most control frames);
    // round-robin over the four would give each about a quarter.
    expect(Math.max(...sent)).toBeGreaterThanOrEqual(count * 100);
    h.close();
  });

  it('answers requests on the carrier they came on, so that each side’s ACK rides with its next frame (SPEC §8)', async () => {
    const h = await connect({ weights: [1, 1, 1, 1] });
    h.serverSession.on('stream', (s) => s.on('data', (c: Buffer) => s.write(c)));
    const stream = h.client.openStream();
    const exchange = (): Promise<void> =>
      new Promise((resolve) => {
        stream.once('data', () => resolve());
        stream.write(patternBytes(9, 100));
      });
    for (let i = 0; i < 20; i++) await exchange();
    let writes = 0;
    for (const end of h.pairs.flatMap((p) => [p.a, p.b])) {
      const write = end._write.bind(end);
      const writev = end._writev?.bind(end);
      end._write = (...args) => (writes++, write(...args));
      if (writev !== undefined) end._writev = (...args) => (writes++, writev(...args));
    }
    // 400 exchanges of 100 bytes: past SMALL_STREAM_BYTES each way, so the
    // stream's allowance has begun again between requests.
    const exchanges = 400;
    for (let i = 0; i < exchanges; i++) await exchange();
    // One write each way per exchange (a PING or two aside). Requests on one
    // carrier and answers on another made each side write a lone ACK every
    // other exchange: about three writes per exchange.
    expect(writes).toBeLessThanOrEqual(2.1 * exchanges);
    h.close();
  });
});
