// SPEC §6.2: a side where nothing listens for 'stream' refuses the peer's
// streams with REFUSED, instead of accepting them only to fail them unheard
// (an unhandled 'error' event) when the session ends.
import { describe, expect, it } from 'vitest';
import { WireCode } from '../src/constants.js';
import type { MpxError } from '../src/errors.js';
import type { MpxStream } from '../src/stream.js';
import { connect, digestOf, eventually, nextStream } from './harness.js';

function failure(stream: MpxStream): Promise<MpxError> {
  return new Promise((resolve) => stream.once('error', resolve));
}

describe('streams nobody takes', () => {
  it("refuses a client's streams with REFUSED while nothing listens for 'stream' on the server or its session", async () => {
    const h = await connect();
    const refused: MpxError[] = [];
    h.serverSession.on('streamRefused', (e: MpxError) => refused.push(e));
    const s = h.client.openStream();
    const failed = failure(s);
    s.write('hello');
    expect(await failed).toMatchObject({ code: 'MPX_ERR_STREAM_REFUSED', wireCode: WireCode.REFUSED });
    expect(refused.map((e) => [e.code, e.wireCode])).toEqual([['MPX_ERR_STREAM_REFUSED', WireCode.REFUSED]]);
    await eventually(() => h.serverSession.streamCount === 0 && h.client.streamCount === 0);
    // The session goes on, and closing it fails nothing on the server.
    expect(h.serverSession.closed).toBe(false);
    h.client.close();
    await eventually(() => h.serverSession.closed);
    h.server.close();
  });

  it("refuses a server's streams while nothing listens for 'stream' on the client", async () => {
    const h = await connect();
    const s = h.serverSession.openStream();
    const failed = failure(s);
    s.write('hello');
    expect(await failed).toMatchObject({ code: 'MPX_ERR_STREAM_REFUSED', wireCode: WireCode.REFUSED });
    await eventually(() => h.client.streamCount === 0);
    h.close();
  });

  it('takes streams once a listener is there: on the server alone, or on the session alone', async () => {
    const h = await connect();
    const viaServer = new Promise<MpxStream>((resolve) => h.server.once('stream', resolve));
    h.client.openStream().end('one');
    expect((await digestOf(await viaServer)).bytes).toBe(3);
    const viaSession = nextStream(h.serverSession);
    h.client.openStream().end('two!');
    expect((await digestOf(await viaSession)).bytes).toBe(4);
    h.close();
  });
});
