// The carrier reads its WebSocket's socket itself once a session borrows its
// reads (LEND_READS), instead of taking whole messages from ws.
//
// Why: ws' receiver joins the socket reads of a message into one buffer
// before it emits it (a copy of every byte received), unmasks that buffer
// in place on the server side (a second pass), and the carrier then copied
// the message into reused blocks for the session (a third). Here the payload
// of a binary frame goes from the socket's read straight into a block of
// @mpx/core's readBlocks, unmasked in the same pass: one copy. Every other
// frame (ping, pong, close, text, fragments, anything that breaks a rule)
// still goes to ws' receiver, byte for byte (frame-reader.ts), so ws keeps
// the control frames, the close handshake and its error codes.
//
// ws reads its socket with one 'data' listener that writes to its receiver.
// The carrier swaps it for its own only when the receiver is between frames
// with nothing buffered (the usual case: a session borrows the reads right
// after its handshake); otherwise it tries again after each message ws gives
// it. A WebSocket whose internals are not those of ws 8 is left to ws.
//
// Reads: the socket is switched to Node's `onread` (@mpx/transport-tcp
// readAcceptedWith), as TCP carriers are read: a read goes into the
// process's shared read buffer, or, from a read that filled its buffer
// until two reads in a row do not, into a block of readBlocks. A bulk read
// in a block is kept where it lies: each payload is unmasked in place and
// moved down over the frame header before it, and the payload of the read
// goes to the session as one view of the block, no copy. Whatever outlives
// a read in the shared buffer is copied (a small payload, a frame passed to
// ws). A TLS socket (wss://) is read the same way; its reads are TLS records
// (at most 16 KiB), so they never fill the buffer and their payload is
// copied into blocks, but no new buffer is made per record. Reading with
// 'data' instead cost ~14 % more CPU per GB each way over ws:// (a new
// 64 KiB buffer per read, and a copy of it), and 9–15 % over wss://. A
// socket with bytes on its readable side keeps 'data'.
//
// Blocks: the payload bytes the carrier copies fill blocks, handed to the
// session in order at the end of each read; a small piece with no block
// begun (see SMALL_PIECE) is given as it lies in the read (copied out of the
// shared buffer). Once a read of
// GATHER_FROM_BYTES or more comes, the blocks of the turn are handed
// together at its end instead, as a dialled TLS carrier gathers its records
// (@mpx/transport-tcp gathered-reads.ts): what they deliver to a stream then
// leaves in one write, where a write per 64 KiB read tripled the receiving
// application's writes against a whole message given at once, and over TLS
// each read is one record (16 KiB). A lone smaller read (a request, an
// answer) is handed at once. Whatever is gathered is handed before anything
// that follows it: a frame passed to ws, the end of the stream, 'end',
// 'close'.
import { Writable } from 'node:stream';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { GATHER_FROM_BYTES, readBlocks } from '@mpx/core';
import { LentReadBuffers, readAcceptedWith } from '@mpx/transport-tcp';
import { FrameReader, type FrameReaderSink } from './frame-reader.js';
import { keyFrom, OPCODE_CLOSE, type MaskFunction } from './frames.js';

/**
 * Payload bytes of a read below this, with no block being filled, are given
 * as they lie in the read instead of copied into a block. Rationale: a
 * small message (a request, an answer) would otherwise take a 64 KiB block
 * for a few bytes; the session copies a payload that small out of its read
 * anyway (@mpx/core pinning.ts), and readBlocks cannot take back a block
 * given with 64 bytes or fewer at its start (read-blocks.ts).
 */
const SMALL_PIECE = readBlocks.blockSize / 4;

/** How the read being parsed may be used (see the top). */
const enum ReadKind {
  /** A 'data' chunk: the carrier's to keep. */
  Kept,
  /** The process's shared read buffer: overwritten by the next read, so whatever outlives this one is copied. */
  Lent,
  /** A block of readBlocks the read went into: its payload stays where it lies. */
  Block,
}

const EMPTY = Buffer.alloc(0);

/** ws 8's receiver state between frames (GET_INFO in lib/receiver.js). */
const RECEIVER_GET_INFO = 0;

/** What is read of ws 8's receiver, to know it is between frames. */
interface ReceiverInternals {
  readonly _state: number;
  readonly _bufferedBytes: number;
  readonly _fragmented: number;
  readonly _opcode: number;
  readonly _errored: boolean;
  readonly _maxPayload: number;
}

interface WebSocketInternals {
  readonly _socket: Socket;
  readonly _receiver: unknown;
  readonly _isServer: boolean;
}

export interface OwnReadsHandlers {
  /** A binary message of `size` bytes begins (the end-of-stream marker is size 0). */
  message(size: number): void;
  /** Payload bytes for the session to keep: a block of readBlocks, or a small piece of the socket's read. */
  give(chunk: Uint8Array): void;
}

/**
 * Takes the reads of `ws`' socket from ws' receiver, if it is between frames
 * now; undefined if not (try again later) or if `ws` is not ws 8's.
 */
export function takeReads(ws: WebSocket, mask: MaskFunction, handlers: OwnReadsHandlers): OwnReads | undefined {
  const internals = ws as unknown as WebSocketInternals;
  const { _socket: socket, _receiver: receiver } = internals;
  if (!(receiver instanceof Writable) || receiver.destroyed || !betweenFrames(receiver as unknown as ReceiverInternals)) {
    return undefined;
  }
  const listeners = socket.listeners('data');
  if (listeners.length !== 1) return undefined;
  const maxPayload = (receiver as unknown as ReceiverInternals)._maxPayload;
  return new OwnReads(socket, receiver, listeners[0] as (chunk: Buffer) => void, {
    masked: internals._isServer,
    maxPayload: maxPayload > 0 ? maxPayload : Number.MAX_SAFE_INTEGER,
    mask,
    handlers,
  });
}

function betweenFrames(r: ReceiverInternals): boolean {
  return r._state === RECEIVER_GET_INFO && r._bufferedBytes === 0 && r._fragmented === 0 && r._opcode !== OPCODE_CLOSE && !r._errored;
}

interface OwnReadsOptions {
  readonly masked: boolean;
  readonly maxPayload: number;
  readonly mask: MaskFunction;
  readonly handlers: OwnReadsHandlers;
}

export class OwnReads implements FrameReaderSink {
  readonly #socket: Socket;
  readonly #receiver: Writable;
  readonly #mask: MaskFunction;
  readonly #handlers: OwnReadsHandlers;
  readonly #frames: FrameReader;
  /** The block being filled, and how far. */
  #block: Buffer | undefined;
  #filled = 0;
  /** Blocks filled and not handed on yet (this read's, or this turn's while gathering). */
  readonly #ready: Buffer[] = [];
  /** A read of GATHER_FROM_BYTES or more came this turn: its blocks are handed at its end. */
  #gathering = false;
  #stopped = false;
  /** The read being parsed, and how it may be used. */
  #read: Buffer = EMPTY;
  #readKind = ReadKind.Kept;
  /** ReadKind.Block: the payload moved together at the read's start so far (offsets in it), and whether more may join it. */
  #regionStart = -1;
  #regionEnd = -1;
  #regionOpen = false;
  /** onread: where the reads go (the shared read buffer, or after a full read a block kept with the payload in it). */
  readonly #buffers = new LentReadBuffers();
  /** The socket's reads come through `onread` (no 'data' events). */
  readonly #lent: boolean;

  constructor(socket: Socket, receiver: Writable, wsOnData: (chunk: Buffer) => void, options: OwnReadsOptions) {
    this.#socket = socket;
    this.#receiver = receiver;
    this.#mask = options.mask;
    this.#handlers = options.handlers;
    this.#frames = new FrameReader(this, { masked: options.masked, maxPayload: options.maxPayload });
    socket.removeListener('data', wsOnData);
    this.#lent = socket.readableLength === 0 && readAcceptedWith(socket, { buffer: this.#buffers.next, callback: this.#onLent });
    if (!this.#lent) socket.on('data', this.#onData);
    // Before ws' own listeners: what is gathered, and what the socket still buffers, is read first.
    socket.prependListener('end', this.#handOn);
    socket.prependListener('close', this.#onClose);
  }

  /** Reads nothing more (the carrier is destroyed). */
  stop(): void {
    this.#stopped = true;
    this.#socket.removeListener('data', this.#onData);
    this.#socket.removeListener('end', this.#handOn);
    this.#socket.removeListener('close', this.#onClose);
    this.#handOn();
  }

  /** onread: `n` bytes were read into `buffer`. Never stops the socket (a session never pushes back). */
  #onLent = (n: number, buffer: Uint8Array): boolean => {
    const kept = this.#buffers.read(n, buffer);
    if (this.#stopped) return true;
    const chunk = (buffer as Buffer).subarray(0, n);
    if (!kept) {
      this.#parse(chunk, ReadKind.Lent);
      return true;
    }
    this.#parse(chunk, ReadKind.Block);
    // No payload of the read was handed on as a view (#closeRegion): the block is free again at once.
    if (this.#regionStart < 0) readBlocks.readDone(buffer);
    return true;
  };

  #onData = (chunk: Buffer): void => {
    if (this.#stopped) return;
    this.#parse(chunk, ReadKind.Kept);
  };

  /** Reads one socket read's frames, then hands on what they gave unless the turn is gathered. */
  #parse(chunk: Buffer, kind: ReadKind): void {
    this.#read = chunk;
    this.#readKind = kind;
    this.#regionStart = this.#regionEnd = -1;
    this.#regionOpen = kind === ReadKind.Block;
    this.#frames.read(chunk);
    this.#closeRegion();
    this.#read = EMPTY;
    if ((this.#block === undefined && this.#ready.length === 0) || this.#stopped) return;
    if (chunk.length >= GATHER_FROM_BYTES && !this.#gathering) {
      this.#gathering = true;
      setImmediate(this.#endOfTurn);
    }
    if (!this.#gathering) this.#handOn();
  }

  #endOfTurn = (): void => {
    this.#gathering = false;
    this.#handOn();
  };

  #onClose = (): void => {
    // ws writes what a paused socket still buffers to its receiver on 'close': it is ours to read.
    let chunk: Buffer | null;
    while (!this.#lent && !this.#stopped && (chunk = this.#socket.read() as Buffer | null) !== null) this.#onData(chunk);
    this.#handOn();
  };

  /** ReadKind.Block: the payload moved together so far goes in line to be handed on; later payload of the read is copied. */
  #closeRegion(): void {
    if (!this.#regionOpen) return;
    this.#regionOpen = false;
    if (this.#regionStart < 0) return;
    this.#ready.push(this.#read.subarray(this.#regionStart, this.#regionEnd));
  }

  /** Hands the blocks filled so far to the session, in order. */
  #handOn = (): void => {
    this.#closeRegion();
    const block = this.#block;
    if (block !== undefined) {
      this.#block = undefined;
      this.#ready.push(block.subarray(0, this.#filled));
    }
    if (this.#ready.length === 0) return;
    const ready = this.#ready.splice(0);
    // Stopped: the blocks are left to the collector (read-blocks.ts), never reused under a view.
    if (!this.#stopped) for (const view of ready) this.#handlers.give(view);
  };

  message(size: number): void {
    // The end of the stream comes after every byte before it.
    if (size === 0) this.#handOn();
    this.#handlers.message(size);
  }

  data(bytes: Buffer, key: Buffer | undefined, keyAt: number): void {
    if (this.#regionOpen) {
      this.#inPlace(bytes, key, keyAt);
      return;
    }
    if (this.#block === undefined && this.#ready.length === 0 && bytes.length < SMALL_PIECE) {
      if (this.#readKind === ReadKind.Kept) {
        // Unmasked in place: the socket's read is the carrier's to keep.
        if (key !== undefined) this.#mask(bytes, keyFrom(key, keyAt), bytes, 0, bytes.length);
        this.#handlers.give(bytes);
      } else {
        const copy = Buffer.allocUnsafe(bytes.length);
        if (key === undefined) bytes.copy(copy);
        else this.#mask(bytes, keyFrom(key, keyAt), copy, 0, bytes.length);
        this.#handlers.give(copy);
      }
      return;
    }
    this.#copy(bytes, key, keyAt);
  }

  /** ReadKind.Block: unmasks `bytes` where they lie and moves them down to follow the payload before them in the read. */
  #inPlace(bytes: Buffer, key: Buffer | undefined, keyAt: number): void {
    if (key !== undefined) this.#mask(bytes, keyFrom(key, keyAt), bytes, 0, bytes.length);
    const read = this.#read;
    const at = bytes.byteOffset - read.byteOffset;
    if (this.#regionStart < 0) {
      // A block being filled from earlier reads goes first.
      if (this.#block !== undefined) {
        this.#ready.push(this.#block.subarray(0, this.#filled));
        this.#block = undefined;
      }
      this.#regionStart = at;
      this.#regionEnd = at;
    }
    if (at !== this.#regionEnd) read.copyWithin(this.#regionEnd, at, at + bytes.length);
    this.#regionEnd += bytes.length;
  }

  /** Copies payload bytes (unmasking them) into blocks. */
  #copy(bytes: Buffer, key: Buffer | undefined, keyAt: number): void {
    let from = 0;
    while (from < bytes.length) {
      let block = this.#block;
      if (block === undefined) {
        block = this.#block = readBlocks.take() as Buffer;
        this.#filled = 0;
      }
      const n = Math.min(bytes.length - from, block.length - this.#filled);
      const part = bytes.subarray(from, from + n);
      if (key === undefined) block.set(part, this.#filled);
      else this.#mask(part, keyFrom(key, keyAt + from), block, this.#filled, n);
      this.#filled += n;
      from += n;
      if (this.#filled === block.length) {
        this.#ready.push(block);
        this.#block = undefined;
      }
    }
  }

  pass(bytes: Buffer): void {
    this.#handOn();
    const receiver = this.#receiver;
    if (receiver.destroyed) return;
    // ws' receiver may keep the bytes: a lent read's or a block's are copied.
    const own = this.#readKind === ReadKind.Kept ? bytes : Buffer.from(bytes);
    // As ws' own listener does: a receiver that has more than it can take stops the socket until it drains.
    if (!receiver.write(own)) this.#socket.pause();
  }
}
