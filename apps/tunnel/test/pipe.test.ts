// splice(): both directions, half-close preserved, failures tear down the other side.
import { once } from 'node:events';
import { Duplex, PassThrough } from 'node:stream';
import { createMemoryPair, waitForClose, watchErrors } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { splice } from '../src/pipe.js';

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
});
