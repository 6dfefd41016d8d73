// One carrier as the session sees it: the I/O shell around a Duplex (its
// decoder, its corked writes and its backpressure state: write() returning
// false and 'drain', the one contract every carrier keeps) composing
// the I/O-free pieces of its other jobs: acknowledgements (ack-state.ts,
// SPEC §9), liveness (liveness.ts, SPEC §5.5), frames in flight and the path
// estimate (in-flight.ts, SPEC §8) and the overflow guard (overflow-guard.ts).
// It reports to one CarrierHost: the handshake's (handshake.ts), then the
// session's, each set with setHost().
import { randomInt } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { AckState } from './ack-state.js';
import { NO_HOST, type CarrierHost, type CarrierLinkOptions, type CarrierState, type CarrierStats } from './carrier-api.js';
import { DEFAULT_CARRIER_USE, type CarrierUse } from './carrier-use.js';
import { nextTurn, wallOffset, type Defer, type Timer } from './clock.js';
import {
  AHEAD_OF_CAP_BYTES,
  BULK_FRAME_MS,
  DATA_PREFIX_SIZE,
  FrameType,
  HEADER_SIZE,
  MIN_MAX_FRAME,
  MIN_VERSION,
  STAMPED_ACK_VERSION,
  WireCode,
} from './constants.js';
import { FrameDecoder } from './decode.js';
import { readBlocks } from './read-blocks.js';
import { GATHER_FROM_BYTES, GATHER_READS, LEND_READS, type GathersReads, type LendsReads } from './transport.js';
import { dataFlags, encodeFrame, encodedLength, writeDataPrefix } from './encode.js';
import { MpxError, MpxProtocolError, localCodeOf, wireCodeName } from './errors.js';
import { describeValue } from './option-names.js';
import { isCounted, type Frame } from './frame.js';
import { InFlight } from './in-flight.js';
import type { SentFrame } from './sent-frames.js';
import { Liveness } from './liveness.js';
import { OverflowGuard } from './overflow-guard.js';
import { ByteCount } from './small-integers.js';
import { COPY_MAX, TurnBuffer } from './turn-buffer.js';
import type { PathEstimator } from './path-estimator.js';

export type { CarrierHost, CarrierLinkOptions, CarrierState, CarrierStats } from './carrier-api.js';

/**
 * Rationale: a peer that never ends its side after ours ended is cut off
 * after this long, ms; a CLOSE and the bytes before it leave well within it.
 */
export const END_TIMEOUT_MS = 2000;

/**
 * SPEC §8: an ACK's reverse wait counts only while the peer sends data on
 * the carrier: while it read more than REVERSE_DATA_BYTES in the last
 * REVERSE_DATA_MS (judged at the first ACK after each REVERSE_DATA_MS).
 * Rationale: a frame of data is 16 KiB; one of them in 100 ms (1.3 Mbit/s)
 * tells data from what an idle direction sends (ACKs, WINDOWs, PINGs: a few
 * hundred bytes in 100 ms). Not per ACK: an ACK that leaves without data
 * still waits behind the data sent before it.
 */
const REVERSE_DATA_BYTES = 16 * 1024;
const REVERSE_DATA_MS = 100;

/**
 * GATHER_READS: reads gathered in one turn are read at once beyond this.
 * Rationale: four 64 KiB socket reads' worth of TLS records (64 of them) is
 * all one write to a stream's socket needs; more would only hold memory.
 */
const GATHER_MAX_BYTES = 256 * 1024;

let nextCarrierId = 1;

/** Every Duplex a link was made for: one Duplex carries one carrier, once (see isLinked). */
const linkedSockets = new WeakSet<Duplex>();

/** What a carrier must have of a Duplex for a link to drive it. */
const DUPLEX_METHODS = ['on', 'write', 'end', 'cork', 'uncork', 'destroy'] as const;

/** Throws MPX_ERR_INVALID_ARGUMENT unless `carrier` looks like a Duplex (a stream that reads, writes and is destroyed). */
export function checkCarrier(carrier: unknown): asserts carrier is Duplex {
  const methods = carrier as Record<string, unknown> | null;
  if (typeof methods === 'object' && methods !== null && DUPLEX_METHODS.every((m) => typeof methods[m] === 'function')) return;
  throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `a carrier must be a Duplex stream, got ${describeValue(carrier)}`);
}

/** True when a CarrierLink was made for `socket` already (addCarrier() or accept() took it). */
export function isLinked(socket: Duplex): boolean {
  return linkedSockets.has(socket);
}

export class CarrierLink {
  readonly id = nextCarrierId++;
  readonly label: string;
  weight = 1;
  /** SPEC §3.2, §8: what the carrier is for; set before the session adopts it. */
  use: CarrierUse = DEFAULT_CARRIER_USE;
  /** Frames of this carrier sent again elsewhere (counted by the session). */
  retransmits = 0;

  readonly #options: CarrierLinkOptions;
  readonly #socket: Duplex;
  readonly #decoder: FrameDecoder;
  /** Kept reads in memory of `readBlocks` that the decoder may still hold (read-blocks.ts); usually none or one. */
  readonly #blockReads: Uint8Array[] = [];
  readonly #inFlight: InFlight;
  readonly #acks: AckState;
  readonly #liveness: Liveness;
  readonly #overflow: OverflowGuard;
  #host: CarrierHost = NO_HOST;
  #state: CarrierState = 'handshake';
  #writeBuffer: number;
  /** The small frames written this turn, gathered into one chunk (turn-buffer.ts). */
  readonly #turn = new TurnBuffer();
  /** The socket's reads are gathered per turn (GATHER_READS). */
  readonly #gathers: boolean;
  /** Reads of this turn not read yet (GATHER_READS). */
  #gathered: Buffer[] = [];
  #gatheredBytes = 0;
  /** Frames written this turn wait corked until it ends (#endTurn). */
  #corked = false;
  /** #endTurn is scheduled. */
  #turnEnding = false;
  /** What AckState asked to run at the end of this turn (its ACK of two or more frames). */
  #atTurnEnd: (() => void) | undefined;
  #full = false;
  /** SPEC §3.1: the protocol version the handshake chose (set by open()). */
  #version = MIN_VERSION;
  /**
   * SPEC §5.4: the origin of this carrier's ACK stamps, µs before the
   * clock's. Rationale: random per carrier, so that a stamp does not tell
   * the peer how long this process has run; below 2^47 µs (4 years), so
   * that stamps stay far below 2^53.
   */
  readonly #stampOrigin = randomInt(2 ** 47);
  /** Wakes a carrier held back by pacing (SPEC §8), while armed. */
  #paceTimer: Timer | undefined;
  readonly #bytesIn = new ByteCount();
  /** Whether the peer sent data in the last REVERSE_DATA_MS, judged at #readMarkAt from the bytes read since then (#readSinceMark). */
  #peerSending = false;
  #readSinceMark = 0;
  #readMarkAt = Number.NEGATIVE_INFINITY;
  readonly #bytesOut = new ByteCount();
  #framesIn = 0;
  #framesOut = 0;
  #closeError: MpxError | undefined;
  /** Set once a frame failed to decode: the rest of the byte stream is meaningless. */
  #readFailed = false;

  constructor(socket: Duplex, options: CarrierLinkOptions) {
    this.#options = options;
    this.#socket = socket;
    linkedSockets.add(socket);
    this.#inFlight = new InFlight(wallOffset(options.clock), options.payloadOwner, (frame) => this.#host.onDataAcked?.(frame));
    this.label = options.label ?? `carrier-${this.id}`;
    // Handshake frames are small (SPEC §3): until the carrier opens, a frame
    // above the smallest max frame any peer accepts is FRAME_TOO_LARGE, so a
    // stranger cannot make the decoder hold 64 KiB (in many small chunks).
    this.#decoder = new FrameDecoder({ maxFrame: Math.min(options.maxFrame, MIN_MAX_FRAME), splitPayloads: true });
    this.#writeBuffer = Math.max(options.writeBuffer, socket.writableHighWaterMark);
    this.#overflow = new OverflowGuard(this.#writeBuffer);
    this.#acks = new AckState(options.clock, this.#sendAck, this.#deferToTurnEnd);
    this.#liveness = new Liveness(options.clock, options, this.#inFlight.estimator, {
      isOpen: () => this.#state === 'open',
      oldestUnackedAt: () => this.#inFlight.oldestSentAt(),
      ping: (opaque) => {
        this.send({ type: FrameType.PING, opaque });
        this.#host.onTick(this);
      },
      dead: (reason) => {
        this.#closeError ??= new MpxError('MPX_ERR_IDLE_TIMEOUT', reason, { wireCode: WireCode.IDLE_TIMEOUT });
        this.#socket.destroy();
      },
    });
    // Frames are batched by cork()/uncork() already; Nagle's algorithm would
    // only hold back small frames (ACK, WINDOW) behind the peer's delayed ACK.
    const nodelay = socket as Duplex & { setNoDelay?: (noDelay: boolean) => unknown };
    if (typeof nodelay.setNoDelay === 'function') nodelay.setNoDelay(true);
    // Reads lent by the transport (see LEND_READS) when it can; 'data' carries
    // the rest: every read of other carriers, the bytes read before this call.
    const lending = socket as Duplex & Partial<LendsReads>;
    if (typeof lending[LEND_READS] === 'function') lending[LEND_READS](this.#onLent);
    this.#gathers = (socket as Duplex & Partial<GathersReads>)[GATHER_READS] === true;
    socket.on('data', this.#onData);
    socket.on('drain', this.#onDrain);
    socket.on('error', this.#onError);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onClose);
    if (socket.destroyed) queueMicrotask(() => this.#onClose());
  }

  /**
   * Hands the link to its next driver: the handshake sets its host first,
   * the session its own once the handshake is done. Frames, drains, ACKs,
   * ticks and the close go to this host only, from now on.
   */
  setHost(host: CarrierHost): void {
    this.#host = host;
  }

  get state(): CarrierState {
    return this.#state;
  }

  /** True while frames can be written without waiting for drain. */
  get writable(): boolean {
    return this.#state === 'open' && !this.#full;
  }

  /**
   * SPEC §8: while a small stream's frame or a control frame may still go
   * out on this carrier, though it may be at its in-flight cap or held by
   * pacing (it is open, its write buffer is not deep, and its bytes in
   * flight are below the cap plus AHEAD_OF_CAP_BYTES), about how long until
   * a frame sent now is acknowledged, ms (InFlight.ackWait); Infinity while
   * it may not. What a small stream's frame picks its carrier by
   * (data-carriers.ts).
   */
  get aheadWait(): number {
    if (this.#state !== 'open' || this.#waiting >= this.#writeBuffer) return Number.POSITIVE_INFINITY;
    return this.#inFlight.aheadWait(this.#options.clock.now(), this.#options.maxInFlight, AHEAD_OF_CAP_BYTES);
  }

  /** Whether counted frames received here are not yet acknowledged: a frame sent now takes their ACK along (SPEC §9). */
  get owesAck(): boolean {
    return this.#acks.owed > 0;
  }

  /** A lower bound of aheadWait that costs a field read: the carrier's minimum RTT (InFlight.ackWaitFloor). */
  get aheadFloor(): number {
    return this.#inFlight.ackWaitFloor();
  }

  /**
   * SPEC §8: whether this carrier is fast: its measured delivery rate sends
   * `bytes` (a bulk frame) within BULK_FRAME_MS. False until a rate is known.
   */
  sendsWithinFrameTime(bytes: number): boolean {
    const rate = this.#inFlight.estimator.rate(this.#options.clock.now());
    return rate !== undefined && rate * BULK_FRAME_MS >= bytes;
  }

  /** The path estimate (RTT, delivery rate) of this carrier (SPEC §8). */
  get estimator(): PathEstimator {
    return this.#inFlight.estimator;
  }

  get unackedBytes(): number {
    return this.#inFlight.bytes;
  }

  /** When the oldest unacknowledged frame was sent, if any. */
  oldestUnackedAt(): number | undefined {
    return this.#inFlight.oldestSentAt();
  }

  /**
   * Marks the handshake done: from now on frames go to the session, and
   * pings start. `version`: the one the handshake chose (SPEC §3.1); from
   * STAMPED_ACK_VERSION on, ACKs carry a stamp both ways (SPEC §5.4).
   */
  open(version = MIN_VERSION): void {
    if (this.#state !== 'handshake') return;
    this.#state = 'open';
    this.#version = version;
    this.#decoder.maxFrame = this.#options.maxFrame;
    this.#full = false;
    this.#updateFull();
    this.#liveness.start();
  }

  /**
   * Writes one frame. Writes within one turn of the event loop are corked
   * together and leave in one writev when the turn's I/O callbacks are done
   * (#endTurn), with the ACK owed on this carrier: a header and its payload,
   * and the frames of every callback of the turn (the answers to fifty
   * clients' requests). Headers and payloads up to COPY_MAX are gathered into
   * one chunk (#gather); larger payloads are written uncopied. `order`: the
   * frame's place in the session's send order (SentFrame). Returns false when
   * the carrier is now full.
   */
  send(frame: Frame, order?: number): boolean {
    if (this.#state === 'closed') return false;
    if (this.#socket.destroyed || this.#socket.writableEnded) {
      // The transport is going (its 'close' event may come a tick later, and
      // writing after end() would destroy it, losing the CLOSE in flight).
      // Nothing is written, but a counted frame is kept with the
      // unacknowledged ones, so that it goes out again elsewhere (SPEC §9).
      if (isCounted(frame)) this.#inFlight.push(frame, encodedLength(frame), this.#options.clock.now(), order);
      this.#full = true;
      return false;
    }
    const buffered = this.#waiting;
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      this.#endTurnSoon();
    }
    const size = this.#gather(frame);
    this.#bytesOut.add(size);
    this.#framesOut++;
    if (isCounted(frame)) this.#inFlight.push(frame, size, this.#options.clock.now(), order);
    if (this.#overflow.onWrite(buffered, size)) {
      this.destroy(
        new MpxError('MPX_ERR_LIMIT_EXCEEDED', `the peer reads nothing: ${this.#waiting} bytes wait to be written`, {
          wireCode: WireCode.LIMIT_EXCEEDED,
          limit: 'carrierWriteBuffer',
        }),
      );
      return false;
    }
    this.#updateFull();
    return !this.#full;
  }

  /**
   * Encodes `frame` into the turn's buffer (TurnBuffer): the header in
   * place, a payload up to COPY_MAX copied after it; a larger payload is
   * written to the socket as it is, after what the buffer gathered before it.
   * Returns the frame's encoded size. A frame with a bad field throws before
   * any of its bytes are kept.
   */
  #gather(frame: Frame): number {
    const turn = this.#turn;
    if (frame.type !== FrameType.DATA) {
      let size = 0;
      for (const chunk of encodeFrame(frame)) {
        turn.room(chunk.byteLength, this.#writeChunk).set(chunk, turn.at);
        turn.commit(chunk.byteLength);
        size += chunk.byteLength;
      }
      return size;
    }
    const { payload } = frame;
    const length = payload.byteLength;
    const copied = length <= COPY_MAX ? length : 0;
    const prefix = HEADER_SIZE + DATA_PREFIX_SIZE;
    const buf = turn.room(prefix + copied, this.#writeChunk);
    const at = turn.at;
    writeDataPrefix(buf, at, frame.streamId, frame.offset, length, dataFlags(frame));
    if (copied > 0) buf.set(payload, at + prefix);
    turn.commit(prefix + copied);
    if (copied < length) {
      this.#writeGathered();
      this.#writeChunk(payload);
    }
    return prefix + length;
  }

  /**
   * Hands `chunk` to the socket, or drops it when the socket is destroyed
   * (its frames are still counted unacknowledged); `written` runs once the
   * socket has written it (TurnBuffer reuses the slab it came from).
   */
  #writeChunk = (chunk: Uint8Array, written?: () => void): void => {
    if (this.#socket.destroyed) return;
    if (written === undefined) this.#socket.write(chunk);
    else this.#socket.write(chunk, (err) => err == null && written());
  };

  /** Hands what the turn's buffer gathered to the socket. */
  #writeGathered(): void {
    this.#turn.flush(this.#writeChunk);
  }

  /** Bytes written and not yet on the wire: the socket's buffer and the turn's. */
  get #waiting(): number {
    return this.#socket.writableLength + this.#turn.pending;
  }

  /** Removes every unacknowledged frame, to be sent again elsewhere (SPEC §9). */
  takeUnacked(): SentFrame[] {
    return this.#inFlight.takeAll();
  }

  /** Up to `maxBytes` of the oldest unacknowledged frames not yet copied elsewhere. */
  duplicateOldest(maxBytes: number): SentFrame[] {
    return this.#inFlight.duplicateOldest(maxBytes);
  }

  /** Sends CLOSE (SPEC §5.6) and ends the carrier gracefully. */
  close(code: number = WireCode.NO_ERROR, reason = '', session = false): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#acks.flush();
    this.send({ type: FrameType.CLOSE, session, code, reason });
    this.#state = 'closing';
    this.#full = true;
    if (code !== WireCode.NO_ERROR && this.#closeError === undefined) {
      this.#closeError = new MpxError('MPX_ERR_CARRIER_CLOSED', `carrier closed locally: ${wireCodeName(code)} ${reason}`.trim(), {
        wireCode: code,
      });
    }
    this.#endSoon();
  }

  /**
   * A carrier error (SPEC §10.2): tell the peer why, then close. The host
   * hears of it at once (onError), while the carrier is still closing:
   * a peer that never ends its side holds the close up to END_TIMEOUT_MS.
   */
  fail(err: MpxError): void {
    if (this.#state === 'closed') return;
    this.#closeError ??= err;
    if (this.#state !== 'closing') {
      const code = err.wireCode ?? WireCode.INTERNAL;
      this.close(code, err.message.slice(0, 200));
    }
    this.#host.onError?.(this, this.#closeError);
  }

  /** Drops the carrier at once, without a CLOSE frame. */
  destroy(err?: MpxError): void {
    if (err !== undefined) this.#closeError ??= err;
    this.#socket.destroy();
  }

  stats(): CarrierStats {
    return {
      id: this.id,
      label: this.label,
      state: this.#state,
      weight: this.weight,
      role: this.use.role,
      direction: this.use.direction,
      bytesIn: this.#bytesIn.value,
      bytesOut: this.#bytesOut.value,
      framesIn: this.#framesIn,
      framesOut: this.#framesOut,
      writable: this.writable,
      rttMs: this.#inFlight.estimator.srtt,
      unackedBytes: this.#inFlight.bytes,
      retransmits: this.retransmits,
    };
  }

  /**
   * Full when the socket buffer is deep, the path estimate caps what may be
   * in flight, or pacing holds the next frame back (SPEC §8: InFlight.paceWait,
   * told whether the peer sends data on the carrier too); pacing's timer
   * looks again when it lets the next one go.
   */
  #updateFull(): void {
    const wasFull = this.#full;
    const now = this.#options.clock.now();
    const capped = this.#inFlight.capped(now, this.#options.maxInFlight);
    this.#full = this.#state !== 'open' || this.#waiting >= this.#writeBuffer || capped || this.#paced(now);
    if (wasFull && !this.#full) this.#host.onDrain(this);
  }

  /** Whether pacing holds the next frame back at `now`; if so, arms the timer that looks again. */
  #paced(now: number): boolean {
    const wait = this.#inFlight.paceWait(now, this.#peerSending);
    if (wait <= 0) return false;
    this.#paceTimer ??= this.#options.clock.setTimeout(this.#onPaceTimer, wait);
    return true;
  }

  #onPaceTimer = (): void => {
    this.#paceTimer = undefined;
    if (this.#full) this.#updateFull();
  };

  #endTurnSoon(): void {
    if (this.#turnEnding) return;
    this.#turnEnding = true;
    nextTurn(this.#endTurn);
  }

  /** AckState's Defer: its ACK is written at the end of this turn, with the turn's other frames. */
  #deferToTurnEnd: Defer = (fn) => {
    this.#atTurnEnd = fn;
    this.#endTurnSoon();
  };

  /**
   * The turn's I/O callbacks are done: the ACK due (AckState) or owed (it
   * rides along with what this turn wrote, SPEC §9) joins the corked frames,
   * and they leave in one write. Rationale: uncorking at process.nextTick
   * instead would write once per I/O callback (Node runs the tick queue
   * after each), one system call per request with many clients.
   */
  #endTurn = (): void => {
    const due = this.#atTurnEnd;
    this.#atTurnEnd = undefined;
    if (due !== undefined) due();
    else if (this.#corked) this.#acks.flush();
    this.#turnEnding = false;
    if (!this.#corked) return;
    this.#corked = false;
    this.#writeGathered();
    this.#socket.uncork();
    // Full because of bytes the turn's buffer held: the socket may have taken
    // them without reaching its high-water mark, and then no 'drain' comes.
    if (this.#full) this.#updateFull();
  };

  /** Writes the ACK AckState asks for (SPEC §9); false once nothing can be written. */
  #sendAck = (count: number): boolean => {
    if (this.#state === 'closed' || this.#socket.writableEnded) return false;
    // SPEC §5.4: from version 2 on, stamped with our clock, in microseconds.
    if (this.#version >= STAMPED_ACK_VERSION)
      this.send({ type: FrameType.ACK, count, stamp: this.#stampOrigin + Math.max(0, Math.floor(this.#options.clock.now() * 1000)) });
    else this.send({ type: FrameType.ACK, count });
    return true;
  };

  #onData = (chunk: Buffer): void => {
    // GATHER_READS: a full record starts gathering the reads of this turn,
    // read at its end together; a smaller read with none before it (a request,
    // an answer) is read at once, as it would wait for nothing.
    if (!this.#gathers || (this.#gathered.length === 0 && chunk.byteLength < GATHER_FROM_BYTES)) {
      this.#read(chunk, false);
      return;
    }
    this.#gathered.push(chunk);
    this.#gatheredBytes += chunk.byteLength;
    if (this.#gathered.length === 1) nextTurn(this.#readGathered);
    else if (this.#gatheredBytes >= GATHER_MAX_BYTES) this.#readGathered();
  };

  /** Reads the reads gathered this turn (GATHER_READS), in order. */
  #readGathered = (): void => {
    const chunks = this.#gathered;
    if (chunks.length === 0) return;
    this.#gathered = [];
    this.#gatheredBytes = 0;
    for (const chunk of chunks) this.#read(chunk, false);
  };

  /** A read lent by the transport: `chunk` is overwritten once this returns, unless `kept`. */
  #onLent = (chunk: Uint8Array, kept = false): void => {
    const reads = this.#blockReads;
    if (kept && readBlocks.owns(chunk)) reads.push(chunk);
    this.#read(chunk, !kept);
    if (!kept) this.#decoder.release();
    // A block goes back once the decoder has let go of it (after any read:
    // a lent one after it copies out what is left of earlier reads) and the
    // payloads handed on are released (read-blocks.ts).
    if (reads.length === 0 || this.#state === 'closed') return;
    let held = 0;
    for (const read of reads) {
      if (this.#decoder.holds(read)) reads[held++] = read;
      else readBlocks.readDone(read);
    }
    reads.length = held;
  };

  #read(chunk: Uint8Array, lent: boolean): void {
    this.#bytesIn.add(chunk.byteLength);
    this.#readSinceMark += chunk.byteLength;
    this.#liveness.heard();
    if (this.#state === 'closed' || this.#readFailed) return;
    this.#decoder.push(chunk, lent);
    try {
      for (;;) {
        if ((this.#state as CarrierState) === 'closed') return;
        const frame = this.#decoder.next();
        if (frame === null) break;
        this.#framesIn++;
        // Payloads of blocks are handed on before any of them can be released (read-blocks.ts).
        if (this.#blockReads.length !== 0 && frame.type === FrameType.DATA) {
          readBlocks.handOn(frame.payload);
          if (frame.rest !== undefined) readBlocks.handOn(frame.rest);
        }
        this.#onFrame(frame);
      }
    } catch (err) {
      this.#readFailed = true;
      if (err instanceof MpxError && err.code === 'MPX_ERR_FRAME_TOO_LARGE' && this.#state === 'handshake') {
        // The fixed limit of handshake frames (see the constructor), not the configured maxFrame.
        this.fail(
          new MpxProtocolError(WireCode.FRAME_TOO_LARGE, `${err.message} (handshake frames are at most ${MIN_MAX_FRAME} bytes)`, {
            cause: err,
            limit: 'handshakeFrame',
          }),
        );
      } else if (err instanceof MpxError) {
        this.fail(err);
      } else {
        this.fail(
          new MpxError('MPX_ERR_INTERNAL', `internal error while reading a frame: ${String(err)}`, { cause: err, wireCode: WireCode.INTERNAL }),
        );
      }
    }
    this.#acks.schedule();
  }

  #onFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.ACK: {
        if (this.#state === 'handshake') break;
        if ((frame.stamp !== undefined) !== this.#version >= STAMPED_ACK_VERSION) {
          throw new MpxProtocolError(
            WireCode.PROTOCOL,
            `ACK ${frame.stamp === undefined ? 'without' : 'with'} a stamp on a carrier of version ${this.#version}`,
          );
        }
        const now = this.#options.clock.now();
        this.#inFlight.onAck(frame.count, now, frame.stamp === undefined ? undefined : frame.stamp / 1000, this.#peerSendsData(now));
        this.#updateFull();
        this.#host.onAck(this);
        return;
      }
      case FrameType.PING:
        if (this.#state === 'handshake') break;
        this.send({ type: FrameType.PONG, opaque: frame.opaque });
        return;
      case FrameType.PONG:
        this.#liveness.onPong(frame.opaque);
        return;
      case FrameType.CLOSE:
        this.#onPeerClose(frame.code, frame.reason, frame.session);
        if (frame.session) this.#host.onFrame(this, frame);
        return;
      default:
        break;
    }
    // Frames that arrive while closing were sent before the peer's CLOSE:
    // they are delivered and acknowledged like any other.
    if (isCounted(frame)) this.#acks.onCounted();
    this.#host.onFrame(this, frame);
  }

  /** SPEC §8: whether the peer sends data on this carrier (see REVERSE_DATA_BYTES). */
  #peerSendsData(now: number): boolean {
    if (now - this.#readMarkAt >= REVERSE_DATA_MS) {
      this.#peerSending = this.#readSinceMark > REVERSE_DATA_BYTES;
      this.#readSinceMark = 0;
      this.#readMarkAt = now;
    }
    return this.#peerSending;
  }

  #onPeerClose(code: number, reason: string, session: boolean): void {
    if (code !== WireCode.NO_ERROR || session) {
      // SPEC §11: a carrier closed with a code of the table fails with that
      // code's local code (AUTH_FAILED: MPX_ERR_AUTH_FAILED), any other with
      // MPX_ERR_CARRIER_CLOSED; the session's own end is MPX_ERR_SESSION_CLOSED.
      this.#closeError ??= new MpxError(
        session ? 'MPX_ERR_SESSION_CLOSED' : localCodeOf(code, 'MPX_ERR_CARRIER_CLOSED'),
        `peer closed the ${session ? 'session' : 'carrier'}: ${wireCodeName(code)}${reason ? ` (${reason})` : ''}`,
        { wireCode: code },
      );
    }
    // Acknowledge what arrived before the CLOSE, so the peer need not resend it.
    this.#acks.flush();
    this.#state = 'closing';
    this.#full = true;
    this.#endSoon();
  }

  /** Ends our side; a peer that never ends its side is cut off after END_TIMEOUT_MS. */
  #endSoon(): void {
    this.#writeGathered();
    this.#socket.end();
    const { clock } = this.#options;
    const timer = clock.setTimeout(() => this.#socket.destroy(), END_TIMEOUT_MS);
    this.#socket.once('close', () => clock.clearTimeout(timer));
  }

  #onDrain = (): void => {
    if (this.#full) this.#updateFull();
  };

  #onError = (err: Error): void => {
    this.#closeError ??= new MpxError('MPX_ERR_CARRIER_CLOSED', `carrier error: ${err.message}`, { cause: err });
  };

  #onEnd = (): void => {
    this.#readGathered();
    // The peer ended its side: nothing more will arrive. Finish ours too.
    if (this.#state !== 'closed') {
      this.#state = 'closing';
      this.#full = true;
    }
    this.#writeGathered();
    this.#socket.end();
  };

  #onClose = (): void => {
    this.#readGathered();
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#full = true;
    this.#liveness.stop();
    this.#acks.stop();
    if (this.#paceTimer !== undefined) this.#options.clock.clearTimeout(this.#paceTimer);
    this.#paceTimer = undefined;
    this.#host.onClose(this, this.#closeError);
  };
}
