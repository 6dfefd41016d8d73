// ClientSession.addCarrier(): what it refuses before any handshake.
import { createMemoryPair } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { ClientSession } from '../src/client.js';
import { MpxServer } from '../src/server.js';
import type { MpxStream } from '../src/stream.js';
import { digestOf } from './harness.js';

describe('addCarrier()', () => {
  it('rejects a Duplex that is a carrier already with MPX_ERR_INVALID_ARGUMENT, and the first carrier keeps working', async () => {
    const server = new MpxServer();
    server.on('stream', (s: MpxStream) => s.pipe(s));
    const client = new ClientSession();
    const pair = createMemoryPair();
    server.accept(pair.b);
    const [first, second] = await Promise.allSettled([client.addCarrier(pair.a), client.addCarrier(pair.a, { weight: 0 })]);
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'MPX_ERR_INVALID_ARGUMENT' } });
    expect(first).toMatchObject({ status: 'fulfilled', value: { state: 'open' } });
    // Also once the first is up.
    await expect(client.addCarrier(pair.a)).rejects.toMatchObject({ code: 'MPX_ERR_INVALID_ARGUMENT' });
    expect(pair.a.destroyed).toBe(false);
    expect(client.carrierCount).toBe(1);
    const s = client.openStream();
    s.end('still here');
    expect((await digestOf(s)).bytes).toBe('still here'.length);
    client.close();
    server.close();
  });
});
