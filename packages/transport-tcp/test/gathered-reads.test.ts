// TLS carriers read a bulk turn's records together (gathered-reads.ts). The
// dialled side's `onread` is driven here as the TLS layer drives it: buffer()
// once, then callback(n, buffer) and buffer() again after every record.
import { once } from 'node:events';
import { Socket } from 'node:net';
import { GATHER_FROM_BYTES as FULL_RECORD, GATHER_READS, LEND_READS, type LendsReads } from '@mpx/core';
import { randomBytes, seededRandom } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { GATHER_SIZE, gatheredLentReads } from '../src/gathered-reads.js';
import { tlsPair, withPair } from './helpers.js';

interface Driven {
  /** Delivers `bytes` as one record: into the buffer the reads gave last, then asks for the next. */
  record(bytes: Buffer): void;
  /** The reads lent so far, copied as they came. */
  lent: Buffer[];
  socket: Socket;
}

function driven(): Driven {
  const reads = gatheredLentReads();
  const socket = new Socket();
  reads.install(socket);
  const lent: Buffer[] = [];
  (socket as Socket & LendsReads)[LEND_READS]((chunk, kept) => {
    expect(kept).toBe(false);
    lent.push(Buffer.from(chunk));
  });
  const { buffer, callback } = reads.onread as { buffer: () => Uint8Array; callback: (n: number, buf: Uint8Array) => boolean };
  let into = buffer();
  return {
    lent,
    socket,
    record(bytes) {
      expect(into.byteLength).toBeGreaterThanOrEqual(bytes.length);
      into.set(bytes);
      callback(bytes.length, into);
      into = buffer();
    },
  };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const record = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);

describe('gatheredLentReads (a dialled TLS carrier)', () => {
  it('lends a smaller record at once, when nothing is gathered', () => {
    const d = driven();
    d.record(record(300, 1));
    expect(d.lent).toEqual([record(300, 1)]);
  });

  it('gathers the records of a turn that brings a full one and lends them as one read at its end', async () => {
    const d = driven();
    d.record(record(FULL_RECORD, 1));
    d.record(record(FULL_RECORD, 2));
    d.record(record(700, 3));
    expect(d.lent).toEqual([]);
    await turn();
    expect(d.lent).toEqual([Buffer.concat([record(FULL_RECORD, 1), record(FULL_RECORD, 2), record(700, 3)])]);
    // The next turn starts afresh: a small record goes at once again.
    d.record(record(10, 4));
    expect(d.lent.at(-1)).toEqual(record(10, 4));
  });

  it('lends what it gathered as soon as no room for another record is left', () => {
    const d = driven();
    const per = GATHER_SIZE / FULL_RECORD;
    for (let i = 0; i < per; i++) d.record(record(FULL_RECORD, i));
    expect(d.lent.map((c) => c.length)).toEqual([GATHER_SIZE]);
    expect(d.lent[0]?.equals(Buffer.concat(Array.from({ length: per }, (_, i) => record(FULL_RECORD, i))))).toBe(true);
  });

  it('lends what it gathered before the end of the stream reaches anyone else', () => {
    const d = driven();
    d.record(record(FULL_RECORD, 1));
    const order: string[] = [];
    d.socket.on('end', () => order.push(`end after ${d.lent.length} read`));
    d.socket.emit('end');
    expect(order).toEqual(['end after 1 read']);
  });

  it('keeps any mix of records in order (seed 0x6a7e)', async () => {
    const random = seededRandom(0x6a7e);
    const d = driven();
    const sent: Buffer[] = [];
    for (let i = 0; i < 400; i++) {
      const n = random() < 0.6 ? FULL_RECORD : 1 + Math.floor(random() * (FULL_RECORD - 1));
      const bytes = randomBytes(random, n);
      sent.push(bytes);
      d.record(bytes);
      if (random() < 0.2) await turn();
    }
    await turn();
    expect(Buffer.concat(d.lent).equals(Buffer.concat(sent))).toBe(true);
    expect(d.lent.every((c) => c.length <= GATHER_SIZE)).toBe(true);
  });
});

describe('TLS carriers over real sockets', () => {
  it('a dialled one lends a bulk transfer in reads of several records', async () => {
    await withPair(tlsPair(), async ({ client, server }) => {
      const sizes: number[] = [];
      const parts: Buffer[] = [];
      (client as Socket & LendsReads)[LEND_READS]((chunk) => {
        sizes.push(chunk.byteLength);
        parts.push(Buffer.from(chunk));
      });
      const data = randomBytes(seededRandom(7), 4 * 1024 * 1024);
      const ended = once(client, 'end');
      server.end(data);
      await ended;
      expect(Buffer.concat(parts).equals(data)).toBe(true);
      expect(Math.max(...sizes)).toBeGreaterThan(FULL_RECORD);
    });
  });

  it('an accepted one is marked for the session to gather its reads', async () => {
    await withPair(tlsPair(), async ({ client, server }) => {
      expect((server as Socket & { [GATHER_READS]?: boolean })[GATHER_READS]).toBe(true);
      expect(GATHER_READS in client).toBe(false);
    });
  });
});
