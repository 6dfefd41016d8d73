// SPEC §8: the session's send loop. Control frames (RESET, then WINDOW
// updates) leave first, then frames to send again (SPEC §9), then the frames
// of small streams (SMALL_STREAM_BYTES in all), then DATA from the streams
// round-robin, one frame per stream per turn, each frame on the carrier the
// weighted picker chooses (for DATA, among the carriers this side's data may
// take); a small stream's frame goes to the carrier behind the least queue,
// ahead of its in-flight cap if need be, and control frames go ahead of the
// caps when no carrier is below its cap. It also holds the session's send
// credit (SPEC §7.2) and the total queued on streams (SPEC §7.4). No I/O of
// its own: it runs in a microtask and hands frames to carrier links.
import { microtask } from './clock.js';
import { BULK_PAYLOAD, FrameType, SMALL_STREAM_BYTES } from './constants.js';
import type { CarrierLink } from './carrier-link.js';
import { SendCredit } from './flow-control.js';
import type { Frame, ResetFrame } from './frame.js';
import { RoundRobin, type QueuePositions } from './round-robin.js';
import type { SentFrame } from './sent-frames.js';
import { ByteCount } from './small-integers.js';
import { SEND_QUEUE_POSITION, type MpxStream } from './stream.js';

/** Encoded size of a frame header with its fields, as the picker charges it. */
export const DATA_OVERHEAD = 20;

/** Encoded size of a frame the session schedules. */
export function frameSize(frame: Frame): number {
  return frame.type === FrameType.DATA ? frame.payload.byteLength + DATA_OVERHEAD : DATA_OVERHEAD;
}

/** Where the send loop puts frames: the session's carriers. */
export interface FrameSink {
  /** The carrier for a frame of `size` bytes (charged for it), or undefined when none can take it now. */
  pick(size: number): CarrierLink | undefined;
  /** The same for a DATA frame: only carriers this side's data may take (SPEC §8). */
  pickData(size: number): CarrierLink | undefined;
  /** `link`, just picked by pickData(), takes a frame `size` bytes larger than it was picked for (a bulk frame, SPEC §8): charged for them. */
  chargeData(link: CarrierLink, size: number): void;
  /** For a control frame pick() found no carrier for: one that takes it ahead of its in-flight cap (SPEC §8), charged for it. */
  pickAhead(size: number): CarrierLink | undefined;
  /** For a small stream's DATA frame: the carrier behind the least queue, ahead of its in-flight cap if need be (SPEC §8), charged for it. */
  pickDataAhead(size: number): CarrierLink | undefined;
  /** Bytes sent on carriers and not yet acknowledged. */
  readonly unackedBytes: number;
}

/** The send queue keeps each stream's place on the stream itself (see QueuePositions). */
const STREAM_POSITIONS: QueuePositions<MpxStream> = {
  get: (stream) => stream[SEND_QUEUE_POSITION],
  set: (stream, position) => {
    stream[SEND_QUEUE_POSITION] = position;
  },
  delete: (stream) => {
    if (stream[SEND_QUEUE_POSITION] === undefined) return false;
    stream[SEND_QUEUE_POSITION] = undefined;
    return true;
  },
};

/** SPEC §8: `stream` has sent and queued SMALL_STREAM_BYTES or less since its allowance began (MpxStream.renewSmall). */
function isSmall(stream: MpxStream): boolean {
  return stream.smallBytes <= SMALL_STREAM_BYTES;
}

export class SendLoop {
  readonly #sink: FrameSink;
  /** SPEC §9: bytes kept for retransmission above which only what is already owed goes out (the session window). */
  readonly #bufferCap: number;
  #maxPayload: number;
  /** SPEC §8: the largest payload of a bulk frame on a fast carrier (BULK_PAYLOAD within the peer's max frame; #maxPayload until the peer is known). */
  #bulkPayload: number;
  #sendSession = new SendCredit(0);
  /** Bytes queued on all streams, waiting to be framed (SPEC §7.4). */
  #streamsQueued = 0;

  readonly #control: ResetFrame[] = [];
  readonly #windowUpdates = new Map<number, number>();
  /** SPEC §9: frames to send again (from a lost carrier, or copies of lagging ones), in original send order. */
  #retransmit: SentFrame[] = [];
  /** SPEC §9: the place of the next new frame in the order this session sends frames (kept by SentFrame across retransmissions). */
  #nextSendOrder = 0;
  #retransmitHead = 0;
  #retransmitBytes = 0;
  readonly #dataQueue = new RoundRobin<MpxStream>(STREAM_POSITIONS);
  /**
   * SPEC §8: turns a stream still gives up for the bulk frames it sent while
   * other streams waited in the round: one per `maxPayload` a frame carried
   * beyond the first, so that a round shares bytes, not frames.
   */
  readonly #owedTurns = new Map<MpxStream, number>();
  /**
   * SPEC §8: the stream whose frame found no carrier; it goes first once one
   * can take a frame. Rationale: pushed back to the tail instead, a new
   * stream's first frame would lose its turn to the bulk stream ahead of it
   * at every drain that frees room for one frame, and wait behind its backlog.
   */
  #waiting: MpxStream | undefined;
  /**
   * SPEC §8: small streams (isSmall(): an open, a request, an answer)
   * woken out of the round, in the order they woke: served before the
   * round, ahead of the carriers' caps if need be. Rationale: in
   * the round, a new request's frame waited for a carrier with room below
   * its cap, behind the turn of a bulk stream that holds every carrier at
   * its cap.
   */
  readonly #small = new Set<MpxStream>();
  readonly #sessionBlocked = new Set<MpxStream>();
  #flushScheduled = false;
  #closed = false;
  /**
   * During a flush: the sink's unackedBytes, read once when it started and
   * kept by #write. Rationale: the sink sums it over every carrier, and
   * the flush looks at it before each frame; within one flush only the
   * frames it writes change it.
   */
  #unacked = 0;

  readonly #bytesSent = new ByteCount();
  #framesSent = 0;
  #retransmitted = 0;

  constructor(sink: FrameSink, bufferCap: number, maxPayload: number) {
    this.#sink = sink;
    this.#bufferCap = bufferCap;
    this.#maxPayload = maxPayload;
    this.#bulkPayload = maxPayload;
  }

  get bytesSent(): number {
    return this.#bytesSent.value;
  }

  get framesSent(): number {
    return this.#framesSent;
  }

  get retransmitted(): number {
    return this.#retransmitted;
  }

  /** RESET frames waiting (each needs a reply slot; the session caps them). */
  get resetsQueued(): number {
    return this.#control.length;
  }

  /** SPEC §7.4: the session's send credit not yet spoken for by the streams' queues (negative when they exceed it). */
  get queueHeadroom(): number {
    return this.#sendSession.available - this.#streamsQueued;
  }

  /** Streams waiting for a turn in the send round (SPEC §8). */
  get streamsInRound(): number {
    return this.#dataQueue.size;
  }

  /** Bytes queued on all streams, waiting to be framed (SPEC §7.4). */
  get streamsQueued(): number {
    return this.#streamsQueued;
  }

  queueChanged(delta: number): void {
    this.#streamsQueued += delta;
  }

  /**
   * The peer's parameters arrived: its session window, the payload to send
   * on carriers that are not fast (the striping granularity, within the
   * peer's max frame), and the largest its max frame allows.
   */
  adoptPeer(sessionWindow: number, maxPayload: number, largestPayload = maxPayload): void {
    this.#maxPayload = maxPayload;
    this.#bulkPayload = Math.max(maxPayload, Math.min(BULK_PAYLOAD, largestPayload));
    this.#sendSession.update(sessionWindow);
  }

  /** SPEC §5.2: a WINDOW for the session (stream 0). */
  onSessionWindow(maxOffset: number): void {
    if (!this.#sendSession.update(maxOffset)) return;
    for (const stream of this.#sessionBlocked) this.#dataQueue.push(stream);
    this.#sessionBlocked.clear();
    this.schedule();
  }

  /** `stream` has something to send. */
  wake(stream: MpxStream): void {
    if (this.#closed) return;
    stream.renewSmall();
    if (isSmall(stream) && this.#waiting !== stream && !this.#dataQueue.has(stream)) this.#small.add(stream);
    else this.#dataQueue.push(stream);
    this.schedule();
  }

  /** Queues `stream` without scheduling a flush (the caller schedules one). */
  enqueue(stream: MpxStream): void {
    this.#dataQueue.push(stream);
  }

  /** SPEC §6.4: `stream` sends nothing more; its pending WINDOW is dropped. */
  drop(stream: MpxStream): void {
    if (this.#waiting === stream) this.#waiting = undefined;
    this.#small.delete(stream);
    this.#dataQueue.delete(stream);
    this.#owedTurns.delete(stream);
    this.#sessionBlocked.delete(stream);
    this.#windowUpdates.delete(stream.id);
  }

  queueReset(frame: ResetFrame): void {
    this.#control.push(frame);
    this.schedule();
  }

  /** SPEC §5.2: a WINDOW to send for `streamId` (0: the session); a later value replaces an earlier one. */
  windowUpdate(streamId: number, maxOffset: number): void {
    this.#windowUpdates.set(streamId, maxOffset);
    this.schedule();
  }

  /** Schedules a flush if WINDOW updates wait. */
  flushUpdates(): void {
    if (this.#windowUpdates.size > 0) this.schedule();
  }

  /**
   * SPEC §9: frames to send again on whichever carrier can take them, merged
   * with those already waiting in the order they were first sent. Rationale:
   * carriers lost together (an outage) hand their frames over one carrier at
   * a time; sent again carrier by carrier, the receiver could deliver nothing
   * in order until the last carrier's frames arrived.
   */
  retransmit(frames: readonly SentFrame[]): void {
    if (frames.length === 0 || this.#closed) return;
    const waiting = this.#retransmit.slice(this.#retransmitHead);
    for (const f of frames) {
      waiting.push(f);
      this.#retransmitBytes += frameSize(f.frame);
    }
    waiting.sort((a, b) => a.order - b.order || 0);
    this.#retransmit = waiting;
    this.#retransmitHead = 0;
    this.schedule();
  }

  /** The session closed: nothing more is sent. */
  close(): void {
    this.#closed = true;
    this.#retransmit = [];
    this.#retransmitHead = 0;
    this.#retransmitBytes = 0;
  }

  schedule(): void {
    if (this.#flushScheduled || this.#closed) return;
    this.#flushScheduled = true;
    microtask(this.#flush);
  }

  #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#closed) return;
    this.#unacked = this.#sink.unackedBytes;
    for (;;) {
      if (this.#control.length > 0 || this.#windowUpdates.size > 0) {
        if (!this.#sendControl()) return;
        continue;
      }
      if (this.#retransmitHead < this.#retransmit.length) {
        if (!this.#sendRetransmit()) return;
        continue;
      }
      // SPEC §9: bytes kept for retransmission count toward the session's
      // memory cap; past it, only what is already owed goes out.
      if (this.#retransmitBytes + this.#unacked >= this.#bufferCap) return;
      if (this.#small.size > 0) {
        if (!this.#sendSmall()) return;
        continue;
      }
      const stream = this.#takeTurn();
      if (stream === undefined) return;
      if (this.#owedTurns.size > 0 && this.#givesUpTurn(stream)) continue;
      const sessionCredit = this.#sendSession.available;
      const n = stream.nextPayload(sessionCredit, this.#maxPayload);
      if (n < 0) {
        if (stream.blockedOnSession(sessionCredit)) this.#sessionBlocked.add(stream);
        continue;
      }
      const link = this.#sink.pickData(n + DATA_OVERHEAD);
      if (link === undefined) {
        // No carrier can take it now: the stream keeps its turn (see #waiting).
        this.#waiting = stream;
        return;
      }
      this.#sendData(link, stream, this.#bulkOn(link, stream, n, sessionCredit));
    }
  };

  /**
   * SPEC §8: the payload of `stream`'s next frame on `link`, picked for `n`
   * bytes: up to #bulkPayload when `n` is a full payload and the carrier is
   * fast (BULK_FRAME_MS), the carrier charged for the bytes added; else `n`.
   * While other streams wait in the round, a bulk frame costs the stream a
   * turn per `maxPayload` it carried beyond the first (#givesUpTurn): with
   * one frame per turn and bulk frames on whichever carrier was fast, one of
   * two bulk streams took up to four times the other's bytes.
   */
  #bulkOn(link: CarrierLink, stream: MpxStream, n: number, sessionCredit: number): number {
    if (n < this.#maxPayload || this.#bulkPayload === n) return n;
    if (!link.sendsWithinFrameTime(this.#bulkPayload + DATA_OVERHEAD)) return n;
    const bulk = stream.nextPayload(sessionCredit, this.#bulkPayload);
    if (bulk <= n) return n;
    this.#sink.chargeData(link, bulk - n);
    if (this.#dataQueue.size > 0) this.#owedTurns.set(stream, Math.ceil(bulk / this.#maxPayload) - 1);
    return bulk;
  }

  /**
   * SPEC §8: `stream`, whose turn it is, gives it up to the next stream if it
   * still owes turns for a bulk frame and another stream waits in the round
   * (it goes to the back); alone in the round, it owes nothing.
   */
  #givesUpTurn(stream: MpxStream): boolean {
    const owed = this.#owedTurns.get(stream);
    if (owed === undefined) return false;
    if (this.#dataQueue.size === 0) {
      this.#owedTurns.delete(stream);
      return false;
    }
    if (owed <= 1) this.#owedTurns.delete(stream);
    else this.#owedTurns.set(stream, owed - 1);
    this.#dataQueue.push(stream);
    return true;
  }

  /** Sends `stream`'s next frame of `n` payload bytes on `link`; the stream rejoins the round if it has more. */
  #sendData(link: CarrierLink, stream: MpxStream, n: number): void {
    const frame = stream.takeFrame(n);
    this.#sendSession.charge(n);
    this.#bytesSent.add(n);
    this.#write(link, frame, this.#nextSendOrder++);
    if (stream.nextPayload(this.#sendSession.available, this.#maxPayload) >= 0) {
      this.#dataQueue.push(stream);
      return;
    }
    // Out of the round: whatever it owed is forgotten (a new answer starts level).
    if (this.#owedTurns.size > 0) this.#owedTurns.delete(stream);
    if (stream.blockedOnSession(this.#sendSession.available)) this.#sessionBlocked.add(stream);
  }

  /**
   * Sends the frame of the first small stream (see #small) on the carrier
   * behind the least queue, ahead of its cap if need be (pickDataAhead:
   * picked by the weighted picker, it waited behind whichever path's queue
   * that chose); a stream that has grown past
   * SMALL_STREAM_BYTES since it woke joins the round instead. False when
   * no carrier takes the frame even ahead of its cap (the stream keeps its
   * place).
   */
  #sendSmall(): boolean {
    const stream = this.#small.values().next().value as MpxStream;
    const sessionCredit = this.#sendSession.available;
    if (!isSmall(stream)) {
      this.#small.delete(stream);
      this.#dataQueue.push(stream);
      return true;
    }
    const n = stream.nextPayload(sessionCredit, this.#maxPayload);
    if (n < 0) {
      this.#small.delete(stream);
      if (stream.blockedOnSession(sessionCredit)) this.#sessionBlocked.add(stream);
      return true;
    }
    const link = this.#sink.pickDataAhead(n + DATA_OVERHEAD);
    if (link === undefined) return false;
    this.#small.delete(stream);
    this.#sendData(link, stream, n);
    return true;
  }

  /** The stream whose turn it is: the one that found no carrier last time, else the next in round-robin order. */
  #takeTurn(): MpxStream | undefined {
    const waiting = this.#waiting;
    if (waiting === undefined) return this.#dataQueue.shift();
    this.#waiting = undefined;
    this.#dataQueue.delete(waiting);
    return waiting;
  }

  /** Sends one frame again (SPEC §9); false when no carrier can take it now. */
  #sendRetransmit(): boolean {
    const { frame, order } = this.#retransmit[this.#retransmitHead] as SentFrame;
    const size = frameSize(frame);
    const link = frame.type === FrameType.DATA ? this.#sink.pickData(size) : this.#sink.pick(size);
    if (link === undefined) return false;
    this.#retransmitHead++;
    this.#retransmitBytes -= size;
    if (this.#retransmitHead === this.#retransmit.length) {
      this.#retransmit = [];
      this.#retransmitHead = 0;
    }
    this.#retransmitted++;
    this.#write(link, frame, order);
    return true;
  }

  /** Sends one control frame, ahead of the carriers' caps if need be (SPEC §8); false when no carrier can take it now. */
  #sendControl(): boolean {
    const link = this.#sink.pick(DATA_OVERHEAD) ?? this.#sink.pickAhead(DATA_OVERHEAD);
    if (link === undefined) return false;
    const reset = this.#control.shift();
    if (reset !== undefined) {
      this.#write(link, reset, this.#nextSendOrder++);
      return true;
    }
    for (const [streamId, maxOffset] of this.#windowUpdates) {
      this.#windowUpdates.delete(streamId);
      this.#write(link, { type: FrameType.WINDOW, streamId, maxOffset }, this.#nextSendOrder++);
      break;
    }
    return true;
  }

  #write(link: CarrierLink, frame: Frame, order: number): void {
    this.#framesSent++;
    const before = link.unackedBytes;
    link.send(frame, order);
    this.#unacked += link.unackedBytes - before;
  }
}
