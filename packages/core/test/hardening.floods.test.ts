// Issue 6, item 2: frames a peer may send as often as it likes (PING, RESET,
// WINDOW, ACK) cannot make the server queue replies or state without bound,
// even when the peer never reads; a bad ACK is PROTOCOL (SPEC §5.4, §5.5,
// §6.4, §9). Other sessions on the server are unaffected.
import { describe, expect, it } from 'vitest';
import { FrameType, WireCode } from '../src/constants.js';
import type { MpxError } from '../src/errors.js';
import { MpxServer } from '../src/server.js';
import type { Session } from '../src/session.js';
import type { MpxStream } from '../src/stream.js';
import { connect, digestOf, eventually, patternBytes, sha256, writeAll, type Harness } from './harness.js';
import { dataBytes, framesOf, heapAfterGc, joinedRawPeer, resetBytes, turn, u64Frame } from './hardening.helpers.js';

async function setUp(options: ConstructorParameters<typeof MpxServer>[0] = {}) {
  const server = new MpxServer(options);
  server.on('stream', (s: MpxStream) => s.on('error', () => {}));
  const h = await connect({ serverInstance: server });
  h.serverSession.on('stream', (s: MpxStream) => s.pipe(s));
  const raw = await joinedRawPeer(server);
  const session = [...server.sessions.values()].find((s) => s !== h.serverSession) as Session;
  const closed: Array<MpxError | undefined> = [];
  session.on('carrierClose', (_stats: unknown, err?: MpxError) => closed.push(err));
  return { server, h, ...raw, session, closed };
}

async function expectHealthy(h: Harness, seed: number): Promise<void> {
  const s = h.client.openStream();
  const data = patternBytes(seed, 128 * 1024);
  const [back] = await Promise.all([digestOf(s), writeAll(s, data)]);
  expect(back).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
}

/** Sends `count` copies of `frame`, a thousand per write, a turn of the event loop apart. */
async function flood(send: (b: Buffer) => void, frame: (i: number) => Buffer, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    const batch: Buffer[] = [];
    for (let j = i; j < Math.min(count, i + 1000); j++) batch.push(frame(j));
    send(Buffer.concat(batch));
    await turn();
  }
}

describe('floods from a peer that never reads', () => {
  it('drops a carrier whose PONG replies pile up (PING flood) with LIMIT_EXCEEDED; the server buffers at most about two write buffers', async () => {
    const { server, h, peer, pair, session, closed } = await setUp();
    pair.a.pause(); // the flooder reads nothing
    let most = 0;
    await flood(
      (b) => {
        if (!pair.b.destroyed) peer.sendRaw(b);
        most = Math.max(most, pair.b.writableLength);
      },
      (i) => u64Frame(FrameType.PING, 0, i),
      200_000,
    );
    await eventually(() => closed.length === 1);
    expect(closed[0]).toMatchObject({ code: 'MPX_ERR_LIMIT_EXCEEDED', wireCode: WireCode.LIMIT_EXCEEDED, limit: 'carrierWriteBuffer' });
    // 200 000 PONGs would be 4 MB; the carrier went at about 2 × 512 KiB.
    expect(most).toBeLessThan(2 * 512 * 1024 + 64 * 1024);
    expect(session.closed).toBe(false); // one carrier is gone, the session waits for others
    await expectHealthy(h, 1);
    h.close();
    server.close();
  });

  it('answers a PING flood from a peer that reads, without dropping it', async () => {
    const { server, h, peer, session, closed } = await setUp();
    await flood(
      (b) => peer.sendRaw(b),
      (i) => u64Frame(FrameType.PING, 0, i),
      20_000,
    );
    await eventually(() => framesOf(peer, FrameType.PONG).length === 20_000);
    expect(closed).toEqual([]);
    expect(session.carrierCount).toBe(1);
    h.close();
    server.close();
  });

  it('refuses a RESET flood whose replies wait unread: LIMIT_EXCEEDED once maxStreams + 1024 replies are queued', async () => {
    const { server, h, peer, pair, session } = await setUp({ maxStreams: 16 });
    pair.a.pause();
    // Each RESET names a new stream: it opens it (SPEC §6.2) and needs a RESET back (§6.4).
    await flood(
      (b) => peer.sendRaw(b),
      (i) => resetBytes(2 * i + 1, WireCode.CANCEL, 0),
      40_000,
    );
    await eventually(() => session.carrierStats().every((c) => c.state !== 'open'));
    const opened = session.stats().streamsOpened;
    // Replies that left before the carrier filled, plus the 16 + 1024 queued.
    expect(opened).toBeLessThan(30_000);
    pair.a.resume();
    expect((await peer.waitForClose()).code).toBe(WireCode.LIMIT_EXCEEDED);
    await expectHealthy(h, 2);
    h.close();
    server.close();
  });
});

describe('floods the server absorbs', () => {
  it('takes a WINDOW flood (huge and repeated values, stream 0 and peer streams) without growing or failing', async () => {
    const { server, h, peer, session, closed } = await setUp({ maxStreams: 64 });
    peer.sendRaw(dataBytes(1, 0, Buffer.from('x'), 0x01));
    const before = heapAfterGc();
    await flood(
      (b) => peer.sendRaw(b),
      (i) => u64Frame(FrameType.WINDOW, i % 3 === 0 ? 0 : 1 + 2 * (i % 32), Number.MAX_SAFE_INTEGER - (i % 7)),
      100_000,
    );
    await eventually(() => session.stats().framesReceived >= 100_001);
    expect(closed).toEqual([]);
    expect(session.streamCount).toBeLessThanOrEqual(64);
    expect(heapAfterGc() - before).toBeLessThan(8 * 1024 * 1024);
    await expectHealthy(h, 3);
    h.close();
    server.close();
  });

  it('closes a carrier whose WINDOW names a stream this side never opened with STREAM_STATE', async () => {
    const { server, h, peer, closed } = await setUp();
    peer.sendRaw(u64Frame(FrameType.WINDOW, 1_000_000, 5)); // an even id: the server's
    expect((await peer.waitForClose()).code).toBe(WireCode.STREAM_STATE);
    await eventually(() => closed.length === 1);
    expect(closed[0]!.code).toBe('MPX_ERR_STREAM_STATE');
    await expectHealthy(h, 4);
    h.close();
    server.close();
  });

  it('closes a carrier whose ACK counts more frames than were sent on it with PROTOCOL (SPEC §9)', async () => {
    const { server, h, peer, closed } = await setUp();
    peer.sendRaw(u64Frame(FrameType.ACK, 0, 2 ** 52));
    expect((await peer.waitForClose()).code).toBe(WireCode.PROTOCOL);
    await eventually(() => closed.length === 1);
    expect(closed[0]!.code).toBe('MPX_ERR_PROTOCOL');
    await expectHealthy(h, 5);
    h.close();
    server.close();
  });

  it('ignores an ACK flood of old counts and a PONG flood of unknown values', async () => {
    const { server, h, peer, session, closed } = await setUp();
    await flood(
      (b) => peer.sendRaw(b),
      (i) => u64Frame(i % 2 === 0 ? FrameType.ACK : FrameType.PONG, 0, i % 2 === 0 ? 0 : i),
      50_000,
    );
    await eventually(() => session.carrierStats()[0]!.framesIn >= 50_000);
    expect(closed).toEqual([]);
    h.close();
    server.close();
  });
});
