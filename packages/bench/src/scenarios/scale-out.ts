// scale-out: eight clients, each one bulk download over 4 carriers on
// loopback, against `mpx-tunnel server --workers 1`, `--workers 2`, and two
// `--workers 1` servers behind a private nginx (`hash $arg_session
// consistent`, deploy/scale-out). Aggregate throughput, and the ratio to one
// worker (goal ≥ 1.6 with 2 cores). Clients, target and bench share the same
// cores as the servers, so the ratio is a floor of what separate machines see.
//
// Where the CPU went, from /proc over the same window: the servers (the
// primary of --workers on its own too), nginx, everything else the bench runs
// (clients, target, the bench itself), and the rest of the machine (other
// programs). From it, server CPU seconds per GB and bytes per server
// CPU-second: the second, compared across cases, says whether a worker moves
// bytes as cheaply as a lone server, whatever share of the cores it got.
import { cpus } from 'node:os';
import { ensureProgram, startNginxBalancer, type BalancerChild } from '@mpx/testkit';
import { startBulk, type Bulk } from '../bulk.js';
import { formatMBps, formatMbit, formatRatio } from '../format.js';
import { cpuSecondsOf, processTree, readMachineCpu } from '../proc.js';
import type { Context, Scenario } from '../harness.js';
import { startTunnelClient, startTunnelServer, stopAll, type TunnelClient, type TunnelServer } from '../procs.js';
import { verdict, type Recorder } from '../results.js';

const CLIENTS = 8;
const CARRIERS = 4;
const GOAL = 1.6;

interface Running {
  /** What the clients dial. */
  readonly address: string;
  /** The mpx-tunnel server processes (with --workers, the primaries: workers are their children). */
  readonly servers: readonly number[];
  /** The primary of --workers 2 or more (also in `servers`). */
  readonly primary?: number;
  /** The balancer's main process, if any. */
  readonly front?: number;
  stop(): Promise<void>;
}

interface Setup {
  readonly label: string;
  /** Starts the servers (and balancer). */
  start(ctx: Context): Promise<Running>;
}

/** CPU used over a measurement window, in cores (CPU seconds per second), and the bytes moved. */
export interface CpuUse {
  readonly seconds: number;
  readonly bytes: number;
  /** mpx-tunnel servers, workers included. */
  readonly server: number;
  /** The primary of --workers alone (none with one worker: it is the server). */
  readonly primary?: number;
  readonly front: number;
  /** Clients, target and the bench process. */
  readonly rest: number;
  /** Everything busy on the machine, and the part that is not the bench's. */
  readonly machine: number;
  readonly others: number;
}

/** Server CPU seconds per GB moved. */
const serverCpuPerGB = (u: CpuUse): number => (u.server * u.seconds) / (u.bytes / 1e9);
/** Bytes moved per server CPU-second. */
const perServerCpuSecond = (u: CpuUse): number => u.bytes / (u.server * u.seconds);

/**
 * What bounds the rig, from one window's CPU per GB: one server process
 * carries at most 1/S GB/s on its one core (S: server CPU s/GB), and the
 * machine at most cores/(S + R) (R: clients, target and bench), even with no
 * other program running. --workers 2 can beat --workers 1 only where the
 * first bound is the lower one: the ceiling of the ratio is
 * min(2/S, cores/(S+R)) / min(1/S, cores/(S+R)).
 */
export function rigBounds(u: CpuUse, cores: number): { oneServer: number; machine: number; ceiling: number } {
  const gb = u.bytes / 1e9;
  const s = (u.server * u.seconds) / gb;
  const r = (u.rest * u.seconds) / gb;
  const machine = (cores / (s + r)) * 1e9;
  const oneServer = (1 / s) * 1e9;
  return { oneServer, machine, ceiling: Math.min(2 * oneServer, machine) / Math.min(oneServer, machine) };
}

function describeBounds(u: CpuUse, cores: number): string {
  const b = rigBounds(u, cores);
  return (
    `from --workers 1's CPU per GB: one server process on its own core would carry ${formatMbit(b.oneServer)}; ` +
    `the ${cores} cores, with the clients, target and bench on them too and nothing else running, ${formatMbit(b.machine)}: ` +
    `--workers 2 can reach at most ${formatRatio(b.ceiling)} × of --workers 1 on this machine`
  );
}

function describeCpu(u: CpuUse, cores: number): string {
  const c = (n: number): string => n.toFixed(2);
  return (
    `servers ${c(u.server)} cores${u.primary === undefined ? '' : ` (primary ${c(u.primary)})`}, ${serverCpuPerGB(u).toFixed(2)} CPU s/GB` +
    `${u.front > 0 ? `; nginx ${c(u.front)} cores` : ''}; clients + target + bench ${c(u.rest)} cores; ` +
    `machine busy ${c(u.machine)} of ${cores} cores (other programs ${c(Math.max(u.others, 0))})`
  );
}

/** One `mpx-tunnel server --workers n`, with tcp:// carriers (or ws://, the carriers nginx passes on). */
function workers(n: number, scheme: 'tcp' | 'ws' = 'tcp'): Setup {
  return {
    label: `--workers ${n}${scheme === 'ws' ? ' (ws)' : ''}`,
    async start(ctx) {
      const listen = scheme === 'ws' ? ['ws://127.0.0.1:0/mpx'] : ['127.0.0.1:0'];
      const server = await startTunnelServer(ctx.targetPort, { listen, extra: ['--workers', String(n)] });
      if (n > 1) await server.child.waitFor(/worker \d+ \(pid \d+\) ready/, n);
      return {
        address: scheme === 'ws' ? `ws://127.0.0.1:${server.ports[0]!}/mpx` : `127.0.0.1:${server.ports[0]!}`,
        servers: [server.child.pid],
        ...(n > 1 ? { primary: server.child.pid } : {}),
        stop: () => stopAll([server.child]),
      };
    },
  };
}

function nginxInFront(program: string, backends: number): Setup {
  return {
    label: `nginx → ${backends} servers`,
    async start(ctx) {
      const servers: TunnelServer[] = [];
      let nginx: BalancerChild | undefined;
      try {
        for (let i = 0; i < backends; i++) servers.push(await startTunnelServer(ctx.targetPort, { listen: ['ws://127.0.0.1:0/mpx'] }));
        nginx = await startNginxBalancer(
          program,
          servers.map((s) => `127.0.0.1:${s.ports[0]!}`),
        );
      } catch (err) {
        await stopAll(servers.map((s) => s.child));
        throw err;
      }
      const front = nginx;
      return {
        address: `ws://127.0.0.1:${front.port}/mpx`,
        servers: servers.map((s) => s.child.pid),
        front: front.pid,
        stop: async () => {
          await front.stop();
          await stopAll(servers.map((s) => s.child));
        },
      };
    },
  };
}

/** Aggregate download rate of CLIENTS bulk streams, bytes/s, over `seconds` after a warm-up, and where the CPU went meanwhile. */
async function measure(ctx: Context, setup: Setup, seconds: number, cores: number): Promise<{ rate: number; cpu: CpuUse }> {
  const running = await setup.start(ctx);
  const clients: TunnelClient[] = [];
  const bulks: Bulk[] = [];
  try {
    for (let i = 0; i < CLIENTS; i++) clients.push(await startTunnelClient({ servers: running.address, carriers: CARRIERS }));
    for (const [i, c] of clients.entries()) bulks.push(startBulk(c.port, 'down', 1300 + i));
    ctx.log(`${setup.label}: ${CLIENTS} clients × 1 bulk download over ${CARRIERS} carriers, ${seconds} s after 2 s warm-up`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const groups = {
      server: running.servers.flatMap(processTree),
      primary: running.primary === undefined ? [] : [running.primary],
      front: running.front === undefined ? [] : processTree(running.front),
      bench: processTree(process.pid),
    };
    const cpuNow = (): Record<keyof typeof groups, number> & { machine: number } => ({
      server: cpuSecondsOf(groups.server),
      primary: cpuSecondsOf(groups.primary),
      front: cpuSecondsOf(groups.front),
      bench: cpuSecondsOf(groups.bench),
      machine: readMachineCpu()?.busy ?? NaN,
    });
    const before = bulks.reduce((n, b) => n + b.bytes(), 0);
    const cpu0 = cpuNow();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const bytes = bulks.reduce((n, b) => n + b.bytes(), 0) - before;
    const cpu1 = cpuNow();
    const wall = (performance.now() - t0) / 1000;
    const errors = bulks.map((b) => b.error()).filter((e) => e !== undefined);
    if (errors.length > 0) throw new Error(`${setup.label}: bulk streams failed: ${errors.join(', ')}`);
    const d = (k: keyof typeof cpu0): number => (cpu1[k] - cpu0[k]) / wall;
    const cpu: CpuUse = {
      seconds: wall,
      bytes,
      server: d('server'),
      ...(running.primary === undefined ? {} : { primary: d('primary') }),
      front: d('front'),
      rest: d('bench') - d('server') - d('front'),
      machine: d('machine'),
      others: d('machine') - d('bench'),
    };
    ctx.log(`${setup.label}: ${formatMbit(bytes / wall)}; ${describeCpu(cpu, cores)}`);
    return { rate: bytes / wall, cpu };
  } finally {
    for (const b of bulks) b.stop();
    await stopAll(clients.map((c) => c.child));
    await running.stop();
  }
}

export const scaleOut: Scenario = {
  name: 'scale-out',
  title: `${CLIENTS} clients × 1 bulk stream over ${CARRIERS} carriers: --workers 2 and nginx → 2 servers against --workers 1`,
  async run(ctx: Context, rec: Recorder) {
    const seconds = ctx.quick ? 3 : 8;
    const cores = cpus().length;
    rec.data.settings = { clients: CLIENTS, carriers: CARRIERS, seconds, cores };
    rec.note(
      `${cores} cores, shared by the servers, ${CLIENTS} clients, the target and the bench itself (and anything else running on this machine): a floor of what separate machines would see`,
    );
    const one = await measure(ctx, workers(1), seconds, cores);
    rec.data.workers1 = one.rate;
    const cpuData: Record<string, CpuUse> = { workers1: one.cpu };
    rec.data.cpu = cpuData;
    rec.row({ case: '--workers 1', plain: '', mpx: formatMbit(one.rate), goal: 'baseline', status: 'INFO' });
    const two = await measure(ctx, workers(2), seconds, cores);
    rec.data.workers2 = two.rate;
    cpuData.workers2 = two.cpu;
    rec.row({
      case: '--workers 2',
      plain: '',
      mpx: `${formatMbit(two.rate)} (${formatRatio(two.rate / one.rate)} ×)`,
      goal: `≥ ${GOAL} × on 2 cores`,
      status: cores >= 2 ? verdict(two.rate / one.rate >= GOAL) : 'INFO',
    });
    const perCpu = (u: CpuUse): string =>
      `${formatMBps(perServerCpuSecond(u))} per server CPU-s, servers on ${u.server.toFixed(2)} of ${cores} cores`;
    rec.row({
      case: '--workers 2, per server CPU-second',
      plain: '',
      mpx: `${perCpu(two.cpu)} (${formatRatio(perServerCpuSecond(two.cpu) / perServerCpuSecond(one.cpu))} × of --workers 1: ${perCpu(one.cpu)})`,
      goal: 'report',
      status: 'INFO',
    });
    rec.note(`--workers 1: ${describeCpu(one.cpu, cores)}`);
    rec.note(`--workers 2: ${describeCpu(two.cpu, cores)}`);
    rec.note(describeBounds(one.cpu, cores));
    rec.data.ceiling = rigBounds(one.cpu, cores).ceiling;
    const nginx = ensureProgram({ commands: ['nginx'], debianPackage: 'nginx-light', log: (line) => ctx.log(line) });
    if (nginx.path === undefined) {
      rec.note(`nginx case skipped: ${nginx.note}`);
      return;
    }
    // nginx passes WebSocket carriers on: their baseline is one server with ws:// carriers and no nginx.
    const ws = await measure(ctx, workers(1, 'ws'), seconds, cores);
    rec.data.workers1Ws = ws.rate;
    cpuData.workers1Ws = ws.cpu;
    rec.row({
      case: '--workers 1 (ws)',
      plain: '',
      mpx: `${formatMbit(ws.rate)} (${formatRatio(ws.rate / one.rate)} ×; ${perCpu(ws.cpu)})`,
      goal: 'baseline of nginx',
      status: 'INFO',
    });
    const behind = await measure(ctx, nginxInFront(nginx.path, 2), seconds, cores);
    rec.data.nginx2 = behind.rate;
    cpuData.nginx2 = behind.cpu;
    rec.row({
      case: 'nginx → 2 servers (ws)',
      plain: '',
      mpx: `${formatMbit(behind.rate)} (${formatRatio(behind.rate / one.rate)} × of tcp, ${formatRatio(behind.rate / ws.rate)} × of ws; ${perCpu(behind.cpu)})`,
      goal: 'report',
      status: 'INFO',
    });
    rec.note(`--workers 1 (ws): ${describeCpu(ws.cpu, cores)}`);
    rec.note(`nginx → 2 servers: ${describeCpu(behind.cpu, cores)}`);
  },
};
