// Issue 2, streams: Node Duplex behaviour like net.Socket.
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { closed, connect, digestOf, eventually, nextStream, patternBytes, sha256, writeAll } from './harness.js';
import { MpxError } from '../src/errors.js';
import { WireCode } from '../src/constants.js';

describe('streams', () => {
  it('delivers bytes written before the peer has seen the stream, in the SYN frame', async () => {
    const h = await connect();
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    s.write('hello');
    const peer = await accepted;
    const chunk = await new Promise<Buffer>((resolve) => peer.once('data', resolve));
    expect(chunk.toString()).toBe('hello');
    h.close();
  });

  it('opens a stream without data, so a server-speaks-first protocol works', async () => {
    const h = await connect();
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    const peer = await accepted;
    peer.write('SSH-2.0-banner\r\n');
    const chunk = await new Promise<Buffer>((resolve) => s.once('data', resolve));
    expect(chunk.toString()).toBe('SSH-2.0-banner\r\n');
    h.close();
  });

  it('half-closes: end() delivers the end, and the peer can still write back', async () => {
    const h = await connect({ weights: [1, 1] });
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    s.end('request');
    const peer = await accepted;
    const req = await digestOf(peer);
    expect(req.bytes).toBe(7);
    peer.end('response after the client finished');
    const res = await new Promise<string>((resolve) => {
      let text = '';
      s.on('data', (c: Buffer) => (text += c.toString()));
      s.once('end', () => resolve(text));
    });
    expect(res).toBe('response after the client finished');
    await closed(s);
    expect(h.client.streamCount).toBe(0);
    await eventually(() => h.serverSession.streamCount === 0);
    h.close();
  });

  it('destroy() resets the peer with a code', async () => {
    const h = await connect();
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    s.write('x');
    const peer = await accepted;
    const failed = new Promise<Error>((resolve) => peer.once('error', resolve));
    s.on('error', () => {}); // the local side sees its own error too, as with net.Socket
    s.destroy(new MpxError('MPX_ERR_STREAM_REFUSED', 'target refused', { wireCode: WireCode.REFUSED }));
    const err = (await failed) as MpxError;
    expect(err).toBeInstanceOf(MpxError);
    expect(err.code).toBe('MPX_ERR_STREAM_REFUSED');
    expect(err.wireCode).toBe(WireCode.REFUSED);
    // SPEC §6.4: both sides forget the stream once RESETs have crossed.
    await eventually(() => h.client.streamCount === 0 && h.serverSession.streamCount === 0);
    h.close();
  });

  it('destroy() without an error resets the peer with CANCEL', async () => {
    const h = await connect();
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    s.write('x');
    const peer = await accepted;
    const failed = new Promise<MpxError>((resolve) => peer.once('error', (e) => resolve(e as MpxError)));
    s.destroy();
    const err = await failed;
    expect(err.code).toBe('MPX_ERR_STREAM_RESET');
    expect(err.wireCode).toBe(WireCode.CANCEL);
    h.close();
  });

  it('works with stream.pipeline() through a PassThrough', async () => {
    const h = await connect({ weights: [1, 3] });
    h.serverSession.on('stream', (s) => void pipeline(s, new PassThrough(), s).catch(() => {}));
    const s = h.client.openStream();
    const data = patternBytes(7, 3 * 1024 * 1024 + 5);
    const [back] = await Promise.all([digestOf(s), writeAll(s, data, 100_000)]);
    expect(back).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
    h.close();
  });

  it('lets the server open streams too (even ids)', async () => {
    const h = await connect();
    const accepted = nextStream(h.client);
    const s = h.serverSession.openStream();
    expect(s.id % 2).toBe(0);
    s.end('from the server');
    const peer = await accepted;
    expect((await digestOf(peer)).bytes).toBe('from the server'.length);
    h.close();
  });

  it('writer sees backpressure: write() returns false, and drain follows once the peer reads', async () => {
    const h = await connect({ client: { streamSendBuffer: 64 * 1024 }, server: { streamWindow: 128 * 1024 } });
    const accepted = nextStream(h.serverSession);
    const s = h.client.openStream();
    s.write('x');
    const peer = await accepted; // paused: nobody reads it yet
    let written = 1;
    while (s.write(Buffer.alloc(16 * 1024))) {
      written += 16 * 1024;
      if (written > 64 * 1024 * 1024) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Window (128 KiB) + peer's readable buffer + send buffer (64 KiB) + Duplex HWM, well below 1 MiB.
    expect(written).toBeLessThan(1024 * 1024);
    const drained = new Promise((resolve) => s.once('drain', resolve));
    peer.resume();
    await drained;
    h.close();
  });
});
