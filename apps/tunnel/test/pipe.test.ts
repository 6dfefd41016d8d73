// splice(): both directions, half-close preserved, failures tear down the other side.
import { once } from 'node:events';
import * as net from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { ClientSession, MpxServer, type StreamSink } from '@mpx/core';
import { createMemoryPair, waitForClose, watchErrors } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { SOCKET_WRITE_BUFFER, TURN_CORK_BYTES, splice } from '../src/pipe.js';

function readAll(stream: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.once('end', () => resolve(text));
    stream.once('error', reject);
  });
}

describe('splice', () => {
  it('keeps the other direction open after one side ends (half-close)', async () => {
    const near = createMemoryPair();
    const far = createMemoryPair();
    const done = splice(near.b, far.a);
    const app = near.a;
    const peer = far.b;

    const peerRead = readAll(peer);
    app.end('hello');
    expect(await peerRead).toBe('hello'); // peer saw EOF ...
    const appRead = readAll(app);
    peer.end('world, still writing after EOF'); // ... and can still answer
    expect(await appRead).toBe('world, still writing after EOF');

    const result = await done;
    expect(result).toEqual({ aToB: 5, bToA: 30 });
  });

  it('destroys the other side when one side fails, and reports which side', async () => {
    const near = createMemoryPair();
    const far = createMemoryPair();
    watchErrors(near.a);
    watchErrors(far.b);
    const done = splice(near.b, far.a);
    near.a.write('x');
    await once(far.b, 'data');
    far.kill();
    const result = await done;
    expect(result.errorSide).toBe('b');
    expect((result.error as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(near.b.destroyed).toBe(true);
  });

  it('lets the caller choose how to tear down the surviving side', async () => {
    const near = createMemoryPair();
    const far = createMemoryPair();
    watchErrors(near.a);
    watchErrors(far.b);
    const calls: Array<{ other: Duplex; failed: string; code: string | undefined }> = [];
    const done = splice(near.b, far.a, {
      abort: (other, err, failed) => {
        calls.push({ other, failed, code: err !== undefined && 'code' in err ? String(err.code) : undefined });
        other.resume(); // no longer piped anywhere: drain it while it closes gracefully
        other.end();
      },
    });
    far.b.on('end', () => far.b.end()).resume(); // the far peer answers our FIN with its own
    near.kill();
    await done;
    expect(calls).toEqual([{ other: far.a, failed: 'a', code: 'ECONNRESET' }]);
  });

  it('aborts the other side when one closes without finishing, and resolves for already-closed streams', async () => {
    const near = createMemoryPair();
    const far = createMemoryPair();
    near.b.destroy();
    await waitForClose(near.b);
    const result = await splice(near.b, far.a);
    expect(result.error).toBeUndefined();
    expect(far.a.destroyed).toBe(true);
  });

  it('starts a source that was paused before (a proxy handshake read from it), as pipe() does', async () => {
    const source = new PassThrough();
    source.pause();
    source.write('after the handshake');
    const chunks: string[] = [];
    const sink = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    const done = splice(source, sink);
    source.end();
    await once(sink, 'finish');
    expect(chunks.join('')).toBe('after the handshake');
    sink.destroy();
    await done;
  });

  it('hands chunks read within one tick to the other side in one write', async () => {
    const source = new PassThrough();
    const writes: number[] = [];
    const sink = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        writes.push(1);
        cb();
      },
      writev(chunks, cb) {
        writes.push(chunks.length);
        cb();
      },
    });
    const done = splice(source, sink);
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 4; i++) source.write(Buffer.alloc(1024, i));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([4]);
    source.destroy();
    sink.destroy();
    await done;
  });

  it("writes a stream's lone small chunk at once, and its bulk deliveries of one turn in one writev at the turn's end", async () => {
    const server = new MpxServer();
    const client = new ClientSession();
    const pair = createMemoryPair();
    server.accept(pair.b);
    await client.addCarrier(pair.a);
    const app = net.createServer();
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    try {
      const accepted = once(app, 'connection') as Promise<[net.Socket]>;
      const local = net.connect({
        port: (app.address() as net.AddressInfo).port,
        host: '127.0.0.1',
        allowHalfOpen: true,
        writableHighWaterMark: SOCKET_WRITE_BUFFER,
      } as net.NetConnectOpts);
      await once(local, 'connect');
      const [peer] = await accepted;
      let received = 0;
      peer.on('data', (chunk: Buffer) => (received += chunk.length));
      // Every write the socket makes, as the chunks it carries.
      const writes: number[] = [];
      const socket = local as unknown as { _write: (...a: unknown[]) => void; _writev: (chunks: unknown[], cb: unknown) => void };
      const write = socket._write.bind(local);
      const writev = socket._writev.bind(local);
      socket._write = (...a) => {
        writes.push(1);
        write(...a);
      };
      socket._writev = (chunks, cb) => {
        writes.push(chunks.length);
        writev(chunks, cb);
      };
      // The stream's deliveries are made by hand here, through the sink it is given.
      const stream = client.openStream();
      let sink: StreamSink | undefined;
      const attach = stream.attachSink.bind(stream);
      stream.attachSink = (s: StreamSink) => {
        sink = s;
        attach(s);
      };
      const done = splice(stream, local);
      const turnEnd = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
      if (sink === undefined) throw new Error('splice attached no sink');
      // A lone small chunk (a request, an answer) leaves at once.
      sink.write(Buffer.alloc(1024));
      sink.flush();
      expect(writes).toEqual([1]);
      // Full payloads from two carrier reads of one turn, and a delivery of two chunks: one writev, once the turn is over.
      sink.write(Buffer.alloc(TURN_CORK_BYTES));
      sink.flush();
      sink.write(Buffer.alloc(TURN_CORK_BYTES));
      sink.flush();
      sink.write(Buffer.alloc(4096));
      sink.write(Buffer.alloc(4096));
      sink.flush();
      expect(writes).toEqual([1]);
      await turnEnd();
      expect(writes).toEqual([1, 4]);
      const total = 1024 + 2 * TURN_CORK_BYTES + 2 * 4096;
      for (let i = 0; i < 100 && received < total; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(received).toBe(total);
      stream.destroy();
      local.destroy();
      peer.destroy();
      await done;
    } finally {
      client.close();
      server.close();
      app.close();
    }
  });
});
