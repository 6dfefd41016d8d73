// SPEC §3, §10.2: a handshake that fails because the peer sent what is not
// mpx is reported at once, with its real cause, while the carrier is torn
// down: not once the carrier has closed (up to END_TIMEOUT_MS when the peer
// never ends its side), nor as HANDSHAKE_TIMEOUT. The clock here never moves
// unless told to, so nothing but the failure itself can settle the handshake.
import { createMemoryPair } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { END_TIMEOUT_MS } from '../src/carrier-link.js';
import { ClientSession } from '../src/client.js';
import type { MpxError } from '../src/errors.js';
import { MpxServer } from '../src/server.js';
import { ManualClock, turn } from './hardening.helpers.js';

const HTTP_ANSWER = 'HTTP/1.1 400 Bad Request\r\n\r\n';

/** What `promise` settled with within a few turns of the event loop, or 'pending'. */
async function settledSoon<T>(promise: Promise<T>): Promise<T | MpxError | 'pending'> {
  let outcome: T | MpxError | 'pending' = 'pending';
  promise.then(
    (value) => (outcome = value),
    (err: MpxError) => (outcome = err),
  );
  for (let i = 0; i < 20 && outcome === 'pending'; i++) await turn();
  return outcome;
}

describe('a handshake with a peer that is not mpx', () => {
  it.each([
    ['answers after addCarrier()', false],
    ['answered before addCarrier() (bytes already buffered)', true],
  ])('rejects addCarrier() at once with the decoder’s code when the peer %s and never ends its side', async (_case, before) => {
    const clock = new ManualClock();
    const client = new ClientSession({ clock });
    const pair = createMemoryPair();
    pair.b.resume(); // reads what it is sent, and never ends its side (allowHalfOpen)
    if (before) {
      pair.b.write(HTTP_ANSWER);
      await turn();
    }
    const adding = client.addCarrier(pair.a);
    if (!before) pair.b.write(HTTP_ANSWER);
    expect(await settledSoon(adding)).toMatchObject({ code: 'MPX_ERR_UNKNOWN_FRAME_TYPE' });
    // Torn down: our side ended (after a CLOSE), and it is cut off if the peer never ends its own.
    expect(pair.a.writableEnded).toBe(true);
    expect(pair.a.destroyed).toBe(false);
    clock.advance(END_TIMEOUT_MS);
    await turn();
    expect(pair.a.destroyed).toBe(true);
    expect(client.carrierCount).toBe(0);
    client.close();
  });

  it("reports the server's carrierError at once, with the decoder's code", async () => {
    const clock = new ManualClock();
    const server = new MpxServer({ clock });
    const errors: MpxError[] = [];
    server.on('carrierError', (e: MpxError) => errors.push(e));
    const pair = createMemoryPair();
    pair.a.resume();
    server.accept(pair.b);
    pair.a.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let i = 0; i < 20 && errors.length === 0; i++) await turn();
    expect(errors.map((e) => e.code)).toEqual(['MPX_ERR_UNKNOWN_FRAME_TYPE']);
    expect(server.pendingHandshakes).toBe(0);
    clock.advance(END_TIMEOUT_MS);
    await turn();
    expect(pair.b.destroyed).toBe(true);
    expect(errors).toHaveLength(1);
    server.close();
  });
});
