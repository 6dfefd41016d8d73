// SPEC §8: the carrier picker. Weighted fair queueing on bytes over opaque
// carrier keys; no I/O, no clock. The session tells it which carriers can take
// a frame without waiting for drain and asks it where the next frame goes.
import { checkWeight } from './bounds.js';
import { MpxError } from './errors.js';

/**
 * Rationale: virtual times only matter relative to each other, so once the
 * smallest one passes this bound every virtual time is shifted down by it.
 * Below 2^32 a double's spacing is at most 2^-20, a sixteenth of the smallest
 * possible charge (1 byte / weight 65535 ≈ 2^-16), so charges add up exactly
 * enough for byte shares; the bound is reached after at least 2^8 frames of
 * the largest size (2^24 bytes) at weight 1, so the O(n) shift is rare.
 */
const RENORMALISE_ABOVE = 2 ** 32;

/**
 * Chooses the carrier for each frame. Implementations must be deterministic;
 * a later adaptive picker (RTT or in-flight aware) implements the same shape.
 */
export interface CarrierPicker<C> {
  /** A new carrier joins as writable, at the virtual time of the others (SPEC §8). */
  add(carrier: C, weight: number): void;
  /** Forgets a carrier; unknown carriers are ignored. */
  remove(carrier: C): void;
  setWeight(carrier: C, weight: number): void;
  /** `false` while the carrier waits for drain; `true` when it may take frames again. */
  setWritable(carrier: C, writable: boolean): void;
  /** The carrier for a frame of `size` bytes, charged for it; `undefined` if none is writable. */
  pick(size: number): C | undefined;
  /** Number of carriers known, writable or not. */
  readonly size: number;
  readonly writableCount: number;
  has(carrier: C): boolean;
}

interface Entry<C> {
  readonly carrier: C;
  weight: number;
  writable: boolean;
  /** Virtual time: bytes charged so far divided by the weight, plus offsets from joining. */
  v: number;
}

/**
 * SPEC §8: each carrier keeps a virtual time `v`; a frame of `size` bytes goes
 * to the writable carrier with the smallest `v + size / w` (ties: the carrier
 * added first), which then adds `size / w` to its `v`.
 *
 * A carrier that joins, or returns from drain, starts at no less than the
 * smallest `v` of the writable others, so it neither bursts to catch up on the
 * time it was away nor starves. When no other carrier is writable it starts at
 * no less than the smallest writable `v` last seen (`floor`): otherwise a
 * carrier that left long ago could return first, keep its old `v`, and burst
 * once the others come back.
 *
 * Bounds (weights fixed, frames of at most F bytes, smallest weight w_min),
 * which test/scheduler.property.test.ts checks:
 * - the smallest writable `v` never decreases while some carrier is writable,
 *   and every writable `v` is within F / w_min of it;
 * - right after carrier A is picked, v_A ≤ v_j + F / w_j for every writable j.
 * Hence over any stretch where the writable set S (total weight W) does not
 * change, A carries at most its share w_A / W of the bytes plus
 * (w_A / W) · F · ((|S| − 1) + (W − w_A) / w_min), however long anyone spent
 * in drain (no catch-up burst); and while A is writable but not picked, each
 * other carrier j carries at most w_j · (F / w_min + F / w_A) bytes (no
 * starvation).
 *
 * Rationale: a linear scan per pick. Sessions have few carriers (≤ 64), and a
 * scan over a small array beats a heap whose keys (`v + size / w`) change with
 * every frame size.
 */
export class WeightedPicker<C> implements CarrierPicker<C> {
  /** Insertion order, which breaks ties. */
  private entries: Entry<C>[] = [];
  private readonly byCarrier = new Map<C, Entry<C>>();
  private writable = 0;
  /** The smallest `v` among writable carriers, as last seen; never decreases between renormalisations. */
  private floor = 0;

  get size(): number {
    return this.entries.length;
  }

  get writableCount(): number {
    return this.writable;
  }

  has(carrier: C): boolean {
    return this.byCarrier.has(carrier);
  }

  add(carrier: C, weight: number): void {
    checkWeight(weight, 'carrier weight');
    if (this.byCarrier.has(carrier)) {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', 'carrier already added to the picker');
    }
    const entry: Entry<C> = { carrier, weight, writable: true, v: this.startTime(undefined) };
    this.entries.push(entry);
    this.byCarrier.set(carrier, entry);
    this.writable++;
  }

  remove(carrier: C): void {
    const entry = this.byCarrier.get(carrier);
    if (entry === undefined) return;
    if (entry.writable) {
      this.raiseFloor();
      this.writable--;
    }
    this.byCarrier.delete(carrier);
    this.entries.splice(this.entries.indexOf(entry), 1);
  }

  setWeight(carrier: C, weight: number): void {
    checkWeight(weight, 'carrier weight');
    this.entryOf(carrier).weight = weight;
  }

  setWritable(carrier: C, writable: boolean): void {
    const entry = this.entryOf(carrier);
    if (entry.writable === writable) return;
    if (writable) {
      entry.v = Math.max(entry.v, this.startTime(entry));
      entry.writable = true;
      this.writable++;
    } else {
      this.raiseFloor();
      entry.writable = false;
      this.writable--;
    }
  }

  pick(size: number): C | undefined {
    if (!Number.isFinite(size) || size < 0) {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `frame size must be a finite number >= 0, got ${size}`);
    }
    let best: Entry<C> | undefined;
    let bestFinish = Infinity;
    for (const e of this.entries) {
      if (!e.writable) continue;
      const finish = e.v + size / e.weight;
      if (finish < bestFinish) {
        best = e;
        bestFinish = finish;
      }
    }
    if (best === undefined) return undefined;
    best.v = bestFinish;
    this.raiseFloor();
    if (this.floor > RENORMALISE_ABOVE) this.renormalise();
    return best.carrier;
  }

  private entryOf(carrier: C): Entry<C> {
    const entry = this.byCarrier.get(carrier);
    if (entry === undefined) throw new MpxError('MPX_ERR_INVALID_ARGUMENT', 'carrier not known to the picker');
    return entry;
  }

  /** The smallest `v` of the writable carriers other than `self`, or `floor` if there are none. */
  private startTime(self: Entry<C> | undefined): number {
    let min = Infinity;
    for (const e of this.entries) if (e.writable && e !== self && e.v < min) min = e.v;
    return min === Infinity ? this.floor : min;
  }

  private raiseFloor(): void {
    let min = Infinity;
    for (const e of this.entries) if (e.writable && e.v < min) min = e.v;
    if (min !== Infinity && min > this.floor) this.floor = min;
  }

  /**
   * Shifts every virtual time down by `floor`. A carrier below `floor` is not
   * writable and will be raised to at least `floor` when it returns, so it is
   * raised now and the order of everything that matters is kept.
   */
  private renormalise(): void {
    const shift = this.floor;
    for (const e of this.entries) e.v = Math.max(e.v, shift) - shift;
    this.floor = 0;
  }
}
