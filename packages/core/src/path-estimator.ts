// Per-carrier path estimates for adaptive scheduling (SPEC §8): a smoothed
// round-trip time and a delivery rate, from which the carrier's in-flight cap
// follows. I/O-free: every method takes the time from the caller.

/**
 * Smallest in-flight cap, bytes. Rationale: below this a fresh carrier could
 * not probe its rate; above it, slow carriers queue in the path: at 256 KiB,
 * four carriers sharing 40 Mbit/s held ~1 MiB (200 ms) in front of a new
 * request (latency-under-load +179 ms; 128 KiB +80 ms; 64 KiB +41 ms), and
 * eight per path overfilled a shared bottleneck (0.89 of the caps; 1.00 at 64 KiB).
 */
export const MIN_INFLIGHT_CAP = 64 * 1024;
/** Allowance for a busy receiver acknowledging once per event-loop turn (SPEC §9), ms. */
const ACK_DELAY_MS = 2;
/** How long a delivery-rate maximum is remembered, ms. */
const RATE_WINDOW_MS = 2_000;
/** Shortest interval over which a delivery-rate sample is taken, ms. */
const MIN_SAMPLE_MS = 10;
/** How long the minimum RTT is trusted before it is measured afresh, ms. */
const MIN_RTT_WINDOW_MS = 10_000;

export class PathEstimator {
  #srtt: number | undefined;
  #rttvar = 0;
  #minRtt = Number.POSITIVE_INFINITY;
  #minRttAt = 0;
  /** The smallest sample since #minRtt was taken: the minimum once #minRtt expires. */
  #nextMinRtt = Number.POSITIVE_INFINITY;
  #nextMinRttAt = 0;
  /** Delivery-rate samples (bytes/ms) with their time, for a windowed max. */
  #rates: Array<{ at: number; rate: number }> = [];
  #sampleStart: number | undefined;
  #sampleBytes = 0;

  /** Smoothed RTT in ms (RFC 6298 weights), undefined before the first sample. */
  get srtt(): number | undefined {
    return this.#srtt;
  }

  get rttvar(): number {
    return this.#rttvar;
  }

  get minRtt(): number | undefined {
    return Number.isFinite(this.#minRtt) ? this.#minRtt : undefined;
  }

  /** Bytes per ms: the largest delivery rate seen over the last two seconds, or undefined. */
  rate(now: number): number | undefined {
    this.#expire(now);
    let best: number | undefined;
    for (const r of this.#rates) if (best === undefined || r.rate > best) best = r.rate;
    return best;
  }

  /**
   * A round-trip sample of `ms` taken at `now`. The minimum is windowed: one
   * older than MIN_RTT_WINDOW_MS gives way to the smallest sample seen since
   * it was taken (not to whichever sample comes next, which under load is
   * inflated by the queues and would let the cap feed on itself).
   */
  onRttSample(ms: number, now = 0): void {
    if (!(ms >= 0)) return;
    if (ms <= this.#minRtt) {
      this.#minRtt = ms;
      this.#minRttAt = now;
      this.#nextMinRtt = Number.POSITIVE_INFINITY;
    } else if (ms <= this.#nextMinRtt) {
      this.#nextMinRtt = ms;
      this.#nextMinRttAt = now;
    }
    if (now - this.#minRttAt > MIN_RTT_WINDOW_MS) {
      this.#minRtt = this.#nextMinRtt;
      this.#minRttAt = this.#nextMinRttAt;
      this.#nextMinRtt = Number.POSITIVE_INFINITY;
    }
    if (this.#srtt === undefined) {
      this.#srtt = ms;
      this.#rttvar = ms / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - ms);
      this.#srtt = 0.875 * this.#srtt + 0.125 * ms;
    }
  }

  /**
   * `bytes` were acknowledged at `now`. Samples are taken over at least one
   * smoothed RTT (or MIN_SAMPLE_MS) so that bursts of ACKs do not inflate the rate.
   * `busy` says whether the carrier had data in flight throughout; samples
   * taken while it idled would understate its rate and are dropped.
   */
  onAcked(bytes: number, now: number, busy: boolean): void {
    if (!busy) {
      this.#sampleStart = undefined;
      this.#sampleBytes = 0;
      return;
    }
    if (this.#sampleStart === undefined) {
      this.#sampleStart = now;
      this.#sampleBytes = 0;
      return;
    }
    this.#sampleBytes += bytes;
    const elapsed = now - this.#sampleStart;
    if (elapsed >= Math.max(MIN_SAMPLE_MS, this.#srtt ?? 0)) {
      this.#rates.push({ at: now, rate: this.#sampleBytes / elapsed });
      this.#sampleStart = now;
      this.#sampleBytes = 0;
      this.#expire(now);
    }
  }

  /**
   * Bytes this carrier may have unacknowledged: twice its bandwidth-delay
   * product, where the delay is the path's minimum RTT (over the last ten
   * seconds) and the bandwidth its best recent delivery rate.
   *
   * Rationale: one BDP keeps the path full; the second absorbs ACK delay and
   * rate changes. Deeper queues would only add latency and make the stream
   * wait on this carrier for in-order delivery. The minimum RTT, not the
   * smoothed one, is used because the smoothed RTT grows with our own queue:
   * a cap derived from it would feed on itself (bufferbloat).
   */
  inflightCap(now: number, ceiling: number): number {
    const rate = this.rate(now);
    const rtt = this.minRtt;
    // Nothing measured yet (a new carrier, or idle for a while): start small
    // and let the measured rate open the cap, as TCP's slow start does. Each
    // rate sample taken at the cap can double it while the path keeps up.
    if (rate === undefined || rtt === undefined) return Math.min(ceiling, MIN_INFLIGHT_CAP);
    const bdp = rate * (rtt + ACK_DELAY_MS);
    return Math.min(ceiling, Math.max(MIN_INFLIGHT_CAP, Math.ceil(2 * bdp)));
  }

  #expire(now: number): void {
    while (this.#rates.length > 0 && now - (this.#rates[0] as { at: number }).at > RATE_WINDOW_MS) this.#rates.shift();
  }
}
