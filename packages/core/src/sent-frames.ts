// SPEC §9, sender side: the counted frames sent on one carrier and not yet
// acknowledged, in order. I/O-free; times come from the caller.
import { FrameType, WireCode } from './constants.js';
import { MpxProtocolError } from './errors.js';
import type { DataFrame, Frame } from './frame.js';
import type { PayloadOwner } from './payload-owner.js';

/**
 * A counted frame kept until acknowledged, with its place in the order the
 * session first sent frames (SPEC §9: frames sent again keep that order,
 * whichever carriers they were on). The send loop numbers frames; a frame
 * sent again keeps its number.
 */
export interface SentFrame {
  readonly frame: Frame;
  readonly order: number;
}

/** The order of a counted frame sent outside the send loop: after every numbered one. */
export const UNORDERED = Number.POSITIVE_INFINITY;

interface Entry extends SentFrame {
  readonly size: number;
  readonly sentAt: number;
  /** A copy already went out on another carrier (SPEC §8, head-of-line relief). */
  duplicated: boolean;
}

export class SentFrames {
  /** Told of each DATA frame's payload once acknowledged, or once copied to another carrier (payload-owner.ts). */
  readonly #owner: PayloadOwner | undefined;
  /** Told of each DATA frame once acknowledged (SPEC §8: streams with nothing in flight). */
  readonly #onDataAcked: ((frame: DataFrame) => void) | undefined;
  #entries: Entry[] = [];
  #head = 0;
  #sent = 0;
  #acked = 0;
  #bytes = 0;

  constructor(owner?: PayloadOwner, onDataAcked?: (frame: DataFrame) => void) {
    this.#owner = owner;
    this.#onDataAcked = onDataAcked;
  }

  /** Bytes (encoded) sent and not yet acknowledged. */
  get bytes(): number {
    return this.#bytes;
  }

  get pending(): number {
    return this.#sent - this.#acked;
  }

  push(frame: Frame, size: number, now: number, order: number = UNORDERED): void {
    this.#entries.push({ frame, order, size, sentAt: now, duplicated: false });
    this.#sent++;
    this.#bytes += size;
  }

  /**
   * The peer has received `count` counted frames. Returns the bytes and the
   * number of frames newly acknowledged, and when the newest of them was sent
   * (an RTT sample).
   * An ACK for frames never sent is `PROTOCOL`; an older ACK is ignored.
   */
  ack(count: number): { bytes: number; frames: number; newestSentAt: number | undefined } {
    if (count > this.#sent) {
      throw new MpxProtocolError(WireCode.PROTOCOL, `ACK of ${count} frames, but only ${this.#sent} were sent on this carrier`);
    }
    let bytes = 0;
    const frames = Math.max(0, count - this.#acked);
    let newestSentAt: number | undefined;
    while (this.#acked < count) {
      const entry = this.#entries[this.#head] as Entry;
      this.#entries[this.#head] = undefined as unknown as Entry;
      this.#head++;
      this.#acked++;
      bytes += entry.size;
      newestSentAt = entry.sentAt;
      if (entry.frame.type === FrameType.DATA) {
        this.#owner?.release(entry.frame.payload);
        this.#onDataAcked?.(entry.frame);
      }
    }
    this.#bytes -= bytes;
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return { bytes, frames, newestSentAt };
  }

  /** When the oldest unacknowledged frame was sent, or undefined if none. */
  oldestSentAt(): number | undefined {
    return this.#head < this.#entries.length ? (this.#entries[this.#head] as Entry).sentAt : undefined;
  }

  /** Removes and returns every unacknowledged frame, oldest first (the carrier is gone). */
  takeAll(): SentFrame[] {
    const frames: SentFrame[] = this.#entries.slice(this.#head);
    this.#entries = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#acked = this.#sent;
    return frames;
  }

  /**
   * Returns up to `maxBytes` of the oldest unacknowledged frames that were not
   * duplicated yet, and marks them: copies to send on another carrier.
   */
  duplicateOldest(maxBytes: number): SentFrame[] {
    const frames: SentFrame[] = [];
    let bytes = 0;
    for (let i = this.#head; i < this.#entries.length && bytes < maxBytes; i++) {
      const entry = this.#entries[i] as Entry;
      if (entry.duplicated) continue;
      entry.duplicated = true;
      if (this.#owner !== undefined && entry.frame.type === FrameType.DATA) this.#owner.keep(entry.frame.payload);
      frames.push(entry);
      bytes += entry.size;
    }
    return frames;
  }
}
