// A Node Duplex over an open `ws` WebSocket: one mpx carrier (SPEC §1). The
// byte stream travels in binary messages whose boundaries mean nothing; frames
// (SPEC §4) may straddle messages and a message may hold many frames.
//
// Writes: `_writev` packs everything queued while the previous send was in
// flight into messages of at most `maxMessageSize` bytes (see batch.ts),
// writes them as binary frames straight to the WebSocket's socket in one
// writev (frames.ts: no copy from the server side, one masked copy from the
// client side, into a reused block: masked-blocks.ts), and calls back once
// the socket has taken the last of them.
// A slow peer therefore holds the write callback, the writable
// buffer fills past `writableHighWaterMark`, `write()` returns false and
// 'drain' follows: the same contract as a TCP socket. No timer
// ever polls `bufferedAmount`.
//
// Reads: each message's bytes are pushed as they come; when `push()` returns
// false the WebSocket is paused (which stops reading its TCP socket) and
// `_read()` resumes it. An mpx session borrows them instead (LEND_READS):
// the carrier then reads the WebSocket's socket itself and gives the
// payloads of binary frames to the session in reused blocks, leaving every
// other frame to ws (own-reads.ts).
//
// Half-close: a WebSocket has none, so the carrier adds it in band. An EMPTY
// binary message means "end of my byte stream" (EOF); packMessages never
// produces an empty message, so the marker is unambiguous. `end()` sends EOF
// after every queued write went out; the peer's Duplex gets 'end' and can
// still write back, exactly like a half-closed TCP socket. Once a side has
// both sent and received EOF it closes the WebSocket with 1000, and both
// Duplexes emit 'close'. Data after EOF is a protocol error.
//
// A protocol violation (a text message, data after EOF) or any destroy with
// an error closes at once: the close frame with its code goes out and the TCP
// connection is cut in the same turn. ws's close() alone would keep the
// connection up to 30 s for a close frame the peer may never send, which a
// stranger could use to hold descriptors without knowing the key.
//
// A WebSocket that closes with 1000, 1001 (listener.closeAll()) or 1005 ends
// the readable side too, and the writable side finishes: writes still queued
// then fail with MPX_ERR_CARRIER_CLOSED. One that closes without a close frame
// (1006: the peer terminated, or a proxy between cut the connection) before
// the peer's EOF failed: the byte stream is cut short, and the carrier says
// so (WebSocketClosedError, closed-error.ts). So does any other close code.
// The close code is the cause, whatever failed first: a write that fails
// while the WebSocket is closing waits for ws' 'close' (it comes once the
// socket has closed) and fails with the close code, not with "closing" or
// EPIPE. Close codes: see close-codes.ts.
import { Duplex, Writable } from 'node:stream';
import WebSocket from 'ws';
import { LEND_READS, MpxError, readBlocks } from '@mpx/core';
import type { Socket } from 'node:net';
import { packMessages } from './batch.js';
import { maskedFrame, maskedFrameSize, unmaskedHeader } from './frames.js';
import type { MaskFunction } from './frames.js';
import { maskFunction } from './masking.js';
import { giveBackMaskedBlock, takeMaskedBlock } from './masked-blocks.js';
import { takeReads, type OwnReads } from './own-reads.js';
import { CloseCode, closeCodeFor, closeReasonFor, isCleanClose } from './close-codes.js';
import { WebSocketClosedError } from './closed-error.js';
import { DEFAULT_MAX_MESSAGE_SIZE } from './message-size.js';

/** Rationale: a few 64 KiB frames (SPEC §12) per send, without buffering much per carrier. */
export const DEFAULT_HIGH_WATER_MARK = 256 * 1024;

export interface WebSocketDuplexOptions {
  /** Largest message sent; must not exceed the peer's `maxPayload`. Default 1 MiB. */
  maxMessageSize?: number;
  /** Default 256 KiB. */
  writableHighWaterMark?: number;
  /** Default 256 KiB. */
  readableHighWaterMark?: number;
}

type WriteChunk = { chunk: Buffer; encoding: BufferEncoding };

/**
 * What the carrier reads of an open ws WebSocket beyond its public API (ws
 * 8.x sets both when the connection opens): the socket its frames go to and
 * which side it is.
 */
interface WsInternals {
  readonly _socket: Socket;
  readonly _isServer: boolean;
}

let processMaskFunction: MaskFunction | undefined;
/** The mask function, looked up once per process. */
function processMask(): MaskFunction {
  processMaskFunction ??= maskFunction();
  return processMaskFunction;
}

export class WebSocketDuplex extends Duplex {
  /** The underlying WebSocket. Use it to read state, not to send or close. */
  readonly ws: WebSocket;
  /**
   * The close code the WebSocket ended with, once it has closed. After a
   * graceful end the Duplex may emit 'close' just before the close handshake
   * finishes; `ws` emits its own 'close' then.
   */
  closeCode: number | undefined;
  /** The close reason received with `closeCode`. */
  closeReason = '';
  readonly #maxMessageSize: number;
  /** The WebSocket's connection, which data frames are written to (frames.ts). */
  readonly #socket: Socket;
  /** How this side masks its frames: the client side must (RFC 6455 §5.3), the server side must not. */
  readonly #mask: MaskFunction | undefined;
  #eofSent = false;
  #eofReceived = false;
  /** Who takes the messages instead of the readable side (LEND_READS). */
  #reader: ((chunk: Uint8Array, kept?: boolean) => void) | undefined;
  /** The socket's reads, once the carrier has taken them from ws (own-reads.ts). */
  #ownReads: OwnReads | undefined;
  #retryQueued = false;
  /** This side began the close handshake (listener.closeAll()'s goAway(), or both EOFs). */
  #closeStarted = false;

  constructor(ws: WebSocket, options: WebSocketDuplexOptions = {}) {
    const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    if (!Number.isInteger(maxMessageSize) || maxMessageSize < 1) {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `invalid maxMessageSize: ${String(maxMessageSize)}`);
    }
    if (ws.readyState !== WebSocket.OPEN) {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', 'the WebSocket must be open');
    }
    const internals = ws as unknown as WsInternals;
    if (!(internals._socket instanceof Writable) || typeof internals._isServer !== 'boolean') {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', 'not an open WebSocket of ws 8 (no socket to write frames to)');
    }
    super({
      // Half-close is carried in band (EOF message), see above.
      allowHalfOpen: true,
      writableHighWaterMark: options.writableHighWaterMark ?? DEFAULT_HIGH_WATER_MARK,
      readableHighWaterMark: options.readableHighWaterMark ?? DEFAULT_HIGH_WATER_MARK,
    });
    this.ws = ws;
    this.#maxMessageSize = maxMessageSize;
    this.#socket = internals._socket;
    this.#mask = internals._isServer ? undefined : processMask();
    ws.binaryType = 'nodebuffer';
    ws.on('message', this.#onMessage);
    ws.on('close', this.#onClose);
    // Stays attached for the WebSocket's whole life: a late error must not crash the process.
    ws.on('error', this.#onError);
  }

  #onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (this.destroyed) return;
    if (!isBinary) {
      closeNow(this.ws, CloseCode.UNSUPPORTED_DATA, 'MPX_ERR_PROTOCOL');
      this.destroy(new MpxError('MPX_ERR_PROTOCOL', 'text message on an mpx WebSocket carrier (binary only)'));
      return;
    }
    const bytes = toBuffer(data);
    if (!this.#messageBegins(bytes.length)) return;
    if (this.#reader !== undefined) {
      giveMessage(bytes, this.#reader);
      this.#takeReads();
    } else if (!this.push(bytes)) {
      this.ws.pause();
    }
  };

  /** A binary message of `size` bytes has come: false if it was the end-of-stream marker or broke the rule after it. */
  #messageBegins = (size: number): boolean => {
    if (this.#eofReceived) {
      this.destroy(new MpxError('MPX_ERR_PROTOCOL', 'message after end of stream on an mpx WebSocket carrier'));
      return false;
    }
    if (size > 0) return true;
    this.#eofReceived = true;
    this.push(null);
    if (this.#eofSent) this.#close(CloseCode.NORMAL);
    return false;
  };

  /** Begins the close handshake with `code`. */
  #close(code: number, reason?: string): void {
    this.#closeStarted = true;
    this.ws.close(code, reason);
  }

  /**
   * Closes the WebSocket with 1001 (going away), as listener.closeAll()
   * does: the peer's readable side ends, writes still queued fail.
   */
  goAway(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.#close(CloseCode.GOING_AWAY, 'MPX_ERR_GOING_AWAY');
  }

  /**
   * Reads the socket from here on instead of ws' receiver, once it is
   * between frames (own-reads.ts). While ws emits a message its receiver is
   * still inside the frame: then once more when the socket's read is done.
   */
  #takeReads(): void {
    if (this.#tryTakeReads() || this.#retryQueued) return;
    this.#retryQueued = true;
    queueMicrotask(() => {
      this.#retryQueued = false;
      this.#tryTakeReads();
    });
  }

  /** Whether the carrier reads the socket itself now. */
  #tryTakeReads(): boolean {
    if (this.#ownReads !== undefined) return true;
    if (this.destroyed || this.ws.readyState !== WebSocket.OPEN) return false;
    this.#ownReads = takeReads(this.ws, processMask(), {
      message: (size) => void this.#messageBegins(size),
      give: (chunk) => this.#reader?.(chunk, true),
    });
    return this.#ownReads !== undefined;
  }

  /**
   * LEND_READS (@mpx/core transport.ts): the session takes every later
   * message's bytes here instead of from the readable side, and never
   * pushes back. From the first moment ws' receiver is between frames, the
   * carrier reads the socket itself and gives the payloads in blocks of
   * `readBlocks` (own-reads.ts). Until then, a message ws gives of a block
   * or more is copied into such blocks, so that its DATA payloads are views
   * of reused memory (the decoder would otherwise copy each payload out of
   * it into an allocation of its own, as it does not let a 16 KiB view pin
   * a message of up to 1 MiB); a smaller message is given as it is.
   */
  [LEND_READS](onChunk: (chunk: Uint8Array, kept?: boolean) => void): void {
    this.#reader = onChunk;
    this.#takeReads();
  }

  #onClose = (code: number, reason: Buffer): void => {
    this.closeCode = code;
    this.closeReason = reason.toString();
    if (this.destroyed) return;
    // 1006 after the peer's EOF, or once this side began closing: the byte stream was complete or being ended anyway,
    // only the close handshake was skipped.
    const cutShort = code === CloseCode.ABNORMAL && !this.#eofReceived && !this.#closeStarted;
    if (isCleanClose(code) && !cutShort) {
      // Nothing more can be sent or received: end both sides (queued writes fail).
      this.push(null);
      if (!this.writableEnded) this.end();
    } else {
      this.destroy(this.#closedError());
    }
  };

  /** The error of a carrier whose WebSocket has closed: its close code, and `cause`, what failed before ws said why. */
  #closedError(cause?: Error): MpxError {
    const code = this.closeCode ?? CloseCode.ABNORMAL;
    if (this.#closeStarted) {
      return new MpxError('MPX_ERR_CARRIER_CLOSED', `the WebSocket was closed by this side with ${code}`, cause === undefined ? {} : { cause });
    }
    return new WebSocketClosedError(code, this.closeReason, cause === undefined ? {} : { cause });
  }

  /**
   * Fails a write (or the EOF) because the WebSocket is closing or closed:
   * with its close code once ws knows it (see the top), else at once.
   */
  #failWrite(callback: (error?: Error | null) => void, cause?: Error): void {
    if (this.ws.readyState === WebSocket.CLOSED || this.destroyed) {
      callback(this.#closedError(cause));
      return;
    }
    this.ws.once('close', () => callback(this.#closedError(cause)));
  }

  #onError = (err: Error): void => {
    // ws emits 'error' (e.g. WS_ERR_UNSUPPORTED_MESSAGE_LENGTH) and then closes
    // the WebSocket itself with the matching code (1009, 1002, ...).
    if (!this.destroyed) this.destroy(err);
  };

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk, encoding }], callback);
  }

  override _writev(chunks: WriteChunk[], callback: (error?: Error | null) => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      this.#failWrite(callback);
      return;
    }
    const mask = this.#mask;
    const messages = packMessages(
      chunks.map((c) => c.chunk),
      this.#maxMessageSize,
    );
    if (messages.length === 0) {
      callback();
      return;
    }
    // One writev for the whole batch; the socket calls back in order, so the
    // last write's callback means every frame went to the socket. A write
    // that fails fails with the WebSocket's close code (see the top).
    const socket = this.#socket;
    const written = (err?: Error | null): void => {
      if (err === undefined || err === null) callback();
      else this.#failWrite(callback, err);
    };
    socket.cork();
    if (mask === undefined) {
      messages.forEach(({ parts, size }, i) => {
        socket.write(unmaskedHeader(size));
        parts.forEach((part, j) => socket.write(part, i === messages.length - 1 && j === parts.length - 1 ? written : undefined));
      });
    } else {
      // Masked into reused blocks (masked-blocks.ts), given back once the socket took them; after a failed write they are left to the collector.
      const blocks: Buffer[] = [];
      const done = (err?: Error | null): void => {
        if (err === undefined || err === null) for (const block of blocks) giveBackMaskedBlock(block);
        written(err);
      };
      messages.forEach(({ parts, size }, i) => {
        const block = takeMaskedBlock(maskedFrameSize(size));
        if (block !== undefined) blocks.push(block);
        socket.write(maskedFrame(parts, size, mask, block), i === messages.length - 1 ? done : undefined);
      });
    }
    socket.uncork();
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Every write callback has fired, so all data precedes the EOF message.
    if (this.ws.readyState !== WebSocket.OPEN) {
      callback();
      return;
    }
    this.ws.send(EOF, { binary: true }, (err) => {
      if (err !== undefined && err !== null) {
        this.#failWrite(callback, err);
        return;
      }
      this.#eofSent = true;
      if (this.#eofReceived) this.#close(CloseCode.NORMAL);
      callback();
    });
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#ownReads?.stop();
    if (this.ws.readyState === WebSocket.OPEN) {
      if (err === null) this.ws.terminate();
      else closeNow(this.ws, closeCodeFor(err), closeReasonFor(err));
    }
    callback(err);
  }
}

/**
 * Sends a close frame and cuts the connection without waiting for the peer's
 * close frame. The frame is handed to the socket first, which writes it
 * straight away unless the kernel's send buffer is full (then only the
 * close frame is lost; the connection goes either way).
 */
function closeNow(ws: WebSocket, code: number, reason: string): void {
  ws.close(code, reason);
  ws.terminate();
}

/** Gives a message's bytes to the session's reader (LEND_READS): in blocks of readBlocks from a block's size on, else as they are. */
function giveMessage(bytes: Buffer, reader: (chunk: Uint8Array, kept?: boolean) => void): void {
  const size = readBlocks.blockSize;
  if (bytes.length < size) {
    reader(bytes, true);
    return;
  }
  for (let at = 0; at < bytes.length; at += size) {
    const n = Math.min(size, bytes.length - at);
    const block = readBlocks.take();
    block.set(bytes.subarray(at, at + n));
    reader(block.subarray(0, n), true);
  }
}

/** The in-band end-of-stream marker: an empty binary message. */
const EOF = Buffer.alloc(0);

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
