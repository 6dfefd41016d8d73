// A simulated network for the sender's in-flight cap (SPEC §8): carriers
// whose sender keeps what InFlight allows in flight, over links that are
// first-in first-out bottlenecks with a deep queue and a one-way delay, which
// may vary from slot to slot (jitter, as @mpx/netem's). A link
// may be shared by several carriers, and a carrier's ACKs may wait in a link
// behind the other direction's data (bulk both ways at once), ride along
// with that data (SPEC §9), and come back to a sender whose clock is not the
// receiver's, stamped with the receiver's clock (SPEC §5.4, version 2) unless
// told otherwise. The sender paces what it sends (SPEC §8); its timers may
// fire late. The receiver acknowledges what arrived once per turn and
// pauses now and then (a busy event loop). Everything runs on simulated time from a seeded PRNG: no
// real clock, no timers.
import { DelayJitter } from '@mpx/netem';
import type { JitterOptions } from '@mpx/netem';
import { seededRandom } from '@mpx/testkit';
import { FrameType, MAX_ACK_DELAY_MS } from '../src/constants.js';
import { InFlight } from '../src/in-flight.js';

/** A DATA frame of 16 KiB with its header, bytes. */
export const FRAME = 16 * 1024 + 20;
/** An ACK with its header and stamp (SPEC §5.4), bytes. */
const ACK_BYTES = 28;
const PING_BYTES = 16;
const CEILING = 16 * 1024 * 1024;
const PING_INTERVAL_MS = 1000;
const QUEUE_SAMPLE_MS = 5;

/**
 * A bottleneck: `rate` bytes per ms, first in first out, then `delay` ms
 * (plus, with `jitter`, @mpx/netem's extra delay for the time the bytes leave
 * the bottleneck: one draw per slot) to the far end.
 */
export class SimLink {
  rate: number;
  delay: number;
  readonly #jitter: DelayJitter | undefined;
  #busyUntil = 0;
  #lastArrival = 0;

  constructor(rate: number, delay: number, jitter?: JitterOptions) {
    this.rate = rate;
    this.delay = delay;
    this.#jitter = jitter === undefined ? undefined : new DelayJitter(jitter);
  }

  /** `bytes` enter at `now`; returns when they reach the far end (never before what entered earlier). */
  enqueue(now: number, bytes: number): number {
    const start = Math.max(now, this.#busyUntil);
    this.#busyUntil = start + bytes / this.rate;
    const extra = this.#jitter?.extraAt(this.#busyUntil) ?? 0;
    this.#lastArrival = Math.max(this.#lastArrival, this.#busyUntil + this.delay + extra);
    return this.#lastArrival;
  }

  /** How long bytes entering at `now` wait for those ahead of them, ms. */
  queueDelay(now: number): number {
    return Math.max(0, this.#busyUntil - now);
  }
}

export interface FlowSpec {
  /** The link the flow's data takes, and the one its ACKs and PONGs come back on. */
  readonly data: SimLink;
  readonly acks: SimLink;
  /** The first RTT sample (the handshake's), ms. */
  readonly firstSample: number;
  /**
   * What the sender's clock reads ahead of simulated time, ms: the two ends
   * of a session have unrelated monotonic clocks (RTT drains still start
   * together, on the wall-clock grid). Default 0.
   */
  readonly clockOffset?: number;
  /**
   * The flow whose sender writes on this flow's ACK link, at this flow's
   * receiver (the other direction of the same carrier): this flow's owed ACK
   * rides along after that flow's frames whenever it sends (SPEC §9).
   */
  readonly ackRidesWith?: number;
}

export interface SimOptions {
  readonly flows: readonly FlowSpec[];
  readonly seconds: number;
  readonly seed: number;
  /** Chance per data arrival that the receiver's turn pauses, and the longest pause, ms. */
  readonly pauseChance?: number;
  readonly maxPauseMs?: number;
  /** Changes to make during the run (a link's delay or rate). */
  readonly changes?: ReadonlyArray<{ readonly at: number; readonly apply: () => void }>;
  /** Pacing's timers fire up to this late, ms (drawn at random; a busy event loop). Default 0. */
  readonly maxTimerLateMs?: number;
  /** The receivers do not stamp their ACKs (a peer of protocol version 1, SPEC §5.4). Default false. */
  readonly unstamped?: boolean;
  /** Called every 100 ms with the senders' state. */
  readonly observe?: (now: number, inFlight: readonly InFlight[]) => void;
}

export interface SimResult {
  /** Per flow, bytes delivered in each 100 ms of the run. */
  readonly delivered: number[][];
  /** Per link given in `queueOf`, the queue delay sampled every 5 ms, with its time. */
  readonly queue: Array<Array<{ at: number; ms: number }>>;
  readonly inFlight: InFlight[];
}

interface Event {
  readonly at: number;
  readonly seq: number;
  readonly run: (now: number) => void;
}

/** A binary min-heap of events by time, then by insertion. */
class Events {
  readonly #heap: Event[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  add(at: number, run: (now: number) => void): void {
    const h = this.#heap;
    h.push({ at, seq: this.#seq++, run });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i] as Event, h[p] as Event)) break;
      [h[i], h[p]] = [h[p] as Event, h[i] as Event];
      i = p;
    }
  }

  pop(): Event {
    const h = this.#heap;
    const top = h[0] as Event;
    const last = h.pop() as Event;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l] as Event, h[m] as Event)) m = l;
        if (r < h.length && less(h[r] as Event, h[m] as Event)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as Event, h[i] as Event];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

const FRAME_SENT = { type: FrameType.WINDOW, streamId: 1, maxOffset: 0 } as const;

/** Runs bulk transfers on every flow for `seconds`; `queueOf`: the links whose queue delay is sampled. */
export function simulate(o: SimOptions, queueOf: readonly SimLink[] = []): SimResult {
  const rand = seededRandom(o.seed);
  const end = o.seconds * 1000;
  const events = new Events();
  const buckets = Math.ceil(end / 100);
  const delivered = o.flows.map(() => new Array<number>(buckets).fill(0));
  const queue = queueOf.map(() => [] as Array<{ at: number; ms: number }>);
  const inFlight = o.flows.map((flow) => new InFlight(-(flow.clockOffset ?? 0)));
  let pauseUntil = 0;
  /** Per flow, sends its owed ACK now (it rides along with the frames of the flow that names it in ackRidesWith). */
  const rideAlong: Array<(now: number) => void> = o.flows.map(() => () => {});
  /** Per flow, when it last sent a frame. */
  const lastSentAt = o.flows.map(() => Number.NEGATIVE_INFINITY);
  const ridersOf = o.flows.map((_, j) => o.flows.flatMap((flow, i) => (flow.ackRidesWith === j ? [i] : [])));

  o.flows.forEach((flow, i) => {
    const f = inFlight[i] as InFlight;
    const off = flow.clockOffset ?? 0;
    f.estimator.onRttSample(flow.firstSample, off, 'ping');
    let received = 0;
    let acked = 0;
    /** The ACK due (at the end of a turn, or MAX_ACK_DELAY_MS after a lone frame), if one is scheduled. */
    let ackAt: number | undefined;
    /** When pacing wakes the sender next, if a wake-up is scheduled. */
    let wakeAt: number | undefined;
    /** The flow whose frames this flow's ACKs ride along with: the other direction of the carrier. */
    const peer = flow.ackRidesWith;
    const peerSends = (now: number): boolean => peer !== undefined && now - (lastSentAt[peer] ?? Number.NEGATIVE_INFINITY) < 100;
    const wake = (now: number, at: number | undefined): void => {
      if (wakeAt !== at) return; // superseded by an earlier one
      wakeAt = undefined;
      pump(now);
    };
    const pump = (now: number): void => {
      let sent = 0;
      for (; sent < 10_000 && !f.capped(now + off, CEILING); sent++) {
        // SPEC §8: paced while the other direction sends data too; the sender looks again when pacing lets it.
        const wait = f.paceWait(now + off, peerSends(now));
        if (wait > 0) {
          if (wakeAt === undefined || wakeAt > now + wait) {
            const due = now + wait;
            wakeAt = due;
            events.add(due + rand() * (o.maxTimerLateMs ?? 0), (t) => wake(t, due));
          }
          break;
        }
        f.push(FRAME_SENT, FRAME, now + off);
        lastSentAt[i] = now;
        events.add(flow.data.enqueue(now, FRAME), onData);
      }
      if (sent > 0) for (const k of ridersOf[i] as number[]) (rideAlong[k] as (now: number) => void)(now);
    };
    const sendAck = (t: number): void => {
      if (ackAt !== t) return; // superseded by an earlier ACK
      ackAt = undefined;
      const count = received;
      acked = count;
      // SPEC §5.4: the ACK carries the receiver's clock (which is the clock
      // of the flow whose frames it rides along with, if any).
      const stamp = o.unstamped === true ? undefined : t + (o.flows[flow.ackRidesWith ?? -1]?.clockOffset ?? 0);
      // The peer sends data on the carrier: the flow the ACKs ride with sent a frame in the last 100 ms.
      const behindData = peerSends(t);
      events.add(flow.acks.enqueue(t, ACK_BYTES), (at) => {
        f.onAck(count, at + off, stamp, behindData);
        pump(at);
      });
    };
    rideAlong[i] = (now) => {
      if (received === acked || now < pauseUntil) return;
      ackAt = now;
      sendAck(now);
    };
    const onData = (now: number): void => {
      received++;
      const bucket = Math.floor(now / 100);
      const counts = delivered[i] as number[];
      if (bucket < buckets) counts[bucket] = (counts[bucket] ?? 0) + FRAME;
      if (now >= pauseUntil && rand() < (o.pauseChance ?? 0)) pauseUntil = now + rand() * (o.maxPauseMs ?? 0);
      // SPEC §9: two or more owed frames are acknowledged at the end of the
      // turn; a lone one waits up to MAX_ACK_DELAY_MS for company.
      const due = Math.max(now, pauseUntil) + (received - acked >= 2 ? 0 : MAX_ACK_DELAY_MS);
      if (ackAt !== undefined && ackAt <= due) return;
      ackAt = due;
      events.add(due, sendAck);
    };
    const ping = (now: number): void => {
      const back = (at: number): number => flow.acks.enqueue(at, PING_BYTES);
      events.add(flow.data.enqueue(now, PING_BYTES), (at) =>
        events.add(back(at), (t) => {
          f.estimator.onRttSample(t - now, t + off, 'ping');
          pump(t);
        }),
      );
      events.add(now + PING_INTERVAL_MS, ping);
    };
    events.add(0, pump);
    events.add(PING_INTERVAL_MS * rand(), ping);
  });
  for (const c of o.changes ?? []) events.add(c.at, c.apply);
  const observe = o.observe;
  if (observe !== undefined) {
    const tick = (now: number): void => {
      observe(now, inFlight);
      events.add(now + 100, tick);
    };
    events.add(100, tick);
  }
  const sample = (now: number): void => {
    queueOf.forEach((link, k) => (queue[k] as Array<{ at: number; ms: number }>).push({ at: now, ms: link.queueDelay(now) }));
    events.add(now + QUEUE_SAMPLE_MS, sample);
  };
  events.add(0, sample);
  for (let n = 0; n < 10_000_000 && events.size > 0; n++) {
    const e = events.pop();
    if (e.at > end) break;
    e.run(e.at);
  }
  return { delivered, queue, inFlight };
}

/** Bytes per ms delivered by `flow` between `from` and `to` ms (multiples of 100). */
export function rateBetween(r: SimResult, flow: number, from: number, to: number): number {
  const xs = (r.delivered[flow] as number[]).slice(from / 100, to / 100);
  return xs.reduce((a, b) => a + b, 0) / (to - from);
}

/** The `q` quantile of the queue delays sampled on link `k` from `from` ms on. */
export function queueQuantile(r: SimResult, k: number, from: number, q: number): number {
  const xs = (r.queue[k] as Array<{ at: number; ms: number }>)
    .filter((s) => s.at >= from)
    .map((s) => s.ms)
    .sort((a, b) => a - b);
  return xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
}
