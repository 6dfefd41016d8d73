// Binary data frames as the carrier writes them itself (RFC 6455 §5.2), so
// that a message made of several queued chunks costs no concatenation:
//
// - from the server side a frame is unmasked: its header, then the chunks as
//   they are (one writev, no copy);
// - from the client side every payload byte is XORed with a fresh random
//   4-byte key (§5.3), which needs a copy anyway: the header and the masked
//   chunks are written into one buffer in one pass (a reused block,
//   masked-blocks.ts, from 4 KiB on).
//
// Handing ws one concatenated buffer per message instead cost a copy of every
// byte, and on the client a second one, as ws copies a caller's buffer to mask
// it. Control frames (ping, pong, close) stay with ws; both write to the same
// socket in the same turn, so frames never interleave.
import { randomFillSync } from 'node:crypto';

/** XORs `length` bytes of `source` with `mask` (repeating from its byte 0) into `output` at `offset`. */
export type MaskFunction = (source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number) => void;

// RFC 6455 §5.2 header bits, for writing here and reading (frame-reader.ts).
/** First byte: FIN. */
export const FIN_BIT = 0x80;
export const OPCODE_CONTINUATION = 0x0;
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
/** First byte of a whole binary message in one frame: FIN, RSV bits clear, opcode 2. */
export const OPCODE_BINARY_FIN = FIN_BIT | OPCODE_BINARY;
/** Second byte: the payload is masked. */
export const MASK_BIT = 0x80;

/** Bytes of a frame header for a payload of `length` bytes (§5.2), without the masking key. */
export function headerSize(length: number): number {
  if (length <= 125) return 2;
  return length <= 0xffff ? 4 : 10;
}

/** Writes a FIN binary frame's header for `length` payload bytes at the start of `target`; returns its size. */
function writeHeader(target: Buffer, length: number, masked: boolean): number {
  target[0] = OPCODE_BINARY_FIN;
  const bit = masked ? MASK_BIT : 0;
  if (length <= 125) {
    target[1] = bit | length;
    return 2;
  }
  if (length <= 0xffff) {
    target[1] = bit | 126;
    target.writeUInt16BE(length, 2);
    return 4;
  }
  target[1] = bit | 127;
  target.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
  target.writeUInt32BE(length >>> 0, 6);
  return 10;
}

/** Bytes of a masked binary frame carrying `length` payload bytes: header, key, payload. */
export function maskedFrameSize(length: number): number {
  return headerSize(length) + 4 + length;
}

/** The header of an unmasked binary frame carrying `length` bytes (server to client). */
export function unmaskedHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(headerSize(length));
  writeHeader(header, length, false);
  return header;
}

/** The key as it applies from a chunk that starts at a payload offset not a multiple of 4 (masking is synchronous: one serves all). */
const rotated = Buffer.alloc(4);

/**
 * `key` as it applies to payload bytes from `offset` on, for a MaskFunction,
 * which starts at the key's first byte: the key itself, or rotated (valid
 * until the next call).
 */
export function keyFrom(key: Uint8Array, offset: number): Buffer {
  const shift = offset & 3;
  if (shift === 0 && Buffer.isBuffer(key)) return key;
  for (let i = 0; i < 4; i++) rotated[i] = key[(i + shift) & 3] as number;
  return rotated;
}

const KEYS = 1024;
let keyPool: Buffer | undefined;
let keyAt = KEYS * 4;

/** A fresh masking key (§5.3: unpredictable), from a pool refilled by the CSPRNG as ws does. */
function nextKey(into: Buffer): void {
  if (keyAt === KEYS * 4) {
    keyPool ??= Buffer.allocUnsafe(KEYS * 4);
    randomFillSync(keyPool);
    keyAt = 0;
  }
  keyPool!.copy(into, 0, keyAt, keyAt + 4);
  keyAt += 4;
}

/**
 * One masked binary frame (client to server) holding `chunks`, `size` bytes
 * in all: header, key and the masked payload in one buffer, `into` (which
 * must have room, see masked-blocks.ts) or a new one.
 */
export function maskedFrame(chunks: readonly Buffer[], size: number, mask: MaskFunction, into?: Buffer): Buffer {
  const head = headerSize(size);
  const total = maskedFrameSize(size);
  if (into !== undefined && into.length < total) throw new RangeError(`a masked frame of ${total} bytes does not fit in ${into.length}`);
  const frame = into === undefined ? Buffer.allocUnsafe(total) : into.subarray(0, total);
  writeHeader(frame, size, true);
  const key = frame.subarray(head, head + 4);
  nextKey(key);
  let at = head + 4;
  for (const chunk of chunks) {
    mask(chunk, keyFrom(key, at - head - 4), frame, at, chunk.length);
    at += chunk.length;
  }
  return frame;
}

/** The byte loop ws falls back to without bufferutil. */
export const maskInJavaScript: MaskFunction = (source, mask, output, offset, length) => {
  for (let i = 0; i < length; i++) output[offset + i] = (source[i] as number) ^ (mask[i & 3] as number);
};
