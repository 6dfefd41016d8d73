// Reading mpx-tunnel's `--stats` log lines (apps/tunnel/src/stats.ts):
//   stats carrier #3 tcp://127.0.0.1:7001: in 2.51 MB/s, out 12.0 kB/s, weight 1, rtt 10.6 ms, retransmits 0
// Retransmissions (SPEC §9) and RTT appear when the core reports them.

export interface CarrierLine {
  id: number;
  label: string;
  /** bytes/s since the previous report. */
  inRate: number;
  outRate: number;
  weight: number;
  rttMs?: number;
  /** Cumulative for the carrier. */
  retransmits?: number;
}

const UNIT: Readonly<Record<string, number>> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 };
const LINE = /stats carrier #(\d+) (\S+): in ([\d.]+) (B|kB|MB|GB)\/s, out ([\d.]+) (B|kB|MB|GB)\/s, weight (\d+)(?:, rtt ([\d.]+) ms)?(?:, retransmits (\d+))?/;

export function parseCarrierLine(line: string): CarrierLine | null {
  const m = LINE.exec(line);
  if (m === null) return null;
  const out: CarrierLine = {
    id: Number(m[1]),
    label: m[2] ?? '',
    inRate: Number(m[3]) * (UNIT[m[4] ?? 'B'] ?? 1),
    outRate: Number(m[5]) * (UNIT[m[6] ?? 'B'] ?? 1),
    weight: Number(m[7]),
  };
  if (m[8] !== undefined) out.rttMs = Number(m[8]);
  if (m[9] !== undefined) out.retransmits = Number(m[9]);
  return out;
}

/** Follows --stats lines: the latest line per carrier and the largest retransmit count seen per carrier. */
export class CarrierWatch {
  readonly latest = new Map<number, CarrierLine>();
  readonly #retransmits = new Map<number, number>();

  add(line: string): CarrierLine | null {
    const c = parseCarrierLine(line);
    if (c === null) return null;
    this.latest.set(c.id, c);
    if (c.retransmits !== undefined) this.#retransmits.set(c.id, Math.max(this.#retransmits.get(c.id) ?? 0, c.retransmits));
    return c;
  }

  /** Retransmissions summed over every carrier seen (a carrier's last report before it closed counts). */
  retransmits(): number {
    let n = 0;
    for (const v of this.#retransmits.values()) n += v;
    return n;
  }

  /** Carrier ids seen, in order. */
  carriers(): number[] {
    return [...this.latest.keys()].sort((a, b) => a - b);
  }
}
