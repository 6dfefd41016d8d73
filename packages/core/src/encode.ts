// Frame encoder, SPEC §3 (handshake bodies), §4 (header) and §5 (frame types).
//
// Every encoder checks its input and throws MpxError('MPX_ERR_INVALID_ARGUMENT')
// rather than put a frame on the wire that the peer would reject. DATA payloads
// are never copied: encodeFrame returns the 20-byte prefix and the caller's
// payload view as two chunks, to be written with cork()/writev (STYLE habit 4).
import { checkWeight } from './bounds.js';
import {
  ACK_BODY_SIZE,
  CHALLENGE_BODY_SIZE,
  CLOSE_PREFIX_SIZE,
  CLOSE_REASON_MAX,
  CloseFlags,
  DATA_PREFIX_SIZE,
  DataFlags,
  FrameType,
  HEADER_SIZE,
  HELLO_BODY_SIZE,
  HelloFlags,
  MAC_SIZE,
  MAGIC,
  ROUTE_BODY_SIZE,
  MAX_MAX_FRAME,
  MAX_STREAM_ID,
  MAX_U64_VALUE,
  MIN_MAX_FRAME,
  NONCE_SIZE,
  RESET_BODY_SIZE,
  SESSION_ID_SIZE,
  STAMPED_ACK_BODY_SIZE,
  WELCOME_BODY_SIZE,
  WINDOW_BODY_SIZE,
  WelcomeFlags,
} from './constants.js';
import { helloFlagsOf } from './carrier-use.js';
import { MpxError } from './errors.js';
import type { ChallengeFrame, CloseFrame, DataFrame, Frame, HelloFrame, WelcomeFrame } from './frame.js';

/** HELLO body[0..52): everything the HELLO mac covers (SPEC §3.4). */
export const HELLO_PARAMS_SIZE = HELLO_BODY_SIZE - MAC_SIZE;
/** WELCOME body[0..16): everything the WELCOME mac covers (SPEC §3.4). */
export const WELCOME_PARAMS_SIZE = WELCOME_BODY_SIZE - MAC_SIZE;

/** Largest body length the u32 length field can hold (SPEC §4). */
const MAX_LENGTH = 0xffffffff;
const TWO_32 = 2 ** 32;
const MAX_U64_BIGINT = (1n << 64n) - 1n;

export type HelloParams = Omit<HelloFrame, 'type' | 'mac'>;
export type WelcomeParams = Omit<WelcomeFrame, 'type' | 'mac'>;

/** Encodes one frame as the chunks to write. DATA gives `[prefix, payload]` (payload not copied; omitted when empty), every other type one Buffer. */
export function encodeFrame(frame: Frame): Uint8Array[] {
  switch (frame.type) {
    case FrameType.DATA: {
      const prefix = encodeDataPrefix(frame.streamId, frame.offset, frame.payload.length, dataFlags(frame));
      return frame.payload.length === 0 ? [prefix] : [prefix, frame.payload];
    }
    case FrameType.WINDOW: {
      checkStreamId(frame.streamId, true, 'WINDOW stream id');
      checkU64(frame.maxOffset, 'WINDOW max offset');
      const buf = header(FrameType.WINDOW, 0, WINDOW_BODY_SIZE, frame.streamId);
      writeU64(buf, HEADER_SIZE, frame.maxOffset);
      return [buf];
    }
    case FrameType.RESET: {
      checkStreamId(frame.streamId, false, 'RESET stream id');
      checkU32(frame.code, 'RESET code');
      checkU64(frame.finalSize, 'RESET final size');
      const buf = header(FrameType.RESET, 0, RESET_BODY_SIZE, frame.streamId);
      buf.writeUInt32BE(frame.code, HEADER_SIZE);
      writeU64(buf, HEADER_SIZE + 4, frame.finalSize);
      return [buf];
    }
    case FrameType.ACK: {
      checkU64(frame.count, 'ACK count');
      if (frame.stamp === undefined) {
        const buf = header(FrameType.ACK, 0, ACK_BODY_SIZE, 0);
        writeU64(buf, HEADER_SIZE, frame.count);
        return [buf];
      }
      checkU64(frame.stamp, 'ACK stamp');
      const buf = header(FrameType.ACK, 0, STAMPED_ACK_BODY_SIZE, 0);
      writeU64(buf, HEADER_SIZE, frame.count);
      writeU64(buf, HEADER_SIZE + 8, frame.stamp);
      return [buf];
    }
    case FrameType.PING:
    case FrameType.PONG: {
      const name = frame.type === FrameType.PING ? 'PING' : 'PONG';
      if (typeof frame.opaque !== 'bigint' || frame.opaque < 0n || frame.opaque > MAX_U64_BIGINT) {
        throw invalid(`${name} opaque must be a bigint in [0, 2^64)`);
      }
      const buf = header(frame.type, 0, 8, 0);
      buf.writeBigUInt64BE(frame.opaque, HEADER_SIZE);
      return [buf];
    }
    case FrameType.CLOSE:
      return [encodeClose(frame)];
    case FrameType.CHALLENGE: {
      const buf = header(FrameType.CHALLENGE, 0, CHALLENGE_BODY_SIZE, 0);
      writeChallengeBody(buf, HEADER_SIZE, frame);
      return [buf];
    }
    case FrameType.HELLO: {
      const buf = header(FrameType.HELLO, 0, HELLO_BODY_SIZE, 0);
      writeHelloParams(buf, HEADER_SIZE, frame);
      writeBytes(buf, HEADER_SIZE + HELLO_PARAMS_SIZE, frame.mac, MAC_SIZE, 'HELLO mac');
      return [buf];
    }
    case FrameType.WELCOME: {
      const buf = header(FrameType.WELCOME, 0, WELCOME_BODY_SIZE, 0);
      writeWelcomeParams(buf, HEADER_SIZE, frame);
      writeBytes(buf, HEADER_SIZE + WELCOME_PARAMS_SIZE, frame.mac, MAC_SIZE, 'WELCOME mac');
      return [buf];
    }
    case FrameType.ROUTE: {
      const buf = header(FrameType.ROUTE, 0, ROUTE_BODY_SIZE, 0);
      buf.set(MAGIC, HEADER_SIZE);
      writeBytes(buf, HEADER_SIZE + MAGIC.length, frame.sessionId, SESSION_ID_SIZE, 'ROUTE session id');
      return [buf];
    }
    default:
      return unreachable(frame);
  }
}

/** Total bytes encodeFrame produces for `frame` (header included). Does not validate. */
export function encodedLength(frame: Frame): number {
  switch (frame.type) {
    case FrameType.DATA:
      return HEADER_SIZE + DATA_PREFIX_SIZE + frame.payload.length;
    case FrameType.WINDOW:
      return HEADER_SIZE + WINDOW_BODY_SIZE;
    case FrameType.RESET:
      return HEADER_SIZE + RESET_BODY_SIZE;
    case FrameType.ACK:
      return HEADER_SIZE + (frame.stamp === undefined ? ACK_BODY_SIZE : STAMPED_ACK_BODY_SIZE);
    case FrameType.PING:
    case FrameType.PONG:
      return HEADER_SIZE + 8;
    case FrameType.CLOSE:
      return HEADER_SIZE + CLOSE_PREFIX_SIZE + Buffer.byteLength(frame.reason, 'utf8');
    case FrameType.CHALLENGE:
      return HEADER_SIZE + CHALLENGE_BODY_SIZE;
    case FrameType.HELLO:
      return HEADER_SIZE + HELLO_BODY_SIZE;
    case FrameType.WELCOME:
      return HEADER_SIZE + WELCOME_BODY_SIZE;
    case FrameType.ROUTE:
      return HEADER_SIZE + ROUTE_BODY_SIZE;
    default:
      return unreachable(frame);
  }
}

/** SPEC §5.1: the flags byte of a DATA frame. */
export function dataFlags(frame: DataFrame): number {
  return (frame.syn ? DataFlags.SYN : 0) | (frame.fin ? DataFlags.FIN : 0) | (frame.target === true ? DataFlags.TARGET : 0);
}

/**
 * SPEC §5.1: the 12-byte header plus the 8-byte offset of a DATA frame whose
 * payload is `length` bytes. The payload itself is written after it, uncopied.
 */
export function encodeDataPrefix(streamId: number, offset: number, length: number, flags: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE + DATA_PREFIX_SIZE);
  writeDataPrefix(buf, 0, streamId, offset, length, flags);
  return buf;
}

/**
 * Writes the DATA prefix of encodeDataPrefix into `buf` at `at` (20 bytes),
 * after checking every field: a bad field throws before anything is written.
 */
export function writeDataPrefix(buf: Buffer, at: number, streamId: number, offset: number, length: number, flags: number): void {
  checkStreamId(streamId, false, 'DATA stream id');
  checkU64(offset, 'DATA offset');
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_LENGTH - DATA_PREFIX_SIZE) {
    throw invalid(`DATA payload length out of range: ${length}`);
  }
  if (offset + length > MAX_U64_VALUE) throw invalid('DATA offset + length must stay below 2^53');
  if (!Number.isInteger(flags) || (flags & ~(DataFlags.SYN | DataFlags.FIN | DataFlags.TARGET)) !== 0 || flags < 0) {
    throw invalid(`DATA flags must be a combination of SYN, FIN and TARGET: ${flags}`);
  }
  if (length === 0 && (flags & (DataFlags.SYN | DataFlags.FIN)) === 0) throw invalid('an empty DATA frame must carry SYN or FIN');
  writeHeader(buf, at, FrameType.DATA, flags, DATA_PREFIX_SIZE + length, streamId);
  writeU64(buf, at + HEADER_SIZE, offset);
}

/** SPEC §3.1: the 24-byte CHALLENGE body. */
export function encodeChallengeBody(challenge: Omit<ChallengeFrame, 'type'>): Buffer {
  const buf = Buffer.allocUnsafe(CHALLENGE_BODY_SIZE);
  writeChallengeBody(buf, 0, challenge);
  return buf;
}

/** SPEC §3.2: HELLO body[0..52), the part covered by the mac. */
export function encodeHelloParams(hello: HelloParams): Buffer {
  const buf = Buffer.allocUnsafe(HELLO_PARAMS_SIZE);
  writeHelloParams(buf, 0, hello);
  return buf;
}

/** SPEC §3.2: the whole 84-byte HELLO body, mac included. */
export function encodeHelloBody(hello: Omit<HelloFrame, 'type'>): Buffer {
  const buf = Buffer.allocUnsafe(HELLO_BODY_SIZE);
  writeHelloParams(buf, 0, hello);
  writeBytes(buf, HELLO_PARAMS_SIZE, hello.mac, MAC_SIZE, 'HELLO mac');
  return buf;
}

/** SPEC §3.3: WELCOME body[0..16), the part covered by the mac. */
export function encodeWelcomeParams(welcome: WelcomeParams): Buffer {
  const buf = Buffer.allocUnsafe(WELCOME_PARAMS_SIZE);
  writeWelcomeParams(buf, 0, welcome);
  return buf;
}

/**
 * Cuts `reason` to at most 256 bytes of UTF-8 (SPEC §5.6) on a code point
 * boundary, so that any message can go into a CLOSE frame.
 */
export function clampReason(reason: string): string {
  if (Buffer.byteLength(reason, 'utf8') <= CLOSE_REASON_MAX) return reason;
  let bytes = 0;
  let end = 0;
  for (const ch of reason) {
    const cp = ch.codePointAt(0) ?? 0;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > CLOSE_REASON_MAX) break;
    bytes += size;
    end += ch.length;
  }
  return reason.slice(0, end);
}

// SPEC §5.6. A reason with lone surrogates is encoded with U+FFFD in their place (as Buffer does).
function encodeClose(frame: CloseFrame): Buffer {
  checkU32(frame.code, 'CLOSE code');
  if (typeof frame.reason !== 'string') throw invalid('CLOSE reason must be a string');
  const reasonLength = Buffer.byteLength(frame.reason, 'utf8');
  if (reasonLength > CLOSE_REASON_MAX) {
    throw invalid(`CLOSE reason is ${reasonLength} bytes of UTF-8, at most ${CLOSE_REASON_MAX} allowed`);
  }
  const flags = frame.session ? CloseFlags.SESSION : 0;
  const buf = header(FrameType.CLOSE, flags, CLOSE_PREFIX_SIZE + reasonLength, 0);
  buf.writeUInt32BE(frame.code, HEADER_SIZE);
  if (reasonLength > 0) buf.write(frame.reason, HEADER_SIZE + CLOSE_PREFIX_SIZE, reasonLength, 'utf8');
  return buf;
}

// SPEC §3.1
function writeChallengeBody(buf: Buffer, at: number, c: Omit<ChallengeFrame, 'type'>): void {
  checkU8(c.minVersion, 'CHALLENGE min version');
  checkU8(c.maxVersion, 'CHALLENGE max version');
  buf.set(MAGIC, at);
  buf.writeUInt8(c.minVersion, at + 4);
  buf.writeUInt8(c.maxVersion, at + 5);
  buf.writeUInt16BE(0, at + 6);
  writeBytes(buf, at + 8, c.nonce, NONCE_SIZE, 'CHALLENGE nonce');
}

// SPEC §3.2, body[0..52)
function writeHelloParams(buf: Buffer, at: number, h: HelloParams): void {
  checkU8(h.version, 'HELLO version');
  checkWeight(h.weight, 'HELLO weight');
  checkU32(h.streamWindow, 'HELLO stream window');
  checkU32(h.sessionWindow, 'HELLO session window');
  checkMaxFrame(h.maxFrame, 'HELLO max frame');
  buf.set(MAGIC, at);
  buf.writeUInt8(h.version, at + 4);
  const use = { role: h.backup === true ? 'backup' : 'primary', direction: h.direction ?? 'both' } as const;
  buf.writeUInt8((h.resume ? HelloFlags.RESUME : 0) | helloFlagsOf(use), at + 5);
  buf.writeUInt16BE(h.weight, at + 6);
  writeBytes(buf, at + 8, h.sessionId, SESSION_ID_SIZE, 'HELLO session id');
  writeBytes(buf, at + 24, h.nonce, NONCE_SIZE, 'HELLO nonce');
  buf.writeUInt32BE(h.streamWindow, at + 40);
  buf.writeUInt32BE(h.sessionWindow, at + 44);
  buf.writeUInt32BE(h.maxFrame, at + 48);
}

// SPEC §3.3, body[0..16)
function writeWelcomeParams(buf: Buffer, at: number, w: WelcomeParams): void {
  checkU32(w.streamWindow, 'WELCOME stream window');
  checkU32(w.sessionWindow, 'WELCOME session window');
  checkMaxFrame(w.maxFrame, 'WELCOME max frame');
  buf.writeUInt32BE(w.created ? WelcomeFlags.CREATED << 24 : 0, at); // flags + 3 reserved bytes
  buf.writeUInt32BE(w.streamWindow, at + 4);
  buf.writeUInt32BE(w.sessionWindow, at + 8);
  buf.writeUInt32BE(w.maxFrame, at + 12);
}

/** SPEC §4: allocates the header plus `written` body bytes (default: the whole body) and writes the header. */
function header(type: number, flags: number, bodyLength: number, streamId: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE + bodyLength);
  writeHeader(buf, 0, type, flags, bodyLength, streamId);
  return buf;
}

/** SPEC §4: the 12-byte header at `at` (fields checked by the caller). */
function writeHeader(buf: Buffer, at: number, type: number, flags: number, bodyLength: number, streamId: number): void {
  buf[at] = type;
  buf[at + 1] = flags;
  buf[at + 2] = 0;
  buf[at + 3] = 0;
  writeU32(buf, at + 4, bodyLength);
  writeU32(buf, at + 8, streamId);
}

/**
 * SPEC §2: a u32, big-endian; the caller has checked 0 ≤ v < 2^32. Rationale:
 * byte stores, not Buffer#writeUInt32BE, whose argument checks cost more
 * than the store on the path of every frame sent.
 */
function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = v >>> 16;
  buf[at + 2] = v >>> 8;
  buf[at + 3] = v;
}

/** SPEC §2: u64 as two u32 halves; callers have checked 0 ≤ v ≤ 2^53 - 1. */
function writeU64(buf: Buffer, at: number, v: number): void {
  writeU32(buf, at, Math.floor(v / TWO_32));
  writeU32(buf, at + 4, v >>> 0);
}

function writeBytes(buf: Buffer, at: number, bytes: Uint8Array, size: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== size) {
    throw invalid(`${what} must be ${size} bytes`);
  }
  buf.set(bytes, at);
}

function checkStreamId(id: number, zeroAllowed: boolean, what: string): void {
  if (!Number.isInteger(id) || id < (zeroAllowed ? 0 : 1) || id > MAX_STREAM_ID) {
    throw invalid(`${what} must be an integer in [${zeroAllowed ? 0 : 1}, ${MAX_STREAM_ID}]: ${id}`);
  }
}

function checkU64(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw invalid(`${what} must be an integer in [0, 2^53): ${v}`);
}

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw invalid(`${what} must be a u32: ${v}`);
}

function checkU8(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw invalid(`${what} must be a u8: ${v}`);
}

function checkMaxFrame(v: number, what: string): void {
  if (!Number.isInteger(v) || v < MIN_MAX_FRAME || v > MAX_MAX_FRAME) {
    throw invalid(`${what} must be in [${MIN_MAX_FRAME}, ${MAX_MAX_FRAME}]: ${v}`);
  }
}

function invalid(message: string): MpxError {
  return new MpxError('MPX_ERR_INVALID_ARGUMENT', message);
}

function unreachable(frame: never): never {
  throw invalid(`unknown frame type: ${String((frame as { type: unknown }).type)}`);
}
