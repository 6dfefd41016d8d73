// The bench target's tiny protocol. A connection starts with a 24-byte header
//   0  4  magic "MPXB"
//   4  1  mode: 1 sink, 2 source, 3 echo, 4 slow sink
//   5  3  zero
//   8  4  id (u32 BE, for logs)
//  12  4  seed (u32 BE) of the data pattern (source), or read rate in
//         bytes/s (slow sink)
//  16  8  length (u64 BE): bytes the client will send (sink) or wants (source)
// A sink answers, once `length` bytes arrived or the client ended, with one
// JSON line (SinkReport) and closes. A source sends `length` pattern bytes and
// ends. Echo returns every byte. A slow sink reads at the given rate forever.

export const HEADER_SIZE = 24;
const MAGIC = 0x4d505842; // "MPXB"

export const Mode = { sink: 1, source: 2, echo: 3, slowSink: 4 } as const;
export type ModeName = keyof typeof Mode;

export interface Header {
  mode: ModeName;
  id: number;
  /** Pattern seed (source) or read rate in bytes/s (slow sink). */
  seed: number;
  length: number;
}

export function encodeHeader(h: Header): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  b.writeUInt32BE(MAGIC, 0);
  b.writeUInt8(Mode[h.mode], 4);
  b.writeUInt32BE(h.id >>> 0, 8);
  b.writeUInt32BE(h.seed >>> 0, 12);
  b.writeBigUInt64BE(BigInt(h.length), 16);
  return b;
}

/** Decodes a header; throws RangeError for a bad magic, mode or length. */
export function decodeHeader(b: Uint8Array): Header {
  if (b.length < HEADER_SIZE) throw new RangeError(`header needs ${HEADER_SIZE} bytes, got ${b.length}`);
  const buf = Buffer.from(b.buffer, b.byteOffset, HEADER_SIZE);
  if (buf.readUInt32BE(0) !== MAGIC) throw new RangeError('bad magic');
  const code = buf.readUInt8(4);
  const mode = (Object.keys(Mode) as ModeName[]).find((k) => Mode[k] === code);
  if (mode === undefined) throw new RangeError(`unknown mode ${code}`);
  const length = buf.readBigUInt64BE(16);
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('length too large');
  return { mode, id: buf.readUInt32BE(8), seed: buf.readUInt32BE(12), length: Number(length) };
}

/** What a sink reports back: bytes, their sha256, and its delivery timeline. */
export interface SinkReport {
  bytes: number;
  sha256: string;
  firstAt: number | null;
  lastAt: number | null;
  longestGapMs: number;
  gaps: Array<{ from: number; to: number }>;
}
