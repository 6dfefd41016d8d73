// SPEC §5.1 TARGET, §6.6: target streams over in-memory carriers, and the header codec.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FrameType, WireCode } from '../src/constants.js';
import { FrameDecoder } from '../src/decode.js';
import { encodeFrame } from '../src/encode.js';
import { MpxError } from '../src/errors.js';
import type { DataFrame } from '../src/frame.js';
import { encodeTargetHeader, readTargetHeader, readTargetReply, TARGET_CONNECTED } from '../src/target-header.js';
import { MpxServer } from '../src/server.js';
import type { Session } from '../src/session.js';
import type { MpxStream } from '../src/stream.js';
import { connect, eventually, nextStream } from './harness.js';
import { rawClient } from './raw-peer.js';

const GOLDEN_TARGET_DATA = '00 05 0000 00000017 00000001 0000000000000000 03 0b 6578616d706c652e636f6d 01bb';
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

async function headerRoundTrip(host: string, port: number, rest = ''): Promise<{ target: unknown; rest: string }> {
  const pipe = new PassThrough();
  // Byte by byte: the reader resumes across chunks.
  for (const byte of Buffer.concat([encodeTargetHeader({ host, port }), Buffer.from(rest)])) pipe.write(Buffer.of(byte));
  pipe.end();
  const target = await readTargetHeader(pipe);
  let after = '';
  for await (const chunk of pipe) after += String(chunk);
  return { target, rest: after };
}

describe('target header (SPEC §6.6)', () => {
  it('matches the golden DATA frame: SYN and TARGET, "example.com" port 443', () => {
    const frame: DataFrame = {
      type: FrameType.DATA, streamId: 1, offset: 0, syn: true, fin: false, target: true,
      payload: encodeTargetHeader({ host: 'example.com', port: 443 }),
    };
    expect(Buffer.concat(encodeFrame(frame)).toString('hex')).toBe(hex(GOLDEN_TARGET_DATA).toString('hex'));
    const decoder = new FrameDecoder({ maxFrame: 65536 });
    decoder.push(hex(GOLDEN_TARGET_DATA));
    expect(decoder.next()).toMatchObject({ syn: true, target: true, streamId: 1 });
  });

  it('reads names, IPv4 and IPv6 back across any split, leaving the data after it', async () => {
    expect(await headerRoundTrip('example.com', 443, 'GET /')).toEqual({ target: { host: 'example.com', port: 443 }, rest: 'GET /' });
    expect((await headerRoundTrip('10.1.2.3', 8080)).target).toEqual({ host: '10.1.2.3', port: 8080 });
    expect((await headerRoundTrip('2001:db8::7', 22)).target).toEqual({ host: '2001:db8:0:0:0:0:0:7', port: 22 });
    expect((await headerRoundTrip('::ffff:1.2.3.4', 1)).target).toEqual({ host: '0:0:0:0:0:ffff:102:304', port: 1 });
  });

  it('refuses bad targets when encoding and bad headers when reading', async () => {
    expect(() => encodeTargetHeader({ host: 'a', port: 0 })).toThrow(/port/);
    expect(() => encodeTargetHeader({ host: 'x'.repeat(256), port: 1 })).toThrow(/host/);
    const pipe = new PassThrough();
    pipe.end(Buffer.of(0x02, 1, 2, 3, 4, 0, 80));
    await expect(readTargetHeader(pipe)).rejects.toMatchObject({ code: 'MPX_ERR_PROTOCOL' });
  });
});

describe('target streams (SPEC §6.6)', () => {
  it('carries the target to the peer, then the data, and the answer back', async () => {
    const h = await connect({ weights: [1, 1] });
    const accepted = nextStream(h.serverSession);
    const c = h.client.openStream({ target: { host: 'example.com', port: 443 } });
    c.write('hello');
    const s = await accepted;
    expect(s.target).toBe(true);
    expect(await readTargetHeader(s)).toEqual({ host: 'example.com', port: 443 });
    s.write(Buffer.of(TARGET_CONNECTED));
    s.write('welcome');
    await readTargetReply(c);
    let down = '';
    c.on('data', (chunk: Buffer) => (down += chunk.toString()));
    let up = '';
    s.on('data', (chunk: Buffer) => (up += chunk.toString()));
    await eventually(() => up === 'hello' && down === 'welcome');
    h.close();
  });

  it('tells the kind of a stream opened by a higher id\'s frame once its own DATA arrives, before any byte', async () => {
    const server = new MpxServer();
    const { peer } = rawClient(server);
    const session = new Promise<Session>((resolve) => server.once('session', resolve));
    await peer.hello();
    const opened: MpxStream[] = [];
    (await session).on('stream', (s: MpxStream) => opened.push(s));
    const data = (streamId: number, target: boolean, payload: Uint8Array): DataFrame => ({ type: FrameType.DATA, streamId, offset: 0, syn: true, fin: false, ...(target ? { target: true } : {}), payload });
    // Stream 3's SYN overtakes stream 1's (they took different carriers).
    peer.send(data(3, false, Buffer.from('plain')));
    await eventually(() => opened.length === 2);
    const [one, three] = opened as [MpxStream, MpxStream];
    expect([one.id, one.kindKnown, three.id, three.kindKnown, three.target]).toEqual([1, false, 3, true, false]);
    const kind = new Promise<boolean>((resolve) => one.once('kind', resolve));
    let early = 0;
    one.on('data', (chunk: Buffer) => (early += one.kindKnown ? 0 : chunk.length));
    peer.send(data(1, true, encodeTargetHeader({ host: 'example.com', port: 443 })));
    expect(await kind).toBe(true);
    expect(one.target).toBe(true);
    expect(early).toBe(0);
    server.close();
  });

  it('leaves plain streams unflagged', async () => {
    const h = await connect();
    const accepted = nextStream(h.serverSession);
    h.client.openStream().write('x');
    expect((await accepted).target).toBe(false);
    h.close();
  });

  it('turns a refusal into the opener\'s error: NOT_ALLOWED', async () => {
    const h = await connect();
    const accepted = nextStream(h.serverSession);
    const c = h.client.openStream({ target: { host: '10.0.0.1', port: 25 } });
    const s = await accepted;
    s.on('error', () => {});
    s.destroy(new MpxError('MPX_ERR_NOT_ALLOWED', 'not allowed', { wireCode: WireCode.NOT_ALLOWED }));
    c.on('error', () => {});
    await expect(readTargetReply(c)).rejects.toMatchObject({ code: 'MPX_ERR_NOT_ALLOWED', wireCode: WireCode.NOT_ALLOWED });
    h.close();
  });
});
