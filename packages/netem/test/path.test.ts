// Path over real loopback sockets. Timing is asserted only as lower bounds
// (an emulated cap or delay can only make things slower on a noisy machine).

import { once } from 'node:events';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Path, startPaths } from '../src/path.js';
import { cleanups, client, collect, echoServer, startPath, pattern, readBytes, sinkServer, sourceServer } from './helpers.js';

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function withServer<T extends { close(): Promise<void> }>(p: Promise<T>): Promise<T> {
  const s = await p;
  cleanups.push(() => s.close());
  return s;
}

/** Resolves with hadError on 'close' (events.once would reject on the 'error' before it). */
function closeOf(s: Socket): Promise<boolean> {
  return new Promise((resolve) => s.once('close', resolve));
}

/** Resolves after `n` connections of `path` have their upstream open. */
function opened(path: Path, n: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    path.on('connectionOpen', () => {
      if (++seen === n) resolve();
    });
  });
}

/** One small echoed round trip (the upstream is open afterwards). */
async function roundTrip(s: Socket, text = 'w'): Promise<void> {
  const got = readBytes(s, text.length);
  s.write(text);
  expect((await got).toString()).toBe(text);
}

describe('Path forwarding', () => {
  it('forwards 4 MiB byte-identical both ways and passes half-close through', async () => {
    const echo = await withServer(echoServer());
    const path = await startPath({ target: { host: '127.0.0.1', port: echo.port } });
    expect(path.address).toBe(`127.0.0.1:${path.port}`);
    const c = await client(path.port);
    const data = pattern(4 * 1024 * 1024);
    const back = collect(c);
    c.end(data);
    expect((await back).equals(data)).toBe(true);
    const s = path.stats();
    expect(s.bytesUp).toBe(data.length);
    expect(s.bytesDown).toBe(data.length);
    expect(s.connections).toBe(1);
  });

  it('stays byte-identical through a rate cap, delay and a small buffer bound', async () => {
    const echo = await withServer(echoServer());
    const path = await startPath({
      target: { host: '127.0.0.1', port: echo.port },
      perConnectionRate: 16e6,
      pathRate: 24e6,
      delayMs: 5,
      maxBufferedBytes: 10_000,
    });
    const c = await client(path.port);
    const data = pattern(1024 * 1024, 7);
    const back = collect(c);
    c.end(data);
    expect((await back).equals(data)).toBe(true);
  });

  it('bounds what it buffers for a reader that does not read, and loses nothing', async () => {
    const n = 32 * 1024 * 1024; // more than loopback kernel buffers hold on both sides
    const source = await withServer(sourceServer(n));
    const path = await startPath({ target: { host: '127.0.0.1', port: source.port } });
    const c = await client(path.port);
    c.pause();
    await sleep(300); // let the source push as much as it can into a paused reader
    const held = path.stats().perConnection[0]!.buffered;
    expect(held).toBeLessThanOrEqual(256 * 1024 + 64 * 1024);
    expect(source.sockets[0]!.writableLength).toBeGreaterThan(0); // the sender feels backpressure
    const all = collect(c);
    c.resume();
    expect((await all).equals(pattern(n))).toBe(true);
  });

  it('emits upstreamError and closes the client when the target refuses', async () => {
    const tmp = createServer();
    tmp.listen(0, '127.0.0.1');
    await once(tmp, 'listening');
    const port = (tmp.address() as { port: number }).port;
    await new Promise<void>((r) => tmp.close(() => r()));
    const path = await startPath({ target: { host: '127.0.0.1', port } });
    const upstreamError = once(path, 'upstreamError');
    const c = await client(path.port);
    const closed = closeOf(c);
    const [err] = (await upstreamError) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
    await closed;
    expect(path.stats().active).toBe(0);
  });
});

describe('Path rate limits', () => {
  it('caps a single connection: 2 MB at 8 MB/s takes at least 0.2 s each way', async () => {
    const sink = await withServer(sinkServer());
    const up = await startPath({ target: { host: '127.0.0.1', port: sink.port }, perConnectionRate: 8e6 });
    const c = await client(up.port);
    const t0 = performance.now();
    const done = once(c, 'end');
    c.resume();
    c.end(pattern(2e6));
    await done;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200);
    expect(sink.counts[0]).toBe(2e6);

    const source = await withServer(sourceServer(2e6));
    const down = await startPath({ target: { host: '127.0.0.1', port: source.port }, perConnectionRate: 8e6 });
    const t1 = performance.now();
    const d = await client(down.port);
    const got = await collect(d);
    expect(performance.now() - t1).toBeGreaterThanOrEqual(200);
    expect(got.length).toBe(2e6);
  });

  it('shares pathRate between connections: 2 × 1 MB at 8 MB/s takes at least 0.2 s, split fairly-ish', async () => {
    const sink = await withServer(sinkServer());
    const path = await startPath({ target: { host: '127.0.0.1', port: sink.port }, pathRate: 8e6 });
    const bothOpen = opened(path, 2);
    const a = await client(path.port);
    const b = await client(path.port);
    await bothOpen;
    const t0 = performance.now();
    const finished = [a, b].map(async (s) => {
      const done = once(s, 'end');
      s.resume();
      s.end(pattern(1e6));
      await done;
      return performance.now() - t0;
    });
    const times = await Promise.all(finished);
    // Together: (2 MB − burst) / 8 MB/s ≈ 0.24 s. Shared fairly, neither finishes
    // anywhere near the 0.12 s it would take if it had the path to itself.
    expect(Math.max(...times)).toBeGreaterThanOrEqual(200);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(150);
    expect(sink.counts).toEqual([1e6, 1e6]);
  });

  it('applies setRate while traffic flows', async () => {
    const n = 20e6;
    const source = await withServer(sourceServer(n));
    const path = await startPath({ target: { host: '127.0.0.1', port: source.port }, perConnectionRate: 1e6 });
    const c = await client(path.port);
    const all = collect(c);
    await once(c, 'data'); // at 1 MB/s this transfer would take 20 s
    path.setRate({ perConnectionRate: null, pathRate: 50e6 });
    expect(path.stats().perConnectionRate).toBe(Infinity);
    expect(path.stats().pathRate).toBe(50e6);
    path.setRate({ pathRate: null });
    expect((await all).length).toBe(n);
    expect(() => path.setRate({ pathRate: 0 })).toThrow(RangeError);
  });
});

describe('Path delays', () => {
  it('adds at least 2 × delayMs to a round trip', async () => {
    const echo = await withServer(echoServer());
    const path = await startPath({ target: { host: '127.0.0.1', port: echo.port }, delayMs: 60 });
    const c = await client(path.port);
    await roundTrip(c); // connection set up
    const t0 = performance.now();
    await roundTrip(c, 'ping');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(118);
  });

  it('adds the jitter drawn to the delay, and keeps every byte in order while it moves', async () => {
    const echo = await withServer(echoServer());
    // Draws alternate between the largest extra delay and none, every 2 ms.
    let flip = 0;
    const random = (): number => (flip++ % 2 === 0 ? 0.999 : 0);
    const path = await startPath({ target: { host: '127.0.0.1', port: echo.port }, delayMs: 5, jitter: { ms: 30, everyMs: 2, random } });
    expect(path.stats().jitterMs).toBe(30);
    const c = await client(path.port);
    const data = pattern(2 * 1024 * 1024);
    const back = collect(c);
    c.end(data);
    expect((await back).equals(data)).toBe(true);

    // Every draw the largest: a round trip takes the delay and the jitter twice.
    const high = await startPath({ target: { host: '127.0.0.1', port: echo.port }, delayMs: 5, jitter: { ms: 30, random: () => 0.999 } });
    const h = await client(high.port);
    await roundTrip(h);
    const t0 = performance.now();
    await roundTrip(h, 'ping');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * (5 + 29.97) - 2);
  });

  it('delays the first byte of a new connection by setupDelayMs', async () => {
    const echo = await withServer(echoServer());
    const path = await startPath({ target: { host: '127.0.0.1', port: echo.port }, setupDelayMs: 150 });
    const t0 = performance.now();
    const c = await client(path.port);
    expect(path.stats().perConnection[0]?.state).toBe('setup');
    await roundTrip(c);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145);
    expect(path.stats().perConnection[0]?.state).toBe('open');
    await roundTrip(c, 'again');
  });
});

describe('Path faults', () => {
  it('stall stops delivery without closing; unstall delivers everything', async () => {
    const echo = await withServer(echoServer());
    const path = await startPath({ target: { host: '127.0.0.1', port: echo.port } });
    const c = await client(path.port);
    await roundTrip(c);
    const before = path.stats();
    path.stall();
    expect(path.stats().stalled).toBe(true);
    const data = pattern(64 * 1024, 99);
    let got = 0;
    c.on('data', (b: Buffer) => (got += b.length));
    c.write(data);
    await sleep(200); // a bounded window in which nothing may arrive
    expect(got).toBe(0);
    expect(path.stats().bytesUp).toBe(before.bytesUp);
    expect(path.stats().active).toBe(1);
    expect(c.destroyed).toBe(false);
    c.removeAllListeners('data');
    const back = readBytes(c, data.length);
    path.unstall();
    expect((await back).equals(data)).toBe(true);
  });

  it('resetConnections makes clients see a reset', async () => {
    const echo = await withServer(echoServer());
    const path = await startPath({ target: { host: '127.0.0.1', port: echo.port } });
    const c = await client(path.port);
    await roundTrip(c);
    const error = new Promise<NodeJS.ErrnoException>((r) => c.once('error', r));
    const closed = closeOf(c);
    path.resetConnections();
    expect((await error).code).toBe('ECONNRESET');
    expect(await closed).toBe(true);
    expect(path.stats().active).toBe(0);
    expect(path.stats().connections).toBe(1);
  });

  it('resetOne resets only the chosen connection', async () => {
    const echo = await withServer(echoServer());
    const path = await startPath({ target: { host: '127.0.0.1', port: echo.port } });
    const a = await client(path.port);
    const b = await client(path.port);
    await Promise.all([roundTrip(a), roundTrip(b)]);
    const closed = closeOf(a);
    expect(path.resetOne(0)).toBe(true);
    await closed;
    expect(path.resetOne(5)).toBe(false);
    await roundTrip(b, 'still here');
    expect(path.stats().active).toBe(1);
  });

  it('down(300) stalls existing and new connections, then recovers by itself', async () => {
    const echo = await withServer(echoServer());
    const path = await startPath({ target: { host: '127.0.0.1', port: echo.port } });
    const a = await client(path.port);
    await roundTrip(a);
    const t0 = performance.now();
    path.down(300);
    expect(path.stats().down).toBe(true);
    const dataA = pattern(128 * 1024, 1);
    const backA = readBytes(a, dataA.length);
    a.write(dataA);
    const b = await client(path.port); // accepted while down, not connected upstream
    const backB = collect(b);
    const dataB = pattern(32 * 1024, 2);
    b.end(dataB);
    expect((await backA).equals(dataA)).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    expect((await backB).equals(dataB)).toBe(true);
    expect(path.stats().down).toBe(false);
    expect(echo.sockets.length).toBe(2);
  });

  it('up() ends a down period early', async () => {
    const echo = await withServer(echoServer());
    const path = await startPath({ target: { host: '127.0.0.1', port: echo.port } });
    path.down();
    const c = await client(path.port);
    const back = readBytes(c, 5);
    c.write('hello');
    await sleep(50);
    expect(echo.sockets.length).toBe(0); // not forwarded while down
    path.up();
    expect((await back).toString()).toBe('hello');
  });

  it('close() resets connections and releases the port', async () => {
    const echo = await withServer(echoServer());
    const path = await Path.start({ target: { host: '127.0.0.1', port: echo.port } });
    const c = await client(path.port);
    await roundTrip(c);
    const closed = closeOf(c);
    await path.close();
    await closed;
    const again = createServer();
    again.listen(path.port, '127.0.0.1');
    await once(again, 'listening');
    await new Promise<void>((r) => again.close(() => r()));
  });

  it('startPaths starts several paths, each with its own port', async () => {
    const echo = await withServer(echoServer());
    const target = { host: '127.0.0.1', port: echo.port };
    const paths = await startPaths([{ target }, { target, delayMs: 1 }]);
    for (const p of paths) cleanups.push(() => p.close());
    expect(paths[0]!.port).not.toBe(paths[1]!.port);
    for (const p of paths) await roundTrip(await client(p.port));
    await expect(startPaths([{ target }, { target, listenPort: paths[0]!.port }])).rejects.toThrow(/EADDRINUSE/);
  });

  it('rejects bad options naming the field', async () => {
    const target = { host: '127.0.0.1', port: 1 };
    await expect(Path.start({ target, perConnectionRate: -1 })).rejects.toThrow(/perConnectionRate/);
    await expect(Path.start({ target, delayMs: Number.NaN })).rejects.toThrow(/delayMs/);
    await expect(Path.start({ target, jitter: { ms: -5 } })).rejects.toThrow(/jitter.ms/);
    await expect(Path.start({ target: { host: '127.0.0.1', port: 0 } })).rejects.toThrow(/target/);
  });
});
