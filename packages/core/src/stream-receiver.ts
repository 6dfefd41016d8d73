// The receive side of a stream (SPEC §6.5, §7.1), with no I/O: each DATA
// frame is validated (final size, the stream's credit), charged to the
// session, and inserted into the reorder buffer; bytes the application reads,
// or that a reset drops, return credit to the stream and to the session. Like
// quinn's Assembler and quic-go's frameSorter it owns its state and exposes
// verbs: the stream delivers what read() gives, the session sends the WINDOW
// frames these verbs ask for.
import { MAX_U64_VALUE, WireCode } from './constants.js';
import { MpxProtocolError } from './errors.js';
import { ReceiveWindow, type WindowTuning } from './flow-control.js';
import { ByteCount } from './small-integers.js';
import type { PinBudget } from './pinning.js';
import { ReorderBuffer, type GapBudget } from './reorder-buffer.js';

/** SPEC §7.2: the session's receive accounting, which every stream's receiver charges. */
export interface ReceiveLedger {
  /** `growth` more bytes were received on the session; throws `FLOW_CONTROL` beyond the session's credit (changing nothing). */
  admit(growth: number): void;
  /** `n` received bytes were read or dropped: their session credit may return. */
  release(n: number): void;
}

/**
 * SPEC §7.2: the session's receive window. `received` is the sum over streams
 * of their highest offsets received (a reset stream counting its final size);
 * released bytes return credit through `onUpdate` (the new max offset for a
 * WINDOW on stream 0, or null when none is due yet).
 */
export class SessionReceive implements ReceiveLedger {
  readonly #window: ReceiveWindow;
  readonly #onUpdate: (maxOffset: number | null) => void;

  constructor(window: number, onUpdate: (maxOffset: number | null) => void) {
    this.#window = new ReceiveWindow(window);
    this.#onUpdate = onUpdate;
  }

  get received(): number {
    return this.#window.received;
  }

  get advertised(): number {
    return this.#window.advertised;
  }

  admit(growth: number): void {
    this.#window.grow(growth);
  }

  release(n: number): void {
    this.#onUpdate(this.#window.onConsume(n));
  }
}

/**
 * A stream's reorder buffer, receive window and released bytes. Every byte
 * the session counted for this stream (up to its highest offset, or its final
 * size after a RESET) is released exactly once: read by the application,
 * dropped by a local reset, or discarded on arrival once the stream is reset.
 */
export class StreamReceiver {
  readonly #id: number;
  readonly #buffer: ReorderBuffer;
  readonly #window: ReceiveWindow;
  readonly #ledger: ReceiveLedger;
  /** Bytes released to the ledger: read, or dropped. */
  readonly #released = new ByteCount();
  #resetReceived = false;

  /**
   * `window`: the initial window (SPEC §7.1); with `tuning` it grows up to
   * `tuning.max` for a reader that keeps up. `pins`: the session's PinBudget
   * (without it, pieces beyond PIN_RATIO are always copied).
   */
  constructor(id: number, window: number, gaps: GapBudget, ledger: ReceiveLedger, tuning?: WindowTuning, pins?: PinBudget) {
    this.#id = id;
    this.#buffer = new ReorderBuffer({ budget: gaps, pins });
    this.#window = new ReceiveWindow(window, tuning);
    this.#ledger = ledger;
  }

  /** The largest offset received (SPEC §7.1 counts it). */
  get highestReceived(): number {
    return this.#buffer.highestReceived;
  }

  /** Bytes held for the reader. */
  get bufferedBytes(): number {
    return this.#buffer.bufferedBytes;
  }

  /** The final size, once a FIN or RESET told it. */
  get finalSize(): number | undefined {
    return this.#buffer.finalSize;
  }

  /** SPEC §6.5: every byte below the final size was read; the end may be delivered. */
  get isFinished(): boolean {
    return this.#buffer.isFinished;
  }

  get resetReceived(): boolean {
    return this.#resetReceived;
  }

  /** After dropAll(): arriving bytes are counted and released at once, never stored (SPEC §6.4). */
  get discarding(): boolean {
    return this.#buffer.isDiscarding;
  }

  /** Bytes released to the session so far (read, or dropped). */
  get released(): number {
    return this.#released.value;
  }

  /** The max offset granted to the peer for this stream. */
  get advertised(): number {
    return this.#window.advertised;
  }

  /**
   * SPEC §5.1, §7.1: a DATA frame for `[offset, offset + payload.length)`
   * (and `rest` after it, when the decoder split the payload, frame.ts).
   * Checks it against the final size and the stream's credit, charges the
   * session for the bytes beyond the highest offset received, then stores it
   * (or, when discarding, releases those bytes at once). Returns the bytes new
   * to the buffer. Throws `MpxProtocolError` before changing anything, except
   * that the reorder buffer's gap limits are checked after the charge.
   */
  onData(offset: number, payload: Uint8Array, fin: boolean, rest?: Uint8Array): number {
    const buffer = this.#buffer;
    const end = offset + payload.byteLength + (rest === undefined ? 0 : rest.byteLength);
    if (end > MAX_U64_VALUE) throw new MpxProtocolError(WireCode.PROTOCOL, 'DATA ends beyond 2^53');
    const finalSize = buffer.finalSize;
    if (finalSize !== undefined && (end > finalSize || (fin && end !== finalSize))) {
      throw new MpxProtocolError(WireCode.FINAL_SIZE, `stream ${this.#id}: data up to ${end} against final size ${finalSize}`);
    }
    if (fin && buffer.highestReceived > end) {
      throw new MpxProtocolError(WireCode.FINAL_SIZE, `stream ${this.#id}: FIN at ${end} below bytes already received`);
    }
    if (end > this.#window.advertised) {
      throw new MpxProtocolError(WireCode.FLOW_CONTROL, `stream ${this.#id}: data up to ${end} beyond credit ${this.#window.advertised}`);
    }
    const growth = Math.max(0, end - buffer.highestReceived);
    this.#ledger.admit(growth);
    this.#window.onReceive(end);
    // A discarding buffer stores nothing but still raises highestReceived, so
    // a duplicate is charged once.
    // The rest starts where the payload ends: every byte below it is then held or delivered, so it splits no gap and cannot fail.
    let stored = buffer.insert(offset, payload);
    if (rest !== undefined) stored += buffer.insert(offset + payload.byteLength, rest);
    if (fin) buffer.setFinalSize(end);
    if (buffer.isDiscarding && growth > 0) this.#release(growth);
    return stored;
  }

  /**
   * SPEC §6.4: the peer reset the stream at `finalSize`. Checks it against
   * what was received and the credit, charges the session up to it, releases
   * every byte not yet released and drops the buffer.
   */
  onReset(finalSize: number): void {
    const buffer = this.#buffer;
    const known = buffer.finalSize;
    if ((known !== undefined && known !== finalSize) || finalSize < buffer.highestReceived) {
      throw new MpxProtocolError(WireCode.FINAL_SIZE, `stream ${this.#id}: RESET final size ${finalSize} contradicts data received`);
    }
    if (finalSize > this.#window.advertised) {
      throw new MpxProtocolError(WireCode.FLOW_CONTROL, `stream ${this.#id}: RESET final size ${finalSize} beyond credit`);
    }
    this.#ledger.admit(finalSize - buffer.highestReceived);
    this.#resetReceived = true;
    buffer.clear();
    const unreleased = finalSize - this.released;
    if (unreleased > 0) this.#release(unreleased);
  }

  /** The next in-order bytes for the reader, or null. Their credit returns through release(). */
  read(): Uint8Array | null {
    return this.#buffer.read();
  }

  /** The reader stopped with bytes left: they may stay a while (the reorder buffer's settle()). */
  settle(): void {
    this.#buffer.settle();
  }

  /**
   * The reader took `n` bytes (SPEC §7): releases them to the session and
   * returns the stream's new max offset when a WINDOW is due, else null (also
   * once the final size is known: the peer needs no more credit).
   */
  release(n: number): number | null {
    const max = this.#buffer.finalSize === undefined ? this.#window.onConsume(n) : null;
    this.#release(n);
    return max;
  }

  /**
   * A local reset (SPEC §6.4, §7.2): drops the buffer and releases every byte
   * counted and not yet read; from now on arriving bytes are discarded.
   */
  dropAll(): void {
    const dropped = this.#buffer.highestReceived - this.released;
    this.#buffer.clear();
    if (dropped > 0) this.#release(dropped);
  }

  /** The stream is forgotten: its gaps and pinned memory go back to the session's budgets (nothing is left to read from them). */
  close(): void {
    if (this.#buffer.gapCount > 0 || this.#buffer.pinnedBytes > 0) this.#buffer.clear();
  }

  #release(n: number): void {
    this.#released.add(n);
    this.#ledger.release(n);
  }
}
