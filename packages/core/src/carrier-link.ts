// One carrier as the session sees it: a Duplex plus its decoder, its write
// batching and its backpressure state (STYLE §7), its acknowledgements
// (SPEC §9) and its liveness and path estimates (SPEC §5.5, §8). The handshake
// (handshake.ts) and then the session read frames from it through `onFrame`.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Clock, Timer } from './clock.js';
import { FrameType, MAX_ACK_DELAY_MS, MIN_MAX_FRAME, WireCode } from './constants.js';
import { FrameDecoder } from './decode.js';
import { encodeFrame, encodedLength } from './encode.js';
import { MpxError, MpxProtocolError, wireCodeName } from './errors.js';
import { isCounted, type Frame } from './frame.js';
import { PathEstimator } from './path-estimator.js';
import { SentFrames } from './sent-frames.js';

export type CarrierState = 'handshake' | 'open' | 'closing' | 'closed';

export interface CarrierStats {
  readonly id: number;
  readonly label: string;
  readonly state: CarrierState;
  readonly weight: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly framesIn: number;
  readonly framesOut: number;
  readonly writable: boolean;
  /** Smoothed round-trip time, ms (from PING/PONG and ACK samples). */
  readonly rttMs: number | undefined;
  /** Encoded bytes sent and not yet acknowledged. */
  readonly unackedBytes: number;
  /** Frames of this carrier that were sent again on another carrier. */
  readonly retransmits: number;
}

export interface CarrierLinkOptions {
  readonly maxFrame: number;
  /** Bytes in the Duplex's write buffer above which the carrier counts as full. */
  readonly writeBuffer: number;
  /** Most unacknowledged bytes, whatever the path estimate allows. */
  readonly maxInFlight: number;
  /** Send PING this often, ms. */
  readonly pingIntervalMs: number;
  /** Declare the carrier dead after hearing nothing this long, ms. */
  readonly deadAfterMs: number;
  readonly clock: Clock;
  readonly label?: string;
}

let nextCarrierId = 1;

/**
 * Events:
 * - `'drain'`: a full carrier can take frames again;
 * - `'ack'`: the peer acknowledged frames on this carrier;
 * - `'tick'`: the liveness timer ran (every ping interval);
 * - `'close'` (error?: MpxError): once, when the carrier is gone.
 */
export class CarrierLink extends EventEmitter {
  readonly id = nextCarrierId++;
  readonly label: string;
  weight = 1;
  /** Frames of this carrier sent again elsewhere (counted by the session). */
  retransmits = 0;
  /** Receives decoded frames other than ACK, PING and PONG (handled here). */
  onFrame: (frame: Frame) => void = () => {};

  readonly estimator = new PathEstimator();
  readonly #options: CarrierLinkOptions;
  readonly #socket: Duplex;
  readonly #decoder: FrameDecoder;
  readonly #sent = new SentFrames();
  #state: CarrierState = 'handshake';
  #writeBuffer: number;
  #corked = false;
  #full = false;
  /** Bytes written since the socket buffer was last below #writeBuffer. */
  #overflow = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #framesIn = 0;
  #framesOut = 0;
  #closeError: MpxError | undefined;
  /** Set once a frame failed to decode: the rest of the byte stream is meaningless. */
  #readFailed = false;
  // SPEC §9, receiver side.
  #countedIn = 0;
  #ackedIn = 0;
  #ackScheduled = false;
  /** The delayed ACK for a lone unacknowledged frame (SPEC §9). */
  #ackTimer: Timer | undefined;
  // Liveness.
  #lastHeard: number;
  /** When a PONG last arrived (or the carrier opened). */
  #lastPong = 0;
  #tick: Timer | undefined;
  #pingSeq = 0n;
  #pingSentAt = new Map<bigint, number>();

  constructor(socket: Duplex, options: CarrierLinkOptions) {
    super();
    this.#options = options;
    this.#socket = socket;
    this.label = options.label ?? `carrier-${this.id}`;
    // Handshake frames are small (SPEC §3): until the carrier opens, a frame
    // above the smallest max frame any peer accepts is FRAME_TOO_LARGE, so a
    // stranger cannot make the decoder hold 64 KiB (in many small chunks).
    this.#decoder = new FrameDecoder({ maxFrame: Math.min(options.maxFrame, MIN_MAX_FRAME) });
    this.#writeBuffer = Math.max(options.writeBuffer, socket.writableHighWaterMark);
    this.#lastHeard = options.clock.now();
    // Frames are batched by cork()/uncork() already; Nagle's algorithm would
    // only hold back small frames (ACK, WINDOW) behind the peer's delayed ACK.
    const nodelay = socket as Duplex & { setNoDelay?: (noDelay: boolean) => unknown };
    if (typeof nodelay.setNoDelay === 'function') nodelay.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('drain', this.#onDrain);
    socket.on('error', this.#onError);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onClose);
    if (socket.destroyed) queueMicrotask(() => this.#onClose());
  }

  get state(): CarrierState {
    return this.#state;
  }

  /** True while frames can be written without waiting for drain. */
  get writable(): boolean {
    return this.#state === 'open' && !this.#full;
  }

  get unackedBytes(): number {
    return this.#sent.bytes;
  }

  /** When the oldest unacknowledged frame was sent, if any. */
  oldestUnackedAt(): number | undefined {
    return this.#sent.oldestSentAt();
  }

  /** Marks the handshake done: from now on frames go to the session, and pings start. */
  open(): void {
    if (this.#state !== 'handshake') return;
    this.#state = 'open';
    this.#lastPong = this.#options.clock.now();
    this.#decoder.maxFrame = this.#options.maxFrame;
    this.#full = false;
    this.#updateFull();
    this.#scheduleTick();
  }

  /**
   * Writes one frame. Writes within one tick are corked together so that a
   * header and its payload (and neighbouring frames) leave in one writev
   * (STYLE §4). Returns false when the carrier is now full.
   */
  send(frame: Frame): boolean {
    if (this.#state === 'closed') return false;
    if (this.#socket.destroyed || this.#socket.writableEnded) {
      // The transport is going (its 'close' event may come a tick later, and
      // writing after end() would destroy it, losing the CLOSE in flight).
      // Nothing is written, but a counted frame is kept with the
      // unacknowledged ones, so that it goes out again elsewhere (SPEC §9).
      if (isCounted(frame)) this.#sent.push(frame, encodedLength(frame), this.#options.clock.now());
      this.#full = true;
      return false;
    }
    // SPEC §9: a pending ACK rides along with whatever goes out (same write).
    if (frame.type !== FrameType.ACK && this.#countedIn > this.#ackedIn && this.#state === 'open') this.#flushAck();
    const chunks = encodeFrame(frame);
    const deep = this.#socket.writableLength >= this.#writeBuffer;
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    let size = 0;
    for (const chunk of chunks) {
      this.#socket.write(chunk);
      size += chunk.byteLength;
    }
    this.#bytesOut += size;
    this.#framesOut++;
    if (isCounted(frame)) this.#sent.push(frame, size, this.#options.clock.now());
    if (!deep) {
      this.#overflow = 0;
    } else if ((this.#overflow += size) > this.#writeBuffer) {
      // The session holds frames back from a full carrier, but PONG, ACK,
      // PING and CLOSE answer the peer whatever the buffer holds. A peer that
      // sends and never reads would make them pile up without bound (a PING
      // flood): past one more write buffer of them, drop the carrier.
      this.destroy(
        new MpxError('MPX_ERR_LIMIT_EXCEEDED', `the peer reads nothing: ${this.#socket.writableLength} bytes wait to be written`, {
          wireCode: WireCode.LIMIT_EXCEEDED,
        }),
      );
      return false;
    }
    this.#updateFull();
    return !this.#full;
  }

  /** Removes every unacknowledged frame, to be sent again elsewhere (SPEC §9). */
  takeUnacked(): Frame[] {
    return this.#sent.takeAll();
  }

  /** Up to `maxBytes` of the oldest unacknowledged frames not yet copied elsewhere. */
  duplicateOldest(maxBytes: number): Frame[] {
    return this.#sent.duplicateOldest(maxBytes);
  }

  /** Sends CLOSE (SPEC §5.6) and ends the carrier gracefully. */
  close(code: number = WireCode.NO_ERROR, reason = '', session = false): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#flushAck();
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

  /** A carrier error (SPEC §10.2): tell the peer why, then close. */
  fail(err: MpxError): void {
    if (this.#state === 'closed') return;
    this.#closeError ??= err;
    if (this.#state !== 'closing') {
      const code = err.wireCode ?? WireCode.INTERNAL;
      this.close(code, err.message.slice(0, 200));
    }
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
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      framesIn: this.#framesIn,
      framesOut: this.#framesOut,
      writable: this.writable,
      rttMs: this.estimator.srtt,
      unackedBytes: this.#sent.bytes,
      retransmits: this.retransmits,
    };
  }

  /** Full when the socket buffer is deep or the path estimate caps what may be in flight (SPEC §8). */
  #updateFull(): void {
    const wasFull = this.#full;
    const cap = this.estimator.inflightCap(this.#options.clock.now(), this.#options.maxInFlight);
    this.#full = this.#state !== 'open' || this.#socket.writableLength >= this.#writeBuffer || this.#sent.bytes >= cap;
    if (wasFull && !this.#full) this.emit('drain');
  }

  #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  #onData = (chunk: Buffer): void => {
    this.#bytesIn += chunk.byteLength;
    this.#lastHeard = this.#options.clock.now();
    if (this.#state === 'closed' || this.#readFailed) return;
    this.#decoder.push(chunk);
    try {
      for (;;) {
        if ((this.#state as CarrierState) === 'closed') return;
        const frame = this.#decoder.next();
        if (frame === null) break;
        this.#framesIn++;
        this.#onFrame(frame);
      }
    } catch (err) {
      this.#readFailed = true;
      if (err instanceof MpxError && err.code === 'MPX_ERR_FRAME_TOO_LARGE' && this.#state === 'handshake') {
        // The fixed limit of handshake frames (see the constructor), not the configured maxFrame.
        this.fail(new MpxProtocolError(WireCode.FRAME_TOO_LARGE, `${err.message} (handshake frames are at most ${MIN_MAX_FRAME} bytes)`, { cause: err, limit: 'handshakeFrame' }));
      } else if (err instanceof MpxError) {
        this.fail(err);
      } else {
        this.fail(new MpxError('MPX_ERR_INTERNAL', `internal error while reading a frame: ${String(err)}`, { cause: err, wireCode: WireCode.INTERNAL }));
      }
    }
    const unacked = this.#countedIn - this.#ackedIn;
    if (unacked >= 2 && !this.#ackScheduled) {
      // SPEC §9: one cumulative ACK per turn of the event loop at most.
      this.#ackScheduled = true;
      setImmediate(this.#flushAck);
    } else if (unacked === 1 && this.#ackTimer === undefined) {
      // A lone frame (interactive traffic): its ACK waits for a frame to ride
      // along with, a second frame, or MAX_ACK_DELAY_MS, whichever is first.
      this.#ackTimer = this.#options.clock.setTimeout(this.#flushAck, MAX_ACK_DELAY_MS);
    }
  };

  #onFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.ACK: {
        if (this.#state === 'handshake') break;
        const before = this.#sent.bytes;
        const { bytes, frames, newestSentAt } = this.#sent.ack(frame.count);
        const now = this.#options.clock.now();
        // An ACK of a lone frame may have waited up to MAX_ACK_DELAY_MS for
        // company (SPEC §9): only ACKs of two or more frames are prompt.
        if (newestSentAt !== undefined && frames >= 2) this.estimator.onRttSample(now - newestSentAt, now);
        this.estimator.onAcked(bytes, now, before - bytes > 0 || before >= MIN_BUSY_BYTES);
        this.#updateFull();
        this.emit('ack');
        return;
      }
      case FrameType.PING:
        if (this.#state === 'handshake') break;
        this.send({ type: FrameType.PONG, opaque: frame.opaque });
        return;
      case FrameType.PONG: {
        const sentAt = this.#pingSentAt.get(frame.opaque);
        if (sentAt !== undefined) {
          this.#lastPong = this.#options.clock.now();
          this.#pingSentAt.delete(frame.opaque);
          const now = this.#options.clock.now();
          this.estimator.onRttSample(now - sentAt, now);
        }
        return;
      }
      case FrameType.CLOSE:
        this.#onPeerClose(frame.code, frame.reason, frame.session);
        if (frame.session) this.onFrame(frame);
        return;
      default:
        break;
    }
    // Frames that arrive while closing were sent before the peer's CLOSE:
    // they are delivered and acknowledged like any other.
    if (isCounted(frame)) this.#countedIn++;
    this.onFrame(frame);
  }

  #flushAck = (): void => {
    this.#ackScheduled = false;
    this.#clearAckTimer();
    if (this.#countedIn === this.#ackedIn || this.#state === 'closed' || this.#socket.writableEnded) return;
    this.#ackedIn = this.#countedIn;
    this.send({ type: FrameType.ACK, count: this.#countedIn });
  };

  #clearAckTimer(): void {
    if (this.#ackTimer === undefined) return;
    this.#options.clock.clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
  }

  #scheduleTick(): void {
    const { clock, pingIntervalMs } = this.#options;
    this.#tick = clock.setTimeout(() => {
      this.#tick = undefined;
      if (this.#state !== 'open') return;
      const now = clock.now();
      const silence = this.#deadReason(now);
      if (silence !== undefined) {
        this.#closeError ??= new MpxError('MPX_ERR_IDLE_TIMEOUT', silence, { wireCode: WireCode.IDLE_TIMEOUT });
        this.#socket.destroy();
        return;
      }
      const opaque = this.#pingSeq++;
      this.#pingSentAt.set(opaque, now);
      if (this.#pingSentAt.size > 8) this.#pingSentAt.delete(this.#pingSentAt.keys().next().value as bigint);
      this.send({ type: FrameType.PING, opaque });
      this.emit('tick');
      this.#scheduleTick();
    }, pingIntervalMs);
  }

  /**
   * SPEC §9, liveness: why the carrier is dead, if it is. Either nothing at
   * all arrives (a blackholed path), or the peer's frames arrive but ours do
   * not reach it (a one-way blackhole): no PONG and no ACK for too long.
   */
  #deadReason(now: number): string | undefined {
    const limit = this.#options.deadAfterMs;
    if (now - this.#lastHeard > limit) return `heard nothing for ${Math.round(now - this.#lastHeard)} ms`;
    if (now - this.#lastPong > limit) return `no PONG for ${Math.round(now - this.#lastPong)} ms`;
    const oldest = this.#sent.oldestSentAt();
    if (oldest !== undefined && now - oldest > limit) return `no acknowledgement for ${Math.round(now - oldest)} ms`;
    return undefined;
  }

  #onPeerClose(code: number, reason: string, session: boolean): void {
    if (code !== WireCode.NO_ERROR || session) {
      this.#closeError ??= new MpxError(
        session ? 'MPX_ERR_SESSION_CLOSED' : 'MPX_ERR_CARRIER_CLOSED',
        `peer closed the ${session ? 'session' : 'carrier'}: ${wireCodeName(code)}${reason ? ` (${reason})` : ''}`,
        { wireCode: code },
      );
    }
    // Acknowledge what arrived before the CLOSE, so the peer need not resend it.
    this.#flushAck();
    this.#state = 'closing';
    this.#full = true;
    this.#endSoon();
  }

  /** Ends our side; a peer that never ends its side is cut off after a while. */
  #endSoon(): void {
    this.#socket.end();
    const timer = setTimeout(() => this.#socket.destroy(), 2000);
    timer.unref();
    this.#socket.once('close', () => clearTimeout(timer));
  }

  #onDrain = (): void => {
    if (this.#full) this.#updateFull();
  };

  #onError = (err: Error): void => {
    this.#closeError ??= new MpxError('MPX_ERR_CARRIER_CLOSED', `carrier error: ${err.message}`, { cause: err });
  };

  #onEnd = (): void => {
    // The peer ended its side: nothing more will arrive. Finish ours too.
    if (this.#state !== 'closed') {
      this.#state = 'closing';
      this.#full = true;
    }
    this.#socket.end();
  };

  #onClose = (): void => {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#full = true;
    if (this.#tick !== undefined) this.#options.clock.clearTimeout(this.#tick);
    this.#clearAckTimer();
    this.emit('close', this.#closeError);
  };
}

/** Unacked bytes above which a carrier counts as busy for rate sampling. */
const MIN_BUSY_BYTES = 64 * 1024;
