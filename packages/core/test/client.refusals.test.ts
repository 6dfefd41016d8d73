// SPEC §11, §3.2: a carrier the server refuses with a wire code fails with
// that code's local code (and keeps the wire code); SESSION_UNKNOWN for a
// session with no carrier left closes the session, failing its streams at once.
import { createMemoryPair, type MemoryPair } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { ClientSession } from '../src/client.js';
import { FrameType, WireCode } from '../src/constants.js';
import type { MpxError } from '../src/errors.js';
import type { HelloFrame } from '../src/frame.js';
import { MpxServer } from '../src/server.js';
import type { MpxStream } from '../src/stream.js';
import { eventually } from './harness.js';
import { RawPeer } from './raw-peer.js';

/** A server that answers HELLO with CLOSE `code` on the carrier. */
async function refusedWith(code: number): Promise<MpxError> {
  const client = new ClientSession();
  const pair = createMemoryPair();
  const server = new RawPeer(pair.b);
  server.send({ type: FrameType.CHALLENGE, minVersion: 1, maxVersion: 2, nonce: new Uint8Array(16) });
  const adding = client.addCarrier(pair.a);
  await server.waitFor((f): f is HelloFrame => f.type === FrameType.HELLO);
  server.send({ type: FrameType.CLOSE, session: false, code, reason: 'no' });
  server.socket.end();
  const err = await adding.then(
    () => undefined,
    (e: MpxError) => e,
  );
  client.close();
  if (err === undefined) throw new Error('addCarrier resolved');
  return err;
}

describe('addCarrier refused by the server', () => {
  it('rejects a wrong key with MPX_ERR_AUTH_FAILED, wire code AUTH_FAILED', async () => {
    const server = new MpxServer({ key: 'right' });
    const client = new ClientSession({ key: 'wrong' });
    const pair = createMemoryPair();
    server.accept(pair.b);
    await expect(client.addCarrier(pair.a)).rejects.toMatchObject({ code: 'MPX_ERR_AUTH_FAILED', wireCode: WireCode.AUTH_FAILED });
    expect(client.closed).toBe(false);
    client.close();
    server.close();
  });

  it.each([
    [WireCode.GOING_AWAY, 'MPX_ERR_GOING_AWAY'],
    [WireCode.LIMIT_EXCEEDED, 'MPX_ERR_LIMIT_EXCEEDED'],
    [WireCode.HANDSHAKE_TIMEOUT, 'MPX_ERR_HANDSHAKE_TIMEOUT'],
    [WireCode.PROTOCOL, 'MPX_ERR_PROTOCOL'],
    [0x7f, 'MPX_ERR_CARRIER_CLOSED'], // a code the table does not list
  ])('rejects a carrier closed with wire code %i with %s', async (wireCode, code) => {
    expect(await refusedWith(wireCode)).toMatchObject({ code, wireCode });
  });
});

describe('SESSION_UNKNOWN (SPEC §3.2)', () => {
  /** A session with one carrier to `server` and one stream, whose carrier then dies. */
  async function orphaned(): Promise<{ client: ClientSession; stream: MpxStream; pair: MemoryPair; server: MpxServer }> {
    const server = new MpxServer();
    server.on('stream', (s: MpxStream) => s.resume().on('error', () => {}));
    const client = new ClientSession();
    const pair = createMemoryPair();
    server.accept(pair.b);
    await client.addCarrier(pair.a);
    const stream = client.openStream();
    stream.write('in flight');
    await eventually(() => [...server.sessions.values()].some((s) => s.streamCount === 1));
    return { client, stream, pair, server };
  }

  it('closes a session with no carrier left with MPX_ERR_SESSION_UNKNOWN: its streams fail at once', async () => {
    const { client, stream, pair, server } = await orphaned();
    const failed = new Promise<MpxError>((resolve) => stream.once('error', resolve));
    const closed = new Promise<MpxError | undefined>((resolve) => client.once('close', resolve));
    pair.kill();
    server.close();
    await eventually(() => client.carrierCount === 0);
    const restarted = new MpxServer();
    const next = createMemoryPair();
    restarted.accept(next.b);
    await expect(client.addCarrier(next.a)).rejects.toMatchObject({ code: 'MPX_ERR_SESSION_UNKNOWN', wireCode: WireCode.SESSION_UNKNOWN });
    expect(client.closed).toBe(true);
    expect(await closed).toMatchObject({ code: 'MPX_ERR_SESSION_UNKNOWN', wireCode: WireCode.SESSION_UNKNOWN });
    expect(await failed).toMatchObject({ code: 'MPX_ERR_SESSION_UNKNOWN', wireCode: WireCode.SESSION_UNKNOWN });
    restarted.close();
  });

  it('keeps a session that has another carrier open (a misrouted carrier, SPEC §3.5)', async () => {
    const { client, stream, server } = await orphaned();
    stream.on('error', () => {});
    const other = new MpxServer();
    const pair = createMemoryPair();
    other.accept(pair.b);
    await expect(client.addCarrier(pair.a)).rejects.toMatchObject({ code: 'MPX_ERR_SESSION_UNKNOWN', wireCode: WireCode.SESSION_UNKNOWN });
    expect(client.closed).toBe(false);
    expect(client.carrierCount).toBe(1);
    expect(stream.destroyed).toBe(false);
    client.close();
    server.close();
    other.close();
  });
});
