// Path features used by the bench's real-path scenarios: a bounded queue in
// front of the shared cap, the delay changed at run time, and a "down" that
// resets and refuses. Real loopback sockets; timing only as lower bounds.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Path } from '../src/path.js';
import { cleanups, client, echoServer, pattern, readBytes, sinkServer, startPath } from './helpers.js';

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function echoed(s: Socket, text: string): Promise<number> {
  const t0 = performance.now();
  const got = readBytes(s, text.length);
  s.write(text);
  expect((await got).toString()).toBe(text);
  return performance.now() - t0;
}

/** Polls `cond` every 10 ms, at most 300 times. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await sleep(10);
  expect(cond()).toBe(true);
}

describe('Path queue in front of the shared cap', () => {
  it('holds up to the bound of waiting bytes for all connections together, then pushes back', async () => {
    const sink = await sinkServer();
    cleanups.push(() => sink.close());
    const limit = 256 * 1024;
    const path = await startPath({ target: { host: '127.0.0.1', port: sink.port }, pathRate: 200_000, pathQueue: { bytes: limit } });
    const clients = await Promise.all([client(path.port), client(path.port)]);
    for (const c of clients) c.write(pattern(2 * 1024 * 1024, 3));
    await until(() => path.stats().queuedUp >= limit);
    // Each connection may add one read chunk (≤ 64 KiB) past the bound.
    expect(path.stats().queuedUp).toBeLessThanOrEqual(limit + 2 * 64 * 1024);
    expect(path.stats().queueLimit).toBe(limit);
  });

  it('without a bound, holds at most one read chunk per connection', async () => {
    const sink = await sinkServer();
    cleanups.push(() => sink.close());
    const path = await startPath({ target: { host: '127.0.0.1', port: sink.port }, pathRate: 200_000 });
    const clients = await Promise.all([client(path.port), client(path.port)]);
    for (const c of clients) c.write(pattern(2 * 1024 * 1024, 4));
    await until(() => path.stats().queuedUp > 0);
    for (let i = 0; i < 20; i++) {
      expect(path.stats().queuedUp).toBeLessThanOrEqual(2 * 64 * 1024);
      await sleep(10);
    }
    expect(path.stats().queueLimit).toBeUndefined();
  });

  it('takes a bound in ms of the path rate, following setRate', async () => {
    const sink = await sinkServer();
    cleanups.push(() => sink.close());
    const path = await startPath({ target: { host: '127.0.0.1', port: sink.port }, pathRate: 1_000_000, pathQueue: { ms: 40 } });
    expect(path.stats().queueLimit).toBe(40_000);
    path.setRate({ pathRate: 100_000 });
    expect(path.stats().queueLimit).toBe(4_000);
  });

  it('rejects a bad bound, naming the field', async () => {
    await expect(Path.start({ target: { host: '127.0.0.1', port: 9 }, pathQueue: { bytes: -5 } })).rejects.toThrow(/pathQueue\.bytes/);
  });
});

describe('Path changes at run time', () => {
  it('setDelay applies to bytes sent after it', async () => {
    const echo = await echoServer();
    cleanups.push(() => echo.close());
    const path = await startPath({ target: { host: '127.0.0.1', port: echo.port }, delayMs: 1 });
    const c = await client(path.port);
    await echoed(c, 'a');
    path.setDelay(60);
    expect(path.stats().delayMs).toBe(60);
    expect(await echoed(c, 'b')).toBeGreaterThanOrEqual(118);
    expect(() => path.setDelay(-1)).toThrow(RangeError);
  });

  it("down(ms, 'refuse') resets open connections and new ones, then accepts again once up", async () => {
    const echo = await echoServer();
    cleanups.push(() => echo.close());
    const path = await startPath({ target: { host: '127.0.0.1', port: echo.port } });
    const a = await client(path.port);
    await echoed(a, 'x');
    const aClosed = new Promise((r) => a.once('close', r));
    path.down(undefined, 'refuse');
    await aClosed;
    expect(path.stats()).toMatchObject({ down: true, refusing: true, active: 0 });
    // The reset may come before or after the dialer saw 'connect'.
    const b = connect({ host: '127.0.0.1', port: path.port });
    cleanups.push(() => void b.destroy());
    const bError = await new Promise<NodeJS.ErrnoException>((r) => b.once('error', r));
    expect(bError.code).toBe('ECONNRESET');
    path.up();
    expect(path.stats().refusing).toBe(false);
    const c = await client(path.port);
    await echoed(c, 'back');
  });
});
