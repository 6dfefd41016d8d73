// A session (SPEC §1): the streams and carriers two peers share. It puts
// together the stream table (stream-table.ts), the send loop (send-loop.ts)
// and the carrier set (carrier-set.ts), dispatches incoming frames to the
// streams' verbs, keeps the session-level accounting (receive window, gap
// budget), and emits events and stats.
import { EventEmitter } from 'node:events';
import { DATA_PREFIX_SIZE, FrameType, WireCode } from './constants.js';
import type { CarrierHost, CarrierLink, CarrierStats } from './carrier-link.js';
import { CarrierSet } from './carrier-set.js';
import type { ResolvedSessionOptions } from './config.js';
import { MpxError, MpxProtocolError, localCodeOf, wireCodeName, wireCodeOf, type MpxErrorCode } from './errors.js';
import type { DataFrame, Frame, ResetFrame, WindowFrame } from './frame.js';
import type { PeerParams } from './handshake.js';
import { initialStreamWindow } from './flow-control.js';
import { PinBudget, sessionPinLimit } from './pinning.js';
import { GapBudget, sessionGapLimit } from './reorder-buffer.js';
import { SendLoop } from './send-loop.js';
import { ByteCount } from './small-integers.js';
import { SessionReceive } from './stream-receiver.js';
import { StreamTable } from './stream-table.js';
import { MpxStream, type StreamHost, type StreamStats } from './stream.js';
import { encodeTargetHeader, type StreamTarget } from './target-header.js';
import { typedEmitter } from './typed-events.js';

export type SessionRole = 'client' | 'server';

/**
 * Who else hears of the streams the peer opens: MpxServer, which emits them
 * as its own 'stream' event. `listening()` says whether anyone does.
 */
export interface StreamForwarder {
  listening(): boolean;
  forward(stream: MpxStream, session: Session): void;
}

export interface OpenStreamOptions {
  /** SPEC §6.6: the host and port the peer should connect this stream to (it checks its own policy). */
  readonly target?: StreamTarget;
}

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

/** The events of a Session (and a ClientSession), with their listeners' arguments. */
export interface SessionEvents {
  /** The peer opened a stream. */
  stream: [stream: MpxStream];
  /** A carrier joined after its handshake. */
  carrier: [stats: CarrierStats];
  /** A carrier left; `error` undefined when it closed without one. */
  carrierClose: [stats: CarrierStats, error: MpxError | undefined];
  /**
   * A peer stream was reset, for logs: with LIMIT_EXCEEDED because
   * `maxStreams` streams are open, or with REFUSED because nothing listens
   * for `'stream'` here (nor on the session's MpxServer) to take it (SPEC §6.2).
   */
  streamRefused: [error: MpxError];
  /** The session ended; every stream is gone. `error` undefined for a close with NO_ERROR. */
  close: [error: MpxError | undefined];
}

/** Streams and carriers two peers share (SPEC §1). Events: SessionEvents. */
export class Session extends typedEmitter<SessionEvents>(EventEmitter) {
  readonly role: SessionRole;
  readonly id: Uint8Array;
  readonly options: ResolvedSessionOptions;
  /** SPEC §7.3: gaps all streams' reorder buffers may hold together. */
  readonly reorderGaps: GapBudget;
  /** Memory all streams' reorder buffers may let views pin beyond PIN_RATIO (pinning.ts). */
  readonly reorderPins: PinBudget;

  #peer: PeerParams | undefined;
  readonly #streams: StreamTable;
  readonly #carriers: CarrierSet;
  readonly #sender: SendLoop;
  readonly #receive: SessionReceive;
  readonly #streamHost: StreamHost;
  readonly #forwarder: StreamForwarder | undefined;
  #closed = false;
  readonly #bytesReceived = new ByteCount();
  #framesReceived = 0;

  /** `forwarder`: told of every stream the peer opens, before this session's own 'stream' listeners. */
  constructor(role: SessionRole, id: Uint8Array, options: ResolvedSessionOptions, forwarder?: StreamForwarder) {
    super();
    this.role = role;
    this.id = id;
    this.options = options;
    this.#forwarder = forwarder;
    this.reorderGaps = new GapBudget(sessionGapLimit(options.sessionWindow));
    this.reorderPins = new PinBudget(sessionPinLimit(options.sessionWindow));
    this.#streams = new StreamTable(role, options, {
      create: (streamId, local) => this.#createStream(streamId, local),
      peerOpened: (stream, refused) => this.#peerOpened(stream, refused),
    });
    this.#carriers = new CarrierSet(role, options.clock, options.graceMs, () => this.#graceExpired());
    this.#sender = new SendLoop(this.#carriers, options.sessionWindow, options.maxPayload);
    this.#receive = new SessionReceive(options.sessionWindow, (max) => {
      if (max !== null) this.#sender.windowUpdate(0, max);
      else this.#sender.flushUpdates();
    });
    const sender = this.#sender;
    const carriers = this.#carriers;
    this.#streamHost = {
      streamSendBuffer: options.streamSendBuffer,
      payloadOwner: options.payloadOwner,
      reorderGaps: this.reorderGaps,
      reorderPins: this.reorderPins,
      receiveLedger: this.#receive,
      windowTuning: {
        max: options.streamWindow,
        timing: {
          now: () => options.clock.now(),
          get rttMs(): number | undefined {
            return carriers.longestRtt;
          },
        },
      },
      get queueHeadroom(): number {
        return sender.queueHeadroom;
      },
      get queuedTotal(): number {
        return sender.streamsQueued;
      },
      get streamsInRound(): number {
        return sender.streamsInRound;
      },
      queueChanged: (delta) => sender.queueChanged(delta),
      wakeSender: (stream) => sender.wake(stream),
      released: (stream, windowUpdate) => this.#released(stream, windowUpdate),
      destroyed: (stream, err) => this.#destroyed(stream, err),
    };
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
    return this.#streams.live;
  }

  // ---- streams ----

  /**
   * Opens a stream (SPEC §6.2); bytes written at once ride in the SYN frame.
   * With `target`, the stream starts with a target header for the peer to
   * connect to (SPEC §6.6); its answer comes back via readTargetReply().
   */
  openStream(options: OpenStreamOptions = {}): MpxStream {
    if (this.#closed) throw new MpxError('MPX_ERR_SESSION_CLOSED', 'the session is closed');
    const stream = this.#streams.openLocal();
    if (options.target !== undefined) stream.openToTarget(encodeTargetHeader(options.target));
    this.#sender.wake(stream);
    if (this.#carriers.size === 0) this.#carriers.armGrace();
    return stream;
  }

  #createStream(id: number, local: boolean): MpxStream {
    return new MpxStream(id, this.#streamHost, this.#peer?.streamWindow ?? 0, initialStreamWindow(this.options.streamWindow), local);
  }

  #peerOpened(stream: MpxStream, refused: boolean): void {
    if (refused) {
      this.#refuse(
        stream,
        new MpxError('MPX_ERR_LIMIT_EXCEEDED', `stream ${stream.id} refused: ${this.options.maxStreams} streams are open`, {
          wireCode: WireCode.LIMIT_EXCEEDED,
        }),
      );
      return;
    }
    const forwarder = this.#forwarder;
    if (this.listenerCount('stream') === 0 && forwarder?.listening() !== true) {
      // SPEC §6.2: nobody takes peer streams here. Accepted, the stream would
      // only wait, and fail unheard (an unhandled 'error') when the session ends.
      this.#refuse(
        stream,
        new MpxError('MPX_ERR_STREAM_REFUSED', `stream ${stream.id} refused: nothing listens for 'stream' to take it`, {
          wireCode: WireCode.REFUSED,
        }),
      );
      return;
    }
    forwarder?.forward(stream, this);
    this.emit('stream', stream);
  }

  /**
   * SPEC §6.2: resets a peer stream with `error`'s wire code. The stream never
   * reached the application, so it is destroyed without an error: nobody
   * listens for one, and an unhandled 'error' event would crash the process.
   */
  #refuse(stream: MpxStream, error: MpxError): void {
    this.#resetStream(stream, error.wireCode ?? WireCode.REFUSED);
    stream.destroy();
    this.emit('streamRefused', error);
  }

  #forget(stream: MpxStream): void {
    if (this.#streams.forget(stream)) this.#sender.drop(stream);
  }

  #released(stream: MpxStream, windowUpdate: number | null): void {
    if (windowUpdate !== null) this.#sender.windowUpdate(stream.id, windowUpdate);
    if (stream.cleanlyClosed) this.#forget(stream);
  }

  #destroyed(stream: MpxStream, err: Error | null): void {
    stream.stopIdle();
    if (stream.cleanlyClosed || this.#closed) {
      this.#forget(stream);
      return;
    }
    if (!stream.resetSent) this.#resetStream(stream, err === null ? WireCode.CANCEL : wireCodeOf(err));
    // SPEC §6.4: forget once RESET is sent and the peer's final size is known.
    if (stream.resetReceived || stream.finalSizeKnown) this.#forget(stream);
  }

  /** Sends RESET for a stream and releases what it held (SPEC §6.4, §7.2). */
  #resetStream(stream: MpxStream, code: number): void {
    this.#sender.drop(stream);
    const finalSize = stream.stopBoth();
    this.#sender.queueReset({ type: FrameType.RESET, streamId: stream.id, code, finalSize });
  }

  // ---- carriers ----

  /** Adds a carrier whose handshake is done (called by client.ts / server.ts). */
  attachCarrier(link: CarrierLink, peer: PeerParams): void {
    if (this.#closed) {
      link.close(WireCode.SESSION_EXPIRED, 'session closed', true);
      return;
    }
    if (this.#peer === undefined) this.#adoptPeer(peer);
    this.#carriers.add(link);
    link.setHost(this.#carrierHost);
    this.emit('carrier', link.stats());
    this.#sender.schedule();
  }

  /** How every carrier of this session reports to it (the picker reads `link.writable` itself). */
  readonly #carrierHost: CarrierHost = {
    onFrame: (link, frame) => this.#onFrame(link, frame),
    onDrain: () => this.#sender.schedule(),
    onAck: () => this.#relieveLagging(),
    onDataAcked: (frame) => this.#streams.get(frame.streamId)?.onDataAcked(frame.offset + frame.payload.length),
    // A primary may have stalled since the last look: standbys may take over (SPEC §8).
    onTick: () => this.#relieveLagging(),
    onClose: (link, err) => this.#onCarrierClose(link, err),
  };

  #adoptPeer(peer: PeerParams): void {
    this.#peer = peer;
    const largest = peer.maxFrame - DATA_PREFIX_SIZE;
    this.#sender.adoptPeer(peer.sessionWindow, Math.min(this.options.maxPayload, largest), largest);
    for (const stream of this.#streams.values()) {
      stream.onWindow(peer.streamWindow);
      if (stream.queuedBytes > 0) this.#sender.enqueue(stream);
    }
  }

  #onCarrierClose(link: CarrierLink, err: MpxError | undefined): void {
    // SPEC §9: what the peer did not acknowledge goes out again elsewhere.
    this.#sender.retransmit(this.#carriers.remove(link));
    this.emit('carrierClose', link.stats(), err);
    if (err?.code === 'MPX_ERR_SESSION_CLOSED' && !this.#closed) {
      this.#terminate(err, false);
    } else if (this.#carriers.size === 0 && !this.#closed) {
      // A total outage: streams wait for carriers to come back (SPEC §9).
      this.#carriers.armGrace();
    }
  }

  #graceExpired(): void {
    if (this.#closed) return;
    this.#terminate(
      new MpxError('MPX_ERR_SESSION_EXPIRED', `no carrier came (back) within ${this.options.graceMs} ms`, {
        wireCode: WireCode.SESSION_EXPIRED,
      }),
      false,
    );
  }

  /** SPEC §8, head-of-line relief: copy a lagging carrier's oldest frames to the others; then flush. */
  #relieveLagging(): void {
    if (!this.#closed) this.#sender.retransmit(this.#carriers.lagCopies());
    this.#sender.schedule();
  }

  /**
   * Retires a carrier gracefully (SPEC §10.2): no new frames go to it, then
   * CLOSE with NO_ERROR. Used for make-before-break rotation.
   */
  retireCarrier(id: number): boolean {
    return this.#carriers.retire(id);
  }

  carrierStats(): CarrierStats[] {
    return this.#carriers.stats();
  }

  stats(): SessionStats {
    return {
      id: this.idHex,
      role: this.role,
      state: this.#closed ? 'closed' : 'open',
      streams: this.#streams.live,
      streamsOpened: this.#streams.opened,
      bytesSent: this.#sender.bytesSent,
      bytesReceived: this.#bytesReceived.value,
      framesSent: this.#sender.framesSent,
      framesReceived: this.#framesReceived,
      retransmits: this.#sender.retransmitted,
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
    const stream = this.#streams.lookup(frame.streamId, frame.target === true);
    if (stream === undefined) return; // a closed stream: a duplicate (SPEC §6.3)
    this.#bytesReceived.add(stream.receiveData(frame));
    // A tombstone (SPEC §6.4) is forgotten once the peer's final size is known.
    if (frame.fin && stream.resetSent) this.#forget(stream);
  }

  #onWindow(frame: WindowFrame): void {
    if (frame.streamId === 0) {
      this.#sender.onSessionWindow(frame.maxOffset);
      return;
    }
    const stream = this.#streams.lookup(frame.streamId);
    if (stream?.onWindow(frame.maxOffset)) this.#sender.wake(stream);
  }

  #onReset(frame: ResetFrame): void {
    const stream = this.#streams.lookup(frame.streamId);
    if (stream === undefined || stream.resetReceived) return;
    if (!stream.resetSent && this.#sender.resetsQueued >= this.#streams.trackCap) {
      // Each RESET needs a RESET back (SPEC §6.4). A peer that floods RESETs
      // and reads nothing would queue replies without bound.
      throw new MpxProtocolError(WireCode.LIMIT_EXCEEDED, `${this.#sender.resetsQueued} RESET replies wait to be sent`);
    }
    stream.receiveReset(frame.finalSize);
    if (!stream.resetSent) this.#resetStream(stream, frame.code);
    this.#forget(stream);
    if (!stream.destroyed) {
      stream.destroy(
        new MpxError(localCodeOf(frame.code, 'MPX_ERR_STREAM_RESET'), `stream ${stream.id} reset by peer: ${wireCodeName(frame.code)}`, {
          wireCode: frame.code,
        }),
      );
    }
  }

  // ---- closing (SPEC §10) ----

  /** Ends the session: CLOSE with SESSION on every carrier, every stream fails. */
  close(code: number = WireCode.NO_ERROR, reason = ''): void {
    if (this.#closed) return;
    const err = new MpxError(sessionCloseCode(code), `session closed locally${reason ? `: ${reason}` : ''}`, { wireCode: code });
    this.#carriers.closeAll(code, reason, true);
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
    this.#carriers.closeAll(code, err.message.slice(0, 200), true);
    this.#terminate(err, false);
  }

  #terminate(err: MpxError, local: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sender.close();
    this.#carriers.close();
    if (!local) this.#carriers.closeAll(WireCode.NO_ERROR, '', false);
    // A local close is the application's own doing, like socket.destroy():
    // streams end without an error. A close from the peer aborts them with one.
    for (const stream of this.#streams.clear()) {
      stream.stopIdle();
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
