// A session (SPEC §1): the streams and carriers two peers share. It dispatches
// incoming frames, enforces flow control (SPEC §7) and runs the send loop that
// spreads frames over carriers by weight (SPEC §8).
import { EventEmitter } from 'node:events';
import { FrameType, MAX_STREAM_ID, MAX_U64_VALUE, WireCode } from './constants.js';
import type { CarrierHost, CarrierLink, CarrierStats } from './carrier-link.js';
import type { Timer } from './clock.js';
import type { ResolvedSessionOptions } from './config.js';
import { MpxError, MpxProtocolError, localCodeOf, wireCodeName, wireCodeOf, type MpxErrorCode } from './errors.js';
import { ReceiveWindow, SendCredit } from './flow-control.js';
import type { DataFrame, Frame, ResetFrame, WindowFrame } from './frame.js';
import type { PeerParams } from './handshake.js';
import { RoundRobin } from './round-robin.js';
import { WeightedPicker } from './scheduler.js';
import { IdleWatch } from './idle-watch.js';
import { laggingCarriers } from './lag.js';
import { GapBudget, sessionGapLimit } from './reorder-buffer.js';
import { MpxStream, type StreamHost, type StreamStats } from './stream.js';

export type SessionRole = 'client' | 'server';

export interface SessionStats {
  readonly id: string;
  readonly role: SessionRole;
  readonly state: 'open' | 'closed';
  readonly streams: number;
  readonly streamsOpened: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly framesSent: number;
  readonly framesReceived: number;
  /** Frames sent again: from lost carriers, or copies of lagging ones (SPEC §9). */
  readonly retransmits: number;
  readonly carriers: CarrierStats[];
}

/** Frames are counted in SPEC §9; control frames leave before data (SPEC §8). */
type ControlFrame = WindowFrame | ResetFrame;

const DATA_OVERHEAD = 20;
/** Bytes copied off a lagging carrier at a time. */
const LAG_COPY_BYTES = 256 * 1024;
/**
 * Peer streams tracked beyond `maxStreams` (refused or reset ones waiting for
 * the peer's RESET) before further opens are a carrier error.
 * Rationale: an honest peer answers each RESET within a round trip, so only
 * opens racing those answers ever wait; at least this many, or `maxStreams`.
 */
const TOMBSTONE_SLACK = 1024;

/**
 * Events:
 * - `'stream'` (stream: MpxStream): the peer opened a stream.
 * - `'carrier'` (stats: CarrierStats): a carrier joined after its handshake.
 * - `'carrierClose'` (stats: CarrierStats, error?: MpxError): a carrier left.
 * - `'streamRefused'` (error: MpxError): a peer stream was reset with
 *   LIMIT_EXCEEDED because `maxStreams` streams are open (SPEC §6.2), for logs.
 * - `'close'` (error?: MpxError): the session ended; every stream is gone.
 */
export class Session extends EventEmitter implements StreamHost {
  readonly role: SessionRole;
  readonly id: Uint8Array;
  readonly options: ResolvedSessionOptions;
  /** SPEC §7.3: gaps all streams' reorder buffers may hold together (StreamHost). */
  readonly reorderGaps: GapBudget;

  #peer: PeerParams | undefined;
  #maxPayload: number;
  readonly #carriers = new Set<CarrierLink>();
  readonly #picker = new WeightedPicker<CarrierLink>();
  readonly #streams = new Map<number, MpxStream>();
  #nextLocalId: number;
  #nextPeerId: number;
  #liveStreams = 0;
  /** Peer-initiated streams in #streams, open or waiting for the peer's RESET (SPEC §6.4). */
  #peerStreams = 0;
  #streamsOpened = 0;

  #sendSession = new SendCredit(0);
  /** Bytes queued on all streams, waiting to be framed (SPEC §7.4). */
  #streamsQueued = 0;
  readonly #recvSession: ReceiveWindow;
  #sessionReceived = 0;

  readonly #control: ControlFrame[] = [];
  /** SPEC §9: frames to send again (from a lost carrier, or copies of lagging ones). */
  #retransmit: Frame[] = [];
  #retransmitHead = 0;
  #retransmitBytes = 0;
  readonly #windowUpdates = new Map<number, number>();
  readonly #dataQueue = new RoundRobin<MpxStream>();
  readonly #sessionBlocked = new Set<MpxStream>();
  #flushScheduled = false;
  #closed = false;
  #graceTimer: Timer | undefined;

  #bytesSent = 0;
  #bytesReceived = 0;
  #framesSent = 0;
  #framesReceived = 0;
  #retransmitted = 0;

  constructor(role: SessionRole, id: Uint8Array, options: ResolvedSessionOptions) {
    super();
    this.role = role;
    this.id = id;
    this.options = options;
    this.#nextLocalId = role === 'client' ? 1 : 2;
    this.#nextPeerId = role === 'client' ? 2 : 1;
    this.#recvSession = new ReceiveWindow(options.sessionWindow);
    this.reorderGaps = new GapBudget(sessionGapLimit(options.sessionWindow));
    this.#maxPayload = options.maxPayload;
  }

  get streamSendBuffer(): number {
    return this.options.streamSendBuffer;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The session id as 32 hex digits, for logs. */
  get idHex(): string {
    return Buffer.from(this.id).toString('hex');
  }

  get carrierCount(): number {
    return this.#carriers.size;
  }

  get streamCount(): number {
    return this.#liveStreams;
  }

  // ---- streams ----

  /** Opens a stream (SPEC §6.2); bytes written at once ride in the SYN frame. */
  openStream(): MpxStream {
    if (this.#closed) throw new MpxError('MPX_ERR_SESSION_CLOSED', 'the session is closed');
    const id = this.#nextLocalId;
    if (id > MAX_STREAM_ID) {
      throw new MpxError('MPX_ERR_STREAM_IDS_EXHAUSTED', 'this session has used all its stream ids; open a new session');
    }
    this.#nextLocalId += 2;
    const stream = this.#createStream(id, true);
    this.wakeSender(stream);
    if (this.#carriers.size === 0) this.#armGrace();
    return stream;
  }

  #createStream(id: number, local: boolean): MpxStream {
    const stream = new MpxStream(id, this, this.#peer?.streamWindow ?? 0, this.options.streamWindow, local);
    this.#streams.set(id, stream);
    if (this.options.streamIdleTimeoutMs > 0) {
      stream.idle = new IdleWatch(this.options.clock, this.options.streamIdleTimeoutMs, (idle) => {
        stream.idle = undefined;
        if (this.#closed || stream.destroyed || this.#streams.get(stream.id) !== stream) return;
        // Both sides see IDLE_TIMEOUT: this one in the error, the peer in RESET.
        stream.destroy(
          new MpxError('MPX_ERR_IDLE_TIMEOUT', `stream ${stream.id} idle for ${Math.round(idle)} ms`, { wireCode: WireCode.IDLE_TIMEOUT }),
        );
      });
    }
    this.#liveStreams++;
    if (!local) this.#peerStreams++;
    this.#streamsOpened++;
    return stream;
  }

  /** SPEC §6.1, §6.2: find the stream a frame names, opening peer streams implicitly. */
  #lookup(id: number): MpxStream | undefined {
    const peerParity = this.role === 'client' ? 0 : 1;
    if (id % 2 !== peerParity) {
      if (id >= this.#nextLocalId) {
        throw new MpxProtocolError(WireCode.STREAM_STATE, `frame for stream ${id}, which this side never opened`);
      }
      return this.#streams.get(id);
    }
    if (id >= this.#nextPeerId) {
      const opening = (id - this.#nextPeerId) / 2 + 1;
      if (opening > this.options.maxStreams) {
        throw new MpxProtocolError(WireCode.LIMIT_EXCEEDED, `stream ${id} would open ${opening} streams at once`);
      }
      // Refused streams wait as tombstones for the peer's RESET (SPEC §6.4).
      // A peer that never sends it must not grow the map without bound.
      if (this.#peerStreams + opening > this.#trackCap) {
        throw new MpxProtocolError(
          WireCode.LIMIT_EXCEEDED,
          `stream ${id}: ${this.#peerStreams} peer streams are open or await the peer's RESET`,
        );
      }
      for (let next = this.#nextPeerId; next <= id; next += 2) {
        const stream = this.#createStream(next, false);
        if (this.#liveStreams > this.options.maxStreams) {
          // SPEC §6.2: refused. The stream never reached the application, so
          // it is destroyed without an error: nobody listens for one, and an
          // unhandled 'error' event would crash the process.
          this.#resetStream(stream, WireCode.LIMIT_EXCEEDED);
          stream.destroy();
          this.emit(
            'streamRefused',
            new MpxError('MPX_ERR_LIMIT_EXCEEDED', `stream ${next} refused: ${this.options.maxStreams} streams are open`, {
              wireCode: WireCode.LIMIT_EXCEEDED,
            }),
          );
        } else {
          this.emit('stream', stream);
        }
      }
      this.#nextPeerId = id + 2;
    }
    return this.#streams.get(id);
  }

  /** Most peer streams tracked, and most RESET replies queued (see TOMBSTONE_SLACK). */
  get #trackCap(): number {
    return this.options.maxStreams + Math.max(this.options.maxStreams, TOMBSTONE_SLACK);
  }

  #disarmIdle(stream: MpxStream): void {
    stream.idle?.stop();
    stream.idle = undefined;
  }

  #forget(stream: MpxStream): void {
    this.#disarmIdle(stream);
    if (this.#streams.get(stream.id) !== stream) return;
    // Its gaps go back to the session's budget (nothing is left to read from them).
    if (stream.reorder.gapCount > 0) stream.reorder.clear();
    this.#streams.delete(stream.id);
    this.#liveStreams--;
    if (stream.id % 2 === (this.role === 'client' ? 0 : 1)) this.#peerStreams--;
    this.#dataQueue.delete(stream);
    this.#sessionBlocked.delete(stream);
    this.#windowUpdates.delete(stream.id);
  }

  // ---- StreamHost ----

  wakeSender(stream: MpxStream): void {
    if (this.#closed) return;
    this.#dataQueue.push(stream);
    this.#scheduleFlush();
  }

  get queuesCovered(): boolean {
    return this.#streamsQueued <= this.#sendSession.available;
  }

  queueChanged(delta: number): void {
    this.#streamsQueued += delta;
  }

  released(stream: MpxStream, n: number): void {
    stream.releasedBytes += n;
    if (stream.reorder.finalSize === undefined) {
      const max = stream.recvWindow.onConsume(n);
      if (max !== null) this.#windowUpdates.set(stream.id, max);
    }
    this.#releaseSession(n);
    if (stream.cleanlyClosed) this.#forget(stream);
  }

  destroyed(stream: MpxStream, err: Error | null): void {
    this.#disarmIdle(stream);
    if (stream.cleanlyClosed || this.#closed) {
      this.#forget(stream);
      return;
    }
    if (!stream.resetSent) this.#resetStream(stream, err === null ? WireCode.CANCEL : wireCodeOf(err));
    // SPEC §6.4: forget once RESET is sent and the peer's final size is known.
    if (stream.resetReceived || stream.reorder.finalSize !== undefined) this.#forget(stream);
  }

  /** Sends RESET for a stream and releases what it held (SPEC §6.4, §7.2). */
  #resetStream(stream: MpxStream, code: number): void {
    stream.resetSent = true;
    stream.dropQueued();
    this.#dataQueue.delete(stream);
    this.#sessionBlocked.delete(stream);
    this.#windowUpdates.delete(stream.id);
    this.#control.push({ type: FrameType.RESET, streamId: stream.id, code, finalSize: stream.sendOffset });
    const dropped = stream.reorder.highestReceived - stream.releasedBytes;
    stream.reorder.clear();
    if (dropped > 0) {
      stream.releasedBytes += dropped;
      this.#releaseSession(dropped);
    }
    this.#scheduleFlush();
  }

  #releaseSession(n: number): void {
    const max = this.#recvSession.onConsume(n);
    if (max !== null) {
      this.#windowUpdates.set(0, max);
      this.#scheduleFlush();
    } else if (this.#windowUpdates.size > 0) {
      this.#scheduleFlush();
    }
  }

  // ---- carriers ----

  /** Adds a carrier whose handshake is done (called by client.ts / server.ts). */
  attachCarrier(link: CarrierLink, peer: PeerParams): void {
    if (this.#closed) {
      link.close(WireCode.SESSION_EXPIRED, 'session closed', true);
      return;
    }
    if (this.#peer === undefined) this.#adoptPeer(peer);
    if (this.#graceTimer !== undefined) {
      this.options.clock.clearTimeout(this.#graceTimer);
      this.#graceTimer = undefined;
    }
    this.#carriers.add(link);
    this.#picker.add(link, link.weight);
    link.setHost(this.#carrierHost);
    this.emit('carrier', link.stats());
    this.#scheduleFlush();
  }

  /** How every carrier of this session reports to it (the picker reads `link.writable` itself). */
  readonly #carrierHost: CarrierHost = {
    onFrame: (link, frame) => this.#onFrame(link, frame),
    onDrain: () => this.#scheduleFlush(),
    onAck: () => {
      this.#relieveLagging();
      this.#scheduleFlush();
    },
    onTick: () => this.#relieveLagging(),
    onClose: (link, err) => this.#onCarrierClose(link, err),
  };

  #adoptPeer(peer: PeerParams): void {
    this.#peer = peer;
    this.#maxPayload = Math.min(this.options.maxPayload, peer.maxFrame - 8);
    this.#sendSession.update(peer.sessionWindow);
    for (const stream of this.#streams.values()) {
      stream.sendCredit.update(peer.streamWindow);
      if (stream.queuedBytes > 0) this.#dataQueue.push(stream);
    }
  }

  #onCarrierClose(link: CarrierLink, err: MpxError | undefined): void {
    this.#carriers.delete(link);
    if (this.#picker.has(link)) this.#picker.remove(link);
    // SPEC §9: what the peer did not acknowledge goes out again elsewhere.
    const lost = link.takeUnacked();
    link.retransmits += lost.length;
    this.#queueRetransmit(lost);
    this.emit('carrierClose', link.stats(), err);
    if (err?.code === 'MPX_ERR_SESSION_CLOSED' && !this.#closed) {
      this.#terminate(err, false);
    } else if (this.#carriers.size === 0) {
      // A total outage: streams wait for carriers to come back (SPEC §9).
      this.#armGrace();
    }
  }

  #queueRetransmit(frames: Frame[]): void {
    if (frames.length === 0 || this.#closed) return;
    for (const f of frames) {
      this.#retransmit.push(f);
      this.#retransmitBytes += frameSize(f);
    }
    this.#scheduleFlush();
  }

  /**
   * SPEC §9: without carriers, the session waits at most the grace period
   * for one; then its streams fail with SESSION_EXPIRED. Armed when the last
   * carrier goes, and when a stream is opened before any carrier came.
   */
  #armGrace(): void {
    if (this.#closed || this.#graceTimer !== undefined) return;
    this.#graceTimer = this.options.clock.setTimeout(() => {
      this.#graceTimer = undefined;
      if (this.#carriers.size > 0 || this.#closed) return;
      this.#terminate(
        new MpxError('MPX_ERR_SESSION_EXPIRED', `no carrier came (back) within ${this.options.graceMs} ms`, {
          wireCode: WireCode.SESSION_EXPIRED,
        }),
        false,
      );
    }, this.options.graceMs);
  }

  /** SPEC §8, head-of-line relief: copy a lagging carrier's oldest frames to the others. */
  #relieveLagging(): void {
    if (this.#carriers.size < 2 || this.#closed) return;
    for (const link of laggingCarriers(this.#carriers, this.options.clock.now())) {
      const copies = link.duplicateOldest(LAG_COPY_BYTES);
      link.retransmits += copies.length;
      this.#queueRetransmit(copies);
    }
  }

  /**
   * Retires a carrier gracefully (SPEC §10.2): no new frames go to it, then
   * CLOSE with NO_ERROR. Used for make-before-break rotation.
   */
  retireCarrier(id: number): boolean {
    for (const link of this.#carriers) {
      if (link.id !== id) continue;
      if (this.#picker.has(link)) this.#picker.remove(link);
      link.close(WireCode.NO_ERROR, 'retired');
      return true;
    }
    return false;
  }

  carrierStats(): CarrierStats[] {
    return [...this.#carriers].map((c) => c.stats());
  }

  stats(): SessionStats {
    return {
      id: this.idHex,
      role: this.role,
      state: this.#closed ? 'closed' : 'open',
      streams: this.#liveStreams,
      streamsOpened: this.#streamsOpened,
      bytesSent: this.#bytesSent,
      bytesReceived: this.#bytesReceived,
      framesSent: this.#framesSent,
      framesReceived: this.#framesReceived,
      retransmits: this.#retransmitted,
      carriers: this.carrierStats(),
    };
  }

  streamStats(): StreamStats[] {
    return [...this.#streams.values()].map((s) => s.stats());
  }

  // ---- receiving (SPEC §5) ----

  #onFrame(link: CarrierLink, frame: Frame): void {
    if (this.#closed) return;
    this.#framesReceived++;
    switch (frame.type) {
      case FrameType.DATA:
        this.#onData(frame);
        return;
      case FrameType.WINDOW:
        this.#onWindow(frame);
        return;
      case FrameType.RESET:
        this.#onReset(frame);
        return;
      case FrameType.ACK:
      case FrameType.PING:
      case FrameType.PONG:
        // Carrier-level frames, handled by the carrier link itself.
        return;
      case FrameType.CLOSE: {
        // The carrier link hands over only CLOSE with SESSION (SPEC §10.1).
        const reason = frame.reason ? ` (${frame.reason})` : '';
        this.#terminate(
          new MpxError(sessionCloseCode(frame.code), `peer closed the session: ${wireCodeName(frame.code)}${reason}`, {
            wireCode: frame.code,
          }),
          false,
        );
        return;
      }
      case FrameType.CHALLENGE:
      case FrameType.HELLO:
      case FrameType.WELCOME:
      case FrameType.ROUTE:
        throw new MpxProtocolError(WireCode.PROTOCOL, 'handshake frame after the handshake');
      default: {
        const never: never = frame;
        throw new MpxProtocolError(WireCode.UNKNOWN_FRAME_TYPE, `unknown frame ${String(never)}`);
      }
    }
  }

  #onData(frame: DataFrame): void {
    const stream = this.#lookup(frame.streamId);
    if (stream === undefined) return; // a closed stream: a duplicate (SPEC §6.3)
    const n = frame.payload.byteLength;
    const end = frame.offset + n;
    if (end > MAX_U64_VALUE) throw new MpxProtocolError(WireCode.PROTOCOL, 'DATA ends beyond 2^53');
    const finalSize = stream.reorder.finalSize;
    if (finalSize !== undefined && (end > finalSize || (frame.fin && end !== finalSize))) {
      throw new MpxProtocolError(WireCode.FINAL_SIZE, `stream ${stream.id}: data up to ${end} against final size ${finalSize}`);
    }
    if (frame.fin && stream.reorder.highestReceived > end) {
      throw new MpxProtocolError(WireCode.FINAL_SIZE, `stream ${stream.id}: FIN at ${end} below bytes already received`);
    }
    if (end > stream.recvWindow.advertised) {
      throw new MpxProtocolError(WireCode.FLOW_CONTROL, `stream ${stream.id}: data up to ${end} beyond credit ${stream.recvWindow.advertised}`);
    }
    const growth = Math.max(0, end - stream.reorder.highestReceived);
    if (this.#sessionReceived + growth > this.#recvSession.advertised) {
      throw new MpxProtocolError(WireCode.FLOW_CONTROL, `session data beyond credit ${this.#recvSession.advertised}`);
    }
    this.#sessionReceived += growth;
    this.#recvSession.onReceive(this.#sessionReceived);
    stream.recvWindow.onReceive(end);
    if (stream.resetSent) {
      // Tombstone (SPEC §6.4): account the bytes, keep nothing.
      if (growth > 0) {
        stream.releasedBytes += growth;
        this.#releaseSession(growth);
      }
      if (frame.fin) this.#forget(stream);
      return;
    }
    stream.idle?.touch();
    this.#bytesReceived += stream.reorder.insert(frame.offset, frame.payload);
    if (frame.fin) stream.reorder.setFinalSize(end);
    stream.deliver();
  }

  #onWindow(frame: WindowFrame): void {
    if (frame.streamId === 0) {
      if (this.#sendSession.update(frame.maxOffset)) {
        for (const stream of this.#sessionBlocked) this.#dataQueue.push(stream);
        this.#sessionBlocked.clear();
        this.#scheduleFlush();
      }
      return;
    }
    const stream = this.#lookup(frame.streamId);
    if (stream !== undefined && stream.sendCredit.update(frame.maxOffset) && stream.queuedBytes > 0) {
      this.wakeSender(stream);
    }
  }

  #onReset(frame: ResetFrame): void {
    const stream = this.#lookup(frame.streamId);
    if (stream === undefined || stream.resetReceived) return;
    if (!stream.resetSent && this.#control.length >= this.#trackCap) {
      // Each RESET needs a RESET back (SPEC §6.4). A peer that floods RESETs
      // and reads nothing would queue replies without bound.
      throw new MpxProtocolError(WireCode.LIMIT_EXCEEDED, `${this.#control.length} RESET replies wait to be sent`);
    }
    const final = frame.finalSize;
    const known = stream.reorder.finalSize;
    if ((known !== undefined && known !== final) || final < stream.reorder.highestReceived) {
      throw new MpxProtocolError(WireCode.FINAL_SIZE, `stream ${stream.id}: RESET final size ${final} contradicts data received`);
    }
    if (final > stream.recvWindow.advertised) {
      throw new MpxProtocolError(WireCode.FLOW_CONTROL, `stream ${stream.id}: RESET final size ${final} beyond credit`);
    }
    const growth = final - stream.reorder.highestReceived;
    if (this.#sessionReceived + growth > this.#recvSession.advertised) {
      throw new MpxProtocolError(WireCode.FLOW_CONTROL, 'session data beyond credit');
    }
    this.#sessionReceived += growth;
    this.#recvSession.onReceive(this.#sessionReceived);
    stream.resetReceived = true;
    const unreleased = final - stream.releasedBytes;
    stream.releasedBytes = final;
    stream.reorder.clear();
    if (!stream.resetSent) this.#resetStream(stream, frame.code);
    if (unreleased > 0) this.#releaseSession(unreleased);
    this.#forget(stream);
    if (!stream.destroyed) {
      stream.destroy(
        new MpxError(localCodeOf(frame.code, 'MPX_ERR_STREAM_RESET'), `stream ${stream.id} reset by peer: ${wireCodeName(frame.code)}`, {
          wireCode: frame.code,
        }),
      );
    }
  }

  // ---- sending (SPEC §8) ----

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#closed) return;
    this.#flushScheduled = true;
    queueMicrotask(this.#flush);
  }

  #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#closed) return;
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
      if (this.#sendBuffered() >= this.options.sessionWindow) return;
      const stream = this.#dataQueue.shift();
      if (stream === undefined) return;
      const sessionCredit = this.#sendSession.available;
      const n = stream.nextPayload(sessionCredit, this.#maxPayload);
      if (n < 0) {
        if (stream.blockedOnSession(sessionCredit)) this.#sessionBlocked.add(stream);
        continue;
      }
      const link = this.#picker.pick(n + DATA_OVERHEAD);
      if (link === undefined) {
        this.#dataQueue.push(stream);
        return;
      }
      const frame = stream.takeFrame(n);
      stream.idle?.touch();
      this.#sendSession.charge(n);
      this.#bytesSent += n;
      this.#write(link, frame);
      if (stream.nextPayload(this.#sendSession.available, this.#maxPayload) >= 0) this.#dataQueue.push(stream);
      else if (stream.blockedOnSession(this.#sendSession.available)) this.#sessionBlocked.add(stream);
    }
  };

  #sendBuffered(): number {
    let bytes = this.#retransmitBytes;
    for (const link of this.#carriers) bytes += link.unackedBytes;
    return bytes;
  }

  /** Sends one frame again (SPEC §9); false when no carrier can take it now. */
  #sendRetransmit(): boolean {
    const frame = this.#retransmit[this.#retransmitHead] as Frame;
    const size = frameSize(frame);
    const link = this.#picker.pick(size);
    if (link === undefined) return false;
    this.#retransmitHead++;
    this.#retransmitBytes -= size;
    if (this.#retransmitHead === this.#retransmit.length) {
      this.#retransmit = [];
      this.#retransmitHead = 0;
    }
    this.#retransmitted++;
    this.#write(link, frame);
    return true;
  }

  /** Sends one control frame; false when no carrier can take it now. */
  #sendControl(): boolean {
    const link = this.#picker.pick(DATA_OVERHEAD);
    if (link === undefined) return false;
    const reset = this.#control.shift();
    if (reset !== undefined) {
      this.#write(link, reset);
      return true;
    }
    for (const [streamId, maxOffset] of this.#windowUpdates) {
      this.#windowUpdates.delete(streamId);
      this.#write(link, { type: FrameType.WINDOW, streamId, maxOffset });
      break;
    }
    return true;
  }

  #write(link: CarrierLink, frame: Frame): void {
    this.#framesSent++;
    link.send(frame);
  }

  // ---- closing (SPEC §10) ----

  /** Ends the session: CLOSE with SESSION on every carrier, every stream fails. */
  close(code: number = WireCode.NO_ERROR, reason = ''): void {
    if (this.#closed) return;
    const err = new MpxError(sessionCloseCode(code), `session closed locally${reason ? `: ${reason}` : ''}`, { wireCode: code });
    for (const link of this.#carriers) link.close(code, reason, true);
    this.#terminate(err, true);
  }

  /**
   * Ends the session because of `err` (its wire code goes in CLOSE): unlike
   * close(), which is the application's own doing, every open stream fails
   * with `err`. Used when the server has lost the session (SPEC §3.2).
   */
  abort(err: MpxError): void {
    if (this.#closed) return;
    const code = err.wireCode ?? WireCode.INTERNAL;
    for (const link of this.#carriers) link.close(code, err.message.slice(0, 200), true);
    this.#terminate(err, false);
  }

  #terminate(err: MpxError, local: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#retransmit = [];
    this.#retransmitHead = 0;
    this.#retransmitBytes = 0;
    if (this.#graceTimer !== undefined) this.options.clock.clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    if (!local) for (const link of this.#carriers) link.close(WireCode.NO_ERROR, '', false);
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    this.#liveStreams = 0;
    this.#peerStreams = 0;
    // A local close is the application's own doing, like socket.destroy():
    // streams end without an error. A close from the peer aborts them with one.
    for (const stream of streams) {
      this.#disarmIdle(stream);
      if (!stream.destroyed && !stream.cleanlyClosed) stream.destroy(local ? undefined : err);
    }
    this.emit('close', err.wireCode === WireCode.NO_ERROR ? undefined : err);
  }
}


/** SPEC §11: the local code a stream sees when its session closes with `wireCode`. */
function sessionCloseCode(wireCode: number): MpxErrorCode {
  const code = localCodeOf(wireCode, 'MPX_ERR_SESSION_CLOSED');
  return code === 'MPX_ERR_PROTOCOL' ? 'MPX_ERR_SESSION_CLOSED' : code;
}

/** Encoded size of a frame the session schedules. */
function frameSize(frame: Frame): number {
  return frame.type === FrameType.DATA ? frame.payload.byteLength + DATA_OVERHEAD : DATA_OVERHEAD;
}
