// SPEC §9, liveness and outages: one-way blackholes, and streams opened before
// any carrier exists.
import { Duplex, PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ClientSession } from '../src/client.js';
import { MpxServer } from '../src/server.js';
import { connect, digestOf, eventually, nextStream, patternBytes, sha256, writeAll } from './harness.js';

/** A carrier pair whose client→server direction can be blackholed on its own. */
function oneWayPair() {
  const c2s = new PassThrough();
  const s2c = new PassThrough();
  let blackholed = false;
  const gate = new Writable({
    write(chunk, _enc, cb) {
      if (!blackholed) c2s.write(chunk);
      cb();
    },
    final(cb) {
      c2s.end();
      cb();
    },
  });
  const client = Duplex.from({ readable: s2c, writable: gate });
  const server = Duplex.from({ readable: c2s, writable: s2c });
  return { client, server, blackhole: () => (blackholed = true) };
}

describe('liveness', () => {
  it('declares a carrier dead when its own frames stop arriving though the peer’s still do', async () => {
    // Only the client can notice here: the server keeps hearing it on no
    // carrier (its dead-after time is long), but the client hears the server.
    const h = await connect({
      weights: [1],
      client: { pingIntervalMs: 20, deadAfterMs: 300 },
      server: { pingIntervalMs: 20, deadAfterMs: 60_000 },
    });
    const oneWay = oneWayPair();
    h.server.accept(oneWay.server);
    await h.client.addCarrier(oneWay.client);
    expect(h.client.carrierCount).toBe(2);
    const reasons: string[] = [];
    h.client.on('carrierClose', (_s, err?: Error) => reasons.push(err?.message ?? ''));
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    const data = patternBytes(3, 2 * 1024 * 1024);
    oneWay.blackhole();
    const [d] = await Promise.all([accepted.then(digestOf), writeAll(s, data)]);
    expect(d).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
    await eventually(() => reasons.length > 0);
    expect(reasons[0]).toMatch(/no (PONG|acknowledgement)/);
    h.close();
  });
});

describe('streams opened before any carrier', () => {
  it('ride the first carrier when it comes', async () => {
    const server = new MpxServer();
    const h = await connect({ serverInstance: server, weights: [] as number[] }).catch(() => undefined);
    expect(h).toBeUndefined(); // no carrier: the harness finds no session
    const client = new ClientSession();
    const s = client.openStream();
    s.end('early bytes');
    const { createMemoryPair } = await import('@mpx/testkit');
    const pair = createMemoryPair();
    const got = new Promise<string>((resolve) =>
      server.on('stream', (st) => {
        let text = '';
        st.on('data', (c: Buffer) => (text += c.toString()));
        st.on('end', () => resolve(text));
      }),
    );
    server.accept(pair.b);
    await client.addCarrier(pair.a);
    expect(await got).toBe('early bytes');
    client.close();
    server.close();
  });

  it('fail with MPX_ERR_SESSION_EXPIRED when no carrier comes within the grace period', async () => {
    const client = new ClientSession({ graceMs: 50 });
    const s = client.openStream();
    s.write('nobody will carry this');
    const err = await new Promise<Error>((resolve) => s.once('error', resolve));
    expect(err).toMatchObject({ code: 'MPX_ERR_SESSION_EXPIRED' });
    expect(client.closed).toBe(true);
  });
});
