// A slow, whole-buffer reference decoder for SPEC §3–§5, written for clarity
// with DataView and no shared code with src/decode.ts. Tests check the fast
// FrameDecoder against it. It applies the checks in the order documented at
// the top of src/decode.ts, so both report the same wire code for the same bytes.
import { FrameType, WireCode } from '../src/constants.js';
import type { Frame } from '../src/frame.js';

export interface ReferenceResult {
  /** Frames decoded before the end of input or the first error. */
  readonly frames: Frame[];
  /** Wire code of the first violation, or null. */
  readonly error: number | null;
  /** Bytes after the last decoded frame that form no complete frame (0 when error ≠ null). */
  readonly trailing: number;
}

class Violation extends Error {
  constructor(readonly code: number) {
    super(`protocol violation, wire code ${code}`);
  }
}

function fail(code: number = WireCode.PROTOCOL): never {
  throw new Violation(code);
}

interface TypeInfo {
  flags: number;
  minLength: number;
  maxLength: number;
  /** The only lengths allowed between the bounds, where not every one is. */
  sizes?: number[];
  streamId: 'nonzero' | 'zero' | 'any';
}

// SPEC §5 table.
const TYPES = new Map<number, TypeInfo>([
  [0x00, { flags: 0x07, minLength: 8, maxLength: 0xffffffff, streamId: 'nonzero' }],
  [0x01, { flags: 0x00, minLength: 8, maxLength: 8, streamId: 'any' }],
  [0x02, { flags: 0x00, minLength: 12, maxLength: 12, streamId: 'nonzero' }],
  [0x03, { flags: 0x00, minLength: 8, maxLength: 16, sizes: [8, 16], streamId: 'zero' }],
  [0x04, { flags: 0x00, minLength: 8, maxLength: 8, streamId: 'zero' }],
  [0x05, { flags: 0x00, minLength: 8, maxLength: 8, streamId: 'zero' }],
  [0x06, { flags: 0x01, minLength: 4, maxLength: 260, streamId: 'zero' }],
  [0x10, { flags: 0x00, minLength: 24, maxLength: 24, streamId: 'zero' }],
  [0x11, { flags: 0x00, minLength: 84, maxLength: 84, streamId: 'zero' }],
  [0x12, { flags: 0x00, minLength: 48, maxLength: 48, streamId: 'zero' }],
  [0x13, { flags: 0x00, minLength: 20, maxLength: 20, streamId: 'zero' }],
]);

export function referenceDecode(bytes: Uint8Array, maxFrame: number): ReferenceResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: Frame[] = [];
  let pos = 0;
  try {
    while (bytes.length - pos >= 12) {
      const type = view.getUint8(pos);
      const flags = view.getUint8(pos + 1);
      const reserved = view.getUint16(pos + 2);
      const length = view.getUint32(pos + 4);
      const streamId = view.getUint32(pos + 8);
      const info = TYPES.get(type);
      if (info === undefined) fail(WireCode.UNKNOWN_FRAME_TYPE);
      if (reserved !== 0) fail();
      if ((flags | info.flags) !== info.flags) fail();
      if (length > maxFrame) fail(WireCode.FRAME_TOO_LARGE);
      if (length < info.minLength || length > info.maxLength || (info.sizes !== undefined && !info.sizes.includes(length))) fail();
      if (info.streamId === 'nonzero' && streamId === 0) fail();
      if (info.streamId === 'zero' && streamId !== 0) fail();
      if (type === 0x00 && length === 8 && (flags & 3) === 0) fail();
      if (bytes.length - pos - 12 < length) break;
      const body = new DataView(bytes.buffer, bytes.byteOffset + pos + 12, length);
      frames.push(decodeBody(type, flags, streamId, body));
      pos += 12 + length;
    }
  } catch (err) {
    if (err instanceof Violation) return { frames, error: err.code, trailing: 0 };
    throw err;
  }
  return { frames, error: null, trailing: bytes.length - pos };
}

function readU64(body: DataView, at: number): number {
  const value = body.getBigUint64(at);
  if (value >= 2n ** 53n) fail();
  return Number(value);
}

function bytesOf(body: DataView, at: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = body.getUint8(at + i);
  return out;
}

function checkMagic(body: DataView): void {
  if (body.getUint32(0) !== 0x4d505800) fail();
}

function readMaxFrame(body: DataView, at: number): number {
  const value = body.getUint32(at);
  if (value < 1024 || value > 16777215) fail();
  return value;
}

function decodeBody(type: number, flags: number, streamId: number, body: DataView): Frame {
  switch (type) {
    case 0x00: {
      const offset = readU64(body, 0);
      const payload = bytesOf(body, 8, body.byteLength - 8);
      if (offset + payload.length > Number.MAX_SAFE_INTEGER) fail();
      const data = { type: FrameType.DATA, streamId, offset, syn: (flags & 1) === 1, fin: (flags & 2) === 2, payload } as const;
      return (flags & 4) === 4 ? { ...data, target: true } : data;
    }
    case 0x01:
      return { type: FrameType.WINDOW, streamId, maxOffset: readU64(body, 0) };
    case 0x02:
      return { type: FrameType.RESET, streamId, code: body.getUint32(0), finalSize: readU64(body, 4) };
    case 0x03:
      // 8 bytes, or 16 with the stamp of version 2 (SPEC §5.4).
      if (body.byteLength === 8) return { type: FrameType.ACK, count: readU64(body, 0) };
      if (body.byteLength !== 16) fail();
      return { type: FrameType.ACK, count: readU64(body, 0), stamp: readU64(body, 8) };
    case 0x04:
    case 0x05:
      return { type: type === 0x04 ? FrameType.PING : FrameType.PONG, opaque: body.getBigUint64(0) };
    case 0x06: {
      let reason: string;
      try {
        reason = new TextDecoder('utf-8', { fatal: true }).decode(bytesOf(body, 4, body.byteLength - 4));
      } catch {
        return fail();
      }
      return { type: FrameType.CLOSE, session: flags === 1, code: body.getUint32(0), reason };
    }
    case 0x10:
      checkMagic(body);
      if (body.getUint16(6) !== 0) fail();
      return {
        type: FrameType.CHALLENGE,
        minVersion: body.getUint8(4),
        maxVersion: body.getUint8(5),
        nonce: bytesOf(body, 8, 16),
      };
    case 0x11: {
      checkMagic(body);
      const helloFlags = body.getUint8(5);
      if (helloFlags > 0x0f || (helloFlags & 0x0c) === 0x0c) fail();
      const weight = body.getUint16(6);
      if (weight === 0) fail();
      return {
        type: FrameType.HELLO,
        version: body.getUint8(4),
        resume: (helloFlags & 1) === 1,
        weight,
        ...((helloFlags & 2) === 2 ? { backup: true } : {}),
        ...((helloFlags & 4) === 4 ? { direction: 'up' as const } : (helloFlags & 8) === 8 ? { direction: 'down' as const } : {}),
        sessionId: bytesOf(body, 8, 16),
        nonce: bytesOf(body, 24, 16),
        streamWindow: body.getUint32(40),
        sessionWindow: body.getUint32(44),
        maxFrame: readMaxFrame(body, 48),
        mac: bytesOf(body, 52, 32),
      };
    }
    case 0x12: {
      const welcomeFlags = body.getUint8(0);
      if (welcomeFlags > 1) fail();
      if (body.getUint8(1) !== 0 || body.getUint16(2) !== 0) fail();
      return {
        type: FrameType.WELCOME,
        created: welcomeFlags === 1,
        streamWindow: body.getUint32(4),
        sessionWindow: body.getUint32(8),
        maxFrame: readMaxFrame(body, 12),
        mac: bytesOf(body, 16, 32),
      };
    }
    case 0x13:
      if (body.getUint32(0) !== 0x4d505800) fail();
      return { type: FrameType.ROUTE, sessionId: bytesOf(body, 4, 16) };
    default:
      return fail(WireCode.UNKNOWN_FRAME_TYPE);
  }
}

/**
 * Frames with every byte field as hex, for deep equality regardless of
 * Buffer vs Uint8Array; a DATA payload split in two (`rest`, decoded with
 * splitPayloads) as the one payload it is.
 */
export function plain(frame: Frame): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
  for (const [key, value] of Object.entries(frame)) {
    if (key === 'rest') continue;
    out[key] = value instanceof Uint8Array ? hex(value) : value;
  }
  if (frame.type === FrameType.DATA && frame.rest !== undefined) out.payload = hex(frame.payload) + hex(frame.rest);
  return out;
}
