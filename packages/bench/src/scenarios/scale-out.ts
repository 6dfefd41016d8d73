// scale-out: eight clients, each one bulk download over 4 carriers on
// loopback, against `mpx-tunnel server --workers 1`, `--workers 2`, and two
// `--workers 1` servers behind a private nginx (`hash $arg_session
// consistent`, deploy/scale-out). Aggregate throughput, and the ratio to one
// worker (goal ≥ 1.6 with 2 cores). Clients, target and bench share the same
// cores as the servers, so the ratio is a floor of what separate machines see.
import { cpus } from 'node:os';
import { ensureProgram, startNginxBalancer, type BalancerChild } from '@mpx/testkit';
import { startBulk, type Bulk } from '../bulk.js';
import { formatMbit, formatRatio } from '../format.js';
import type { Context, Scenario } from '../harness.js';
import { startTunnelClient, startTunnelServer, stopAll, type TunnelClient, type TunnelServer } from '../procs.js';
import { verdict, type Recorder } from '../results.js';

const CLIENTS = 8;
const CARRIERS = 4;
const GOAL = 1.6;

interface Setup {
  readonly label: string;
  /** Starts the servers (and balancer); returns the address clients dial and a stop. */
  start(ctx: Context): Promise<{ address: string; stop: () => Promise<void> }>;
}

function workers(n: number): Setup {
  return {
    label: `--workers ${n}`,
    async start(ctx) {
      const server = await startTunnelServer(ctx.targetPort, { extra: ['--workers', String(n)] });
      if (n > 1) await server.child.waitFor(/worker \d+ \(pid \d+\) ready/, n);
      return { address: `127.0.0.1:${server.ports[0]!}`, stop: () => stopAll([server.child]) };
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
        stop: async () => {
          await front.stop();
          await stopAll(servers.map((s) => s.child));
        },
      };
    },
  };
}

/** Aggregate download rate of CLIENTS bulk streams, bytes/s, over `seconds` after a warm-up. */
async function measure(ctx: Context, setup: Setup, seconds: number): Promise<number> {
  const { address, stop } = await setup.start(ctx);
  const clients: TunnelClient[] = [];
  const bulks: Bulk[] = [];
  try {
    for (let i = 0; i < CLIENTS; i++) clients.push(await startTunnelClient({ servers: address, carriers: CARRIERS }));
    for (const [i, c] of clients.entries()) bulks.push(startBulk(c.port, 'down', 1300 + i));
    ctx.log(`${setup.label}: ${CLIENTS} clients × 1 bulk download over ${CARRIERS} carriers, ${seconds} s after 2 s warm-up`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = bulks.reduce((n, b) => n + b.bytes(), 0);
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const bytes = bulks.reduce((n, b) => n + b.bytes(), 0) - before;
    const errors = bulks.map((b) => b.error()).filter((e) => e !== undefined);
    if (errors.length > 0) throw new Error(`${setup.label}: bulk streams failed: ${errors.join(', ')}`);
    return (bytes * 1000) / (performance.now() - t0);
  } finally {
    for (const b of bulks) b.stop();
    await stopAll(clients.map((c) => c.child));
    await stop();
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
    const one = await measure(ctx, workers(1), seconds);
    rec.data.workers1 = one;
    rec.row({ case: '--workers 1', plain: '', mpx: formatMbit(one), goal: 'baseline', status: 'INFO' });
    const two = await measure(ctx, workers(2), seconds);
    rec.data.workers2 = two;
    rec.row({
      case: '--workers 2',
      plain: '',
      mpx: `${formatMbit(two)} (${formatRatio(two / one)} ×)`,
      goal: `≥ ${GOAL} × on 2 cores`,
      status: cores >= 2 ? verdict(two / one >= GOAL) : 'INFO',
    });
    const nginx = ensureProgram({ commands: ['nginx'], debianPackage: 'nginx-light', log: (line) => ctx.log(line) });
    if (nginx.path === undefined) {
      rec.note(`nginx case skipped: ${nginx.note}`);
      return;
    }
    const behind = await measure(ctx, nginxInFront(nginx.path, 2), seconds);
    rec.data.nginx2 = behind;
    rec.row({
      case: 'nginx → 2 servers (ws)',
      plain: '',
      mpx: `${formatMbit(behind)} (${formatRatio(behind / one)} ×)`,
      goal: 'report',
      status: 'INFO',
    });
  },
};
