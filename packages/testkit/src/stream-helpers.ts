// Small promise helpers over Node streams for carrier tests: write with
// backpressure (cork batches included), hash what arrives, wait for events.
// Waits end on the event or on the stream closing, never on a sleep; the
// test's own timeout bounds them.
import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { RandomSource } from './seeded-random.js';
import { randomBytes, randomInt } from './seeded-random.js';

/** What a byte stream carried: its length and SHA-256 (hex). */
export interface Digest {
  readonly length: number;
  readonly sha256: string;
}

export function digestOf(...parts: readonly Uint8Array[]): Digest {
  const hash = createHash('sha256');
  let length = 0;
  for (const part of parts) {
    hash.update(part);
    length += part.length;
  }
  return { length, sha256: hash.digest('hex') };
}

/** Record every 'error' the stream emits (and keep it from crashing the test process). */
export function watchErrors(stream: Readable | Writable): Error[] {
  const errors: Error[] = [];
  stream.on('error', (error: Error) => errors.push(error));
  return errors;
}

interface StreamStates {
  _readableState?: { closeEmitted?: boolean };
  _writableState?: { closeEmitted?: boolean };
}

/** Resolves once the stream has emitted 'close' (`closed` turns true a tick earlier, before 'error'). */
export function waitForClose(stream: Readable | Writable): Promise<void> {
  const states = stream as unknown as StreamStates;
  if (states._readableState?.closeEmitted === true || states._writableState?.closeEmitted === true) {
    return Promise.resolve();
  }
  return new Promise((resolve) => stream.once('close', () => resolve()));
}

/** Resolves on 'drain'; rejects if the stream closes first. */
export function waitForDrain(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      stream.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      stream.off('drain', onDrain);
      reject(new Error('carrier closed while waiting for drain'));
    };
    stream.once('drain', onDrain);
    stream.once('close', onClose);
  });
}

/**
 * Read until 'end' (or, with `expectedLength`, until that many bytes came) and
 * return the digest. Rejects if the stream closes or errors first.
 */
export function collectBytes(stream: Readable, expectedLength?: number): Promise<Digest> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let length = 0;
    const detach = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      hash.update(chunk);
      length += chunk.length;
      if (expectedLength !== undefined && length >= expectedLength) onEnd();
    };
    const onEnd = (): void => {
      detach();
      resolve({ length, sha256: hash.digest('hex') });
    };
    const onClose = (): void => {
      detach();
      reject(new Error(`carrier closed after ${length} bytes, before ${expectedLength ?? 'end'}`));
    };
    const onError = (error: Error): void => {
      detach();
      reject(error);
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onClose);
    stream.once('error', onError);
  });
}

/**
 * Write `chunks` in order, awaiting 'drain' whenever write() returns false.
 * With `random`, about a quarter of the writes go out as cork()/uncork()
 * batches of 2–3 writes (a writev).
 */
export async function writeChunks(stream: Writable, chunks: readonly Uint8Array[], random?: RandomSource): Promise<void> {
  let i = 0;
  while (i < chunks.length) {
    let ok = true;
    if (random !== undefined && i + 1 < chunks.length && random() < 0.25) {
      const batch = randomInt(random, 2, 3);
      stream.cork();
      for (let k = 0; k < batch && i < chunks.length; k++) ok = stream.write(chunks[i++]) && ok;
      stream.uncork();
    } else {
      ok = stream.write(chunks[i++]);
    }
    if (!ok && stream.writableNeedDrain) await waitForDrain(stream);
  }
}

/** Cut `data` into views of random sizes: some small (1–100 bytes), most up to `maxWrite`. */
export function randomSlices(random: RandomSource, data: Buffer, maxWrite = 64 * 1024): Buffer[] {
  const slices: Buffer[] = [];
  for (let offset = 0; offset < data.length;) {
    const size = random() < 0.3 ? randomInt(random, 1, 100) : randomInt(random, 1, maxWrite);
    const end = Math.min(data.length, offset + size);
    slices.push(data.subarray(offset, end));
    offset = end;
  }
  return slices;
}

/** Write `total` seeded random bytes in random-size writes and cork batches; returns their digest. */
export async function writeRandom(stream: Writable, random: RandomSource, total: number, maxWrite = 64 * 1024): Promise<Digest> {
  const data = randomBytes(random, total);
  await writeChunks(stream, randomSlices(random, data, maxWrite), random);
  return digestOf(data);
}
