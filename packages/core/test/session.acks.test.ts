// SPEC §9, receiver side: when ACKs go out. Bulk data is acknowledged in the
// turn that read it; a lone frame's ACK waits up to MAX_ACK_DELAY_MS for a
// second frame or for a frame of ours to ride along with.
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '@mpx/testkit';
import { welcomeMac } from '../src/auth.js';
import { ClientSession } from '../src/client.js';
import { FrameType, MAX_ACK_DELAY_MS, NONCE_SIZE } from '../src/constants.js';
import type { ChallengeFrame, DataFrame, HelloFrame, WelcomeFrame } from '../src/frame.js';
import { MpxServer } from '../src/server.js';
import type { Session } from '../src/session.js';
import type { MpxStream } from '../src/stream.js';
import { eventually } from './harness.js';
import { ManualClock, dataBytes, framesOf, joinedRawPeer, turn } from './hardening.helpers.js';
import { RawPeer, rawClient } from './raw-peer.js';

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}

function serverWith(clock: ManualClock, onStream: (s: MpxStream) => void = () => {}): MpxServer {
  const server = new MpxServer({ clock });
  server.on('stream', (s: MpxStream) => {
    s.on('error', () => {});
    onStream(s);
  });
  return server;
}

describe('ACK timing (SPEC §9)', () => {
  it('acknowledges a lone frame after MAX_ACK_DELAY_MS, not before', async () => {
    const clock = new ManualClock();
    const server = serverWith(clock);
    const { peer } = await joinedRawPeer(server);
    peer.sendRaw(dataBytes(1, 0, Buffer.from('hello'), 0x01));
    await turns(5);
    expect(framesOf(peer, FrameType.ACK)).toEqual([]);
    clock.advance(MAX_ACK_DELAY_MS - 1);
    await turns(3);
    expect(framesOf(peer, FrameType.ACK)).toEqual([]);
    clock.advance(1);
    await turns(3);
    expect(framesOf(peer, FrameType.ACK)).toEqual([{ type: FrameType.ACK, count: 1 }]);
    server.close();
  });

  it('acknowledges two frames in the turn that reads the second, without waiting', async () => {
    const clock = new ManualClock();
    const server = serverWith(clock);
    const { peer } = await joinedRawPeer(server);
    peer.sendRaw(Buffer.concat([dataBytes(1, 0, Buffer.from('he'), 0x01), dataBytes(1, 2, Buffer.from('llo'))]));
    await turns(5);
    expect(framesOf(peer, FrameType.ACK)).toEqual([{ type: FrameType.ACK, count: 2 }]);
    server.close();
  });

  it('acknowledges a lone frame at once when a second one follows in a later turn', async () => {
    const clock = new ManualClock();
    const server = serverWith(clock);
    const { peer } = await joinedRawPeer(server);
    peer.sendRaw(dataBytes(1, 0, Buffer.from('he'), 0x01));
    await turns(5);
    expect(framesOf(peer, FrameType.ACK)).toEqual([]);
    peer.sendRaw(dataBytes(1, 2, Buffer.from('llo')));
    await turns(5);
    expect(framesOf(peer, FrameType.ACK)).toEqual([{ type: FrameType.ACK, count: 2 }]);
    server.close();
  });

  it('sends a pending ACK along with the next frame, after the frames of that turn', async () => {
    const clock = new ManualClock();
    const server = serverWith(clock, (s) => s.pipe(s));
    const { peer } = await joinedRawPeer(server);
    peer.sendRaw(dataBytes(1, 0, Buffer.from('echo me'), 0x01));
    const echo = await peer.waitFor((f): f is DataFrame => f.type === FrameType.DATA);
    expect(Buffer.from(echo.payload).toString()).toBe('echo me');
    const afterHandshake = peer.frames.filter((f) => f.type !== FrameType.CHALLENGE && f.type !== FrameType.WELCOME);
    expect(afterHandshake.slice(0, 2).map((f) => f.type)).toEqual([FrameType.DATA, FrameType.ACK]);
    expect(framesOf(peer, FrameType.ACK)).toEqual([{ type: FrameType.ACK, count: 1 }]);
    // Nothing is left to acknowledge: the delay timer was cleared with it.
    clock.advance(MAX_ACK_DELAY_MS);
    await turns(3);
    expect(framesOf(peer, FrameType.ACK)).toHaveLength(1);
    server.close();
  });

  it('takes RTT samples only from ACKs of two or more frames, which were not held back', async () => {
    const clock = new ManualClock();
    const streams: MpxStream[] = [];
    const server = serverWith(clock, (s) => streams.push(s));
    let session: Session | undefined;
    server.on('session', (s: Session) => (session = s));
    const { peer } = await joinedRawPeer(server);
    peer.sendRaw(dataBytes(1, 0, Buffer.from('x'), 0x01));
    await turns(5);
    const rtt = (): number | undefined => session?.carrierStats()[0]?.rttMs;
    const handshakeRtt = rtt() as number; // the handshake's sample (0 on the manual clock)

    streams[0]!.write('a'); // one frame (with our pending ACK riding along)
    await peer.waitFor((f): f is DataFrame => f.type === FrameType.DATA);
    clock.advance(40); // a peer's delayed ACK of a lone frame
    peer.send({ type: FrameType.ACK, count: 1 });
    await turns(5);
    expect(rtt()).toBe(handshakeRtt);

    streams[0]!.write('b');
    await turns(2);
    streams[0]!.write('c');
    await eventually(() => framesOf(peer, FrameType.DATA).length === 3);
    clock.advance(7);
    peer.send({ type: FrameType.ACK, count: 3 });
    await turns(5);
    expect(rtt()).toBe(0.875 * handshakeRtt + 0.125 * 7); // RFC 6298 smoothing of the 7 ms sample
    server.close();
  });

  it('takes the handshake as the first RTT sample: CHALLENGE to HELLO at the server', async () => {
    const clock = new ManualClock();
    const server = serverWith(clock);
    let session: Session | undefined;
    server.on('session', (s: Session) => (session = s));
    const { peer } = rawClient(server);
    await peer.waitFor((f): f is ChallengeFrame => f.type === FrameType.CHALLENGE);
    clock.advance(30); // the path's round trip, before any data queues on it
    await peer.hello();
    await peer.waitFor((f): f is WelcomeFrame => f.type === FrameType.WELCOME);
    expect(session?.carrierStats()[0]?.rttMs).toBe(30);
    server.close();
  });

  it('offers versions 1 and 2, and stamps its ACKs (SPEC §5.4) only on a carrier whose client chose 2', async () => {
    for (const version of [1, 2]) {
      const clock = new ManualClock();
      clock.advance(7.5);
      const server = serverWith(clock);
      const { peer } = rawClient(server);
      const challenge = await peer.waitFor((f): f is ChallengeFrame => f.type === FrameType.CHALLENGE);
      expect([challenge.minVersion, challenge.maxVersion]).toEqual([1, 2]);
      await peer.hello({ version });
      await peer.waitFor((f): f is WelcomeFrame => f.type === FrameType.WELCOME);
      peer.sendRaw(Buffer.concat([dataBytes(1, 0, Buffer.from('he'), 0x01), dataBytes(1, 2, Buffer.from('llo'))]));
      await turns(5);
      expect(framesOf(peer, FrameType.ACK)).toEqual([
        version === 2 ? { type: FrameType.ACK, count: 2, stamp: expect.any(Number) } : { type: FrameType.ACK, count: 2 },
      ]);
      server.close();
    }
  });

  it('speaks version 1 to a server of an earlier release (CHALLENGE 1–1): its ACKs carry no stamp', async () => {
    const clock = new ManualClock();
    const pair = createMemoryPair();
    const server = new RawPeer(pair.b);
    const client = new ClientSession({ clock });
    const challenge: ChallengeFrame = { type: FrameType.CHALLENGE, minVersion: 1, maxVersion: 1, nonce: new Uint8Array(NONCE_SIZE) };
    const added = client.addCarrier(pair.a);
    server.send(challenge);
    const hello = await server.waitFor((f): f is HelloFrame => f.type === FrameType.HELLO);
    expect(hello.version).toBe(1);
    const welcome = { created: true, streamWindow: 1 << 20, sessionWindow: 8 << 20, maxFrame: 65536 };
    server.send({ type: FrameType.WELCOME, ...welcome, mac: welcomeMac(new Uint8Array(0), hello, welcome) });
    await added;
    server.sendRaw(Buffer.concat([dataBytes(2, 0, Buffer.from('he'), 0x01), dataBytes(2, 2, Buffer.from('llo'))]));
    await turns(5);
    expect(framesOf(server, FrameType.ACK)).toEqual([{ type: FrameType.ACK, count: 2 }]);
    client.close();
  });
});
