// Issue 6, item 4: faults. A carrier that dies at any moment loses no frame
// (SPEC §9); a carrier reset during the handshake is cleaned up on both sides;
// the server restarting under a running MpxClient fails old streams with a
// code and new streams work; the core writes no files.
import { readFileSync, readdirSync } from 'node:fs';
import type * as fsModule from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createMemoryPair, seededRandom, type MemoryPair } from '@mpx/testkit';
import { describe, expect, it, vi } from 'vitest';
import { ClientSession } from '../src/client.js';
import { MpxClient } from '../src/client-pool.js';
import { FrameType, WireCode } from '../src/constants.js';
import type { MpxError } from '../src/errors.js';
import type { ChallengeFrame, HelloFrame } from '../src/frame.js';
import { MpxServer } from '../src/server.js';
import type { MpxStream } from '../src/stream.js';
import { connect, digestOf, eventually, nextStream, patternBytes, sha256, writeAll } from './harness.js';
import { CountingClock, header, turn } from './hardening.helpers.js';
import { RawPeer, rawClient } from './raw-peer.js';

describe('faults: carriers dying between frames', () => {
  it('keeps a frame written to a carrier destroyed in the same microtask, and sends it again on the next carrier', async () => {
    const h = await connect();
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    s.write('a');
    const peer = await accepted;
    let received = '';
    peer.on('data', (c: Buffer) => (received += c.toString()));
    await eventually(() => received === 'a');
    // The socket is destroyed; its 'close' event comes on a later tick, while
    // the session's send loop (a microtask) still sees the carrier.
    await Promise.resolve().then(() => {
      h.pairs[0]!.a.destroy();
      s.write('b');
    });
    await eventually(() => h.client.carrierCount === 0);
    await h.addCarrier();
    await eventually(() => received === 'ab', 5_000);
    h.close();
  });
});

describe('faults: a carrier reset during the handshake', () => {
  it('server side: one carrierError (MPX_ERR_CARRIER_CLOSED), no session, no pending handshake', async () => {
    const server = new MpxServer({ handshakeTimeoutMs: 60_000 });
    const errors: MpxError[] = [];
    server.on('carrierError', (e: MpxError) => errors.push(e));
    const { peer, pair } = rawClient(server);
    await peer.waitFor((f): f is ChallengeFrame => f.type === FrameType.CHALLENGE);
    peer.sendRaw(header(FrameType.HELLO, 0, 84, 0)); // half a HELLO
    expect(server.pendingHandshakes).toBe(1);
    pair.kill();
    await eventually(() => errors.length === 1);
    expect(errors[0]!.code).toBe('MPX_ERR_CARRIER_CLOSED');
    expect(server.pendingHandshakes).toBe(0);
    expect(server.sessions.size).toBe(0);
    await turn();
    expect(errors).toHaveLength(1);
  });

  it('client side: addCarrier rejects with a code, the session keeps no carrier and no timer', async () => {
    const clock = new CountingClock();
    const client = new ClientSession({ clock });
    const pair = createMemoryPair();
    const fakeServer = new RawPeer(pair.b);
    fakeServer.send({ type: FrameType.CHALLENGE, minVersion: 1, maxVersion: 1, nonce: new Uint8Array(16) });
    const adding = client.addCarrier(pair.a);
    await fakeServer.waitFor((f): f is HelloFrame => f.type === FrameType.HELLO);
    pair.kill();
    await expect(adding).rejects.toMatchObject({ code: 'MPX_ERR_CARRIER_CLOSED' });
    expect(client.carrierCount).toBe(0);
    expect(clock.pending).toBe(0); // the handshake timer is gone
    client.close();
  });

  it('MpxClient redials carriers reset during their handshake, and then works', async () => {
    const server = new MpxServer();
    const serverErrors: MpxError[] = [];
    server.on('carrierError', (e: MpxError) => serverErrors.push(e));
    server.on('stream', (s: MpxStream) => s.pipe(s));
    let dials = 0;
    const client = new MpxClient({
      targets: [
        {
          label: 'flaky',
          dial: async (): Promise<Duplex> => {
            const pair = createMemoryPair();
            // The first three carriers die as soon as the CHALLENGE reaches the client.
            if (++dials <= 3) pair.a.once('data', () => pair.kill());
            server.accept(pair.b);
            return pair.a;
          },
        },
      ],
      carriersPerTarget: 1,
      backoffInitialMs: 5,
      backoffMaxMs: 20,
      random: seededRandom(3),
    });
    const dialErrors: MpxError[] = [];
    client.on('dialError', (_label, e) => dialErrors.push(e as MpxError)); // these dials connect: handshake errors
    client.start();
    await client.ready(10_000);
    expect(dialErrors.map((e) => e.code)).toEqual(['MPX_ERR_CARRIER_CLOSED', 'MPX_ERR_CARRIER_CLOSED', 'MPX_ERR_CARRIER_CLOSED']);
    await eventually(() => serverErrors.length === 3);
    expect(server.pendingHandshakes).toBe(0);
    const s = client.openStream();
    const data = patternBytes(9, 100_000);
    const [back] = await Promise.all([digestOf(s), writeAll(s, data)]);
    expect(back).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
    await client.close();
    server.close();
  });
});

describe('faults: the server restarts while an MpxClient runs', () => {
  it('refuses a handshake that finishes after MpxServer.close() with GOING_AWAY, creating no session', async () => {
    const server = new MpxServer();
    const errors: MpxError[] = [];
    server.on('carrierError', (e: MpxError) => errors.push(e));
    const { peer } = rawClient(server);
    await peer.waitFor((f): f is ChallengeFrame => f.type === FrameType.CHALLENGE);
    server.close();
    await peer.hello();
    expect((await peer.waitForClose()).code).toBe(WireCode.GOING_AWAY);
    expect(server.sessions.size).toBe(0);
    expect(errors.map((e) => e.code)).toEqual(['MPX_ERR_GOING_AWAY']);
  });

  it('fails streams of the lost session with MPX_ERR_SESSION_UNKNOWN, then new streams work', async () => {
    const net = { server: new MpxServer(), pairs: [] as MemoryPair[], down: false };
    const dial = async (): Promise<Duplex> => {
      if (net.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      const pair = createMemoryPair();
      net.pairs.push(pair);
      net.server.accept(pair.b);
      return pair.a;
    };
    const client = new MpxClient({
      targets: [
        { label: 'a', dial },
        { label: 'b', dial },
      ],
      backoffInitialMs: 5,
      backoffMaxMs: 20,
      random: seededRandom(4),
    });
    client.start();
    await client.ready();
    net.server.on('stream', (s: MpxStream) => s.resume());
    const old = client.openStream();
    old.write('in flight');
    const failed = new Promise<MpxError>((resolve) => old.once('error', resolve));
    await eventually(() => [...net.server.sessions.values()].some((s) => s.streamCount === 1));
    // The server process dies: every carrier drops, nothing answers for a while,
    // then a new server that knows nothing comes up.
    net.down = true;
    for (const p of net.pairs) p.kill();
    await eventually(() => client.session!.carrierCount === 0);
    net.server = new MpxServer();
    net.server.on('stream', (s: MpxStream) => s.pipe(s));
    net.down = false;
    expect(await failed).toMatchObject({ code: 'MPX_ERR_SESSION_UNKNOWN', wireCode: WireCode.SESSION_UNKNOWN });
    await eventually(() => (client.session?.carrierCount ?? 0) > 0);
    const s = client.openStream();
    const data = patternBytes(10, 300_000);
    const [back] = await Promise.all([digestOf(s), writeAll(s, data)]);
    expect(back).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
    await client.close();
    net.server.close();
  });
});

describe('faults: disk-free operation', () => {
  // The mutable module object behind `node:fs`; syncBuiltinESMExports() makes
  // ESM importers see the spies too.
  const fs = createRequire(import.meta.url)('node:fs') as typeof fsModule;
  const srcDir = fileURLToPath(new URL('../src/', import.meta.url));

  it('has no file system access and no logging in its sources', () => {
    for (const file of readdirSync(srcDir)) {
      const text = readFileSync(join(srcDir, file), 'utf8');
      expect(text, file).not.toMatch(/from ['"](node:)?fs(\/promises)?['"]/);
      expect(text, file).not.toMatch(/\bconsole\.|process\.std(out|err)/);
    }
  });

  it('opens and writes no file while a session carries data', async () => {
    const spies = [
      ...(['open', 'openSync', 'createWriteStream', 'writeFile', 'writeFileSync', 'appendFile', 'appendFileSync', 'mkdir', 'mkdirSync'] as const).map(
        (name) => vi.spyOn(fs, name),
      ),
      ...(['open', 'writeFile', 'appendFile', 'mkdir'] as const).map((name) => vi.spyOn(fs.promises, name)),
    ];
    syncBuiltinESMExports();
    try {
      const h = await connect({ weights: [1, 2] });
      h.serverSession.on('stream', (st: MpxStream) => st.pipe(st));
      const s = h.client.openStream();
      const data = patternBytes(11, 1024 * 1024);
      await Promise.all([digestOf(s), writeAll(s, data)]);
      h.pairs[0]!.kill();
      await eventually(() => h.client.carrierCount === 1);
      h.close();
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
      syncBuiltinESMExports();
    }
  });
});
