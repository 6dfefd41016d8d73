// Issue 6, item 2: every limit has a default, and hitting it gives the peer a
// clear wire code (SPEC §11), the server an event to log, and leaves the other
// sessions on the same server alone. SPEC §3, §4, §6.2, §7, §12.
import { PassThrough } from 'node:stream';
import { createMemoryPair } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { FrameType, MAX_ACK_DELAY_MS, WireCode } from '../src/constants.js';
import { DEFAULTS } from '../src/config.js';
import { MpxError } from '../src/errors.js';
import type { ResetFrame, WelcomeFrame } from '../src/frame.js';
import { MpxServer, type ServerOptions } from '../src/server.js';
import type { Session } from '../src/session.js';
import type { MpxStream } from '../src/stream.js';
import { connect, digestOf, eventually, nextStream, patternBytes, sha256, writeAll, type Harness } from './harness.js';
import { ManualClock, dataBytes, framesOf, header, joinedRawPeer, turn } from './hardening.helpers.js';
import { rawClient } from './raw-peer.js';

/** A legitimate client session on `server`, to check that it is unaffected. */
async function bystander(server: MpxServer): Promise<Harness> {
  const h = await connect({ serverInstance: server });
  h.serverSession.on('stream', (s: MpxStream) => s.pipe(s));
  return h;
}

/** The bystander still moves bytes both ways, byte-identical. */
async function expectHealthy(h: Harness, seed: number): Promise<void> {
  expect(h.client.closed).toBe(false);
  const s = h.client.openStream();
  const data = patternBytes(seed, 128 * 1024);
  const [back] = await Promise.all([digestOf(s), writeAll(s, data)]);
  expect(back).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
}

function serverWithErrors(options: ServerOptions = {}): { server: MpxServer; errors: MpxError[] } {
  const server = new MpxServer(options);
  const errors: MpxError[] = [];
  server.on('carrierError', (e: MpxError) => errors.push(e));
  server.on('stream', (s: MpxStream) => s.on('error', () => {}));
  return { server, errors };
}

/** Errors of carriers that closed on `session`, as the CLI would log them. */
function carrierErrors(session: Session): MpxError[] {
  const out: MpxError[] = [];
  session.on('carrierClose', (_stats: unknown, err?: MpxError) => {
    if (err !== undefined) out.push(err);
  });
  return out;
}

describe('limits: defaults', () => {
  it('has a default for every limit, and the idle stream timeout is off', () => {
    const server = new MpxServer();
    expect(server.options).toMatchObject({
      maxStreams: DEFAULTS.maxStreams,
      maxFrame: DEFAULTS.maxFrame,
      sessionWindow: DEFAULTS.sessionWindow,
      streamWindow: DEFAULTS.streamWindow,
      handshakeTimeoutMs: DEFAULTS.handshakeTimeoutMs,
      streamIdleTimeoutMs: 0,
    });
    expect(server.pendingHandshakes).toBe(0);
  });

  it('rejects a nonsensical server limit with MPX_ERR_INVALID_CONFIG, naming it', () => {
    expect(() => new MpxServer({ maxSessions: 0 })).toThrow(/maxSessions/);
    expect(() => new MpxServer({ maxPendingHandshakes: 1.5 })).toThrow(expect.objectContaining({ code: 'MPX_ERR_INVALID_CONFIG' }));
    expect(() => new MpxServer({ streamIdleTimeoutMs: -1 })).toThrow(/streamIdleTimeoutMs/);
  });
});

describe('limits: sessions, carriers, handshakes', () => {
  it('refuses a session beyond maxSessions with LIMIT_EXCEEDED; held sessions go on', async () => {
    const { server, errors } = serverWithErrors({ maxSessions: 2 });
    const h = await bystander(server);
    await joinedRawPeer(server); // the second session
    const { peer } = rawClient(server);
    await peer.hello();
    expect((await peer.waitForClose()).code).toBe(WireCode.LIMIT_EXCEEDED);
    await peer.closed();
    expect(errors.map((e) => [e.code, e.limit])).toEqual([['MPX_ERR_LIMIT_EXCEEDED', 'maxSessions']]);
    expect(server.sessions.size).toBe(2);
    await expectHealthy(h, 1);
    h.close();
    server.close();
  });

  it('refuses a carrier beyond maxCarriersPerSession with LIMIT_EXCEEDED; the session keeps its carriers', async () => {
    const { server, errors } = serverWithErrors({ maxCarriersPerSession: 2 });
    const h = await connect({ serverInstance: server, weights: [1, 1] });
    h.serverSession.on('stream', (s: MpxStream) => s.pipe(s));
    await expect(h.addCarrier(1)).rejects.toMatchObject({ wireCode: WireCode.LIMIT_EXCEEDED });
    expect(errors.map((e) => [e.code, e.limit])).toEqual([['MPX_ERR_LIMIT_EXCEEDED', 'maxCarriersPerSession']]);
    expect(h.serverSession.carrierCount).toBe(2);
    await expectHealthy(h, 2);
    h.close();
    server.close();
  });

  it('refuses a carrier beyond maxPendingHandshakes at once with LIMIT_EXCEEDED, and counts handshakes back to 0', async () => {
    const { server, errors } = serverWithErrors({ maxPendingHandshakes: 3, handshakeTimeoutMs: 100 });
    const h = await bystander(server);
    const silent = [rawClient(server), rawClient(server), rawClient(server)];
    expect(server.pendingHandshakes).toBe(3);
    const { peer } = rawClient(server);
    expect((await peer.waitForClose()).code).toBe(WireCode.LIMIT_EXCEEDED);
    expect(framesOf(peer, FrameType.CHALLENGE)).toHaveLength(0); // refused before any work
    expect(errors.map((e) => [e.code, e.limit])).toEqual([['MPX_ERR_LIMIT_EXCEEDED', 'maxPendingHandshakes']]);
    for (const s of silent) expect((await s.peer.waitForClose()).code).toBe(WireCode.HANDSHAKE_TIMEOUT);
    expect(server.pendingHandshakes).toBe(0);
    expect(errors).toHaveLength(4);
    await expectHealthy(h, 3);
    h.close();
    server.close();
  });

  it('closes a carrier that sends half a HELLO with HANDSHAKE_TIMEOUT, logged once', async () => {
    const { server, errors } = serverWithErrors({ handshakeTimeoutMs: 50 });
    const h = await bystander(server);
    const { peer } = rawClient(server);
    peer.sendRaw(header(FrameType.HELLO, 0, 84, 0));
    peer.sendRaw(Buffer.alloc(40));
    expect((await peer.waitForClose()).code).toBe(WireCode.HANDSHAKE_TIMEOUT);
    await peer.closed();
    expect(errors.map((e) => e.code)).toEqual(['MPX_ERR_HANDSHAKE_TIMEOUT']);
    expect(server.pendingHandshakes).toBe(0);
    expect(server.sessions.size).toBe(1);
    await expectHealthy(h, 4);
    h.close();
  });

  it('refuses a frame bigger than a handshake frame before the handshake is done (FRAME_TOO_LARGE, nothing buffered)', async () => {
    const { server, errors } = serverWithErrors({ handshakeTimeoutMs: 60_000 });
    const { peer } = rawClient(server);
    // A DATA header announcing 60 000 bytes: refused on the header alone.
    peer.sendRaw(header(FrameType.DATA, 0x01, 60_000, 1));
    expect((await peer.waitForClose()).code).toBe(WireCode.FRAME_TOO_LARGE);
    await eventually(() => errors.length === 1);
    // The fixed limit of handshake frames, not maxFrame: logs must not point at --max-frame.
    expect([errors[0]!.code, errors[0]!.limit]).toEqual(['MPX_ERR_FRAME_TOO_LARGE', 'handshakeFrame']);
    expect(server.pendingHandshakes).toBe(0);
  });
});

describe('limits: connections before they are carriers (admitConnection)', () => {
  /** A stand-in for an accepted TCP socket still in its TLS handshake or HTTP upgrade. */
  function connection(): PassThrough {
    return new PassThrough();
  }

  it('counts admitted connections against maxPendingHandshakes from accept: the next one is refused at once', () => {
    const clock = new ManualClock();
    const { server, errors } = serverWithErrors({ maxPendingHandshakes: 2, handshakeTimeoutMs: 1000, clock });
    const held = [connection(), connection()];
    expect(held.map((c) => server.admitConnection(c, { remote: 'a' }))).toEqual([true, true]);
    expect(server.pendingHandshakes).toBe(2);
    const refused = connection();
    expect(server.admitConnection(refused, { remote: 'b' })).toBe(false);
    expect(refused.destroyed).toBe(true);
    expect(errors.map((e) => [e.code, e.limit])).toEqual([['MPX_ERR_LIMIT_EXCEEDED', 'maxPendingHandshakes']]);
    // A carrier handed to accept() without a connection is counted against the same limit.
    rawClient(server);
    expect(errors.map((e) => e.limit)).toEqual(['maxPendingHandshakes', 'maxPendingHandshakes']);
    server.close();
  });

  it('destroys an admitted connection that is not a carrier by the handshake deadline, with HANDSHAKE_TIMEOUT', async () => {
    const clock = new ManualClock();
    const { server, errors } = serverWithErrors({ maxPendingHandshakes: 1, handshakeTimeoutMs: 1000, clock });
    const stalled = connection();
    expect(server.admitConnection(stalled)).toBe(true);
    clock.advance(999);
    expect(stalled.destroyed).toBe(false);
    clock.advance(1);
    expect(stalled.destroyed).toBe(true);
    expect(errors.map((e) => e.code)).toEqual(['MPX_ERR_HANDSHAKE_TIMEOUT']);
    await turn();
    expect(server.pendingHandshakes).toBe(0);
    // A carrier that turns up on it after the deadline is dropped, not given a fresh deadline.
    const late = connection();
    server.accept(late, { connection: stalled });
    expect(late.destroyed).toBe(true);
    server.close();
  });

  it('gives an admitted connection only what is left of the deadline once it is a carrier, and stops counting it when it closes', async () => {
    const clock = new ManualClock();
    const { server, errors } = serverWithErrors({ handshakeTimeoutMs: 1000, clock });
    const { a: client, b: raw } = createMemoryPair();
    expect(server.admitConnection(raw)).toBe(true);
    clock.advance(600);
    server.accept(raw, { connection: raw });
    expect(server.pendingHandshakes).toBe(1);
    clock.advance(399);
    expect(errors).toHaveLength(0);
    clock.advance(1);
    await eventually(() => errors.length === 1);
    expect(errors[0]!.code).toBe('MPX_ERR_HANDSHAKE_TIMEOUT');
    client.destroy();
    await eventually(() => server.pendingHandshakes === 0);
    server.close();
  });
});

describe('limits: frames, streams, memory', () => {
  it('closes a carrier that sends a frame above maxFrame with FRAME_TOO_LARGE, before its body arrives', async () => {
    const { server } = serverWithErrors({ maxFrame: 4096 });
    const h = await bystander(server);
    const { peer } = await joinedRawPeer(server);
    const session = [...server.sessions.values()].find((s) => s !== h.serverSession)!;
    const errors = carrierErrors(session);
    peer.sendRaw(header(FrameType.DATA, 0x01, 4097, 1));
    expect((await peer.waitForClose()).code).toBe(WireCode.FRAME_TOO_LARGE);
    await eventually(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ code: 'MPX_ERR_FRAME_TOO_LARGE', wireCode: WireCode.FRAME_TOO_LARGE });
    await expectHealthy(h, 5);
    h.close();
    server.close();
  });

  it('resets streams beyond maxStreams with LIMIT_EXCEEDED, emits streamRefused, and does not crash', async () => {
    const { server } = serverWithErrors({ maxStreams: 2 });
    const h = await bystander(server);
    const { peer } = await joinedRawPeer(server);
    const session = [...server.sessions.values()].find((s) => s !== h.serverSession)!;
    const refused: MpxError[] = [];
    session.on('streamRefused', (e: MpxError) => refused.push(e));
    const opened: number[] = [];
    session.on('stream', (s: MpxStream) => opened.push(s.id));
    for (const id of [1, 3, 5]) peer.sendRaw(dataBytes(id, 0, Buffer.from('x'), 0x01));
    const reset = await peer.waitFor((f): f is ResetFrame => f.type === FrameType.RESET);
    expect(reset).toMatchObject({ streamId: 5, code: WireCode.LIMIT_EXCEEDED });
    expect(opened).toEqual([1, 3]);
    expect(refused.map((e) => e.code)).toEqual(['MPX_ERR_LIMIT_EXCEEDED']);
    // The peer answers the RESET (SPEC §6.4) with the final size of what it
    // sent (1 byte): the refused stream is forgotten.
    peer.sendRaw(Buffer.from(resetOf(5, 1)));
    await eventually(() => session.streamCount === 2);
    expect(session.carrierCount).toBe(1);
    await expectHealthy(h, 6);
    h.close();
    server.close();
  });

  it('caps refused streams that wait for a RESET the peer never sends: the carrier is closed with LIMIT_EXCEEDED', async () => {
    const { server } = serverWithErrors({ maxStreams: 4 });
    const h = await bystander(server);
    const { peer } = await joinedRawPeer(server);
    const session = [...server.sessions.values()].find((s) => s !== h.serverSession)!;
    // Each frame opens four more streams (the most one frame may), all refused.
    for (let id = 7; id < 7 + 8 * 600; id += 8) peer.sendRaw(dataBytes(id, 0, Buffer.from('x'), 0x01));
    expect((await peer.waitForClose()).code).toBe(WireCode.LIMIT_EXCEEDED);
    // maxStreams open + max(maxStreams, 1024) waiting: bounded, not 2400.
    expect(session.streamCount).toBeLessThanOrEqual(4 + 1024);
    await expectHealthy(h, 7);
    h.close();
    server.close();
  });

  it('closes a carrier whose stream id jumps by more than maxStreams (LIMIT_EXCEEDED), opening nothing', async () => {
    const { server } = serverWithErrors({ maxStreams: 100 });
    const { peer } = await joinedRawPeer(server);
    const session = [...server.sessions.values()][0]!;
    peer.sendRaw(dataBytes(0xffffffff, 0, Buffer.from('x'), 0x01));
    expect((await peer.waitForClose()).code).toBe(WireCode.LIMIT_EXCEEDED);
    expect(session.stats().streamsOpened).toBe(0);
    server.close();
  });

  it('closes a carrier that sends beyond the session window with FLOW_CONTROL; memory stays within the window', async () => {
    const window = 64 * 1024;
    const { server } = serverWithErrors({ sessionWindow: window, streamWindow: window });
    const h = await bystander(server);
    const { peer } = await joinedRawPeer(server);
    const session = [...server.sessions.values()].find((s) => s !== h.serverSession)!;
    const errors = carrierErrors(session);
    const held: MpxStream[] = [];
    session.on('stream', (s: MpxStream) => held.push(s)); // nobody reads them
    peer.sendRaw(dataBytes(1, 0, Buffer.alloc(40_000), 0x01));
    peer.sendRaw(dataBytes(3, 0, Buffer.alloc(40_000), 0x01));
    expect((await peer.waitForClose()).code).toBe(WireCode.FLOW_CONTROL);
    await eventually(() => errors.length === 1);
    expect(errors[0]!.code).toBe('MPX_ERR_FLOW_CONTROL');
    const buffered = held.reduce((n, s) => n + s.stats().buffered + s.readableLength, 0);
    expect(buffered).toBeLessThanOrEqual(window);
    await expectHealthy(h, 8);
    h.close();
    server.close();
  });
});

/** Lets delayed ACKs (SPEC §9) fire and land, so that only other timers stay pending. */
async function settleAcks(clock: ManualClock): Promise<void> {
  await turn();
  clock.advance(MAX_ACK_DELAY_MS);
  await turn();
}

function resetOf(streamId: number, finalSize: number): Uint8Array {
  const b = Buffer.alloc(24);
  header(FrameType.RESET, 0, 12, streamId).copy(b, 0);
  b.writeUInt32BE(WireCode.CANCEL, 12);
  b.writeBigUInt64BE(BigInt(finalSize), 16);
  return b;
}

describe('limits: idle stream timeout (streamIdleTimeoutMs)', () => {
  // Pings and liveness are pushed far out so that only stream timers run on the manual clock.
  const quiet = { pingIntervalMs: 3_600_000, deadAfterMs: 7_200_000, handshakeTimeoutMs: 60_000 };

  it('resets a stream idle for the timeout with IDLE_TIMEOUT on both sides; an active stream lives on', async () => {
    const clock = new ManualClock();
    const h = await connect({ client: { ...quiet, clock }, server: { ...quiet, clock, streamIdleTimeoutMs: 1000 } });
    const accepted: MpxStream[] = [];
    h.serverSession.on('stream', (s: MpxStream) => accepted.push(s.resume()));
    const idle = h.client.openStream();
    const active = h.client.openStream();
    idle.write('x');
    active.write('y');
    await eventually(() => accepted.length === 2 && accepted[1]!.stats().bytesReceived === 1);
    const [idlePeer, activePeer] = accepted as [MpxStream, MpxStream];
    const clientError = new Promise<MpxError>((resolve) => idle.once('error', resolve));
    const serverError = new Promise<MpxError>((resolve) => idlePeer.once('error', resolve));
    for (let i = 1; i <= 5; i++) {
      clock.advance(400);
      active.write('z');
      await eventually(() => activePeer.stats().bytesReceived === 1 + i);
    }
    expect(await serverError).toMatchObject({ code: 'MPX_ERR_IDLE_TIMEOUT', wireCode: WireCode.IDLE_TIMEOUT });
    expect(await clientError).toMatchObject({ code: 'MPX_ERR_IDLE_TIMEOUT', wireCode: WireCode.IDLE_TIMEOUT });
    // 2 s have passed; the active stream moved bytes every 400 ms and is still open.
    expect(active.destroyed || activePeer.destroyed).toBe(false);
    await eventually(() => h.client.streamCount === 1 && h.serverSession.streamCount === 1);
    // Once it falls silent, it goes too.
    const activeError = new Promise<MpxError>((resolve) => active.once('error', resolve));
    activePeer.on('error', () => {});
    clock.advance(1000);
    expect((await activeError).code).toBe('MPX_ERR_IDLE_TIMEOUT');
    await eventually(() => h.client.streamCount === 0 && h.serverSession.streamCount === 0);
    h.close();
  });

  it('is off by default: a silent stream outlives an hour and holds no timer', async () => {
    const clock = new ManualClock();
    const h = await connect({ client: { ...quiet, clock }, server: { ...quiet, clock } });
    const timersBefore = clock.pending;
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    s.write('x');
    const peer = await accepted;
    await settleAcks(clock);
    expect(clock.pending).toBe(timersBefore);
    clock.advance(3_600_000);
    await turn();
    expect(s.destroyed || peer.destroyed).toBe(false);
    expect(h.serverSession.streamCount).toBe(1);
    h.close();
  });

  it('clears the timer of a stream that closes cleanly', async () => {
    const clock = new ManualClock();
    const h = await connect({ client: { ...quiet, clock, streamIdleTimeoutMs: 1000 }, server: { ...quiet, clock } });
    const timersBefore = clock.pending;
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    s.end('bye');
    const peer = await accepted;
    await settleAcks(clock);
    expect(clock.pending).toBe(timersBefore + 1);
    await digestOf(peer);
    peer.end();
    await digestOf(s);
    await eventually(() => h.client.streamCount === 0);
    await settleAcks(clock);
    expect(clock.pending).toBe(timersBefore);
    h.close();
  });
});

describe('limits: WELCOME carries the server limits', () => {
  it('announces its max frame and windows to the client (SPEC §3.3)', async () => {
    const { server } = serverWithErrors({ maxFrame: 2048, streamWindow: 4096, sessionWindow: 8192 });
    const { peer } = rawClient(server);
    await peer.hello();
    const welcome = await peer.waitFor((f): f is WelcomeFrame => f.type === FrameType.WELCOME);
    expect(welcome).toMatchObject({ maxFrame: 2048, streamWindow: 4096, sessionWindow: 8192 });
    server.close();
  });
});
