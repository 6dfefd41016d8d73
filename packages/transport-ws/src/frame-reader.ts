// Reads the frames of a WebSocket connection's byte stream (RFC 6455 §5.2)
// for the carrier itself, so that the payload of a binary data frame goes
// to the session as it arrives, without ws' receiver joining a whole message
// into one buffer first (a copy of every byte received). No I/O: the caller
// feeds it the socket's chunks and gets their pieces back (own-reads.ts).
//
// A state loop (HEADER, OWN, PASS) over each chunk, resuming where the last
// chunk ended. Every frame is one of two kinds:
// - its own: a whole binary message in one frame (FIN, opcode 2, RSV bits
//   clear), masked exactly when this side must receive masked frames (§5.1),
//   at most `maxPayload` bytes, and neither inside a fragmented message nor
//   after a close frame. It reports the message's size (message()), then its
//   payload bytes as views of the chunks they lie in, still masked, with the
//   key and the payload offset they start at (data()); the caller unmasks
//   while it copies them out.
// - anything else (ping, pong, close, text, fragments, a frame that breaks a
//   rule): its bytes are passed on unchanged, header included, for ws'
//   receiver to read as if it had read them from the socket (pass()), so
//   that ws keeps answering pings, the close handshake and every error with
//   its close code. Once a close frame has passed, everything after it
//   passes too (ws ignores it).
//
// What passes is always whole frames, in order, from a frame boundary on, so
// ws' receiver stays in step (the caller only starts reading at a boundary).
import { FIN_BIT, MASK_BIT, OPCODE_BINARY, OPCODE_BINARY_FIN, OPCODE_CLOSE, OPCODE_CONTINUATION, OPCODE_TEXT } from './frames.js';

/** Largest frame header: 2 bytes, a 64-bit length, a key. */
const MAX_HEADER = 14;

const STATE_HEADER = 0;
const STATE_OWN = 1;
const STATE_PASS = 2;

export interface FrameReaderSink {
  /** A binary message of `size` payload bytes begins; its bytes follow through data() (none for size 0). */
  message(size: number): void;
  /**
   * Payload bytes of the current message: a view of the chunk being read,
   * valid until read() returns. Masked with `key` (4 bytes, reused by the
   * reader) from key byte `keyAt & 3` on, or not masked when `key` is
   * undefined.
   */
  data(bytes: Buffer, key: Buffer | undefined, keyAt: number): void;
  /** Bytes for ws' receiver, in order: copies of headers, views of the chunk for the rest. */
  pass(bytes: Buffer): void;
}

export interface FrameReaderOptions {
  /** Frames this side reads are masked: true on the server side (§5.1). */
  readonly masked: boolean;
  /** Largest message read here; a larger one passes (ws' receiver closes with 1009). */
  readonly maxPayload: number;
}

export class FrameReader {
  readonly #sink: FrameReaderSink;
  readonly #masked: boolean;
  readonly #maxPayload: number;
  #state = STATE_HEADER;
  /** The header being read: bytes so far, and how many it has in all once known (0: not yet). */
  readonly #header = Buffer.alloc(MAX_HEADER);
  #have = 0;
  #need = 0;
  /** Payload bytes left of the frame being read (OWN or PASS). */
  #left = 0;
  /** OWN: payload bytes of the frame already read, the key's offset. */
  #at = 0;
  readonly #key = Buffer.alloc(4);
  #keyed = false;
  /** A fragmented message has begun and not ended: its frames pass (ws joins them). */
  #fragmented = false;
  /** A close frame passed: so does everything after it. */
  #closed = false;

  constructor(sink: FrameReaderSink, options: FrameReaderOptions) {
    this.#sink = sink;
    this.#masked = options.masked;
    this.#maxPayload = options.maxPayload;
  }

  /** Between frames: the next byte read starts a frame header. */
  get atBoundary(): boolean {
    return this.#state === STATE_HEADER && this.#have === 0;
  }

  read(chunk: Buffer): void {
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      if (this.#closed) {
        this.#sink.pass(at === 0 ? chunk : chunk.subarray(at));
        return;
      }
      if (this.#state === STATE_HEADER) {
        at = this.#readHeader(chunk, at);
      } else if (this.#state === STATE_OWN) {
        const n = Math.min(this.#left, end - at);
        this.#sink.data(chunk.subarray(at, at + n), this.#keyed ? this.#key : undefined, this.#at);
        at += n;
        this.#at += n;
        this.#left -= n;
        if (this.#left === 0) this.#state = STATE_HEADER;
      } else {
        const n = Math.min(this.#left, end - at);
        this.#sink.pass(chunk.subarray(at, at + n));
        at += n;
        this.#left -= n;
        if (this.#left === 0) this.#state = STATE_HEADER;
      }
    }
  }

  /** Takes header bytes from `chunk` at `at`; once the header is whole, starts its frame. Returns the new position. */
  #readHeader(chunk: Buffer, at: number): number {
    const header = this.#header;
    while (at < chunk.length && (this.#need === 0 || this.#have < this.#need)) {
      header[this.#have++] = chunk[at++] as number;
      if (this.#have === 2) this.#need = headerLength(header[1] as number);
    }
    if (this.#need === 0 || this.#have < this.#need) return at;
    this.#startFrame();
    return at;
  }

  #startFrame(): void {
    const header = this.#header;
    const size = this.#need;
    this.#have = 0;
    this.#need = 0;
    const b0 = header[0] as number;
    const b1 = header[1] as number;
    const length = payloadLength(header, b1);
    const masked = (b1 & MASK_BIT) !== 0;
    if (b0 === OPCODE_BINARY_FIN && masked === this.#masked && length <= this.#maxPayload && !this.#fragmented) {
      this.#keyed = masked;
      if (masked) header.copy(this.#key, 0, size - 4, size);
      this.#left = length;
      this.#at = 0;
      this.#state = length === 0 ? STATE_HEADER : STATE_OWN;
      this.#sink.message(length);
      return;
    }
    const opcode = b0 & 0x0f;
    const fin = (b0 & FIN_BIT) !== 0;
    if (opcode === OPCODE_CLOSE) this.#closed = true;
    else if (opcode === OPCODE_TEXT || opcode === OPCODE_BINARY) this.#fragmented = !fin;
    else if (opcode === OPCODE_CONTINUATION && fin) this.#fragmented = false;
    this.#sink.pass(Buffer.from(header.subarray(0, size)));
    // A length past 2^53 cannot be counted down; ws' receiver refuses it anyway.
    this.#left = Number.isSafeInteger(length) ? length : Number.MAX_SAFE_INTEGER;
    this.#state = this.#left === 0 ? STATE_HEADER : STATE_PASS;
  }
}

/** A header's whole length from its second byte. */
function headerLength(b1: number): number {
  const code = b1 & 0x7f;
  const extended = code === 126 ? 2 : code === 127 ? 8 : 0;
  return 2 + extended + ((b1 & MASK_BIT) !== 0 ? 4 : 0);
}

/** The payload length a whole header gives (may exceed 2^53 for a hostile 64-bit length). */
function payloadLength(header: Buffer, b1: number): number {
  const code = b1 & 0x7f;
  if (code < 126) return code;
  if (code === 126) return header.readUInt16BE(2);
  return header.readUInt32BE(2) * 0x1_0000_0000 + header.readUInt32BE(6);
}
