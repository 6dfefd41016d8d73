// Issue 6, item 3: authentication attacks at the core level (SPEC §3.4). A
// wrong key, a replayed HELLO, a carrier naming someone else's session and a
// flood of handshakes are all refused: no session is created or joined, no
// stream is opened, and each failure is one 'carrierError' event.
import { createMemoryPair } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { FrameType, WireCode } from '../src/constants.js';
import { decodeAll } from '../src/decode.js';
import { encodeFrame } from '../src/encode.js';
import type { MpxError } from '../src/errors.js';
import type { ChallengeFrame, HelloFrame, WelcomeFrame } from '../src/frame.js';
import { ClientSession } from '../src/client.js';
import { MpxServer } from '../src/server.js';
import type { MpxStream } from '../src/stream.js';
import { connect, digestOf, eventually, patternBytes, sha256, writeAll, type Harness } from './harness.js';
import { header, turn } from './hardening.helpers.js';
import { rawClient } from './raw-peer.js';

const KEY = 'correct horse battery staple';
const key = new TextEncoder().encode(KEY);

/** A keyed server with a legitimate session on it; counts what attackers achieve. */
async function victim(options: { key?: string; handshakeTimeoutMs?: number } = {}) {
  const server = new MpxServer({ key: options.key ?? KEY, handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000 });
  const errors: MpxError[] = [];
  server.on('carrierError', (e: MpxError) => errors.push(e));
  const h = await connect({ serverInstance: server, client: { key: options.key ?? KEY }, weights: [1, 1] });
  const sessions: unknown[] = [];
  const streams: unknown[] = [];
  server.on('session', (s) => sessions.push(s));
  server.on('stream', (s: MpxStream) => streams.push(s));
  h.serverSession.on('stream', (s: MpxStream) => s.pipe(s));
  return { server, h, errors, sessions, streams };
}

async function expectHealthy(h: Harness, seed: number): Promise<void> {
  const s = h.client.openStream();
  const data = patternBytes(seed, 64 * 1024);
  const [back] = await Promise.all([digestOf(s), writeAll(s, data)]);
  expect(back).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
}

describe('authentication attacks', () => {
  it('refuses a wrong key with AUTH_FAILED: no session, one carrierError', async () => {
    const v = await victim();
    const { peer } = rawClient(v.server);
    await peer.hello({ key: new TextEncoder().encode('guess') });
    expect((await peer.waitForClose()).code).toBe(WireCode.AUTH_FAILED);
    await peer.closed();
    expect(v.errors.map((e) => e.code)).toEqual(['MPX_ERR_AUTH_FAILED']);
    expect(v.sessions).toEqual([]);
    expect(v.server.sessions.size).toBe(1);
    await expectHealthy(v.h, 1);
    v.h.close();
    v.server.close();
  });

  it("refuses a real client's HELLO replayed on a new carrier (the server nonce is fresh)", async () => {
    const v = await victim();
    // Record what a legitimate client sends on a new carrier of its session.
    const pair = createMemoryPair();
    const sent: Buffer[] = [];
    pair.b.on('data', (c: Buffer) => sent.push(c));
    v.server.accept(pair.b);
    await v.h.client.addCarrier(pair.a);
    const hello = decodeAll(Buffer.concat(sent), 1 << 24).find((f): f is HelloFrame => f.type === FrameType.HELLO)!;
    expect(hello.resume).toBe(true);
    const before = v.h.serverSession.carrierCount;
    const { peer } = rawClient(v.server);
    await peer.waitFor((f): f is ChallengeFrame => f.type === FrameType.CHALLENGE);
    for (const chunk of encodeFrame(hello)) peer.sendRaw(chunk);
    expect((await peer.waitForClose()).code).toBe(WireCode.AUTH_FAILED);
    expect(v.h.serverSession.carrierCount).toBe(before);
    expect(v.errors.map((e) => e.code)).toEqual(['MPX_ERR_AUTH_FAILED']);
    await expectHealthy(v.h, 2);
    v.h.close();
    v.server.close();
  });

  it("does not let a carrier without the key join someone else's session, nor open a stream in it", async () => {
    const v = await victim();
    const before = v.h.serverSession.carrierCount;
    for (const resume of [true, false]) {
      const { peer } = rawClient(v.server);
      await peer.hello({ sessionId: v.h.client.id, resume, key: new TextEncoder().encode('not the key') });
      // Frames sent right behind the HELLO, hoping they land in the session.
      peer.sendRaw(Buffer.concat([header(FrameType.DATA, 0x01, 9, 1), Buffer.alloc(8), Buffer.from('x')]));
      expect((await peer.waitForClose()).code).toBe(WireCode.AUTH_FAILED);
      await peer.closed();
    }
    expect(v.h.serverSession.carrierCount).toBe(before);
    expect(v.h.serverSession.stats().streamsOpened).toBe(0);
    expect(v.streams).toEqual([]);
    expect(v.errors).toHaveLength(2);
    await expectHealthy(v.h, 3);
    v.h.close();
    v.server.close();
  });

  it('without a key, the session id is the only secret: a carrier naming it joins (documented in SECURITY.md)', async () => {
    const server = new MpxServer();
    const h = await connect({ serverInstance: server });
    const { peer } = rawClient(server);
    await peer.hello({ sessionId: h.client.id, resume: true });
    await peer.waitFor((f): f is WelcomeFrame => f.type === FrameType.WELCOME);
    expect(h.serverSession.carrierCount).toBe(2);
    h.close();
    server.close();
  });

  it('survives a flood of 300 handshakes that never finish or fail: each logged once, none leaves state behind', async () => {
    const v = await victim({ handshakeTimeoutMs: 200 });
    const wrong = new TextEncoder().encode('wrong');
    const peers = Array.from({ length: 300 }, (_, i) => {
      const { peer } = rawClient(v.server);
      switch (i % 5) {
        case 0: // silent
          break;
        case 1: // half a HELLO
          peer.sendRaw(header(FrameType.HELLO, 0, 84, 0));
          break;
        case 2: // a wrong key
          void peer.hello({ key: wrong }).catch(() => {});
          break;
        case 3: // garbage
          peer.sendRaw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
          break;
        default: // a RESUME of a session nobody holds, with the right key
          void peer.hello({ key, resume: true }).catch(() => {});
      }
      return peer;
    });
    expect(v.server.pendingHandshakes).toBeGreaterThan(0);
    await Promise.all(peers.map((p) => p.closed()));
    await eventually(() => v.errors.length === 300);
    await turn();
    expect(v.errors).toHaveLength(300); // exactly one each
    const codes = new Set(v.errors.map((e) => e.code));
    expect(codes).toEqual(new Set(['MPX_ERR_HANDSHAKE_TIMEOUT', 'MPX_ERR_AUTH_FAILED', 'MPX_ERR_UNKNOWN_FRAME_TYPE', 'MPX_ERR_SESSION_UNKNOWN']));
    expect(v.server.pendingHandshakes).toBe(0);
    expect(v.sessions).toEqual([]);
    expect(v.streams).toEqual([]);
    expect(v.server.sessions.size).toBe(1);
    await expectHealthy(v.h, 4);
    v.h.close();
    v.server.close();
  });
});

describe('key handling on the wire', () => {
  it('never sends the key, and uses a fresh nonce on every carrier, both ways', async () => {
    const server = new MpxServer({ key: KEY });
    const client = new ClientSession({ key: KEY });
    const wire: Buffer[] = [];
    const challenges: string[] = [];
    const hellos: string[] = [];
    server.on('stream', (s: MpxStream) => s.pipe(s));
    for (let i = 0; i < 4; i++) {
      const pair = createMemoryPair();
      const toServer: Buffer[] = [];
      const toClient: Buffer[] = [];
      pair.b.on('data', (c: Buffer) => toServer.push(c));
      pair.a.on('data', (c: Buffer) => toClient.push(c));
      server.accept(pair.b);
      await client.addCarrier(pair.a);
      const up = decodeAll(Buffer.concat(toServer), 1 << 24);
      const down = decodeAll(Buffer.concat(toClient), 1 << 24);
      hellos.push(Buffer.from(up.find((f): f is HelloFrame => f.type === FrameType.HELLO)!.nonce).toString('hex'));
      challenges.push(Buffer.from(down.find((f): f is ChallengeFrame => f.type === FrameType.CHALLENGE)!.nonce).toString('hex'));
      pair.a.on('data', (c: Buffer) => wire.push(c));
      pair.b.on('data', (c: Buffer) => wire.push(c));
      wire.push(...toServer, ...toClient);
    }
    const s = client.openStream();
    const data = patternBytes(5, 256 * 1024);
    await Promise.all([digestOf(s), writeAll(s, data)]);
    expect(new Set(challenges).size).toBe(4);
    expect(new Set(hellos).size).toBe(4);
    expect(Buffer.concat(wire).includes(Buffer.from(KEY))).toBe(false);
    client.close();
    server.close();
  });
});
