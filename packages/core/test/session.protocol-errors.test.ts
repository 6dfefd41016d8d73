// Issue 2: malformed frames give a protocol error with a code and close only
// the carrier they came on (SPEC §10.2); the session and the process go on.
import { describe, expect, it } from 'vitest';
import { FrameType, WireCode } from '../src/constants.js';
import type { WelcomeFrame } from '../src/frame.js';
import { MpxServer } from '../src/server.js';
import { connect, digestOf, eventually, nextStream, patternBytes, sha256, writeAll } from './harness.js';
import { dataBytes, header } from './hardening.helpers.js';
import { rawClient } from './raw-peer.js';

const cases: Array<[string, number, () => Buffer]> = [
  ['an unknown frame type', WireCode.UNKNOWN_FRAME_TYPE, () => header(0x7f, 0, 0, 0)],
  ['a length above max frame, before its body arrives', WireCode.FRAME_TOO_LARGE, () => header(FrameType.DATA, 0, 0x00ffffff, 1)],
  ['reserved header bits', WireCode.PROTOCOL, () => Buffer.concat([header(FrameType.PING, 0, 8, 0, 1), Buffer.alloc(8)])],
  ['undefined flag bits', WireCode.PROTOCOL, () => Buffer.concat([header(FrameType.WINDOW, 0x80, 8, 0), Buffer.alloc(8)])],
  ['DATA beyond the granted credit', WireCode.FLOW_CONTROL, () => dataBytes(1, 1024 * 1024 * 1024, Buffer.from('x'), 0x01)],
  [
    'a handshake frame after the handshake',
    WireCode.PROTOCOL,
    () =>
      Buffer.concat([
        header(FrameType.CHALLENGE, 0, 24, 0),
        Buffer.from('4d505800010100000000000000000000000000000000000000', 'hex').subarray(0, 24),
      ]),
  ],
  ['DATA for a server stream the server never opened', WireCode.STREAM_STATE, () => dataBytes(1_000_000, 0, Buffer.from('x'), 0x01)],
  ['a stream id 0 on DATA', WireCode.PROTOCOL, () => dataBytes(0, 0, Buffer.from('x'))],
];

describe('malformed frames', () => {
  for (const [what, code, bytes] of cases) {
    it(`closes only the offending carrier on ${what} (wire code ${code})`, async () => {
      const h = await connect({ weights: [1, 1] });
      const { peer } = rawClient(h.server);
      await peer.hello({ sessionId: h.client.id, resume: true });
      await peer.waitFor((f): f is WelcomeFrame => f.type === FrameType.WELCOME);
      expect(h.serverSession.carrierCount).toBe(3);
      // Stream 1 exists on both sides before the bad frame arrives.
      const first = nextStream(h.serverSession);
      h.client.openStream().write('x');
      await first;

      peer.sendRaw(bytes());
      const close = await peer.waitForClose();
      expect(close.code).toBe(code);
      expect(close.session).toBe(false);
      await peer.closed();

      // The session goes on over the two real carriers.
      expect(h.serverSession.closed).toBe(false);
      await eventually(() => h.serverSession.carrierCount === 2);
      const accepted = nextStream(h.serverSession);
      const s = h.client.openStream();
      const data = patternBytes(40, 256 * 1024);
      const [d] = await Promise.all([accepted.then(digestOf), writeAll(s, data)]);
      expect(d).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
      h.close();
    });
  }
});

describe('handshake refusals', () => {
  it('refuses a HELLO whose mac was made with another key: AUTH_FAILED, no session', async () => {
    const server = new MpxServer({ key: 'right key' });
    const { peer } = rawClient(server);
    await peer.hello({ key: new TextEncoder().encode('wrong key') });
    expect((await peer.waitForClose()).code).toBe(WireCode.AUTH_FAILED);
    await peer.closed();
    expect(server.sessions.size).toBe(0);
  });

  it('refuses a HELLO replayed on another carrier (fresh server nonce)', async () => {
    const key = new TextEncoder().encode('k');
    const server = new MpxServer({ key });
    const first = rawClient(server).peer;
    const hello = await first.hello({ key });
    await first.waitFor((f): f is WelcomeFrame => f.type === FrameType.WELCOME);
    const second = rawClient(server).peer;
    const { type: _t, ...replayed } = hello;
    await second.hello({ ...replayed, mac: hello.mac });
    expect((await second.waitForClose()).code).toBe(WireCode.AUTH_FAILED);
    server.close();
  });

  it('refuses a version it does not speak: UNSUPPORTED_VERSION', async () => {
    const server = new MpxServer();
    const { peer } = rawClient(server);
    await peer.hello({ version: 9 });
    expect((await peer.waitForClose()).code).toBe(WireCode.UNSUPPORTED_VERSION);
  });

  it('answers RESUME for a session it does not hold with SESSION_UNKNOWN', async () => {
    const server = new MpxServer();
    const { peer } = rawClient(server);
    await peer.hello({ resume: true });
    expect((await peer.waitForClose()).code).toBe(WireCode.SESSION_UNKNOWN);
    expect(server.sessions.size).toBe(0);
  });

  it('rejects addCarrier with MPX_ERR_AUTH_FAILED when the keys differ', async () => {
    const server = new MpxServer({ key: 'a' });
    const errors: unknown[] = [];
    server.on('carrierError', (e) => errors.push(e));
    await expect(connect({ serverInstance: server, client: { key: 'b' } })).rejects.toMatchObject({
      code: 'MPX_ERR_AUTH_FAILED',
      wireCode: WireCode.AUTH_FAILED,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'MPX_ERR_AUTH_FAILED' });
    expect(server.sessions.size).toBe(0);
  });

  it('fails the handshake with HANDSHAKE_TIMEOUT when the client says nothing', async () => {
    const server = new MpxServer({ handshakeTimeoutMs: 50 });
    const { peer } = rawClient(server);
    expect((await peer.waitForClose()).code).toBe(WireCode.HANDSHAKE_TIMEOUT);
  });
});
