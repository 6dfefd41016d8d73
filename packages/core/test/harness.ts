// Shared set-up for session tests: a client and a server joined by in-memory
// carrier pairs (from @mpx/testkit), with helpers to move and check bytes.
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { createMemoryPair, type MemoryPair, type MemoryPairOptions } from '@mpx/testkit';
import { ClientSession, type AddCarrierOptions } from '../src/client.js';
import type { SessionOptions } from '../src/config.js';
import { MpxServer, type ServerOptions } from '../src/server.js';
import type { Session } from '../src/session.js';
import type { MpxStream } from '../src/stream.js';

export interface Harness {
  client: ClientSession;
  server: MpxServer;
  serverSession: Session;
  pairs: MemoryPair[];
  /** Adds one more carrier pair with `weight` (and a role or direction, SPEC §8). */
  addCarrier(weight?: number, pairOptions?: MemoryPairOptions, use?: Omit<AddCarrierOptions, 'weight'>): Promise<MemoryPair>;
  close(): void;
}

export async function connect(options: {
  weights?: number[];
  /** Per carrier of `weights`: its role or direction (SPEC §8). */
  uses?: Array<Omit<AddCarrierOptions, 'weight'>>;
  client?: SessionOptions;
  server?: ServerOptions;
  pair?: MemoryPairOptions;
  serverInstance?: MpxServer;
} = {}): Promise<Harness> {
  const server = options.serverInstance ?? new MpxServer(options.server);
  const client = new ClientSession(options.client);
  const pairs: MemoryPair[] = [];
  const addCarrier = async (weight = 1, pairOptions = options.pair, use: Omit<AddCarrierOptions, 'weight'> = {}): Promise<MemoryPair> => {
    const pair = createMemoryPair(pairOptions);
    pairs.push(pair);
    server.accept(pair.b);
    await client.addCarrier(pair.a, { weight, ...use });
    return pair;
  };
  for (const [i, w] of (options.weights ?? [1]).entries()) await addCarrier(w, options.pair, options.uses?.[i]);
  const serverSession = server.sessions.get(client.idHex);
  if (serverSession === undefined) throw new Error('server did not create the session');
  return {
    client,
    server,
    serverSession,
    pairs,
    addCarrier,
    close: () => {
      client.close();
      if (options.serverInstance === undefined) server.close();
    },
  };
}

/** Resolves with the next stream the peer opens on `session`. */
export function nextStream(session: Session): Promise<MpxStream> {
  return new Promise((resolve) => session.once('stream', resolve));
}

export interface Digest {
  bytes: number;
  sha256: string;
}

/** Reads `stream` to its end and digests what arrived. */
export function digestOf(stream: Duplex): Promise<Digest> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.byteLength;
    });
    stream.once('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
    stream.once('error', reject);
  });
}

/** Deterministic pseudo-random bytes (xorshift32), fast enough for 64 MiB. */
export function patternBytes(seed: number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  for (; i < n; i++) out[i] = i & 0xff;
  return out;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes `data` in pieces of `piece` bytes, honouring backpressure, then ends. */
export async function writeAll(stream: Duplex, data: Uint8Array, piece = 65536): Promise<void> {
  for (let off = 0; off < data.byteLength; off += piece) {
    const ok = stream.write(data.subarray(off, Math.min(off + piece, data.byteLength)));
    if (!ok) await new Promise<void>((resolve) => stream.once('drain', resolve));
  }
  await new Promise<void>((resolve) => stream.end(resolve));
}

/** Resolves once `stream` has emitted 'close' (at once if it already has). */
export function closed(stream: Duplex): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => stream.once('close', () => resolve()));
}

/**
 * Waits, turn by turn of the event loop, until `condition` holds; fails after
 * `timeoutMs`. Bounded, and no fixed sleeps: each turn lets pending I/O and
 * timers run.
 */
export async function eventually(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Sends `up` bytes client → server and `down` bytes server → client at once
 * on one stream and checks that both arrive intact; `during` sees the count
 * of bytes the server has received after each chunk.
 */
export async function transfer(h: Harness, up: number, down: number, during?: (seen: number) => void): Promise<void> {
  const upBytes = patternBytes(up + 1, up);
  const downBytes = patternBytes(down + 2, down);
  const accepted = nextStream(h.serverSession);
  const c = h.client.openStream();
  c.write(upBytes.subarray(0, 1));
  const s = await accepted;
  let seen = 0;
  if (during !== undefined) s.on('data', (chunk: Buffer) => during((seen += chunk.byteLength)));
  const [atServer, atClient] = await Promise.all([digestOf(s), digestOf(c), writeAll(c, upBytes.subarray(1)), writeAll(s, downBytes)]);
  if (atServer.bytes !== up || atServer.sha256 !== sha256(upBytes)) throw new Error(`upload arrived as ${JSON.stringify(atServer)}`);
  if (atClient.bytes !== down || atClient.sha256 !== sha256(downBytes)) throw new Error(`download arrived as ${JSON.stringify(atClient)}`);
}
