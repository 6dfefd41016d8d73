// The emitters' events are typed (typed-events.ts): listeners get their
// arguments' types, and a misspelt event name or a wrong argument is a type
// error, caught by `pnpm typecheck` (the @ts-expect-error lines below fail it
// if they stop being errors). At run time they are Node's EventEmitters.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { CarrierStats } from '../src/carrier-link.js';
import { ClientSession } from '../src/client.js';
import { MpxClient } from '../src/client-pool.js';
import type { MpxError } from '../src/errors.js';
import { MpxServer, type AcceptInfo } from '../src/server.js';
import type { Session } from '../src/session.js';
import type { MpxStream } from '../src/stream.js';
import { connect } from './harness.js';

describe('typed events', () => {
  it("types MpxServer's, Session's and MpxClient's listeners from their event maps", () => {
    const server = new MpxServer();
    server.on('stream', (stream, session) => {
      expectTypeOf(stream).toEqualTypeOf<MpxStream>();
      expectTypeOf(session).toEqualTypeOf<Session>();
    });
    server.on('carrierError', (error, info) => {
      expectTypeOf(error).toEqualTypeOf<MpxError>();
      expectTypeOf(info).toEqualTypeOf<AcceptInfo>();
    });
    // @ts-expect-error: MpxServer has no 'streams' event
    server.on('streams', () => {});
    // @ts-expect-error: a 'session' listener gets a Session, not a string
    server.on('session', (id: string) => id);

    const session = new ClientSession();
    session.once('carrierClose', (stats, error) => {
      expectTypeOf(stats).toEqualTypeOf<CarrierStats>();
      expectTypeOf(error).toEqualTypeOf<MpxError | undefined>();
    });
    // @ts-expect-error: 'close' is emitted with an MpxError or undefined
    session.emit('close', 'bye');

    const client = new MpxClient({ targets: [{ label: 'a', dial: () => Promise.resolve(new PassThrough()) }] });
    client.on('dialError', (label, error, nextDelayMs) => {
      expectTypeOf(label).toEqualTypeOf<string>();
      expectTypeOf(error).toEqualTypeOf<Error>();
      expectTypeOf(nextDelayMs).toEqualTypeOf<number>();
    });
    client.on('session', (s) => expectTypeOf(s).toEqualTypeOf<ClientSession>());

    for (const emitter of [server, session, client]) expect(emitter).toBeInstanceOf(EventEmitter);
    session.close();
    server.close();
  });

  it('delivers events as before: the server hears a stream with its session', async () => {
    const h = await connect();
    const heard = new Promise<[MpxStream, Session]>((resolve) => h.server.once('stream', (stream, session) => resolve([stream, session])));
    h.client.openStream().end('x');
    const [stream, session] = await heard;
    expect(session).toBe(h.serverSession);
    expect(stream.id).toBe(1);
    h.close();
  });
});
