// Client side of the bench target's protocol (protocol.ts): verified uploads
// to a sink, verified downloads from a source (with a delivery timeline),
// slow downloads, and one echo round trip on a new connection.

import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { Pattern } from './data.js';
import { DeliveryTimeline, wallNow } from './gaps.js';
import type { TimelineSummary } from './gaps.js';
import { encodeHeader } from './protocol.js';
import type { SinkReport } from './protocol.js';

export interface TransferOptions {
  port: number;
  host?: string;
  id: number;
  seed: number;
  length: number;
  /** Called with the bytes done so far (download: received; upload: accepted by the socket). */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

export interface TransferResult {
  /** Every byte arrived and the sha256 matches. */
  ok: boolean;
  /** Bytes that arrived at the receiver. */
  bytes: number;
  startAt: number;
  doneAt: number;
  /** The receiver's timeline (sink's for uploads). */
  timeline: Pick<TimelineSummary, 'bytes' | 'firstAt' | 'lastAt' | 'longestGapMs' | 'gaps'> | null;
  error?: string;
}

function open(o: TransferOptions): Socket {
  const socket = connect({ port: o.port, host: o.host ?? '127.0.0.1', noDelay: true, allowHalfOpen: true });
  if (o.signal !== undefined) {
    const abort = (): void => {
      socket.destroy(new Error('aborted'));
    };
    if (o.signal.aborted) queueMicrotask(abort);
    else o.signal.addEventListener('abort', abort, { once: true });
    socket.once('close', () => o.signal?.removeEventListener('abort', abort));
  }
  return socket;
}

const errorText = (err: Error): string => (err as NodeJS.ErrnoException).code ?? err.message;

/** Sends `length` pattern bytes to a sink and checks its sha256 report. */
export function upload(o: TransferOptions): Promise<TransferResult> {
  return new Promise((resolve) => {
    const startAt = wallNow();
    const socket = open(o);
    const pattern = new Pattern(o.seed);
    const hash = createHash('sha256');
    let sent = 0;
    let reply = '';
    let error: string | undefined;
    socket.on('error', (err) => (error ??= errorText(err)));
    socket.setEncoding('utf8');
    socket.on('data', (s: string) => (reply += s));
    socket.write(encodeHeader({ mode: 'sink', id: o.id, seed: o.seed, length: o.length }));
    const pump = (): void => {
      while (sent < o.length && !socket.destroyed) {
        const chunk = pattern.next(Math.min(o.length - sent, 64 * 1024));
        hash.update(chunk);
        sent += chunk.length;
        const more = socket.write(chunk);
        o.onProgress?.(sent);
        if (!more) {
          socket.once('drain', pump);
          return;
        }
      }
      if (sent >= o.length) socket.end();
    };
    pump();
    socket.on('close', () => {
      const doneAt = wallNow();
      let report: SinkReport | null = null;
      try {
        report = reply.trim() === '' ? null : (JSON.parse(reply) as SinkReport);
      } catch {
        error ??= 'bad sink report';
      }
      const ok = report !== null && sent === o.length && report.bytes === o.length && report.sha256 === hash.digest('hex');
      if (!ok && error === undefined) error = report === null ? 'no sink report' : 'sha256 mismatch';
      resolve({ ok, bytes: report?.bytes ?? 0, startAt, doneAt, timeline: report, ...(ok ? {} : { error }) });
    });
  });
}

/** Fetches `length` pattern bytes from a source and checks them against `expectedSha256`. */
export function download(o: TransferOptions & { expectedSha256: string; readRate?: number }): Promise<TransferResult> {
  return new Promise((resolve) => {
    const startAt = wallNow();
    const socket = open(o);
    const hash = createHash('sha256');
    const timeline = new DeliveryTimeline();
    let error: string | undefined;
    let ended = false;
    socket.on('error', (err) => (error ??= errorText(err)));
    socket.write(encodeHeader({ mode: 'source', id: o.id, seed: o.seed, length: o.length }));
    socket.end();
    socket.on('data', (chunk: Buffer) => {
      timeline.record(wallNow(), chunk.length);
      hash.update(chunk);
      o.onProgress?.(timeline.bytes);
      if (o.readRate !== undefined && o.readRate > 0) {
        socket.pause();
        setTimeout(() => socket.resume(), (chunk.length / o.readRate) * 1000);
      }
    });
    socket.on('end', () => (ended = true));
    socket.on('close', () => {
      const s = timeline.summary();
      const ok = ended && s.bytes === o.length && hash.digest('hex') === o.expectedSha256;
      if (!ok && error === undefined)
        error = s.bytes !== o.length ? `short: ${s.bytes} of ${o.length} bytes, then ${ended ? 'a FIN' : 'a close'}` : 'sha256 mismatch';
      resolve({ ok, bytes: s.bytes, startAt, doneAt: s.lastAt ?? wallNow(), timeline: s, ...(ok ? {} : { error }) });
    });
  });
}

/**
 * Sends to a slow sink (reads `rate` bytes/s) as fast as the path accepts;
 * returns the socket and a counter of bytes the socket accepted. The caller
 * destroys the socket.
 */
export function floodSlowSink(port: number, rate: number): { socket: Socket; accepted: () => number } {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('error', () => {});
  socket.write(encodeHeader({ mode: 'slowSink', id: 0, seed: rate, length: 0 }));
  const pattern = new Pattern(7);
  let accepted = 0;
  const pump = (): void => {
    while (!socket.destroyed) {
      const chunk = pattern.next(64 * 1024);
      accepted += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
  return { socket, accepted: () => accepted };
}

/**
 * Opens a new connection, sends `payload` to an echo target and waits for it
 * to come back; resolves with the elapsed ms from connect() to the last byte.
 */
export function echoRoundTrip(port: number, payload: Buffer, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let got = 0;
    const timer = setTimeout(() => socket.destroy(new Error(`echo timed out after ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.write(Buffer.concat([encodeHeader({ mode: 'echo', id: 0, seed: 0, length: 0 }), payload]));
    socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got >= payload.length) {
        const ms = performance.now() - start;
        clearTimeout(timer);
        socket.destroy();
        resolve(ms);
      }
    });
  });
}

/** Runs `once` `n` times, one after another (each waits for the last), and returns what each resolved with: n round-trip times. */
export async function inSequence(n: number, once: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await once());
  return out;
}

/** An echo connection kept open: each roundTrip() writes `payload` and resolves with the ms until all of it came back. */
export interface EchoSession {
  roundTrip(payload: Buffer): Promise<number>;
  close(): void;
}

/** Opens an echo connection through `port` (the target's echo mode) and keeps it for round trips one at a time. */
export function openEcho(port: number, timeoutMs = 10_000): Promise<EchoSession> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let want = 0;
    let got = 0;
    let start = 0;
    /** The round trip in progress, until it settles. */
    let pending: { resolve: (ms: number) => void; reject: (err: Error) => void; timer: NodeJS.Timeout } | undefined;
    const settle = (): NonNullable<typeof pending> | undefined => {
      const p = pending;
      pending = undefined;
      if (p !== undefined) clearTimeout(p.timer);
      return p;
    };
    socket.on('error', (err) => {
      const p = settle();
      if (p !== undefined) p.reject(err);
      else reject(err);
    });
    socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (pending !== undefined && got >= want) settle()?.resolve(performance.now() - start);
    });
    socket.once('connect', () => {
      socket.write(encodeHeader({ mode: 'echo', id: 0, seed: 0, length: 0 }));
      resolve({
        roundTrip: (payload) =>
          new Promise<number>((res, rej) => {
            if (pending !== undefined) throw new Error('one echo round trip at a time');
            if (socket.destroyed) throw new Error('echo connection closed');
            want = got + payload.length;
            const timer = setTimeout(() => {
              settle()?.reject(new Error(`echo timed out after ${timeoutMs} ms`));
              socket.destroy();
            }, timeoutMs);
            pending = { resolve: res, reject: rej, timer };
            start = performance.now();
            socket.write(payload);
          }),
        close: () => socket.destroy(),
      });
    });
  });
}
