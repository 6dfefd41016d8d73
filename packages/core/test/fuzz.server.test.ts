// Issue 6, item 1: fuzzing a live server port. An MpxServer behind a real TCP
// listener on 127.0.0.1 takes connections that send random bytes, mutated
// HELLOs, or a valid handshake followed by mutated frames, while a legitimate
// client keeps moving verified bytes through the same server. Nothing may
// escape as an exception; each offending carrier is closed (with a CLOSE
// carrying a wire code when the server detects the fault); each failed
// handshake is one 'carrierError'; the server's state and heap stay bounded.
// Cases come from a fixed fast-check seed.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect as tcpConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { seededRandom, randomInt } from '@mpx/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloMac } from '../src/auth.js';
import { ClientSession } from '../src/client.js';
import { FrameType, WireCode } from '../src/constants.js';
import { FrameDecoder } from '../src/decode.js';
import { encodeFrame } from '../src/encode.js';
import type { MpxError } from '../src/errors.js';
import type { ChallengeFrame, CloseFrame, Frame } from '../src/frame.js';
import { MpxServer } from '../src/server.js';
import type { MpxStream } from '../src/stream.js';
import { digestOf, eventually, patternBytes, sha256, writeAll } from './harness.js';
import { heapAfterGc } from './hardening.helpers.js';

const KEY = new TextEncoder().encode('fuzz key');
/** Codes a server may close a misbehaving carrier with. */
const FAULT_CODES = new Set<number>([
  WireCode.PROTOCOL,
  WireCode.UNSUPPORTED_VERSION,
  WireCode.UNKNOWN_FRAME_TYPE,
  WireCode.FRAME_TOO_LARGE,
  WireCode.FLOW_CONTROL,
  WireCode.FINAL_SIZE,
  WireCode.STREAM_STATE,
  WireCode.AUTH_FAILED,
  WireCode.SESSION_UNKNOWN,
  WireCode.HANDSHAKE_TIMEOUT,
  WireCode.LIMIT_EXCEEDED,
]);

// ---- cases ----

type Case =
  | { kind: 'bytes'; bytes: Uint8Array; afterChallenge: boolean; end: boolean }
  | { kind: 'hello'; mutation: Mutation; end: boolean }
  | { kind: 'frames'; frames: Frame[]; mutation: Mutation | null };

type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'truncate'; at: number } | { kind: 'splice'; at: number; insert: Uint8Array };

const where = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: where, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: where }),
  fc.record({ kind: fc.constant('splice' as const), at: where, insert: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);

function mutate(bytes: Uint8Array, m: Mutation): Buffer {
  const b = Buffer.from(bytes);
  const at = Math.floor(m.at * b.length);
  switch (m.kind) {
    case 'flip':
      b[at]! ^= 1 << m.bit;
      return b;
    case 'truncate':
      return b.subarray(0, at);
    case 'splice':
      return Buffer.concat([b.subarray(0, at), m.insert, b.subarray(at)]);
    default: {
      const never: never = m;
      throw new Error(`unknown mutation ${String(never)}`);
    }
  }
}

/** Frames a client may send once its carrier is open; ids and values near the edges. */
const sessionFrameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc
    .record({
      streamId: fc.oneof(fc.constantFrom(1, 3, 5, 2, 4), fc.integer({ min: 1, max: 0xffffffff })),
      offset: fc.oneof(fc.nat({ max: 70_000 }), fc.constantFrom(0, 2 ** 40)),
      syn: fc.boolean(),
      fin: fc.boolean(),
      payload: fc.uint8Array({ maxLength: 300, size: 'medium' }),
    })
    .map((f): Frame => ({ type: FrameType.DATA, ...f, fin: f.fin || (f.payload.length === 0 && !f.syn) })),
  fc.record({ type: fc.constant(FrameType.WINDOW), streamId: fc.constantFrom(0, 1, 2, 3), maxOffset: fc.nat() }) as fc.Arbitrary<Frame>,
  fc.record({
    type: fc.constant(FrameType.RESET),
    streamId: fc.constantFrom(1, 2, 3, 7),
    code: fc.nat({ max: 0x20 }),
    finalSize: fc.nat({ max: 1000 }),
  }) as fc.Arbitrary<Frame>,
  fc.record({ type: fc.constant(FrameType.ACK), count: fc.nat({ max: 5 }) }) as fc.Arbitrary<Frame>,
  fc.record({ type: fc.constantFrom(FrameType.PING, FrameType.PONG), opaque: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }) as fc.Arbitrary<Frame>,
  fc.record({
    type: fc.constant(FrameType.CLOSE),
    session: fc.boolean(),
    code: fc.nat({ max: 0x12 }),
    reason: fc.string({ maxLength: 20 }),
  }) as fc.Arbitrary<Frame>,
);

const caseArb: fc.Arbitrary<Case> = fc.oneof(
  fc.record({
    kind: fc.constant('bytes' as const),
    bytes: fc.uint8Array({ maxLength: 400, size: 'max' }),
    afterChallenge: fc.boolean(),
    end: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('hello' as const), mutation: mutationArb, end: fc.boolean() }),
  fc.record({
    kind: fc.constant('frames' as const),
    frames: fc.array(sessionFrameArb, { minLength: 1, maxLength: 10, size: 'max' }),
    mutation: fc.option(mutationArb, { nil: null }),
  }),
);

// ---- one fuzz connection ----

interface Outcome {
  readonly fuzz: Case;
  welcomed: boolean;
  close: CloseFrame | undefined;
  /** The server sent bytes that are not valid frames (must never happen). */
  badServerBytes: unknown;
}

async function fuzzOnce(port: number, fuzz: Case): Promise<Outcome> {
  const out: Outcome = { fuzz, welcomed: false, close: undefined, badServerBytes: undefined };
  const sock: Socket = tcpConnect(port, '127.0.0.1');
  sock.setNoDelay(true);
  sock.on('error', () => {}); // resets are expected
  const decoder = new FrameDecoder({ maxFrame: 1 << 24 });
  let challenge: ChallengeFrame | undefined;
  const waiters: Array<() => void> = [];
  sock.on('data', (chunk: Buffer) => {
    try {
      decoder.push(chunk);
      for (let f = decoder.next(); f !== null; f = decoder.next()) {
        if (f.type === FrameType.CHALLENGE) challenge = f;
        if (f.type === FrameType.WELCOME) out.welcomed = true;
        if (f.type === FrameType.CLOSE) out.close ??= f;
      }
    } catch (err) {
      out.badServerBytes = err;
    }
    for (const w of waiters.splice(0)) w();
  });
  const closed = once(sock, 'close');
  const until = async (cond: () => boolean): Promise<boolean> => {
    while (!cond() && !sock.destroyed) await new Promise<void>((resolve) => waiters.push(resolve));
    return cond();
  };
  await once(sock, 'connect');

  const hello = (): Buffer => {
    const params = {
      version: 1,
      resume: false,
      weight: 1,
      sessionId: randomBytes(16),
      nonce: randomBytes(16),
      streamWindow: 64 * 1024,
      sessionWindow: 256 * 1024,
      maxFrame: 65536,
    };
    const mac = helloMac(KEY, challenge as ChallengeFrame, params);
    return Buffer.concat(encodeFrame({ type: FrameType.HELLO, ...params, mac }));
  };

  switch (fuzz.kind) {
    case 'bytes':
      if (fuzz.afterChallenge) await until(() => challenge !== undefined);
      sock.write(fuzz.bytes);
      if (fuzz.end) sock.end();
      break;
    case 'hello':
      if (await until(() => challenge !== undefined)) {
        sock.write(mutate(hello(), fuzz.mutation));
        if (fuzz.end) sock.end();
      }
      break;
    case 'frames': {
      if (!(await until(() => challenge !== undefined))) break;
      sock.write(hello());
      if (!(await until(() => out.welcomed))) break;
      const frames = Buffer.concat(fuzz.frames.flatMap((f) => encodeFrame(f)));
      sock.write(fuzz.mutation === null ? frames : mutate(frames, fuzz.mutation));
      sock.end();
      break;
    }
    default: {
      const never: never = fuzz;
      throw new Error(`unknown case ${String(never)}`);
    }
  }
  // Bounded: the server closes silent carriers after its handshake timeout,
  // and finishes a carrier whose peer has ended.
  const bound = setTimeout(() => sock.destroy(new Error('fuzz connection not closed by the server within 10 s')), 10_000);
  await closed;
  clearTimeout(bound);
  return out;
}

// ---- the test ----

// MPX_SOAK_SCALE > 1 makes the run longer (the benchmark suite's `soak`).
const CONNECTIONS = 240 * Math.max(1, Number(process.env.MPX_SOAK_SCALE ?? 1));

describe('fuzzing a live server port', { tags: ['soak'] }, () => {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown): void => {
    uncaught.push(err);
  };
  beforeAll(() => {
    process.on('uncaughtException', onUncaught);
  });
  afterAll(() => {
    process.off('uncaughtException', onUncaught);
  });

  it(`withstands ${CONNECTIONS} hostile connections while a legitimate session keeps transferring verified bytes`, async () => {
    const server = new MpxServer({ key: KEY, handshakeTimeoutMs: 300, graceMs: 100, maxStreams: 256 });
    const carrierErrors: MpxError[] = [];
    server.on('carrierError', (e: MpxError) => carrierErrors.push(e));
    server.on('stream', (s: MpxStream) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    const listener = createServer((sock) => {
      sock.on('error', () => {});
      server.accept(sock, { remote: `${sock.remoteAddress}:${sock.remotePort}` });
    }).listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const { port } = listener.address() as AddressInfo;

    // The legitimate client: two TCP carriers, echo transfers of random sizes, verified.
    const client = new ClientSession({ key: KEY });
    for (let i = 0; i < 2; i++) {
      const sock = tcpConnect(port, '127.0.0.1');
      await once(sock, 'connect');
      await client.addCarrier(sock, { label: `legit-${i}` });
    }
    const legitCount = server.sessions.size;
    expect(legitCount).toBe(1);
    let transfers = 0;
    let stop = false;
    const sizes = seededRandom(0x1e6);
    const legit = (async () => {
      while (!stop) {
        const size = randomInt(sizes, 1, 256 * 1024);
        const data = patternBytes(transfers + 1, size);
        const s = client.openStream();
        const [back] = await Promise.all([digestOf(s), writeAll(s, data, 16 * 1024)]);
        expect(back).toEqual({ bytes: size, sha256: sha256(data) });
        transfers++;
      }
    })();

    const cases = fc.sample(caseArb, { seed: 0xf022_5e4f, numRuns: CONNECTIONS });
    const outcomes: Outcome[] = [];
    let heapMid = 0;
    for (let i = 0; i < cases.length; i += 20) {
      outcomes.push(...(await Promise.all(cases.slice(i, i + 20).map((c) => fuzzOnce(port, c)))));
      if (i === 100) heapMid = heapAfterGc();
      expect(server.sessions.size).toBeLessThanOrEqual(legitCount + 20);
    }
    const transfersDuringFuzz = transfers;
    stop = true;
    await legit;

    expect(uncaught).toEqual([]);
    expect(outcomes.filter((o) => o.badServerBytes !== undefined)).toEqual([]);
    expect(transfersDuringFuzz).toBeGreaterThan(0);
    // Every CLOSE the server sent names a fault; a carrier left hanging in
    // its handshake was closed with one (never silently dropped).
    for (const o of outcomes) {
      if (o.close !== undefined) expect(FAULT_CODES.has(o.close.code), JSON.stringify(o.close)).toBe(true);
      const leftHanging = !o.welcomed && o.fuzz.kind !== 'frames' && !o.fuzz.end;
      if (leftHanging) expect(o.close, JSON.stringify(o.fuzz)).toBeDefined();
    }
    // Each carrier that did not finish its handshake is one carrierError.
    const unwelcomed = outcomes.filter((o) => !o.welcomed).length;
    await eventually(() => carrierErrors.length >= unwelcomed);
    expect(carrierErrors).toHaveLength(unwelcomed);
    expect(outcomes.filter((o) => o.fuzz.kind === 'frames' && o.close !== undefined).length).toBeGreaterThan(0);
    // State returns to the legitimate session alone; memory did not keep growing.
    await eventually(() => server.sessions.size === legitCount && server.pendingHandshakes === 0);
    expect(client.closed).toBe(false);
    expect(heapAfterGc() - heapMid).toBeLessThan(16 * 1024 * 1024);

    client.close();
    server.close();
    listener.close();
  });
});
