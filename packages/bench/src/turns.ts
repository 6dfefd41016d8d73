// Comparisons against the cost floor of any two-process tunnel: two plain
// Node pipe() relays in a row (relay A → relay B → target) next to mpx
// client + server rigs to the same target, run in turns (relay, mpx, relay,
// mpx, …) so that the load of a shared machine falls on both alike; CPU time
// and system calls of a contender's two processes, the share of a core each
// process of the run kept busy, and the machine's idle share from /proc; the
// worst round of a paired comparison.

import { startRig, type RigOptions } from './harness.js';
import { coreUse, cpuSecondsOf, readCoreTime, readMachineCpu, readReapedCpuSeconds, readSyscalls } from './proc.js';
import type { CoreUse, Syscalls } from './proc.js';
import { startRelayProcess } from './procs.js';
import type { Child } from './procs.js';

export interface Contender {
  /** "relay", or "mpx -p N". */
  name: string;
  /** Where the application connects. */
  port: number;
  /** The two processes in the middle (relay A and B, or mpx client and server). */
  procs: Child[];
}

export const RELAY = 'relay';

export const mpxName = (carriers: number): string => `mpx -p ${carriers}`;

/**
 * The relay pair, then one mpx rig per entry of `carriers` (TCP carriers, no
 * emulation), all to `targetPort`. Every child started is pushed to
 * `children` as soon as it runs, for the caller to stop.
 */
export async function startContenders(targetPort: number, carriers: readonly number[], children: Child[]): Promise<Contender[]> {
  const b = await startRelayProcess('relay B', targetPort);
  children.push(b.child);
  const a = await startRelayProcess('relay A', b.port);
  children.push(a.child);
  const out: Contender[] = [{ name: RELAY, port: a.port, procs: [a.child, b.child] }];
  for (const p of carriers) out.push(await rigContender(mpxName(p), { targetPort, carriers: p }, children));
  return out;
}

/** An mpx rig (startRig) as a contender named `name`; its processes are pushed to `children` for the caller to stop. */
export async function rigContender(name: string, options: RigOptions, children: Child[]): Promise<Contender> {
  const rig = await startRig(options);
  children.push(rig.client.child, rig.server.child);
  return { name, port: rig.port, procs: [rig.client.child, rig.server.child] };
}

/** Read and write system calls the processes made so far, summed; NaN when one cannot be read. */
function syscallsOf(procs: readonly Child[]): Syscalls {
  return procs.reduce(
    (sum, c) => {
      const s = readSyscalls(c.pid);
      return { reads: sum.reads + (s?.reads ?? NaN), writes: sum.writes + (s?.writes ?? NaN) };
    },
    { reads: 0, writes: 0 },
  );
}

/** Processes whose CPU time withCpu reports together, under one name (a server and its workers). */
export interface Watched {
  name: string;
  pids: readonly number[];
}

export interface CoreShare {
  name: string;
  /** CPU seconds used per second of the run: 1 is one core kept busy throughout; NaN when a process is gone. */
  share: number;
}

export interface WithCpuOptions {
  /**
   * The name of the program `fn` runs to completion as a child of this
   * process (execFile): its CPU time is read from what this process's
   * waited-for children used, so any other child reaped meanwhile counts too.
   */
  client?: string;
  /** Other processes of the run to report, e.g. the server the client talks to. */
  others?: readonly Watched[];
}

export interface WithCpu<T> {
  result: T;
  /** CPU seconds (user + system) the processes used meanwhile, summed. */
  cpuSeconds: number;
  /** Wall-clock seconds of the run. */
  seconds: number;
  /**
   * The share of a core each process kept busy meanwhile: the client
   * program (WithCpuOptions.client), the processes in the middle, the
   * others. Rationale: one at ~1 is the bottleneck (its CPU per request
   * is what to cut); all well below 1 with the machine idle means requests
   * wait, not work.
   */
  shares: CoreShare[];
  /** System calls the processes made meanwhile, summed (NaN where /proc/<pid>/io is not readable). */
  syscalls: Syscalls;
  /** Share of the machine's CPU time left idle meanwhile (every core; NaN without /proc/stat, or when the run was shorter than a clock tick). */
  machineIdle: number;
  /** Share of the machine's CPU time stolen by the hypervisor meanwhile (MachineCpu.steal; NaN as machineIdle). */
  machineStolen: number;
  /**
   * How long the main thread of each process in the middle waited in a run
   * queue for a core meanwhile (null where /proc/<pid>/schedstat is not
   * readable). Rationale: with the machine partly idle a request can still
   * wait for the process that must move it to get a core back (each
   * wake-up), and that wait is latency no CPU figure shows.
   */
  coreWaits: Array<{ name: string; use: CoreUse | null }>;
}

/**
 * ", N% stolen": the share of the machine the hypervisor stole during a run
 * (WithCpu.machineStolen), or '' when it is unknown. Rationale: a paired
 * round in which one contender met far more steal than the other says more
 * about the host than about the contenders (the twenty-sixth stop's
 * rounds-by-steal split).
 */
export function formatStolen(m: Pick<WithCpu<unknown>, 'machineStolen'> | undefined): string {
  return m !== undefined && Number.isFinite(m.machineStolen) ? `, ${(100 * m.machineStolen).toFixed(0)}% stolen` : '';
}

/**
 * Runs `fn` and returns its result with the CPU seconds and system calls
 * `procs` used meanwhile, the share of a core each of them (and the client
 * and `others` of `options`) kept busy, and how much of the machine stayed
 * idle. Rationale:
 * a contender whose processes use less CPU per request yet serve fewer
 * requests while the machine has idle time is held back by latency (how its
 * work is batched), not by CPU; system calls per request show the batching.
 */
export async function withCpu<T>(procs: readonly Child[], fn: () => Promise<T>, options: WithCpuOptions = {}): Promise<WithCpu<T>> {
  const watched: Watched[] = [...procs.map((c) => ({ name: c.name, pids: [c.pid] })), ...(options.others ?? [])];
  const before = watched.map((w) => cpuSecondsOf(w.pids, NaN));
  const reaped = readReapedCpuSeconds() ?? NaN;
  const calls = syscallsOf(procs);
  const machine = readMachineCpu();
  const coreTimes = procs.map((c) => readCoreTime(c.pid));
  const started = performance.now();
  const result = await fn();
  const seconds = (performance.now() - started) / 1000;
  const callsAfter = syscallsOf(procs);
  const machineAfter = readMachineCpu();
  const used = watched.map((w, i) => cpuSecondsOf(w.pids, NaN) - (before[i] as number));
  const total = machine === null || machineAfter === null ? NaN : machineAfter.total - machine.total;
  const busy = machine === null || machineAfter === null ? NaN : machineAfter.busy - machine.busy;
  const stolen = machine === null || machineAfter === null ? NaN : machineAfter.steal - machine.steal;
  const shares = watched.map((w, i) => ({ name: w.name, share: (used[i] as number) / seconds }));
  if (options.client !== undefined) shares.unshift({ name: options.client, share: ((readReapedCpuSeconds() ?? NaN) - reaped) / seconds });
  return {
    result,
    cpuSeconds: used.slice(0, procs.length).reduce((sum, v) => sum + v, 0),
    seconds,
    shares,
    syscalls: { reads: callsAfter.reads - calls.reads, writes: callsAfter.writes - calls.writes },
    machineIdle: total > 0 ? 1 - busy / total : NaN,
    machineStolen: total > 0 ? stolen / total : NaN,
    coreWaits: procs.map((c, i) => ({ name: c.name, use: coreUse(coreTimes[i] ?? null, readCoreTime(c.pid), seconds) })),
  };
}

/**
 * `rounds` rounds, each running `fn` once per contender in order; returns
 * each contender's results by round.
 */
export async function inTurns<T>(
  contenders: readonly Contender[],
  rounds: number,
  fn: (c: Contender, round: number) => Promise<T>,
): Promise<Map<string, T[]>> {
  const out = new Map<string, T[]>(contenders.map((c) => [c.name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const c of contenders) out.get(c.name)?.push(await fn(c, round));
  }
  return out;
}

export interface Paired {
  /** Index of the worst round. */
  round: number;
  /** candidate ÷ base in that round. */
  ratio: number;
  base: number;
  candidate: number;
}

/**
 * The worst of per-round ratios candidate[i] ÷ base[i]: the lowest when
 * higher is better (throughput), the highest when lower is better (CPU per
 * GB). Rounds where either value is not a finite positive number count as
 * worst of all (ratio NaN) so that a failed run cannot pass.
 */
export function worstRound(base: readonly number[], candidate: readonly number[], higherIsBetter: boolean): Paired {
  const n = Math.min(base.length, candidate.length);
  if (n === 0) return { round: -1, ratio: NaN, base: NaN, candidate: NaN };
  let worst: Paired | undefined;
  for (let i = 0; i < n; i++) {
    const b = base[i] as number;
    const c = candidate[i] as number;
    const ratio = Number.isFinite(b) && Number.isFinite(c) && b > 0 && c > 0 ? c / b : NaN;
    const p = { round: i, ratio, base: b, candidate: c };
    if (Number.isNaN(ratio)) return p;
    if (worst === undefined || (higherIsBetter ? ratio < worst.ratio : ratio > worst.ratio)) worst = p;
  }
  return worst as Paired;
}
