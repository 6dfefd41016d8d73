// Helpers shared by the hardening, fuzz and soak tests (issue 6): clocks that
// count or control timers, a heap probe, raw frame builders, and a raw peer
// that has joined a server's session.
import { fullGc } from '@mpx/testkit';
import type { Clock, Timer } from '../src/clock.js';
import { systemClock } from '../src/clock.js';
import { FrameType } from '../src/constants.js';
import type { Frame, WelcomeFrame } from '../src/frame.js';
import type { MpxServer } from '../src/server.js';
import { rawClient, type RawPeer } from './raw-peer.js';

/** The system clock, counting the timers it holds (set and neither fired nor cleared). */
export class CountingClock implements Clock {
  readonly #live = new Set<Timer>();

  get pending(): number {
    return this.#live.size;
  }

  now(): number {
    return systemClock.now();
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer = systemClock.setTimeout(() => {
      this.#live.delete(timer);
      fn();
    }, ms);
    this.#live.add(timer);
    return timer;
  }

  clearTimeout(timer: Timer): void {
    this.#live.delete(timer);
    systemClock.clearTimeout(timer);
  }
}

interface ManualTimer extends Timer {
  at: number;
  fn: () => void;
}

/** A clock that moves only when told to; `advance()` runs the timers that fall due, in order. */
export class ManualClock implements Clock {
  #now = 0;
  readonly #timers = new Set<ManualTimer>();

  get pending(): number {
    return this.#timers.size;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer: ManualTimer = { at: this.#now + Math.max(0, ms), fn };
    this.#timers.add(timer);
    return timer;
  }

  clearTimeout(timer: Timer): void {
    this.#timers.delete(timer as ManualTimer);
  }

  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.#timers) if (t.at <= until && (next === undefined || t.at < next.at)) next = t;
      if (next === undefined) break;
      this.#timers.delete(next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = until;
  }
}

/** Two full garbage collections, then heapUsed in bytes. */
export function heapAfterGc(): number {
  fullGc();
  fullGc();
  return process.memoryUsage().heapUsed;
}

/** One turn of the event loop. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A frame header (SPEC §4) with any field values, valid or not. */
export function header(type: number, flags: number, length: number, streamId: number, reserved = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(type, 0);
  b.writeUInt8(flags, 1);
  b.writeUInt16BE(reserved, 2);
  b.writeUInt32BE(length >>> 0, 4);
  b.writeUInt32BE(streamId >>> 0, 8);
  return b;
}

function u64(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(Math.floor(value / 2 ** 32), 0);
  b.writeUInt32BE(value % 2 ** 32, 4);
  return b;
}

/** DATA (SPEC §5.1) as bytes; flags 0x01 SYN, 0x02 FIN. */
export function dataBytes(streamId: number, offset: number, payload: Uint8Array, flags = 0): Buffer {
  return Buffer.concat([header(FrameType.DATA, flags, 8 + payload.byteLength, streamId), u64(offset), payload]);
}

/** A frame with an 8-byte u64 body: WINDOW, ACK, PING, PONG. */
export function u64Frame(type: number, streamId: number, value: number): Buffer {
  return Buffer.concat([header(type, 0, 8, streamId), u64(value)]);
}

/** RESET (SPEC §5.3) as bytes. */
export function resetBytes(streamId: number, code: number, finalSize: number): Buffer {
  const code32 = Buffer.alloc(4);
  code32.writeUInt32BE(code, 0);
  return Buffer.concat([header(FrameType.RESET, 0, 12, streamId), code32, u64(finalSize)]);
}

/** A raw peer that has completed the handshake with `server` (new session unless `sessionId` is given). */
export async function joinedRawPeer(
  server: MpxServer,
  options: { key?: Uint8Array; sessionId?: Uint8Array; streamWindow?: number; sessionWindow?: number } = {},
): Promise<{ peer: RawPeer; pair: ReturnType<typeof rawClient>['pair'] }> {
  const raw = rawClient(server);
  await raw.peer.hello({
    ...(options.key === undefined ? {} : { key: options.key }),
    ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId, resume: true }),
    ...(options.streamWindow === undefined ? {} : { streamWindow: options.streamWindow }),
    ...(options.sessionWindow === undefined ? {} : { sessionWindow: options.sessionWindow }),
  });
  await raw.peer.waitFor((f): f is WelcomeFrame => f.type === FrameType.WELCOME);
  return raw;
}

/** Frames of `type` that `peer` received so far. */
export function framesOf<T extends Frame['type']>(peer: RawPeer, type: T): Array<Extract<Frame, { type: T }>> {
  return peer.frames.filter((f): f is Extract<Frame, { type: T }> => f.type === type);
}
