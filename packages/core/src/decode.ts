// Incremental frame decoder, SPEC §3 (handshake bodies), §4 (header), §5 (frame types).
//
// A state loop (HEADER, BODY) over a queue of chunks, resuming where it stopped
// (after websockets/ws lib/receiver.js). `consume(n)` returns a view when the
// bytes lie in one chunk and copies only across chunk boundaries; headers and
// control bodies are parsed from such views and never kept.
//
// What outlives the read is copied out, so that the caller may read into one
// reused buffer (a carrier read with `onread`, @mpx/transport-tcp):
// - a chunk pushed as lent is read in place until release(), which copies its
//   unconsumed bytes (a frame cut by the end of the read) into the decoder's
//   own memory; each DATA payload in it is copied into memory at most
//   PIN_RATIO times its length (a buffer of exactly its length, or a slice of
//   Node's Buffer pool, see #payload);
// - a DATA payload of an unlent chunk is a view of it when the payload is at
//   least 1/PIN_RATIO of the chunk's memory, else copied: a small payload held
//   by a slow stream never pins a whole read;
// - with `splitPayloads`, a DATA payload that lies across two unlent chunks
//   (the end of one read and the start of the next) comes as two parts,
//   `payload` and `rest`, each a view under the same rule (the whole
//   payload's length against each chunk's memory), instead of one copy; a
//   part of 64 bytes or fewer is copied (read-blocks.ts ON_HEAP_MAX).
//
// Checks run in this order, the first failure wins (test/reference-decoder.ts
// follows the same order):
//   header, as soon as its 12 bytes are queued (before any body byte is needed):
//     1. type unknown                                   UNKNOWN_FRAME_TYPE
//     2. reserved header bytes ≠ 0                      PROTOCOL
//     3. flag bits the type does not define             PROTOCOL
//     4. length > maxFrame                              FRAME_TOO_LARGE
//     5. length wrong for the type                      PROTOCOL
//     6. stream id 0 where ≠ 0 is needed, or vice versa PROTOCOL
//     7. DATA with no payload and neither SYN nor FIN   PROTOCOL
//   body, once all of it is queued: fields in offset order, all PROTOCOL.
// Handshake order and version numbers are the session's concern (SPEC §3, §5).
import {
  ACK_BODY_SIZE,
  STAMPED_ACK_BODY_SIZE,
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
  MAX_U64_VALUE,
  MIN_MAX_FRAME,
  NONCE_SIZE,
  PING_BODY_SIZE,
  RESET_BODY_SIZE,
  SESSION_ID_SIZE,
  WELCOME_BODY_SIZE,
  WINDOW_BODY_SIZE,
  WelcomeFlags,
  WireCode,
} from './constants.js';
import { useOfHelloFlags } from './carrier-use.js';
import { MpxError, MpxProtocolError } from './errors.js';
import type { Frame } from './frame.js';
import { PIN_RATIO } from './pinning.js';
import { ON_HEAP_MAX } from './read-blocks.js';

const STATE_HEADER = 0;
const STATE_BODY = 1;

const TWO_32 = 2 ** 32;
/** Largest body of a frame other than DATA (CLOSE with a full reason). */
const MAX_CONTROL_BODY = CLOSE_PREFIX_SIZE + CLOSE_REASON_MAX;
const utf8 = new TextDecoder('utf-8', { fatal: true });
/**
 * Queued chunks above which the queue is joined into one buffer.
 *
 * Rationale: each queued chunk costs an object of about 100 bytes whatever
 * its size, so a peer trickling a 64 KiB frame in 1-byte pieces would make
 * it cost 6 MiB. Honest chunks are large (a frame spans a few); the join
 * copies at most one frame, once per this many chunks.
 */
const MAX_QUEUED_CHUNKS = 64;
const EMPTY: Uint8Array = Buffer.alloc(0);

export interface FrameDecoderOptions {
  /** Largest body length accepted (SPEC §4); a longer frame is FRAME_TOO_LARGE. */
  readonly maxFrame: number;
  /**
   * DATA frames get a `rest`: a payload that lies across the end of one
   * unlent chunk and the start of the next comes as two views (`payload`
   * then `rest`) instead of being copied into one. Rationale: a bulk read
   * (64 KiB) ends inside a 16 KiB frame nearly every time, so one payload in
   * four was copied for no reason but the read's end. Default false: every
   * payload is one array.
   */
  readonly splitPayloads?: boolean;
}

export class FrameDecoder {
  #maxFrame: number;
  readonly #split: boolean;
  /** The second part of the DATA payload #payload() just took (see splitPayloads), else undefined. */
  #rest: Uint8Array | undefined = undefined;
  /** The queue: #chunks[#head] is the oldest chunk not fully consumed. */
  readonly #chunks: Uint8Array[] = [];
  #head = 0;
  /** Read position in #chunks[#head]. */
  #offset = 0;
  /** Bytes in #chunks not yet consumed. */
  #queued = 0;
  /** A chunk pushed as lent may still be queued (see release()). */
  #lent = false;
  #state = STATE_HEADER;
  /** Set once next() has thrown; every later call throws it again. */
  #failure: { readonly error: unknown } | undefined;
  // The header of the frame in STATE_BODY.
  #type = 0;
  #flags = 0;
  #length = 0;
  #streamId = 0;
  /** Where the bytes #fields() took start in the array it returned. */
  #fieldsAt = 0;
  /** Holds a header or a control body that straddles chunks. */
  readonly #scratch = Buffer.allocUnsafeSlow(Math.max(MAX_CONTROL_BODY, HELLO_BODY_SIZE));

  constructor(options: FrameDecoderOptions) {
    this.#maxFrame = checkMaxFrame(options.maxFrame);
    this.#split = options.splitPayloads === true;
  }

  get maxFrame(): number {
    return this.#maxFrame;
  }

  /** Applies to headers read from now on; a frame whose header was already accepted is still read. */
  set maxFrame(n: number) {
    this.#maxFrame = checkMaxFrame(n);
  }

  /** Bytes pushed but not yet returned as frames (the header of a frame in progress included). */
  get bufferedBytes(): number {
    return this.#queued + (this.#state === STATE_BODY ? HEADER_SIZE : 0);
  }

  /**
   * Queues bytes; parsing happens in next(). Throws the decoder's error once it has failed.
   * `lent`: the caller reuses the chunk's memory after calling release(), and
   * must call it before it does (the decoder reads the chunk in place until then).
   */
  push(chunk: Uint8Array, lent = false): void {
    if (this.#failure !== undefined) throw this.#failure.error;
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    this.#lent ||= lent;
    if (this.#chunks.length - this.#head > MAX_QUEUED_CHUNKS) this.#join();
  }

  /**
   * Gives lent chunks back: the bytes of them not yet returned as frames are
   * copied into the decoder's own memory (at most one frame's worth, once per
   * read). A no-op when no lent chunk is queued.
   */
  release(): void {
    if (!this.#lent) return;
    if (this.#queued > 0) this.#join();
    this.#lent = false;
  }

  /** Whether `chunk` (as pushed) is still queued: the decoder may still read it or return views of it. */
  holds(chunk: Uint8Array): boolean {
    for (let i = this.#head; i < this.#chunks.length; i++) if (this.#chunks[i] === chunk) return true;
    return false;
  }

  /** Copies the unconsumed bytes of every queued chunk into one buffer (see MAX_QUEUED_CHUNKS). */
  #join(): void {
    const all = Buffer.allocUnsafeSlow(this.#queued);
    let at = 0;
    for (let i = this.#head; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i]!;
      const part = i === this.#head ? chunk.subarray(this.#offset) : chunk;
      all.set(part, at);
      at += part.length;
    }
    this.#chunks.length = 0;
    this.#chunks.push(all);
    this.#head = 0;
    this.#offset = 0;
  }

  /**
   * The next complete frame, or null until more bytes are pushed. Throws
   * MpxProtocolError on a violation; the decoder is then dead and every later
   * call throws the same error.
   */
  next(): Frame | null {
    if (this.#failure !== undefined) throw this.#failure.error;
    try {
      if (this.#state === STATE_HEADER) {
        if (this.#queued < HEADER_SIZE) return null;
        this.#readHeader();
        this.#state = STATE_BODY;
      }
      if (this.#queued < this.#length) return null;
      this.#state = STATE_HEADER;
      return this.#readBody();
    } catch (err) {
      // Only MpxProtocolError is expected here; anything else is a bug and is rethrown as is.
      this.#failure = { error: err };
      this.#chunks.length = 0;
      this.#head = 0;
      this.#queued = 0;
      this.#offset = 0;
      this.#lent = false;
      this.#state = STATE_HEADER;
      throw err;
    }
  }

  // SPEC §4, checks 1–7 of the header comment.
  #readHeader(): void {
    const b = this.#fields(HEADER_SIZE);
    const at = this.#fieldsAt;
    const type = b[at]!;
    const flags = b[at + 1]!;
    const length = u32(b, at + 4);
    const streamId = u32(b, at + 8);
    const rule = RULES[type];
    if (rule === undefined) {
      throw new MpxProtocolError(WireCode.UNKNOWN_FRAME_TYPE, `unknown frame type 0x${type.toString(16)}`);
    }
    if (b[at + 2] !== 0 || b[at + 3] !== 0) throw protocol(`${rule.name}: reserved header bits set`);
    if ((flags & ~rule.flags) !== 0) throw protocol(`${rule.name}: undefined flags 0x${flags.toString(16)}`);
    if (length > this.#maxFrame) {
      throw new MpxProtocolError(WireCode.FRAME_TOO_LARGE, `${rule.name}: length ${length} above max frame ${this.#maxFrame}`);
    }
    if (length < rule.min || length > rule.max || (rule.sizes !== undefined && !rule.sizes.includes(length))) {
      throw protocol(`${rule.name}: bad body length ${length}`);
    }
    if (rule.stream === 'nonzero' && streamId === 0) throw protocol(`${rule.name}: stream id 0`);
    if (rule.stream === 'zero' && streamId !== 0) throw protocol(`${rule.name}: stream id ${streamId}, must be 0`);
    if (type === FrameType.DATA && length === DATA_PREFIX_SIZE && (flags & (DataFlags.SYN | DataFlags.FIN)) === 0) {
      throw protocol('DATA: empty payload without SYN or FIN');
    }
    this.#type = type;
    this.#flags = flags;
    this.#length = length;
    this.#streamId = streamId;
  }

  // SPEC §3.1–§3.3, §5.1–§5.6: the body fields, in offset order.
  #readBody(): Frame {
    const type = this.#type;
    if (type === FrameType.DATA) {
      const offset = u64(this.#fields(DATA_PREFIX_SIZE), this.#fieldsAt, 'DATA offset');
      const n = this.#length - DATA_PREFIX_SIZE;
      if (offset + n > MAX_U64_VALUE) throw protocol('DATA: offset + length reaches 2^53');
      const payload = n === 0 ? EMPTY : this.#payload(n);
      const streamId = this.#streamId;
      const syn = (this.#flags & DataFlags.SYN) !== 0;
      const fin = (this.#flags & DataFlags.FIN) !== 0;
      // Literals, not a spread of one: one object per frame, and one shape per decoder (`rest` always there when splitting).
      if (this.#split) {
        const rest = this.#rest;
        this.#rest = undefined;
        return (this.#flags & DataFlags.TARGET) === 0
          ? { type: FrameType.DATA, streamId, offset, syn, fin, payload, rest }
          : { type: FrameType.DATA, streamId, offset, syn, fin, payload, target: true, rest };
      }
      return (this.#flags & DataFlags.TARGET) === 0
        ? { type: FrameType.DATA, streamId, offset, syn, fin, payload }
        : { type: FrameType.DATA, streamId, offset, syn, fin, payload, target: true };
    }
    const b = this.#consume(this.#length, this.#scratch);
    switch (type) {
      case FrameType.WINDOW:
        return { type, streamId: this.#streamId, maxOffset: u64(b, 0, 'WINDOW max offset') };
      case FrameType.RESET:
        return { type, streamId: this.#streamId, code: u32(b, 0), finalSize: u64(b, 4, 'RESET final size') };
      case FrameType.ACK:
        // SPEC §5.4: 8 bytes (version 1) or 16 with the stamp (version 2);
        // which one the carrier's version wants is the carrier's check.
        if (this.#length === ACK_BODY_SIZE) return { type, count: u64(b, 0, 'ACK count') };
        return { type, count: u64(b, 0, 'ACK count'), stamp: u64(b, 8, 'ACK stamp') };
      case FrameType.PING:
      case FrameType.PONG:
        return { type, opaque: (BigInt(u32(b, 0)) << 32n) | BigInt(u32(b, 4)) };
      case FrameType.CLOSE: {
        let reason: string;
        try {
          reason = utf8.decode(b.subarray(CLOSE_PREFIX_SIZE));
        } catch (err) {
          throw protocol('CLOSE: reason is not valid UTF-8', err);
        }
        return { type, session: (this.#flags & CloseFlags.SESSION) !== 0, code: u32(b, 0), reason };
      }
      case FrameType.CHALLENGE:
        checkMagic(b, 'CHALLENGE');
        if (b[6] !== 0 || b[7] !== 0) throw protocol('CHALLENGE: reserved bytes set');
        return { type, minVersion: b[4]!, maxVersion: b[5]!, nonce: copy(b, 8, NONCE_SIZE) };
      case FrameType.HELLO: {
        checkMagic(b, 'HELLO');
        const flags = b[5]!;
        const known = HelloFlags.RESUME | HelloFlags.BACKUP | HelloFlags.UP_ONLY | HelloFlags.DOWN_ONLY;
        if ((flags & ~known) !== 0) throw protocol(`HELLO: undefined flags 0x${flags.toString(16)}`);
        const weight = (b[6]! << 8) | b[7]!;
        if (weight === 0) throw protocol('HELLO: weight 0');
        const use = useOfHelloFlags(flags);
        return {
          type,
          version: b[4]!,
          resume: (flags & HelloFlags.RESUME) !== 0,
          weight,
          // Set only when not the default, so that a HELLO of old clients decodes as before.
          ...(use.role === 'backup' ? { backup: true } : {}),
          ...(use.direction === 'both' ? {} : { direction: use.direction }),
          sessionId: copy(b, 8, SESSION_ID_SIZE),
          nonce: copy(b, 24, NONCE_SIZE),
          streamWindow: u32(b, 40),
          sessionWindow: u32(b, 44),
          maxFrame: maxFrameField(b, 48, 'HELLO'),
          mac: copy(b, 52, MAC_SIZE),
        };
      }
      case FrameType.ROUTE:
        checkMagic(b, 'ROUTE');
        return { type, sessionId: copy(b, MAGIC.length, SESSION_ID_SIZE) };
      case FrameType.WELCOME: {
        const flags = b[0]!;
        if ((flags & ~WelcomeFlags.CREATED) !== 0) {
          throw protocol(`WELCOME: undefined flags 0x${flags.toString(16)}`);
        }
        if (b[1] !== 0 || b[2] !== 0 || b[3] !== 0) throw protocol('WELCOME: reserved bytes set');
        return {
          type,
          created: (flags & WelcomeFlags.CREATED) !== 0,
          streamWindow: u32(b, 4),
          sessionWindow: u32(b, 8),
          maxFrame: maxFrameField(b, 12, 'WELCOME'),
          mac: copy(b, 16, MAC_SIZE),
        };
      }
      default:
        throw protocol(`decoder state holds type 0x${type.toString(16)}`); // #readHeader admits only known types
    }
  }

  /**
   * Takes `n` bytes (n ≥ 1, n ≤ #queued, n ≤ scratch.length) off the queue to
   * read fields from, at #fieldsAt of the array returned: the head chunk
   * itself when they lie in it, else the scratch buffer they are copied into.
   * Rationale: a header and a DATA offset read through a view cost two
   * allocations per frame, for twenty bytes read at once.
   */
  #fields(n: number): Uint8Array {
    const first = this.#chunks[this.#head]!;
    if (first.length - this.#offset < n) {
      this.#fieldsAt = 0;
      return this.#copyInto(this.#scratch, n);
    }
    this.#fieldsAt = this.#offset;
    this.#queued -= n;
    this.#advance(first, n);
    return first;
  }

  /**
   * Takes `n` bytes (n ≥ 1, n ≤ #queued, n ≤ scratch.length) off the queue: a
   * view when they lie in the first chunk, else a copy into `scratch`.
   */
  #consume(n: number, scratch: Buffer): Uint8Array {
    const first = this.#chunks[this.#head]!;
    if (first.length - this.#offset < n) return this.#copyInto(scratch, n);
    return this.#view(first, n);
  }

  /** The next `n` bytes, which lie in `first` (the head chunk), as a view. */
  #view(first: Uint8Array, n: number): Uint8Array {
    this.#queued -= n;
    const view = first.subarray(this.#offset, this.#offset + n);
    this.#advance(first, n);
    return view;
  }

  /**
   * A DATA payload of `n` bytes (n ≥ 1, n ≤ #queued): a view, or a copy in
   * memory at most PIN_RATIO times its length: a slice of Node's shared
   * Buffer pool when the pool's slab is within that (2-4 KiB with the
   * default 8 KiB pool: an HTTP answer, a page of a database reply), else a
   * buffer of exactly its length. Rationale: a buffer of its own costs an
   * ArrayBuffer and its backing store per payload, ~4% of the CPU of a
   * client relaying 2 KiB answers; a pool slice costs an ArrayBuffer per
   * pool (8 KiB) and pins no more than a view may.
   */
  #payload(n: number): Uint8Array {
    const first = this.#chunks[this.#head]!;
    const inFirst = first.length - this.#offset;
    if (this.#lent) return this.#copy(n);
    if (inFirst >= n) return first.buffer.byteLength <= PIN_RATIO * n ? this.#view(first, n) : this.#copy(n);
    const second = this.#chunks[this.#head + 1]!;
    if (!this.#split || second.length < n - inFirst) return this.#copy(n);
    // Across two chunks (splitPayloads): each part by #part().
    const head = this.#part(first, inFirst, n);
    this.#rest = this.#part(second, n - inFirst, n);
    return head;
  }

  /**
   * The next `len` bytes, all in `chunk`, as one part of a split payload of
   * `whole` bytes: a view when the chunk's memory is within PIN_RATIO times
   * the whole payload (so a 16 KiB payload across two 64 KiB reads is two
   * views), else a copy of that part alone. A part that stays in a reorder
   * buffer is checked again on its own (reorder-buffer.ts), so a slow stream
   * still never holds a read for a small part of it. A part of ON_HEAP_MAX
   * bytes or fewer is copied: a few bytes cost less to copy than to hold a
   * read for, and at the start of a read of readBlocks such a view could not
   * be given back (read-blocks.ts), so its block would be lost to the pool.
   * That is the common case in bulk: a 64 KiB payload and its 20-byte prefix
   * are one read and 20 bytes.
   */
  #part(chunk: Uint8Array, len: number, whole: number): Uint8Array {
    return len > ON_HEAP_MAX && chunk.buffer.byteLength <= PIN_RATIO * whole ? this.#view(chunk, len) : this.#copy(len);
  }

  /** The next `n` bytes copied into memory of their own (see #payload). */
  #copy(n: number): Uint8Array {
    return this.#copyInto(Buffer.poolSize <= PIN_RATIO * n ? Buffer.allocUnsafe(n) : Buffer.allocUnsafeSlow(n), n);
  }

  /** Moves the next `n` bytes of the queue into `dst`; returns the `n` bytes of it written. */
  #copyInto(dst: Buffer, n: number): Uint8Array {
    this.#queued -= n;
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#head]!;
      const take = Math.min(chunk.length - this.#offset, n - filled);
      dst.set(take === chunk.length ? chunk : chunk.subarray(this.#offset, this.#offset + take), filled);
      filled += take;
      this.#advance(chunk, take);
    }
    return n === dst.length ? dst : dst.subarray(0, n);
  }

  /** Moves the read position; drops a chunk once it is used up (O(1), compacting the array now and then). */
  #advance(chunk: Uint8Array, n: number): void {
    this.#offset += n;
    if (this.#offset < chunk.length) return;
    this.#offset = 0;
    this.#chunks[this.#head++] = EMPTY; // release the chunk's memory
    if (this.#head === this.#chunks.length) {
      // Rationale: most reads are one chunk; pop() is ~10 times cheaper than setting `length` (a call into V8's runtime).
      if (this.#head === 1) this.#chunks.pop();
      else this.#chunks.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

/** Decodes a whole byte string; a trailing partial frame is PROTOCOL. For tests and tools. */
export function decodeAll(bytes: Uint8Array, maxFrame: number): Frame[] {
  const decoder = new FrameDecoder({ maxFrame });
  decoder.push(bytes);
  const frames: Frame[] = [];
  for (let frame = decoder.next(); frame !== null; frame = decoder.next()) frames.push(frame);
  if (decoder.bufferedBytes > 0) {
    throw protocol(`truncated frame: ${decoder.bufferedBytes} bytes left over`);
  }
  return frames;
}

interface Rule {
  readonly name: string;
  /** Flag bits the type defines. */
  readonly flags: number;
  /** Bounds of the body length. */
  readonly min: number;
  readonly max: number;
  /** The only lengths allowed within the bounds, where not every one is. */
  readonly sizes?: readonly number[];
  readonly stream: 'nonzero' | 'zero' | 'any';
}

/** SPEC §5, the table of frame types. */
const RULES: ReadonlyArray<Rule | undefined> = (() => {
  const rules: Array<Rule | undefined> = [];
  const fixed = (name: string, size: number, stream: Rule['stream']): Rule => ({
    name,
    flags: 0,
    min: size,
    max: size,
    stream,
  });
  rules[FrameType.DATA] = {
    name: 'DATA',
    flags: DataFlags.SYN | DataFlags.FIN | DataFlags.TARGET,
    min: DATA_PREFIX_SIZE,
    max: Infinity,
    stream: 'nonzero',
  };
  rules[FrameType.WINDOW] = fixed('WINDOW', WINDOW_BODY_SIZE, 'any');
  rules[FrameType.RESET] = fixed('RESET', RESET_BODY_SIZE, 'nonzero');
  // SPEC §5.4: 8 bytes, or 16 with the stamp of version 2.
  rules[FrameType.ACK] = { ...fixed('ACK', ACK_BODY_SIZE, 'zero'), max: STAMPED_ACK_BODY_SIZE, sizes: [ACK_BODY_SIZE, STAMPED_ACK_BODY_SIZE] };
  rules[FrameType.PING] = fixed('PING', PING_BODY_SIZE, 'zero');
  rules[FrameType.PONG] = fixed('PONG', PING_BODY_SIZE, 'zero');
  rules[FrameType.CLOSE] = {
    name: 'CLOSE',
    flags: CloseFlags.SESSION,
    min: CLOSE_PREFIX_SIZE,
    max: MAX_CONTROL_BODY,
    stream: 'zero',
  };
  rules[FrameType.CHALLENGE] = fixed('CHALLENGE', CHALLENGE_BODY_SIZE, 'zero');
  rules[FrameType.HELLO] = fixed('HELLO', HELLO_BODY_SIZE, 'zero');
  rules[FrameType.WELCOME] = fixed('WELCOME', WELCOME_BODY_SIZE, 'zero');
  rules[FrameType.ROUTE] = fixed('ROUTE', ROUTE_BODY_SIZE, 'zero');
  return rules;
})();

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** SPEC §2: a u64 offset or count must be below 2^53. */
function u64(b: Uint8Array, at: number, what: string): number {
  const hi = u32(b, at);
  if (hi > 0x1fffff) throw protocol(`${what} is 2^53 or more`);
  return hi * TWO_32 + u32(b, at + 4);
}

function maxFrameField(b: Uint8Array, at: number, what: string): number {
  const v = u32(b, at);
  if (v < MIN_MAX_FRAME || v > MAX_MAX_FRAME) throw protocol(`${what}: max frame ${v} out of range`);
  return v;
}

function checkMagic(b: Uint8Array, what: string): void {
  for (let i = 0; i < MAGIC.length; i++) {
    if (b[i] !== MAGIC[i]) throw protocol(`${what}: bad magic`);
  }
}

function copy(b: Uint8Array, at: number, size: number): Uint8Array {
  return new Uint8Array(b.subarray(at, at + size));
}

function protocol(message: string, cause?: unknown): MpxProtocolError {
  return new MpxProtocolError(WireCode.PROTOCOL, message, cause === undefined ? undefined : { cause });
}

function checkMaxFrame(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `maxFrame must be a u32: ${n}`);
  }
  return n;
}
