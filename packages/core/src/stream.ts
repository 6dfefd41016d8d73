// A stream (SPEC §6) as a Node Duplex that behaves like net.Socket: half-close
// with end(), abort with destroy(), backpressure on write(), in-order reads.
// The session owns the wire; the stream's buffers and credit are behind its
// send side (stream-sender.ts) and receive side (stream-receiver.ts).
//
// A relay that splices a stream to a socket (apps/tunnel) may skip the
// Duplex's per-chunk work both ways, with the same queue, credit and
// backpressure: attachSink() hands received bytes straight to a sink (the
// socket) instead of push() and 'data', and send() queues bytes read from
// the socket without going through the Writable. The Duplex still ends,
// closes and fails as usual ('end', 'close', 'error', end(), destroy()).
import { Duplex } from 'node:stream';
import { microtask } from './clock.js';
import { SMALL_STREAM_BYTES } from './constants.js';
import { MpxError } from './errors.js';
import type { WindowTuning } from './flow-control.js';
import type { DataFrame } from './frame.js';
import type { IdleWatch } from './idle-watch.js';
import type { PayloadOwner } from './payload-owner.js';
import type { PinBudget } from './pinning.js';
import type { GapBudget } from './reorder-buffer.js';
import { small } from './small-integers.js';
import { StreamReceiver, type ReceiveLedger } from './stream-receiver.js';
import { StreamSender } from './stream-sender.js';

/** What a stream needs from its session. */
export interface StreamHost {
  readonly streamSendBuffer: number;
  /** The gaps the session's reorder buffers share (SPEC §7.3). */
  readonly reorderGaps: GapBudget;
  /** The memory the session's reorder buffers may let views pin beyond PIN_RATIO (pinning.ts). */
  readonly reorderPins: PinBudget;
  /** The session's receive accounting (SPEC §7.2). */
  readonly receiveLedger: ReceiveLedger;
  /** SPEC §7.1: how far a stream's receive window may grow, and the time and round trip that decide it. */
  readonly windowTuning: WindowTuning;
  /** SPEC §7.4: the session's send credit not yet spoken for by the streams' queues (negative when they exceed it). */
  readonly queueHeadroom: number;
  /** SPEC §7.4: bytes queued on all the session's streams. */
  readonly queuedTotal: number;
  /** SPEC §8: streams waiting for a turn in the send round (the one whose frame is being cut is not among them). */
  readonly streamsInRound: number;
  /** The bytes queued on this stream changed by `delta`. */
  queueChanged(delta: number): void;
  /** The stream has something to send (data, SYN or FIN). */
  wakeSender(stream: MpxStream): void;
  /** The application took bytes; `windowUpdate` is the stream's new max offset when a WINDOW is due (SPEC §7). */
  released(stream: MpxStream, windowUpdate: number | null): void;
  /** The Duplex is being destroyed (SPEC §6.4). */
  destroyed(stream: MpxStream, err: Error | null): void;
  /** Where payload memory comes from and goes back to (payload-owner.ts), if the application lends it. */
  readonly payloadOwner: PayloadOwner | undefined;
}

/**
 * Where a spliced stream's received bytes go instead of its Readable side
 * (attachSink): in order, each chunk's credit returned as it is handed over
 * (SPEC §7), as when the application reads it.
 */
export interface StreamSink {
  /**
   * The next in-order bytes. False: the sink is full; nothing more comes until the stream's sinkDrained().
   * The chunk is the sink's: a sink that is done with it (a socket wrote it) may give it back with
   * `readBlocks.release(chunk)`, once, so that the carrier read it came in is read into again (read-blocks.ts).
   */
  write(chunk: Uint8Array): boolean;
  /**
   * The end of a delivery: the chunks written since the last flush may leave
   * together (one writev), now or, for a socket, once the turn's other
   * carrier reads are delivered too (mpx-tunnel's splice). Deliveries come
   * once per carrier read, after all its frames: the payloads of one read
   * leave together.
   */
  flush(): void;
}

export interface StreamStats {
  readonly id: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly buffered: number;
  readonly queued: number;
}

/** The key of a stream's place in the session's send queue (send-loop.ts), kept on the stream (round-robin.ts QueuePositions). */
export const SEND_QUEUE_POSITION = Symbol('mpx.sendQueuePosition');

export class MpxStream extends Duplex {
  readonly id: number;
  /** Owned by the session's send loop: the stream's place in its round-robin, if queued. */
  [SEND_QUEUE_POSITION]: number | undefined = undefined;
  readonly #host: StreamHost;
  readonly #tx: StreamSender;
  readonly #rx: StreamReceiver;
  #writeCallback: ((err?: Error | null) => void) | null = null;
  #finalCallback: ((err?: Error | null) => void) | null = null;
  #reading = false;
  #delivering = false;
  /** attachSink(): received bytes go here, not to push(). */
  #sink: StreamSink | null = null;
  /** The sink said it is full: hold deliveries until sinkDrained(). */
  #sinkFull = false;
  /** A delivery to the sink is queued (a microtask: after the frames of the carrier read that is being handled). */
  #deliverQueued = false;
  /** send() said stop: 'drain' is due once there is room again (SPEC §7.4). */
  #senderHeld = false;
  #endPushed = false;
  /** The idle timer (streamIdleTimeoutMs), if on. */
  #idle: IdleWatch | undefined;
  #target = false;
  #kindKnown: boolean;
  /**
   * `destroyed`, kept here: set in _destroy(), which destroy() calls in the
   * same run as it sets the Duplex's own flags. Rationale: the Duplex's
   * `destroyed` getter reads both of its states and is not inlined where
   * sockets and streams meet, ~1.5% of a tunnel process's CPU in small
   * request/response traffic, most of it from the checks of this class
   * (per frame sent and per delivery).
   */
  #gone = false;
  /**
   * SPEC §8: bytes sent beyond the end of the furthest DATA frame of this
   * stream the peer has acknowledged. Rationale: a distance, not the end
   * itself; a field that holds an offset past 2^31 turns into a double
   * field for every stream (docs/decisions/0016-small-integers.md).
   */
  #unackedBytes = 0;
  /**
   * SPEC §8: bytes sent since the stream's small-stream allowance began,
   * counted no further once past SMALL_STREAM_BYTES (so it stays small).
   */
  #sentSinceSmall = 0;

  constructor(id: number, host: StreamHost, sendWindow: number, recvWindow: number, locallyOpened: boolean) {
    super({ allowHalfOpen: true, readableHighWaterMark: STREAM_READ_BUFFER, writableHighWaterMark: STREAM_WRITE_BUFFER });
    this.id = id;
    this.#host = host;
    this.#tx = new StreamSender(id, sendWindow, locallyOpened, (delta) => host.queueChanged(delta), host.payloadOwner);
    this.#rx = new StreamReceiver(id, recvWindow, host.reorderGaps, host.receiveLedger, host.windowTuning, host.reorderPins);
    this.#kindKnown = locallyOpened;
  }

  /**
   * SPEC §6.6: the opener's data begins with a target header (readTargetHeader).
   * Set by the session: when opening with a target, or from the TARGET flag of
   * the peer's DATA frame that opened the stream.
   */
  get target(): boolean {
    return this.#target;
  }

  /**
   * SPEC §6.6: whether `target` is known. False for a peer stream opened by a
   * frame other than its own DATA (a higher id's frame, or its WINDOW or
   * RESET) until its first DATA frame arrives; then the stream emits
   * `'kind'` (target: boolean). Always true for locally opened streams.
   */
  get kindKnown(): boolean {
    return this.#kindKnown;
  }

  /** SPEC §6.6: this side opens the stream to a target: `header` goes first, and every DATA frame carries TARGET. */
  openToTarget(header: Uint8Array): void {
    this.#target = true;
    this.#tx.markTarget();
    this.write(header);
  }

  /** SPEC §6.6: the TARGET flag of the peer's first DATA frame on this stream tells its kind. */
  learnKind(target: boolean): void {
    this.#kindKnown = true;
    this.#target = target;
  }

  /** Bytes handed to carriers so far: the final size once FIN or RESET is sent. */
  get sendOffset(): number {
    return this.#tx.offset;
  }

  get finSent(): boolean {
    return this.#tx.finSent;
  }

  get endPushed(): boolean {
    return this.#endPushed;
  }

  /** SPEC §6.3: both directions done cleanly. */
  get cleanlyClosed(): boolean {
    return this.#tx.finSent && this.#endPushed;
  }

  get queuedBytes(): number {
    return this.#tx.queued;
  }

  /** SPEC §8: bytes sent and queued since the stream's small-stream allowance began (the sent part counted up to just past SMALL_STREAM_BYTES). */
  get smallBytes(): number {
    return this.#sentSinceSmall + this.#tx.queued;
  }

  /**
   * SPEC §8: as the stream wakes, a new small-stream allowance begins if the
   * peer has acknowledged every byte it sent: nothing of its own is in
   * flight, so it is between an answer and the next request, not a bulk
   * stream's backlog.
   */
  renewSmall(): void {
    if (this.#unackedBytes <= 0) this.#sentSinceSmall = 0;
  }

  /** SPEC §9: the peer acknowledged a DATA frame of this stream that ends at `end`. */
  onDataAcked(end: number): void {
    const unacked = this.#tx.offset - end;
    if (unacked < this.#unackedBytes) this.#unackedBytes = small(unacked);
  }

  /**
   * Bytes write() takes now before it pushes back (SPEC §7.4): what is left
   * of the stream's credit (or of streamSendBuffer, when that is more), at
   * most the session credit not yet spoken for by the queues of all streams,
   * and past streamSendBuffer only while all queues together stay below
   * SEND_AHEAD. 0 exactly when write() pushes back. A writer that reads a
   * socket sizes its reads by it.
   */
  get sendRoom(): number {
    return this.roomWithin(this.#host.streamSendBuffer);
  }

  /**
   * sendRoom, with `ahead` bytes in place of streamSendBuffer beyond the
   * stream's credit: a reader that lets a stalled stream hold less than
   * streamSendBuffer sizes its reads by it and passes it to send(). Once the
   * session's queues reach SEND_AHEAD, a stream with credit still takes what
   * is left of streamSendBuffer (or of `ahead`, when that is more), as any
   * writer does. Rationale: with `ahead` there too (4 KiB in mpx-tunnel), 256
   * connections fetching 64 KiB answers through one carrier queued 4 KiB
   * each, so the server read its targets and framed their answers in pieces
   * of 1–4 KiB: 10.9–12.0 system calls per answer in the server, 5.1–5.3
   * with this and readRoom().
   */
  roomWithin(ahead: number): number {
    return this.#roomOnceSent(ahead, 0);
  }

  /**
   * What the next read of a source may bring (SPEC §7.4): roomWithin(ahead),
   * or, when that is 0 and bytes are queued, the room once they have left.
   * Rationale: send() has then pushed back, and the reader reads again only
   * once the queue is empty (or the room is back to RESUME_ROOM); a read
   * sized by the room at the push-back would be the smallest read, 1 KiB,
   * and so would the frame cut from it.
   */
  readRoom(ahead: number): number {
    const room = this.#roomOnceSent(ahead, 0);
    const queued = this.#tx.queued;
    return room > 0 || queued === 0 ? room : this.#roomOnceSent(ahead, queued);
  }

  /** roomWithin(ahead) once `sent` queued bytes have gone out, spending their credit. */
  #roomOnceSent(ahead: number, sent: number): number {
    const host = this.#host;
    const queued = this.#tx.queued - sent;
    const credit = Math.min(Math.max(ahead, this.#tx.creditAvailable - sent) - queued, host.queueHeadroom);
    const past = Math.max(Math.max(ahead, host.streamSendBuffer) - queued, SEND_AHEAD - (host.queuedTotal - sent));
    return Math.max(0, Math.min(credit, past));
  }

  /** A RESET was sent (or queued) for this stream (SPEC §6.4). */
  get resetSent(): boolean {
    return this.#tx.stopped;
  }

  /** The peer reset this stream (SPEC §6.4). */
  get resetReceived(): boolean {
    return this.#rx.resetReceived;
  }

  /** The peer's final size is known (FIN or RESET): it will send nothing that needs credit. */
  get finalSizeKnown(): boolean {
    return this.#rx.finalSize !== undefined;
  }

  stats(): StreamStats {
    return {
      id: this.id,
      bytesSent: this.#tx.offset,
      bytesReceived: this.#rx.highestReceived,
      buffered: this.#rx.bufferedBytes,
      queued: this.#tx.queued,
    };
  }

  /** Starts the idle timer (the session's streamIdleTimeoutMs); activity in either direction restarts it. */
  watchIdle(watch: IdleWatch): void {
    this.#idle = watch;
  }

  /** Stops the idle timer (the stream is forgotten, or it fired). */
  stopIdle(): void {
    this.#idle?.stop();
    this.#idle = undefined;
  }

  // ---- send side, driven by the session's send loop ----

  /**
   * Payload bytes the next frame would carry given `sessionCredit`, or -1 when
   * the stream has nothing it may send now (no data, or no credit).
   */
  nextPayload(sessionCredit: number, maxPayload: number): number {
    return this.#gone ? -1 : this.#tx.nextPayload(sessionCredit, maxPayload);
  }

  /** True when the stream waits only for session credit. */
  blockedOnSession(sessionCredit: number): boolean {
    return this.#tx.blockedOnSession(sessionCredit);
  }

  /** Cuts the next DATA frame (SPEC §5.1). Call only after nextPayload() ≥ 0. */
  takeFrame(n: number): DataFrame {
    const frame = this.#tx.takeFrame(n);
    const bytes = frame.payload.byteLength;
    this.#unackedBytes += bytes;
    if (this.#sentSinceSmall <= SMALL_STREAM_BYTES) this.#sentSinceSmall += bytes;
    this.#idle?.touch();
    if (frame.fin) {
      const cb = this.#finalCallback;
      this.#finalCallback = null;
      if (cb !== null) process.nextTick(cb);
    }
    this.#releaseWriter();
    return frame;
  }

  /** SPEC §5.2: a WINDOW for this stream. True when the credit grew and bytes wait for it. */
  onWindow(maxOffset: number): boolean {
    return this.#tx.updateCredit(maxOffset) && this.#tx.queued > 0;
  }

  /**
   * SPEC §6.4: this side resets the stream. Drops what is queued to send and
   * what was received (releasing its credit); returns the final size for RESET.
   */
  stopBoth(): number {
    const finalSize = this.#tx.stop();
    this.#rx.dropAll();
    return finalSize;
  }

  /**
   * A held writer goes on once its queue is empty, the room is back to
   * RESUME_ROOM, or, while other streams wait in the send round, its queue
   * is down to half its share of SEND_AHEAD among them (SPEC §7.4).
   * Rationale: by the room alone, the room SEND_AHEAD gives back went to
   * the writer whose frame left when it reached RESUME_ROOM; it filled
   * SEND_AHEAD again, and the other of two bulk streams ran its queue dry
   * and left the round. Not for a stream alone in the round: held by its
   * own credit, it would go on at every frame that leaves and read its
   * source a few KiB at a time.
   */
  #releaseWriter(): void {
    if (this.#writeCallback === null && !this.#senderHeld) return;
    const queued = this.#tx.queued;
    if (queued > 0 && !this.#withinHalfShare(queued) && this.sendRoom < RESUME_ROOM) return;
    const cb = this.#writeCallback;
    this.#writeCallback = null;
    cb?.();
    if (this.#senderHeld) {
      this.#senderHeld = false;
      this.emit('drain');
    }
  }

  /** SPEC §7.4: other streams wait in the send round and `queued` is at most half this stream's share of SEND_AHEAD among them. */
  #withinHalfShare(queued: number): boolean {
    const others = this.#host.streamsInRound;
    return others > 0 && queued <= SEND_AHEAD / (2 * (others + 1));
  }

  /**
   * write() for a relay that reads a socket: the chunk joins the send queue
   * at once, with the credit and backpressure of write() (SPEC §7.4), but
   * without the Writable's per-chunk work. False means stop: 'drain' follows
   * once there is room again. Goes through write() while the Writable holds
   * chunks of its own (their order comes first), is corked, or has ended.
   * `ahead`: the room is roomWithin(ahead) instead of sendRoom (what the
   * stream may queue past its credit, in place of streamSendBuffer).
   */
  send(chunk: Uint8Array, ahead?: number): boolean {
    if (this.#gone || this.writableLength > 0 || this.writableCorked > 0 || this.writableEnded) return this.write(chunk);
    this.#tx.enqueue(chunk);
    const more = this.#mayTakeMore(ahead);
    if (!more) this.#senderHeld = true;
    this.#host.wakeSender(this);
    return more;
  }

  /**
   * SPEC §7.4: the writer may go on while there is room (sendRoom), or when
   * nothing is queued (so that a held writer always has bytes that credit
   * will send, and their going out lets it go on). Every queue together stays
   * within the session credit the peer granted, plus the writer's last chunk
   * per stream. `ahead`: roomWithin(ahead) instead of sendRoom (see send()).
   */
  #mayTakeMore(ahead = this.#host.streamSendBuffer): boolean {
    return this.#tx.queued === 0 || this.roomWithin(ahead) > 0;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#tx.enqueue(chunk);
    this.#afterWrite(callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    for (const { chunk } of chunks) this.#tx.enqueue(chunk);
    this.#afterWrite(callback);
  }

  #afterWrite(callback: (err?: Error | null) => void): void {
    // Backpressure: hold the callback (so write() returns false and 'drain'
    // follows once frames leave) while the queue is more than may wait.
    if (this.#mayTakeMore()) callback();
    else this.#writeCallback = callback;
    this.#host.wakeSender(this);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.#tx.queueFin();
    this.#finalCallback = callback;
    this.#host.wakeSender(this);
  }

  // ---- receive side ----

  /**
   * SPEC §5.1: a DATA frame for this stream: validated and charged, then
   * stored and delivered (or, once this side reset the stream, counted and
   * dropped). Returns the bytes new to the reorder buffer.
   */
  receiveData(frame: DataFrame): number {
    if (!this.#kindKnown) {
      // SPEC §6.6: opened by another frame; its first DATA frame tells its kind, before any byte is delivered.
      this.learnKind(frame.target === true);
      if (!this.destroyed) this.emit('kind', this.#target);
    }
    const discarding = this.#rx.discarding;
    const stored = this.#rx.onData(frame.offset, frame.payload, frame.fin, frame.rest);
    if (!discarding) {
      this.#idle?.touch();
      if (this.#sink === null) this.deliver();
      else if (!this.#deliverQueued) {
        this.#deliverQueued = true;
        microtask(this.#queuedDelivery);
      }
    }
    return stored;
  }

  /** SPEC §6.4: the peer reset this stream at `finalSize`; validated and charged, the buffer dropped. */
  receiveReset(finalSize: number): void {
    this.#rx.onReset(finalSize);
  }

  /** The stream is forgotten by its session: its reorder gaps return to the session's budget. */
  forgotten(): void {
    this.stopIdle();
    this.#rx.close();
  }

  override _read(): void {
    this.#reading = true;
    this.deliver();
  }

  /**
   * Hands every received byte to `sink` from now on, instead of the Readable
   * side (for a relay that splices the stream to a socket; call it instead
   * of reading the stream). Bytes already in the Readable buffer (left there
   * by a reader of a target header, SPEC §6.6) go first. The Readable side
   * still ends: 'end' comes once every byte up to the peer's FIN was handed
   * over.
   */
  attachSink(sink: StreamSink): void {
    // read() below may call _read(): nothing from the receiver may overtake
    // the Readable's bytes. They go even to a sink that says it is full: they
    // are in memory already (at most STREAM_READ_BUFFER), only moved.
    this.#delivering = true;
    try {
      this.pause(); // paused, read() takes the whole buffer at once
      const buffered = this.readableLength > 0 ? (this.read() as Buffer | null) : null;
      if (buffered !== null) {
        this.#sinkFull = !sink.write(buffered);
        sink.flush();
      }
    } finally {
      this.#delivering = false;
    }
    this.#sink = sink;
    this.resume(); // flowing, so that 'end' is emitted once pushed
    this.deliver();
  }

  readonly #queuedDelivery = (): void => {
    this.#deliverQueued = false;
    this.deliver();
  };

  /** The sink takes bytes again (it returned false from write()). */
  sinkDrained(): void {
    this.#sinkFull = false;
    this.deliver();
  }

  /** Hands in-order bytes to the reader (or the sink) while it wants them (SPEC §6.5). */
  deliver(): void {
    if (this.#delivering || this.#gone) return;
    this.#delivering = true;
    let released = 0;
    try {
      const sink = this.#sink;
      if (sink === null) {
        while (this.#reading) {
          const chunk = this.#rx.read();
          if (chunk === null) break;
          released += chunk.byteLength;
          this.#reading = this.push(chunk);
        }
      } else {
        while (!this.#sinkFull) {
          const chunk = this.#rx.read();
          if (chunk === null) break;
          released += chunk.byteLength;
          this.#sinkFull = !sink.write(chunk);
        }
        if (released > 0) sink.flush();
      }
      // Whatever the reader left stays a while: not a view pinning a much larger buffer (beyond the session's PinBudget).
      this.#rx.settle();
      if (!this.#endPushed && this.#rx.isFinished) {
        this.#endPushed = true;
        this.push(null);
      }
    } finally {
      this.#delivering = false;
    }
    if (released > 0) this.#host.released(this, this.#rx.release(released));
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#gone = true;
    const pending = this.#writeCallback;
    this.#writeCallback = null;
    const final = this.#finalCallback;
    this.#finalCallback = null;
    const error = err ?? (this.cleanlyClosed ? null : new MpxError('MPX_ERR_STREAM_RESET', 'stream destroyed'));
    this.#host.destroyed(this, err);
    pending?.(error);
    final?.(error);
    callback(err);
  }
}

/**
 * SPEC §7.4: bytes all the streams of a session queue together, waiting for
 * a carrier, before a stream takes more than streamSendBuffer. Rationale:
 * bytes that credit covers but no carrier takes yet wait better in the
 * kernel's socket buffers than in the process; 1 MiB is many milliseconds of
 * any carrier's speed (frames already handed to carriers are not counted),
 * where the session window (64 MiB) let a server whose peer had stopped
 * reading hold all of it in its queues as well as in flight.
 */
export const SEND_AHEAD = 1024 * 1024;

/**
 * Room a held writer waits for before it goes on, unless its queue empties
 * first. Rationale: a writer that reads a socket stops and starts the socket
 * each time it is held (a system call each way); released as soon as one
 * frame had left, a bulk source held at SEND_AHEAD went on for one 16 KiB
 * read at a time. A quarter of SEND_AHEAD is four 64 KiB reads.
 */
export const RESUME_ROOM = SEND_AHEAD / 4;

/**
 * The Readable high-water mark of a stream. Bytes in the Readable buffer have
 * had their credit returned (SPEC §7.4), so this bounds what an application
 * that stops reading holds beyond the window. Rationale: 64 KiB; 16 KiB (one
 * payload) cost a third of the download throughput on loopback.
 */
export const STREAM_READ_BUFFER = 64 * 1024;
/**
 * The Writable high-water mark, 1 byte: write() returns false as soon as a
 * chunk waits in the Duplex, and a chunk waits only while the stream holds
 * it back (sendRoom ran out, SPEC §7.4). Rationale: with a larger mark, a
 * held chunk smaller than it still returned true, and a writer went on
 * filling the Duplex's own buffer up to the mark, bytes no credit covers.
 * A chunk the stream takes at once completes in write() itself, so 1 byte
 * costs nothing while there is room.
 */
export const STREAM_WRITE_BUFFER = 1;
