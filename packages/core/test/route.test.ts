// SPEC §3.5: the ROUTE frame a client sends first (the routing key of a
// balancer), and the client's rule for a carrier that reached a server
// process that does not hold its session (misrouted).
import type { Duplex } from 'node:stream';
import { createMemoryPair, seededRandom } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { MpxClient } from '../src/client-pool.js';
import { ClientSession } from '../src/client.js';
import { FrameType, ROUTE_KEY_OFFSET, WireCode } from '../src/constants.js';
import { decodeAll } from '../src/decode.js';
import { encodeFrame } from '../src/encode.js';
import type { MpxError } from '../src/errors.js';
import type { WelcomeFrame } from '../src/frame.js';
import type { MpxStream } from '../src/stream.js';
import { MpxServer } from '../src/server.js';
import { digestOf, eventually, patternBytes, sha256, writeAll } from './harness.js';
import { rawClient } from './raw-peer.js';

const SID = Buffer.from('101112131415161718191a1b1c1d1e1f', 'hex');

describe('ROUTE (SPEC §3.5)', () => {
  it('puts the session id at the documented offset of the first bytes a client sends', async () => {
    const pair = createMemoryPair();
    const server = new MpxServer();
    const sent: Buffer[] = [];
    pair.b.on('data', (c: Buffer) => sent.push(c));
    server.accept(pair.b);
    const session = new ClientSession();
    await session.addCarrier(pair.a);
    const first = Buffer.concat(sent);
    expect(first.subarray(ROUTE_KEY_OFFSET, ROUTE_KEY_OFFSET + 16)).toEqual(Buffer.from(session.id));
    expect(decodeAll(first, 1024).map((f) => f.type)).toEqual([FrameType.ROUTE, FrameType.HELLO]);
    session.close();
    server.close();
  });

  it('sends no ROUTE when routeKey is false: HELLO comes first', async () => {
    const pair = createMemoryPair();
    const server = new MpxServer();
    const tap: Buffer[] = [];
    pair.b.on('data', (c: Buffer) => tap.push(c));
    server.accept(pair.b);
    const session = new ClientSession({ routeKey: false });
    await session.addCarrier(pair.a);
    expect(decodeAll(Buffer.concat(tap), 1024)[0]?.type).toBe(FrameType.HELLO);
    session.close();
    server.close();
  });

  it('lets a server accept ROUTE before HELLO for the same session', async () => {
    const server = new MpxServer();
    const { peer } = rawClient(server);
    peer.send({ type: FrameType.ROUTE, sessionId: SID });
    await peer.hello({ sessionId: SID });
    await peer.waitFor((f): f is WelcomeFrame => f.type === FrameType.WELCOME);
    expect([...server.sessions.keys()]).toEqual([SID.toString('hex')]);
    server.close();
  });

  it('refuses a HELLO that names another session than ROUTE, with PROTOCOL', async () => {
    const server = new MpxServer();
    const errors: MpxError[] = [];
    server.on('carrierError', (e: MpxError) => errors.push(e));
    const { peer } = rawClient(server);
    peer.send({ type: FrameType.ROUTE, sessionId: SID });
    await peer.hello({ sessionId: Buffer.alloc(16, 7) });
    expect((await peer.waitForClose()).code).toBe(WireCode.PROTOCOL);
    expect(server.sessions.size).toBe(0);
    expect(errors.map((e) => e.wireCode)).toEqual([WireCode.PROTOCOL]);
    server.close();
  });

  it('refuses a second ROUTE', async () => {
    const server = new MpxServer();
    const { peer } = rawClient(server);
    for (const chunk of [...encodeFrame({ type: FrameType.ROUTE, sessionId: SID }), ...encodeFrame({ type: FrameType.ROUTE, sessionId: SID })]) {
      peer.sendRaw(chunk);
    }
    expect((await peer.waitForClose()).code).toBe(WireCode.PROTOCOL);
    server.close();
  });
});

/** Two server processes behind a "balancer"; `route` is the one the next dials reach. */
function balancer() {
  return { servers: [new MpxServer({ graceMs: 60_000 }), new MpxServer({ graceMs: 60_000 })], route: 0 };
}

describe('MpxClient and misrouted carriers (SPEC §3.5)', () => {
  it('keeps its session when a carrier is misrouted while another carrier lives, and loses no byte', async () => {
    const net = balancer();
    const pairs: Array<{ pair: ReturnType<typeof createMemoryPair>; server: number }> = [];
    const dial = (): Promise<Duplex> => {
      const pair = createMemoryPair();
      pairs.push({ pair, server: net.route });
      net.servers[net.route]!.accept(pair.b);
      return Promise.resolve(pair.a);
    };
    const client = new MpxClient({
      targets: [{ label: 'edge', dial, carriers: 2 }],
      backoffInitialMs: 5,
      backoffMaxMs: 20,
      random: seededRandom(3),
    });
    const sessions: unknown[] = [];
    client.on('session', (s) => sessions.push(s));
    const misrouted: MpxError[] = [];
    client.on('dialError', (_label, err) => misrouted.push(err as MpxError)); // these dials connect: handshake errors
    client.start();
    await eventually(() => client.session!.carrierCount === 2);
    net.servers[0]!.on('stream', (s: MpxStream) => s.pipe(s));
    const stream = client.openStream();
    const data = patternBytes(11, 2 * 1024 * 1024);
    const back = digestOf(stream);
    const writing = writeAll(stream, data, 16 * 1024);
    // The balancer is reconfigured: new carriers reach server 1, which lacks the session.
    net.route = 1;
    pairs[0]!.pair.kill();
    await eventually(() => misrouted.some((e) => e.wireCode === WireCode.SESSION_UNKNOWN));
    expect(sessions).toHaveLength(1);
    // The balancer is fixed: the carrier comes back to server 0, in the same session.
    net.route = 0;
    await eventually(() => client.session!.carrierCount === 2);
    await writing;
    expect(await back).toEqual({ bytes: data.length, sha256: sha256(data) });
    expect(sessions).toHaveLength(1);
    expect(net.servers[1]!.sessions.size).toBe(0);
    await client.close();
    for (const s of net.servers) s.close();
  });

  it('starts a new session when SESSION_UNKNOWN comes with no carrier of the session alive', async () => {
    const net = balancer();
    const pairs: Array<ReturnType<typeof createMemoryPair>> = [];
    const dial = (): Promise<Duplex> => {
      const pair = createMemoryPair();
      pairs.push(pair);
      net.servers[net.route]!.accept(pair.b);
      return Promise.resolve(pair.a);
    };
    const client = new MpxClient({ targets: [{ label: 'edge', dial, carriers: 2 }], backoffInitialMs: 5, backoffMaxMs: 20, random: seededRandom(4) });
    client.start();
    await eventually(() => client.session!.carrierCount === 2);
    const first = client.session;
    net.route = 1; // the backend died: its clients go elsewhere
    for (const p of pairs) p.kill();
    await eventually(() => client.session !== first && client.session!.carrierCount > 0);
    expect(net.servers[1]!.sessions.size).toBe(1);
    await client.close();
    for (const s of net.servers) s.close();
  });

  it('dials one carrier until the session has joined, so that racing carriers cannot create it twice', async () => {
    let dials = 0;
    const server = new MpxServer();
    const dial = async (): Promise<Duplex> => {
      dials++;
      await Promise.resolve();
      const pair = createMemoryPair();
      server.accept(pair.b);
      return pair.a;
    };
    const client = new MpxClient({
      targets: [
        { label: 'a', dial, carriers: 3 },
        { label: 'b', dial, carriers: 3 },
      ],
      random: seededRandom(5),
    });
    const created: boolean[] = [];
    server.on('session', () => created.push(true));
    client.start();
    expect(dials).toBe(1);
    await eventually(() => client.session!.carrierCount === 6);
    expect(created).toHaveLength(1);
    await client.close();
    server.close();
  });
});
