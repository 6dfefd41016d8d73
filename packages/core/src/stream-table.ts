// The streams of a session (SPEC §6.1, §6.2, §6.4): their ids, the lookup of
// the stream a frame names (opening peer streams implicitly), the limit on
// open streams and on tombstones (refused or reset streams waiting for the
// peer's RESET), the idle timer, and forgetting. No I/O: the session creates
// the streams and decides what happens to the ones the peer opens.
import type { Clock } from './clock.js';
import { MAX_STREAM_ID, WireCode } from './constants.js';
import { MpxError, MpxProtocolError } from './errors.js';
import { IdleWatch } from './idle-watch.js';
import type { SessionRole } from './session.js';
import type { MpxStream } from './stream.js';

/**
 * Peer streams tracked beyond `maxStreams` (refused or reset ones waiting for
 * the peer's RESET) before further opens are a carrier error.
 * Rationale: an honest peer answers each RESET within a round trip, so only
 * opens racing those answers ever wait; at least this many, or `maxStreams`.
 */
const TOMBSTONE_SLACK = 1024;

export interface StreamTableHooks {
  /** Makes the stream object for `id` (opened by this side when `local`). */
  create(id: number, local: boolean): MpxStream;
  /** The peer opened `stream`; `refused` when `maxStreams` streams were already open (SPEC §6.2). */
  peerOpened(stream: MpxStream, refused: boolean): void;
}

/** The session options the table reads. */
export interface StreamTableOptions {
  readonly maxStreams: number;
  /** Destroy a stream with IDLE_TIMEOUT after this long without bytes either way, ms; 0: never. */
  readonly streamIdleTimeoutMs: number;
  readonly clock: Clock;
}

export class StreamTable {
  readonly #streams = new Map<number, MpxStream>();
  readonly #options: StreamTableOptions;
  readonly #maxStreams: number;
  readonly #peerParity: number;
  readonly #hooks: StreamTableHooks;
  #nextLocalId: number;
  #nextPeerId: number;
  #live = 0;
  /** Peer-initiated streams in the table, open or waiting for the peer's RESET (SPEC §6.4). */
  #peerStreams = 0;
  #opened = 0;

  constructor(role: SessionRole, options: StreamTableOptions, hooks: StreamTableHooks) {
    this.#options = options;
    this.#maxStreams = options.maxStreams;
    this.#hooks = hooks;
    this.#nextLocalId = role === 'client' ? 1 : 2;
    this.#nextPeerId = role === 'client' ? 2 : 1;
    this.#peerParity = role === 'client' ? 0 : 1;
  }

  /** Streams in the table (open, or tombstones). */
  get live(): number {
    return this.#live;
  }

  /** Streams ever created, both sides. */
  get opened(): number {
    return this.#opened;
  }

  /** Most peer streams tracked, and most RESET replies queued (see TOMBSTONE_SLACK). */
  get trackCap(): number {
    return this.#maxStreams + Math.max(this.#maxStreams, TOMBSTONE_SLACK);
  }

  values(): IterableIterator<MpxStream> {
    return this.#streams.values();
  }

  /** The stream with `id`, if the table holds it (no side effects, unlike lookup()). */
  get(id: number): MpxStream | undefined {
    return this.#streams.get(id);
  }

  /** The stream is still in the table (not forgotten). */
  has(stream: MpxStream): boolean {
    return this.#streams.get(stream.id) === stream;
  }

  /** SPEC §6.2: a stream opened by this side. */
  openLocal(): MpxStream {
    const id = this.#nextLocalId;
    if (id > MAX_STREAM_ID) {
      throw new MpxError('MPX_ERR_STREAM_IDS_EXHAUSTED', 'this session has used all its stream ids; open a new session');
    }
    this.#nextLocalId += 2;
    return this.#add(id, true);
  }

  /**
   * SPEC §6.1, §6.2: the stream a frame names, opening peer streams
   * implicitly; undefined once forgotten. `dataTarget`: the frame is a DATA
   * frame with this TARGET flag (§6.6), which tells the kind of the stream it opens.
   */
  lookup(id: number, dataTarget?: boolean): MpxStream | undefined {
    if (id % 2 !== this.#peerParity) {
      if (id >= this.#nextLocalId) {
        throw new MpxProtocolError(WireCode.STREAM_STATE, `frame for stream ${id}, which this side never opened`);
      }
      return this.#streams.get(id);
    }
    if (id >= this.#nextPeerId) this.#openPeer(id, dataTarget);
    return this.#streams.get(id);
  }

  #openPeer(id: number, dataTarget: boolean | undefined): void {
    const opening = (id - this.#nextPeerId) / 2 + 1;
    if (opening > this.#maxStreams) {
      throw new MpxProtocolError(WireCode.LIMIT_EXCEEDED, `stream ${id} would open ${opening} streams at once`);
    }
    // Refused streams wait as tombstones for the peer's RESET (SPEC §6.4).
    // A peer that never sends it must not grow the map without bound.
    if (this.#peerStreams + opening > this.trackCap) {
      throw new MpxProtocolError(WireCode.LIMIT_EXCEEDED, `stream ${id}: ${this.#peerStreams} peer streams are open or await the peer's RESET`);
    }
    for (let next = this.#nextPeerId; next <= id; next += 2) {
      const stream = this.#add(next, false);
      const refused = this.#live > this.#maxStreams;
      if (!refused && next === id && dataTarget !== undefined) stream.learnKind(dataTarget);
      this.#hooks.peerOpened(stream, refused);
    }
    this.#nextPeerId = id + 2;
  }

  #add(id: number, local: boolean): MpxStream {
    const stream = this.#hooks.create(id, local);
    this.#streams.set(id, stream);
    if (this.#options.streamIdleTimeoutMs > 0) this.#watchIdle(stream);
    this.#live++;
    if (!local) this.#peerStreams++;
    this.#opened++;
    return stream;
  }

  #watchIdle(stream: MpxStream): void {
    const { clock, streamIdleTimeoutMs } = this.#options;
    stream.watchIdle(
      new IdleWatch(clock, streamIdleTimeoutMs, (idle) => {
        stream.stopIdle();
        if (stream.destroyed || !this.has(stream)) return;
        // Both sides see IDLE_TIMEOUT: this one in the error, the peer in RESET.
        stream.destroy(
          new MpxError('MPX_ERR_IDLE_TIMEOUT', `stream ${stream.id} idle for ${Math.round(idle)} ms`, { wireCode: WireCode.IDLE_TIMEOUT }),
        );
      }),
    );
  }

  /** Removes `stream`; false when it was already forgotten. */
  forget(stream: MpxStream): boolean {
    stream.forgotten();
    if (this.#streams.get(stream.id) !== stream) return false;
    this.#streams.delete(stream.id);
    this.#live--;
    if (stream.id % 2 === this.#peerParity) this.#peerStreams--;
    return true;
  }

  /** Empties the table (the session closed) and returns what it held. */
  clear(): MpxStream[] {
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    this.#live = 0;
    this.#peerStreams = 0;
    return streams;
  }
}
