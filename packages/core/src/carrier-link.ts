// One carrier as the session sees it: a Duplex plus its decoder, its write
// batching and its backpressure state (STYLE §7). The handshake (handshake.ts)
// and then the session read frames from it through `onFrame`.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { CloseFlags, FrameType, WireCode } from './constants.js';
import { FrameDecoder } from './decode.js';
import { encodeFrame } from './encode.js';
import { MpxError, wireCodeName } from './errors.js';
import type { Frame } from './frame.js';

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
}

export interface CarrierLinkOptions {
  readonly maxFrame: number;
  /** Bytes in the Duplex's write buffer above which the carrier counts as full. */
  readonly writeBuffer: number;
  readonly label?: string;
}

let nextCarrierId = 1;

/**
 * Events: `'drain'` when a full carrier can take frames again; `'close'`
 * (error?: MpxError) once, when the carrier is gone for whatever reason.
 */
export class CarrierLink extends EventEmitter {
  readonly id = nextCarrierId++;
  readonly label: string;
  weight = 1;
  /** Receives every decoded frame; replaced when the handshake hands over. */
  onFrame: (frame: Frame) => void = () => {};

  #socket: Duplex;
  #decoder: FrameDecoder;
  #state: CarrierState = 'handshake';
  #writeBuffer: number;
  #corked = false;
  #full = false;
  #bytesIn = 0;
  #bytesOut = 0;
  #framesIn = 0;
  #framesOut = 0;
  #closeError: MpxError | undefined;
  /** Set once a frame failed to decode: the rest of the byte stream is meaningless. */
  #readFailed = false;

  constructor(socket: Duplex, options: CarrierLinkOptions) {
    super();
    this.#socket = socket;
    this.label = options.label ?? `carrier-${this.id}`;
    this.#decoder = new FrameDecoder({ maxFrame: options.maxFrame });
    this.#writeBuffer = Math.max(options.writeBuffer, socket.writableHighWaterMark);
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

  /** Marks the handshake done: from now on frames go to the session. */
  open(): void {
    if (this.#state === 'handshake') this.#state = 'open';
  }

  /**
   * Writes one frame. Writes within one tick are corked together so that a
   * header and its payload (and neighbouring frames) leave in one writev
   * (STYLE §4). Returns false when the carrier is now full.
   */
  send(frame: Frame): boolean {
    if (this.#state === 'closed' || this.#socket.destroyed) return false;
    const chunks = encodeFrame(frame);
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    for (const chunk of chunks) {
      this.#socket.write(chunk);
      this.#bytesOut += chunk.byteLength;
    }
    this.#framesOut++;
    if (this.#socket.writableLength >= this.#writeBuffer) this.#full = true;
    return !this.#full;
  }

  /** Sends CLOSE (SPEC §5.6) and ends the carrier gracefully. */
  close(code: number = WireCode.NO_ERROR, reason = '', session = false): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.send({ type: FrameType.CLOSE, session, code, reason });
    this.#state = 'closing';
    if (code !== WireCode.NO_ERROR && this.#closeError === undefined) {
      this.#closeError = new MpxError('MPX_ERR_CARRIER_CLOSED', `carrier closed locally: ${wireCodeName(code)} ${reason}`.trim(), {
        wireCode: code,
      });
    }
    this.#socket.end();
    // A peer that never reads must not keep a closing carrier alive.
    const timer = setTimeout(() => this.#socket.destroy(), 2000);
    timer.unref();
    this.#socket.once('close', () => clearTimeout(timer));
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
    };
  }

  #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  #onData = (chunk: Buffer): void => {
    this.#bytesIn += chunk.byteLength;
    if (this.#state === 'closed' || this.#readFailed) return;
    this.#decoder.push(chunk);
    try {
      for (;;) {
        if ((this.#state as CarrierState) === 'closed') return;
        const frame = this.#decoder.next();
        if (frame === null) return;
        this.#framesIn++;
        if (frame.type === FrameType.CLOSE) {
          this.#onPeerClose(frame.code, frame.reason, frame.session);
          if (frame.session) this.onFrame(frame);
          return;
        }
        if (this.#state === 'closing' && frame.type !== FrameType.ACK) continue;
        this.onFrame(frame);
      }
    } catch (err) {
      this.#readFailed = true;
      if (err instanceof MpxError) {
        this.fail(err);
      } else {
        this.fail(new MpxError('MPX_ERR_INTERNAL', `internal error while reading a frame: ${String(err)}`, { cause: err, wireCode: WireCode.INTERNAL }));
      }
    }
  };

  #onPeerClose(code: number, reason: string, session: boolean): void {
    if (code !== WireCode.NO_ERROR || session) {
      this.#closeError ??= new MpxError(
        session ? 'MPX_ERR_SESSION_CLOSED' : 'MPX_ERR_CARRIER_CLOSED',
        `peer closed the ${session ? 'session' : 'carrier'}: ${wireCodeName(code)}${reason ? ` (${reason})` : ''}`,
        { wireCode: code },
      );
    }
    this.#state = 'closing';
    this.#socket.end();
    const timer = setTimeout(() => this.#socket.destroy(), 2000);
    timer.unref();
    this.#socket.once('close', () => clearTimeout(timer));
  }

  #onDrain = (): void => {
    if (!this.#full) return;
    if (this.#socket.writableLength < this.#writeBuffer) {
      this.#full = false;
      this.emit('drain');
    }
  };

  #onError = (err: Error): void => {
    this.#closeError ??= new MpxError('MPX_ERR_CARRIER_CLOSED', `carrier error: ${err.message}`, { cause: err });
  };

  #onEnd = (): void => {
    // The peer ended its side: nothing more will arrive. Finish ours too.
    if (this.#state !== 'closed') this.#state = 'closing';
    this.#socket.end();
  };

  #onClose = (): void => {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#full = true;
    this.emit('close', this.#closeError);
  };
}

