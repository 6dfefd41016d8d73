// SPEC §8: the carrier picker. Weighted fair queueing on bytes; no I/O, no
// clock. It reads from each carrier whether it can take a frame without
// waiting for drain (`carrier.writable`) and tells the session where the next
// frame goes.
import { checkWeight } from './bounds.js';
import { MpxError } from './errors.js';

/**
 * Rationale: virtual times only matter relative to each other, so once the
 * smallest one passes this bound every virtual time is shifted down by it.
 * Below 2^31 a double's spacing is at most 2^-21, a 32nd of the smallest
 * possible charge (1 byte / weight 65535 ≈ 2^-16), so charges add up exactly
 * enough for byte shares; the bound is reached after at least 2^6 frames of
 * the largest size (2^24 bytes) at weight 1, so the O(n) shift is rare. At
 * weight 1 virtual times are whole numbers, and below 2^31 V8 keeps them as
 * small integers rather than boxed doubles (small-integers.ts).
 */
const RENORMALISE_ABOVE = 2 ** 30;

/** What the picker needs of a carrier: whether it can take a frame now (false while it waits for drain). */
export interface PickableCarrier {
  readonly writable: boolean;
}

/**
 * Chooses the carrier for each frame. Implementations must be deterministic;
 * a later adaptive picker (RTT or in-flight aware) implements the same shape.
 */
export interface CarrierPicker<C extends PickableCarrier> {
  /** A new carrier joins at the virtual time of the writable others (SPEC §8). */
  add(carrier: C, weight: number): void;
  /** Forgets a carrier; unknown carriers are ignored. */
  remove(carrier: C): void;
  setWeight(carrier: C, weight: number): void;
  /** The writable carrier for a frame of `size` bytes, charged for it; `undefined` if none is writable. */
  pick(size: number): C | undefined;
  /** Number of carriers known, writable or not. */
  readonly size: number;
  /** Number of carriers writable now. */
  readonly writableCount: number;
  has(carrier: C): boolean;
}

interface Entry<C> {
  readonly carrier: C;
  weight: number;
  /** `carrier.writable` when the picker last looked (see observe()). */
  seen: boolean;
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
 * With a `lead` L (constructor): the carrier picked last takes the frame
 * instead, when it is writable and its `v + size / w` stays within L / w_j
 * of the `v` of every other writable carrier j; it is charged as any pick.
 * Small frames then keep to one carrier until it leads the others by L, so
 * the frames written in one turn of the event loop leave in one write
 * instead of one per carrier (SPEC §8). The bounds above hold with F
 * replaced by max(F, L); the long-run shares are unchanged.
 *
 * Leaving and returning are seen when the picker looks at `carrier.writable`:
 * at each pick, or when observe() is called. A carrier that left and came
 * back between two looks did not miss a pick, so it keeps its `v`.
 *
 * Rationale: a linear scan per pick. Sessions have few carriers (≤ 64), and a
 * scan over a small array beats a heap whose keys (`v + size / w`) change with
 * every frame size.
 */
export class WeightedPicker<C extends PickableCarrier> implements CarrierPicker<C> {
  /** Insertion order, which breaks ties. */
  #entries: Entry<C>[] = [];
  readonly #byCarrier = new Map<C, Entry<C>>();
  /** The smallest `v` among writable carriers, as last seen; never decreases between renormalisations. */
  #floor = 0;
  /** How far (bytes, divided by the others' weights) the carrier picked last may lead to keep the next frame; 0: never. */
  readonly #lead: number;
  /** The entry picked last, while it is known. */
  #last: Entry<C> | undefined;
  /** The entry pickBy() chose last, while it is known. */
  #lastBy: Entry<C> | undefined;

  /** `lead`: see the class comment (bytes, ≥ 0; 0 keeps plain weighted fair queueing). */
  constructor(lead = 0) {
    if (!Number.isFinite(lead) || lead < 0) throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `lead must be a finite number >= 0, got ${lead}`);
    this.#lead = lead;
  }

  get size(): number {
    return this.#entries.length;
  }

  get writableCount(): number {
    let n = 0;
    for (const e of this.#entries) if (e.carrier.writable) n++;
    return n;
  }

  has(carrier: C): boolean {
    return this.#byCarrier.has(carrier);
  }

  add(carrier: C, weight: number): void {
    checkWeight(weight, 'carrier weight');
    if (this.#byCarrier.has(carrier)) {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', 'carrier already added to the picker');
    }
    const entry: Entry<C> = { carrier, weight, seen: carrier.writable, v: this.#startTime(undefined) };
    this.#entries.push(entry);
    this.#byCarrier.set(carrier, entry);
  }

  remove(carrier: C): void {
    const entry = this.#byCarrier.get(carrier);
    if (entry === undefined) return;
    if (entry.seen) this.#raiseFloor();
    if (this.#last === entry) this.#last = undefined;
    if (this.#lastBy === entry) this.#lastBy = undefined;
    this.#byCarrier.delete(carrier);
    this.#entries.splice(this.#entries.indexOf(entry), 1);
  }

  setWeight(carrier: C, weight: number): void {
    checkWeight(weight, 'carrier weight');
    this.#entryOf(carrier).weight = weight;
  }

  /**
   * Looks at every carrier's `writable` now, in the order they were added: a
   * carrier that left raises `floor` first; one that returned starts at no
   * less than the writable others (or `floor`). pick() does this first.
   */
  observe(): void {
    for (const entry of this.#entries) {
      const writable = entry.carrier.writable;
      if (entry.seen === writable) continue;
      if (writable) {
        entry.v = Math.max(entry.v, this.#startTime(entry));
      } else {
        this.#raiseFloor();
      }
      entry.seen = writable;
    }
  }

  pick(size: number): C | undefined {
    checkSize(size);
    this.observe();
    // The carrier picked last keeps the frame whenever it may, whichever
    // carrier is best: then the others' finish times are not needed.
    const last = this.#last;
    let best: Entry<C> | undefined = last !== undefined && this.#mayKeep(last, size) ? last : undefined;
    if (best === undefined) {
      let bestFinish = Infinity;
      for (const e of this.#entries) {
        if (!e.seen) continue;
        const finish = e.v + size / e.weight;
        if (finish < bestFinish) {
          best = e;
          bestFinish = finish;
        }
      }
      if (best === undefined) return undefined;
    }
    this.#last = best;
    this.#charge(best, best.v + size / best.weight);
    return best.carrier;
  }

  /**
   * SPEC §8: the carrier with the lowest finite `score`, writable or not (a
   * frame that may go ahead of what makes a carrier unwritable), charged for
   * `size` as any pick; ties: the carrier added first. Undefined when no
   * score is finite.
   *
   * `floor`, if given, is a lower bound of `score` that costs less
   * (floor(c) ≤ score(c) for every carrier): the carrier pickBy() chose
   * last is scored first, and any other only if its floor says it could
   * still win (below the best score so far, or equal to it and added before
   * the carrier holding it). The result is the same as without it.
   * Rationale: a small stream's frame (DataCarriers.pickAhead) mostly goes
   * where the last one went, and scoring a carrier (its cap, rate and
   * socket) costs far more than its minimum RTT, the floor; without it the
   * cost of each frame grew with the number of carriers.
   */
  pickBy(size: number, score: (carrier: C) => number, floor?: (carrier: C) => number): C | undefined {
    checkSize(size);
    const first = floor === undefined ? undefined : this.#lastBy;
    let best: Entry<C> | undefined;
    let bestScore = Infinity;
    if (first !== undefined) {
      bestScore = score(first.carrier);
      if (bestScore < Infinity) best = first;
    }
    /** The scan has not reached `first` yet: a carrier scanned now was added before it, and wins a tie with it. */
    let beforeFirst = first !== undefined;
    for (const e of this.#entries) {
      if (e === first) {
        beforeFirst = false;
        continue;
      }
      const winsTie = best === first && beforeFirst;
      if (floor !== undefined && best !== undefined) {
        const f = floor(e.carrier);
        if (f > bestScore || (f === bestScore && !winsTie)) continue;
      }
      const s = score(e.carrier);
      if (s < bestScore || (s === bestScore && winsTie)) {
        best = e;
        bestScore = s;
      }
    }
    if (best === undefined) return undefined;
    this.#lastBy = best;
    this.#charge(best, best.v + size / best.weight);
    return best.carrier;
  }

  /**
   * Charges `carrier`, just picked, for `size` more bytes: the frame it was
   * picked for grew (a bulk frame on a fast carrier, SPEC §8), and the
   * weights stay true to the bytes each carrier takes. Unknown carriers are
   * ignored.
   */
  charge(carrier: C, size: number): void {
    checkSize(size);
    const entry = this.#byCarrier.get(carrier);
    if (entry !== undefined) this.#charge(entry, entry.v + size / entry.weight);
  }

  /** Moves `entry`'s virtual time to `finish`, the end of the frame it was picked for, as every pick does. */
  #charge(entry: Entry<C>, finish: number): void {
    entry.v = finish;
    this.#raiseFloor();
    if (this.#floor > RENORMALISE_ABOVE) this.#renormalise();
  }

  #entryOf(carrier: C): Entry<C> {
    const entry = this.#byCarrier.get(carrier);
    if (entry === undefined) throw new MpxError('MPX_ERR_INVALID_ARGUMENT', 'carrier not known to the picker');
    return entry;
  }

  /** Whether `e`, picked last, may take a frame of `size` too: it is writable and would lead no writable j by more than lead / w_j. */
  #mayKeep(e: Entry<C>, size: number): boolean {
    if (this.#lead === 0 || !e.seen) return false;
    const finish = e.v + size / e.weight;
    for (const j of this.#entries) if (j !== e && j.seen && finish > j.v + this.#lead / j.weight) return false;
    return true;
  }

  /** The smallest `v` of the writable carriers other than `self`, or `floor` if there are none. */
  #startTime(self: Entry<C> | undefined): number {
    let min = Infinity;
    for (const e of this.#entries) if (e.seen && e !== self && e.v < min) min = e.v;
    return min === Infinity ? this.#floor : min;
  }

  #raiseFloor(): void {
    let min = Infinity;
    for (const e of this.#entries) if (e.seen && e.v < min) min = e.v;
    if (min !== Infinity && min > this.#floor) this.#floor = min;
  }

  /**
   * Shifts every virtual time down by `floor`. A carrier below `floor` is not
   * writable and will be raised to at least `floor` when it returns, so it is
   * raised now and the order of everything that matters is kept.
   */
  #renormalise(): void {
    const shift = this.#floor;
    for (const e of this.#entries) e.v = Math.max(e.v, shift) - shift;
    this.#floor = 0;
  }
}

function checkSize(size: number): void {
  if (!Number.isFinite(size) || size < 0) {
    throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `frame size must be a finite number >= 0, got ${size}`);
  }
}
