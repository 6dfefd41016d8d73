// Per-carrier path estimates for adaptive scheduling (SPEC §8): a smoothed
// round-trip time, the minimum RTT (renewed in RTT drains), the time the
// peer's stamped ACKs waited behind the other direction's data (the reverse
// wait), how much the round trip varies (the spread) and a delivery rate,
// from which the carrier's in-flight cap and its pacing rate follow. I/O-free: every
// method takes the time from the caller.
import { WindowedMax } from './windowed-max.js';

/**
 * In-flight cap before the path is measured, bytes. Rationale: below this a
 * fresh carrier could not probe its rate; above it, eight carriers sharing a
 * bottleneck overfill it before they have measured anything.
 */
export const MIN_INFLIGHT_CAP = 64 * 1024;
/**
 * Smallest in-flight cap once the path is measured: what the carrier
 * delivers in FLOOR_MS at its rate, and at least MEASURED_FLOOR bytes (two
 * frames of 16 KiB). Rationale: on a loaded host ACKs come 10–30 ms late,
 * and a carrier capped near one product of a short round trip then leaves
 * its path idle: with 20 Mbit/s carriers on a 10 ms round trip
 * (aggregation), two frames (32 KiB) kept 0.5–0.7 of their rate, 26 ms of
 * it (the 64 KiB the floor used to be) 0.84–0.94, 32 ms all of it. A floor
 * in time, not bytes, keeps the queue of carriers that share a bottleneck
 * as small as one's: each one's rate is its share. It binds only where 1.25
 * round trips are shorter than FLOOR_MS (round trips under about 24 ms).
 * The floor in bytes is for carriers too slow for that: a frame in flight
 * and one on its way. Rationale: it binds on carriers below 8 Mbit/s, which
 * are mostly carriers sharing a bottleneck, where it counts once per
 * carrier: at 48 KiB (three frames), two carriers sharing 20 Mbit/s at 20 ms
 * were each held at 48 KiB instead of the 40 KiB of their time floor, and a
 * new request waited behind 96 KiB in the path's queue instead of 80
 * (latency-under-load). At 64 KiB for every carrier that queue was 30 ms.
 */
export const MEASURED_FLOOR = 32 * 1024;
const FLOOR_MS = 32;
/**
 * Cap in bandwidth-delay products in most rounds. Rationale: one product
 * keeps the path full only if ACKs are never late; the quarter more absorbs
 * a late ACK of up to a quarter of the round trip while the queue it makes
 * is a quarter of a round trip (a new stream's frames wait behind it).
 */
const CRUISE_GAIN = 1.25;
/**
 * One round (a smoothed RTT) in PROBE_CYCLE has a cap of PROBE_GAIN products.
 * Rationale: a host that holds its ACKs back for longer than a quarter of the
 * round trip (a busy event loop) would make each rate sample smaller than
 * the last at the cruise gain, until the cap reached the floor; the probe
 * round lets the rate sample reach the path's rate again as long as the
 * ACKs are late by less than half a round trip, at the cost of a queue of
 * half a product for about one round in eight.
 */
const PROBE_GAIN = 1.5;
const PROBE_CYCLE = 8;
/** While an RTT drain is under way the cap is this many products, and frames are paced at this many times the rate. */
const DRAIN_GAIN = 0.5;
/**
 * A carrier that paces every frame (pacesAll) paces in cruise rounds at
 * this many times the rate while its last two rate samples kept a queue
 * (a standing queue: what it sends beyond the path's rate, or beyond its
 * share of a shared bottleneck, waits there), at the rate itself while the
 * last one did, and at CRUISE_GAIN while none did (the path may take more).
 * Rationale: paced at the rate, a queue once made (a probe round, a rate
 * that was the maximum of a share that moved) stays; a tenth below it
 * empties a queue of a quarter round trip in a few round trips, while the
 * samples pacing held back are not taken for the path's rate (onAcked),
 * so a queue that is only late ACKs costs at most a tenth of the rate.
 */
const QUEUE_DRAIN_GAIN = 0.9;
/**
 * Carriers whose minimum RTT is below this many ms never pace every frame
 * (pacesAll). Rationale: there the host, not a link, is mostly what limits
 * the carrier (loopback, a LAN), and per-frame pacing costs a carrier that
 * the CPU holds back its rate: iperf-carriers on loopback (round trips of
 * tenths of a millisecond) fell to 0.37-0.72 of the relay pair with it
 * (0.80-0.87 without). The paths of latency-under-load have 20 ms.
 */
const PACES_ALL_MIN_RTT_MS = 5;
/**
 * Weight of each ACK's reverse wait in its moving average (see
 * onAckStamp). Rationale: the RFC 6298 weight of the smoothed RTT; the
 * average follows the other direction's queue within a round trip or two,
 * while one ACK that waited behind a burst does not move the cap much.
 */
const REVERSE_WAIT_WEIGHT = 1 / 8;
/**
 * A rate sample kept a queue if every frame RTT sample in it was above
 * QUEUE_RATIO × the minimum + QUEUE_MARGIN_MS. Rationale: at the cruise gain
 * a full path holds a quarter of a round trip of queue, so every sample is
 * at least 1.25 × the minimum; late ACKs alone leave some samples near it.
 */
const QUEUE_RATIO = 1.1;
const QUEUE_MARGIN_MS = 1;
/** Allowance for a busy receiver acknowledging once per event-loop turn (SPEC §9), ms. */
const ACK_DELAY_MS = 2;
/**
 * Weight of each rate sample's RTT spread (the mean of its frame RTT
 * samples less their least) in the spread's moving average; the cap makes
 * room for the largest value of that average in the rate window, counted up
 * to MAX_SPREAD_RTTS minimum RTTs (see spread()). Rationale: over a path
 * whose delay varies (a radio link, a busy router) frames come back late
 * and early by turns; a cap with no room for that bound below the mean
 * round trip, every rate sample delivered less than the last, and one
 * stream got 0.21–0.39 of two 40 Mbit/s paths of 10 ms one way with 0–10 ms
 * of jitter each way, 0.07 of one 100 Mbit/s path (jitter). One sample's
 * spread jumps with a single late ACK (a receiver that paused); its average
 * over about four samples does not, while a path that varies keeps it up.
 * The bound keeps a queue that built up in one sample (a path whose rate
 * fell eightfold) from opening the cap further.
 */
const SPREAD_WEIGHT = 1 / 4;
const MAX_SPREAD_RTTS = 2;
/**
 * Start-up (see #startingUp): the cap's and the pacing's gain while a
 * carrier's rate is being found, and how it ends: once STARTUP_SAMPLES rate
 * samples in a row raised the best rate by less than STARTUP_GROWTH times
 * (BBR's full-bandwidth test). Rationale: from the 64 KiB a carrier starts
 * with, each sample at the cruise gain can raise the rate by a quarter at
 * most, and over a path whose delay varies not even that (each sample is
 * taken over the longer round trips): with the spread's room but no
 * start-up, the rate stayed at 0.09–0.67 of the path's for good in the
 * simulator where the jitter was twice the one-way delay, and through real
 * tunnels, with three quarters of that room, downloads at 0.53 of the paths
 * (jitter). Two products reach a path's rate within a few round trips, and
 * a rate that stopped growing by a quarter per sample is the path's.
 */
const STARTUP_GAIN = 2;
const STARTUP_GROWTH = 1.25;
const STARTUP_SAMPLES = 3;
/**
 * The delivery-rate maximum is remembered for this many minimum RTTs (two
 * probe cycles), between MIN_RATE_WINDOW_MS and MAX_RATE_WINDOW_MS.
 * Rationale: long enough to hold a probe round's sample through the rounds
 * between, short enough that a path whose rate fell (or whose delay grew:
 * the same cap then delivers less) loses its share within a second.
 */
const RATE_WINDOW_RTTS = 2 * PROBE_CYCLE;
const MIN_RATE_WINDOW_MS = 500;
const MAX_RATE_WINDOW_MS = 2_000;
/** Shortest interval over which a delivery-rate sample is taken, ms. */
const MIN_SAMPLE_MS = 10;
/** A delivery-rate sample spans at least this many smoothed RTTs. */
const SAMPLE_RTTS = 2;
/**
 * In start-up a sample spans SAMPLE_RTTS smoothed RTTs or this many ms,
 * whichever is less, but at least a minimum RTT. Rationale: start-up counts
 * its samples (STARTUP_SAMPLES), and its own queue inflates the smoothed
 * RTT: over one 100 Mbit/s path of 100 ms one way it doubled, a sample took
 * four round trips, and the rate took 3.5–4 s to reach 0.9 of the path's
 * (2.3–2.5 s with this bound), with a p90 queue of 240 ms from 4 s on while
 * start-up kept sending twice the rate (90 ms), in the simulator. A round
 * trip of 100 ms or more holds enough ACKs for a sample of one; shorter ones
 * keep two, where one is noisy on paths whose delay varies: with a bound of
 * 100 ms instead, the lowest second of 20–100 Mbit/s paths of 5–10 ms one
 * way with 0–20 ms of jitter fell from 0.52 of the rate to 0.31.
 */
const STARTUP_SAMPLE_MS = 200;
/** How long the minimum RTT is trusted when drains find no clean sample, ms. */
const MIN_RTT_WINDOW_MS = 10_000;
/**
 * A drain's clean sample above this many times the minimum RTT replaces it
 * only once drains have found it that high for MIN_RTT_WINDOW_MS. Rationale:
 * a path whose delay jumped (a reroute, a radio link) delivers late, and a
 * stream striped over it waits for it in order: its cap stays small for a
 * while (the same cap then delivers a tenth as much), so the load moves to
 * the other carriers, and comes back only if the path stays that slow.
 */
const MAX_DRAIN_RISE = 2;
/** RTT drains start on multiples of this much aligned time until one has been done, ms. */
const FIRST_DRAIN_GRID_MS = 2_000;
/** ... and on multiples of this much after, ms. */
const DRAIN_GRID_MS = 10_000;
/** A drain starts in the first this many ms of its grid slot, or waits for the next slot. */
const DRAIN_START_MS = 200;
/** An RTT drain that found no clean sample ends after this many smoothed RTTs, within [MIN_DRAIN_MS, MAX_DRAIN_MS]. */
const DRAIN_RTTS = 4;
const MIN_DRAIN_MS = 100;
const MAX_DRAIN_MS = 1_000;

/**
 * What an RTT sample timed (SPEC §9): `frames`, an ACK newly covering two
 * frames or more (prompt), timed from the newest; `lone-frame`, an ACK of one
 * frame, which may have waited up to MAX_ACK_DELAY for company: it counts
 * for the minimum only (it can only be above the true round trip); `ping`, a
 * PONG or the handshake: small frames, which do not wait for a frame to pass
 * the bottleneck, so they stand in for the frames' minimum until a frame
 * was timed.
 */
export type RttSampleKind = 'frames' | 'lone-frame' | 'ping';

export class PathEstimator {
  #srtt: number | undefined;
  #rttvar = 0;
  /** The minimum RTT of frames (see minRtt). */
  #minRtt = Number.POSITIVE_INFINITY;
  #pingMinRtt = Number.POSITIVE_INFINITY;
  #minRttAt = 0;
  /** The smallest sample since #minRtt was taken: the fallback when a drain finds no clean sample. */
  #nextMinRtt = Number.POSITIVE_INFINITY;
  /** Delivery-rate samples (bytes/ms) with their time: their windowed max. */
  #rates = new WindowedMax();
  /** The moving average of the rate samples' RTT spread, ms (see SPREAD_WEIGHT), and its values with their time: their windowed max. */
  #spreadAverage = 0;
  #spreads = new WindowedMax();
  /** Start-up is over (see #startingUp); the best rate when a sample last raised it by STARTUP_GROWTH, and the samples since. */
  #startedUp = false;
  #startupRate = 0;
  #startupFlat = 0;
  /**
   * rate() as last computed, and the `now` and rate window it expired the
   * samples for (NaN: a sample came since). Rationale: the rate is asked
   * several times per frame sent (the cap, pacing, and the queue of every
   * carrier a small stream's frame may take, SPEC §8); a second expiry with
   * the same `now` and window, and no sample between, drops nothing.
   */
  #rateNow: number | undefined;
  #rateAt = Number.NaN;
  #rateWindow = Number.NaN;
  #sampleStart: number | undefined;
  /** When the newest frame acknowledged at #sampleStart was sent. */
  #sampleSentAt: number | undefined;
  #sampleBytes = 0;
  /** The smallest frame RTT sample since #sampleStart: whether the carrier kept a queue through the sample. */
  #sampleMinRtt = Number.POSITIVE_INFINITY;
  /** The sum and the count of the frame RTT samples since #sampleStart: their mean, for the spread. */
  #sampleRttSum = 0;
  #sampleRtts = 0;
  /** Pacing held the carrier back during the rate sample under way, and nothing else did in some ACK's interval (see onAcked). */
  #samplePaced = false;
  #sampleCapped = false;
  /** The last rate sample kept a queue (see onAcked). */
  #keptQueue = false;
  /** The last two rate samples kept a queue: a standing queue (see pacingRate). */
  #queued = false;
  /** Moving average of how long the peer's ACKs waited behind the other direction's queue, ms (see onAckStamp). */
  #reverseWait = 0;
  /**
   * The lowest one-way delay (plus the clocks' offset) of the peer's stamped
   * ACKs in the current and the previous MIN_RTT_WINDOW_MS, and when the
   * current window started: the one-way delay with no queue in front of it.
   */
  #oneWayMin = Number.POSITIVE_INFINITY;
  #oneWayPrevMin = Number.POSITIVE_INFINITY;
  #oneWayFrom: number | undefined;
  /** The last stamped ACK came while the peer sent data on the carrier (see onAckStamp). */
  #behindData = false;
  /** Aligned time minus the caller's `now`. */
  readonly #align: number;
  /** Since when drains have found the round trip above MAX_DRAIN_RISE times the minimum. */
  #riseSince: number | undefined;
  /** A drain has been done. */
  #drained = false;
  /** Where the grid slot of the last drain started, in aligned time. */
  #drainSlot = Number.NaN;
  /** When the RTT drain under way started, if one is. */
  #drainStart: number | undefined;
  /** When the drain brought the bytes in flight down to its cap: samples of what is sent from then on are clean. */
  #cleanFrom: number | undefined;

  /**
   * `align`: aligned time (wall time where the clock knows it) minus the
   * caller's `now`. RTT drains start on a grid of aligned time, so that every
   * carrier of a host, and both ends of a session, drain together.
   */
  constructor(align = 0) {
    this.#align = align;
  }

  /** Smoothed RTT in ms (RFC 6298 weights), undefined before the first sample. */
  get srtt(): number | undefined {
    return this.#srtt;
  }

  get rttvar(): number {
    return this.#rttvar;
  }

  /**
   * The minimum RTT the cap is built on: that of full frames (their ACKs)
   * once one was sampled, else that of PINGs and the handshake.
   */
  get minRtt(): number | undefined {
    if (Number.isFinite(this.#minRtt)) return this.#minRtt;
    return Number.isFinite(this.#pingMinRtt) ? this.#pingMinRtt : undefined;
  }

  /** Moving average of the reverse wait of the peer's stamped ACKs, ms (0 without stamps). */
  get reverseWait(): number {
    return this.#reverseWait;
  }

  /**
   * SPEC §8, §9: an ACK stamped with the peer's clock arrived at `now`;
   * `oneWay` is our clock at arrival minus its stamp: the one-way delay from
   * the peer plus the (unknown, constant) offset of the two clocks. The
   * lowest such value of the last MIN_RTT_WINDOW_MS to 2 × MIN_RTT_WINDOW_MS
   * is the delay with no queue in front of the ACK (the offset cancels);
   * what this one took beyond it is its **reverse wait**: the time it spent
   * behind the other direction's data, in the peer's socket buffer and the
   * path's queue. Returns that wait, and feeds its moving average.
   * `behindData`: the peer sends data on the carrier (carrier-link.ts,
   * REVERSE_DATA_BYTES). Otherwise the ACK waited behind nothing of the
   * peer's: its wait counts as 0. Rationale:
   * a one-way delay that grew without data in front of it is the path's
   * (a reroute, a radio link); counted, it would raise the cap of a path
   * whose delay jumped and keep its load on it (changing-paths: 3.3 s to
   * move the load off a path gone from 20 to 200 ms, against 1.3 s).
   */
  onAckStamp(oneWay: number, now: number, behindData = true): number {
    if (!Number.isFinite(oneWay)) return 0;
    if (this.#oneWayFrom === undefined || now - this.#oneWayFrom >= MIN_RTT_WINDOW_MS) {
      this.#oneWayPrevMin = this.#oneWayFrom === undefined ? Number.POSITIVE_INFINITY : this.#oneWayMin;
      this.#oneWayMin = Number.POSITIVE_INFINITY;
      this.#oneWayFrom = now;
    }
    if (oneWay < this.#oneWayMin) this.#oneWayMin = oneWay;
    this.#behindData = behindData;
    const wait = behindData ? oneWay - Math.min(this.#oneWayMin, this.#oneWayPrevMin) : 0;
    this.#reverseWait += REVERSE_WAIT_WEIGHT * (wait - this.#reverseWait);
    return wait;
  }

  /** Bytes per ms: the largest delivery rate seen over the rate window, or undefined. */
  rate(now: number): number | undefined {
    this.#expire(now);
    return this.#rateNow;
  }

  /** Whether an RTT drain is under way at `now` (SPEC §8). */
  draining(now: number): boolean {
    this.#tick(now);
    return this.#drainStart !== undefined;
  }

  /**
   * A round-trip sample of `ms` taken at `now`, of a kind (RttSampleKind).
   * A lower sample replaces the minimum at once. Samples above it never
   * raise it while it is trusted (they carry the queues, ours and the
   * peer's, and a cap derived from them would feed on itself); an RTT drain
   * (see inflightCap) measures it afresh. `reverse`: the part of a frame
   * sample its ACK spent behind the other direction's queue (onAckStamp):
   * the minimum and the queue test of rate samples see the sample less that
   * wait, the path's round trip plus our own queue; the smoothed RTT sees it
   * all.
   */
  onRttSample(ms: number, now = 0, kind: RttSampleKind = 'ping', reverse = 0): void {
    if (!(ms >= 0)) return;
    if (kind === 'ping') {
      if (ms < this.#pingMinRtt) this.#pingMinRtt = ms;
    } else {
      this.#onFrameSample(Math.max(0, ms - Math.max(0, reverse)), now);
    }
    this.#tick(now);
    if (kind === 'lone-frame') return;
    if (this.#srtt === undefined) {
      this.#srtt = ms;
      this.#rttvar = ms / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - ms);
      this.#srtt = 0.875 * this.#srtt + 0.125 * ms;
    }
  }

  #onFrameSample(ms: number, now: number): void {
    if (ms < this.#sampleMinRtt) this.#sampleMinRtt = ms;
    this.#sampleRttSum += ms;
    this.#sampleRtts++;
    if (ms <= MAX_DRAIN_RISE * this.#minRtt) this.#riseSince = undefined;
    const clean = this.#cleanFrom !== undefined && now - ms >= this.#cleanFrom;
    if (ms <= this.#minRtt) {
      this.#setMinRtt(ms, now);
    } else if (clean) {
      // The drain's clean sample is the round trip now, higher or lower; a
      // rise beyond MAX_DRAIN_RISE is believed once it has lasted
      // MIN_RTT_WINDOW_MS (see inflightCap).
      this.#riseSince ??= now;
      if (ms <= MAX_DRAIN_RISE * this.#minRtt || now - this.#riseSince >= MIN_RTT_WINDOW_MS) this.#setMinRtt(ms, now);
      this.#endDrain();
    } else if (ms < this.#nextMinRtt) {
      this.#nextMinRtt = ms;
    }
  }

  #setMinRtt(ms: number, now: number): void {
    this.#minRtt = ms;
    this.#minRttAt = now;
    this.#nextMinRtt = Number.POSITIVE_INFINITY;
    this.#riseSince = undefined;
    this.#endDrain();
  }

  /**
   * `bytes` were acknowledged at `now`. Samples are taken over at least two
   * smoothed RTTs (MIN_SAMPLE_MS at least; in start-up, see
   * STARTUP_SAMPLE_MS) so that bursts of ACKs do not inflate the rate.
   * `busy` says whether the carrier had data in flight throughout; samples
   * taken while it idled, or while an RTT drain held it back, would
   * understate its rate and are dropped. `paced`: pacing held the carrier
   * back since the last ACK, and its cap did not (a sample made only of
   * such intervals lowers no rate).
   */
  onAcked(bytes: number, now: number, busy: boolean, sentAt?: number, paced = false): void {
    if (!busy || this.draining(now)) {
      this.#sampleStart = undefined;
      this.#sampleBytes = 0;
      return;
    }
    if (this.#sampleStart === undefined) {
      this.#samplePaced = false;
      this.#sampleCapped = false;
      this.#sampleStart = now;
      this.#sampleSentAt = sentAt;
      this.#sampleBytes = 0;
      this.#resetSampleRtts();
      return;
    }
    this.#sampleBytes += bytes;
    if (paced) this.#samplePaced = true;
    else this.#sampleCapped = true;
    const elapsed = now - this.#sampleStart;
    if (elapsed >= Math.max(MIN_SAMPLE_MS, this.#sampleSpan())) {
      const sendElapsed = sentAt !== undefined && this.#sampleSentAt !== undefined ? sentAt - this.#sampleSentAt : 0;
      const sample = this.#sampleBytes / Math.max(elapsed, sendElapsed);
      const best = this.rate(now);
      // Below the best rate with no queue kept through the sample and the one
      // before (a long stall of the host inflates every RTT of one): the path
      // was not full (ACKs came late: a busy host), so the sample says
      // nothing about its rate, and the best one is kept alive instead.
      // Rationale: taken as the rate, each such sample would lower the cap,
      // and the next sample with it (down to the floor, at a quarter of the
      // rate on a loaded host). A path whose rate fell, or whose delay grew,
      // keeps a queue (what was sent for the old rate, or every sample above
      // the old minimum), so its lower samples count, once start-up is over
      // (before, the queue is start-up's own).
      const kept = this.#sampleMinRtt > QUEUE_RATIO * (this.minRtt ?? 0) + QUEUE_MARGIN_MS;
      const queued = kept && this.#keptQueue;
      // Pacing at about the rate (pacesAll) held the carrier back in the
      // sample: it delivered what it was let send, which says nothing of a
      // lower rate (BBR's application-limited samples). A path whose rate
      // fell holds the carrier at its cap instead, where pacing is not asked.
      const paced = this.#samplePaced && !this.#sampleCapped && this.pacesAll(now);
      this.#keptQueue = kept;
      this.#queued = queued;
      this.#rates.push(now, best === undefined || sample >= best || (queued && !paced && this.#startedUp) ? sample : best);
      this.#onSpread(now);
      this.#onStartupSample();
      this.#rateAt = Number.NaN;
      this.#sampleStart = now;
      this.#sampleSentAt = sentAt;
      this.#sampleBytes = 0;
      this.#resetSampleRtts();
      this.#samplePaced = false;
      this.#sampleCapped = false;
      this.#expire(now);
    }
  }

  /** How long a rate sample spans, ms: SAMPLE_RTTS smoothed RTTs; in start-up at most STARTUP_SAMPLE_MS, if that is above the minimum RTT. */
  #sampleSpan(): number {
    const span = SAMPLE_RTTS * (this.#srtt ?? 0);
    return this.#startingUp() ? Math.max(this.minRtt ?? 0, Math.min(span, STARTUP_SAMPLE_MS)) : span;
  }

  #resetSampleRtts(): void {
    this.#sampleMinRtt = Number.POSITIVE_INFINITY;
    this.#sampleRttSum = 0;
    this.#sampleRtts = 0;
  }

  /** A rate sample was taken at `now`: its RTT spread feeds the moving average (SPREAD_WEIGHT). */
  #onSpread(now: number): void {
    const spread = this.#sampleRtts > 0 ? this.#sampleRttSum / this.#sampleRtts - this.#sampleMinRtt : 0;
    const bound = MAX_SPREAD_RTTS * (this.minRtt ?? 0);
    this.#spreadAverage += SPREAD_WEIGHT * (Math.min(spread, bound) - this.#spreadAverage);
    this.#spreads.push(now, this.#spreadAverage);
  }

  /** A rate sample was taken: start-up ends once STARTUP_SAMPLES in a row raised the best rate by less than STARTUP_GROWTH times. */
  #onStartupSample(): void {
    if (this.#startedUp) return;
    const best = this.#rates.max ?? 0;
    if (best >= STARTUP_GROWTH * this.#startupRate) {
      this.#startupRate = best;
      this.#startupFlat = 0;
    } else if (++this.#startupFlat >= STARTUP_SAMPLES) {
      this.#startedUp = true;
    }
  }

  /**
   * SPEC §8: whether the cap and the pacing are at the start-up gain: start-up
   * has not ended (#onStartupSample), the carrier's ACKs are stamped
   * (version 2) and its peer sends no data on it. Start-up begins again
   * whenever the rate is forgotten (the carrier idled through the rate
   * window, #expire). Rationale: with bulk both ways, twice the rate each
   * way filled the other direction's queue, which the ACKs wait behind (in
   * the simulator, version 1 carriers' minimum RTT grew past two frame
   * round trips).
   */
  #startingUp(): boolean {
    return !this.#startedUp && this.#oneWay();
  }

  /** The peer stamps its ACKs (version 2, onAckStamp) and sends no data on the carrier (the last stamped ACK came behind none). */
  #oneWay(): boolean {
    return this.#oneWayFrom !== undefined && !this.#behindData;
  }

  /**
   * SPEC §8: the RTT spread the cap makes room for, ms: the largest moving
   * average of the rate window (SPREAD_WEIGHT), on a carrier whose ACKs are
   * stamped (version 2), whose peer sends no data on it and whose minimum
   * RTT is PACES_ALL_MIN_RTT_MS or more; else 0. Rationale: with bulk both
   * ways the samples vary with the other direction's queue (what the
   * reverse wait's average leaves), and below that round trip the host, not
   * a link, limits the carrier.
   */
  spread(now: number): number {
    const rtt = this.minRtt;
    if (rtt === undefined || rtt < PACES_ALL_MIN_RTT_MS || !this.#oneWay()) return 0;
    this.#expire(now);
    return this.#spreads.max ?? 0;
  }

  /**
   * Bytes this carrier may have unacknowledged (SPEC §8), with `unacked` in
   * flight now: its bandwidth-delay product (the best delivery rate of the
   * rate window times the minimum RTT plus ACK_DELAY_MS, the average reverse
   * wait and the spread) times CRUISE_GAIN, STARTUP_GAIN in start-up,
   * PROBE_GAIN in one round of PROBE_CYCLE, DRAIN_GAIN during an RTT drain;
   * at least the floor (MEASURED_FLOOR, except in a drain) and at most `ceiling`.
   *
   * Rationale: the minimum RTT, not the smoothed one, because the smoothed
   * RTT grows with the queues (ours, and on a carrier carrying data both
   * ways the peer's, which its ACKs wait behind): a cap derived from it
   * would feed on itself. A cap near one product keeps the path full while
   * the queue, and the wait of a new stream's first bytes behind it, stays a
   * fraction of a round trip.
   *
   * An RTT drain (see #tick) starts at each slot of a grid of aligned time:
   * the cap falls to half a product, so the queue this carrier made
   * empties; an ACK timing a frame sent once the bytes in flight were down
   * to that is clean and becomes the minimum, higher or lower (a rise beyond
   * MAX_DRAIN_RISE only once it lasted), and the drain ends. Rationale: the minimum of samples taken under load (BBR's
   * ProbeRTT without the 200 ms at four packets: one clean sample suffices
   * here) would carry the queue and grow at every renewal; with the peer's
   * queue in it (both directions busy) it still converges, to the delay plus
   * a third of a round trip, because the cruise gain is below two.
   */
  inflightCap(now: number, ceiling: number, unacked = 0): number {
    const rate = this.rate(now);
    const rtt = this.minRtt;
    // Nothing measured yet (a new carrier, or idle for a while): start at
    // MIN_INFLIGHT_CAP and let the measured rate set the cap, as TCP's slow
    // start does: each rate sample taken at the cap can raise it by the gain.
    if (rate === undefined || rtt === undefined) return Math.min(ceiling, MIN_INFLIGHT_CAP);
    const bdp = rate * (rtt + ACK_DELAY_MS);
    if (this.draining(now)) {
      const cap = Math.max(1, Math.ceil(DRAIN_GAIN * bdp));
      if (this.#cleanFrom === undefined && unacked <= cap) this.#cleanFrom = now;
      return Math.min(ceiling, cap);
    }
    const gain = this.#startingUp() ? STARTUP_GAIN : this.#probing(now) ? PROBE_GAIN : CRUISE_GAIN;
    const floor = Math.max(MEASURED_FLOOR, rate * FLOOR_MS);
    return Math.min(ceiling, Math.max(floor, Math.ceil(gain * (bdp + rate * (this.#reverseWait + this.spread(now))))));
  }

  /**
   * SPEC §8: bytes per ms at which frames are paced now: the rate times the
   * cap's gain (CRUISE_GAIN, STARTUP_GAIN in start-up, PROBE_GAIN in the
   * probe round, DRAIN_GAIN in an RTT drain); in the cruise rounds of a carrier that paces every frame
   * (pacesAll), 1 × while the last rate sample kept a queue and
   * QUEUE_DRAIN_GAIN while the last two did; undefined (not paced) until
   * the rate is known. Rationale:
   * at the gain, not at the rate itself, so that a path whose rate rose is
   * found within a second (at the rate alone, a rise from 5 to 40 Mbit/s
   * took 2 s in the simulator, gaining only in the probe rounds), while
   * frames still leave spread over the round trip instead of in bursts as
   * ACKs come: with bulk both ways the ACKs come in clumps (they wait
   * behind the other direction's data), and unpaced bursts keep the two
   * queues sloshing between full and empty.
   */
  pacingRate(now: number): number | undefined {
    const rate = this.rate(now);
    if (rate === undefined || this.minRtt === undefined) return undefined;
    if (this.draining(now)) return DRAIN_GAIN * rate;
    if (this.#startingUp()) return STARTUP_GAIN * rate;
    if (this.#probing(now)) return PROBE_GAIN * rate;
    if (!this.pacesAll(now)) return CRUISE_GAIN * rate;
    return (this.#queued ? QUEUE_DRAIN_GAIN : this.#keptQueue ? 1 : CRUISE_GAIN) * rate;
  }

  /**
   * SPEC §8: whether every frame is paced at `now`, from the first byte in
   * flight: the rate is known and at least what puts the floor in time
   * above the one in bytes (8 Mbit/s), the peer stamps its ACKs (version 2,
   * onAckStamp) and sends no data on the carrier (the last stamped ACK did
   * not come behind any), no RTT drain is under way, and the round trip the
   * cap is built on (minimum RTT, ACK_DELAY_MS, reverse wait) is under
   * FLOOR_MS, where the floor in time, or 1.25 products not far above it,
   * sets the cap, or the spread is above 0 (past FLOOR_MS, the cap is then
   * 1.25 products with the spread in them: the room is for a round trip
   * that varies, and frames sent as fast as ACKs come would fill it with
   * queue whenever it does not). Rationale: the floor is there for late ACKs; a carrier
   * that fills it whenever ACKs come on time keeps the extra standing in
   * the bottleneck's queue (two carriers sharing 20 Mbit/s at 20 ms held
   * two or three frames each: 4–17 ms of queue), and a new stream's frames
   * wait behind it. Paced at about the rate (pacingRate), the carrier sends
   * what the path delivers, and the room under the cap is used while ACKs
   * are late. The minimum RTT measured on 20 ms paths is 20–27 ms: a bound
   * at FLOOR_MS / CRUISE_GAIN (24 ms) left one carrier in four unpaced.
   * Without stamps the queue test cannot tell the carrier's queue from its
   * ACKs' wait behind the peer's data (paced at the rate with bulk both
   * ways, such carriers fell below half the rate in the simulator), and
   * with stamps and bulk both ways what the reverse wait's average leaves
   * looks like a queue (bidir --quick: lowest second 0.88 of the caps
   * against 0.93): those carriers pace as before.
   */
  pacesAll(now: number): boolean {
    const rate = this.rate(now);
    const rtt = this.minRtt;
    if (rate === undefined || rtt === undefined || !this.#oneWay() || this.draining(now)) return false;
    if (rtt < PACES_ALL_MIN_RTT_MS || rate * FLOOR_MS < MEASURED_FLOOR) return false;
    return FLOOR_MS > rtt + ACK_DELAY_MS + this.#reverseWait || this.spread(now) > 0;
  }

  /** Whether `now` falls in the probe round of the gain cycle: one smoothed RTT (at least MIN_SAMPLE_MS) of every PROBE_CYCLE. */
  #probing(now: number): boolean {
    const round = Math.max(MIN_SAMPLE_MS, this.#srtt ?? 0);
    return Math.floor(now / round) % PROBE_CYCLE === 0;
  }

  /**
   * Starts an RTT drain at the start of each slot of the drain grid (aligned
   * time, see the constructor), for a carrier whose rate is known:
   * FIRST_DRAIN_GRID_MS until its first drain, DRAIN_GRID_MS after; ends one
   * that found no clean sample in time.
   */
  #tick(now: number): void {
    const start = this.#drainStart;
    if (start === undefined) {
      if (!Number.isFinite(this.#minRtt) || this.#rates.size === 0) return;
      const grid = this.#drained ? DRAIN_GRID_MS : FIRST_DRAIN_GRID_MS;
      const aligned = now + this.#align;
      const slot = Math.floor(aligned / grid) * grid;
      if (slot === this.#drainSlot || aligned - slot > DRAIN_START_MS) return;
      this.#drainSlot = slot;
      this.#drainStart = now;
      this.#cleanFrom = undefined;
      return;
    }
    const limit = Math.min(MAX_DRAIN_MS, Math.max(MIN_DRAIN_MS, DRAIN_RTTS * (this.#srtt ?? 0)));
    if (now - start <= limit) return;
    // No clean sample (the carrier idled, or its queue would not empty): the
    // best sample since the minimum was taken stands in for it.
    if (now - this.#minRttAt > MIN_RTT_WINDOW_MS && Number.isFinite(this.#nextMinRtt)) {
      this.#minRtt = this.#nextMinRtt;
      this.#minRttAt = now;
      this.#nextMinRtt = Number.POSITIVE_INFINITY;
    }
    this.#endDrain();
  }

  #endDrain(): void {
    // Whatever it found, the next drains follow the slower grid.
    if (this.#drainStart !== undefined) this.#drained = true;
    this.#drainStart = undefined;
    this.#cleanFrom = undefined;
  }

  #expire(now: number): void {
    const rtt = this.minRtt ?? MAX_RATE_WINDOW_MS;
    const window = Math.min(MAX_RATE_WINDOW_MS, Math.max(MIN_RATE_WINDOW_MS, RATE_WINDOW_RTTS * rtt));
    if (now === this.#rateAt && window === this.#rateWindow) return;
    this.#rates.expire(now, window);
    this.#spreads.expire(now, window);
    this.#rateNow = this.#rates.max;
    if (this.#rateNow === undefined) {
      this.#startedUp = false;
      this.#startupRate = 0;
      this.#startupFlat = 0;
    }
    this.#rateAt = now;
    this.#rateWindow = window;
  }
}
