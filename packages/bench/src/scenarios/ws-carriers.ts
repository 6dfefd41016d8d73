// WebSocket carriers: one iperf3 stream through mpx with 2 ws:// carriers,
// upload and download, next to the same rig with 2 TCP carriers, in turns.
// A WebSocket client masks every byte it sends and the server unmasks it
// (RFC 6455 §5.3); in ws' JavaScript loop that made uploads over ws:// cost
// about four times the CPU per byte of downloads (@mpx/transport-ws
// masking.ts). Goals: the ws upload keeps ≥ 0.75 × the ws download's rate
// and ≤ 1.3 × its CPU s/GB (round i of one against round i of the other,
// worst pair). The TCP rig is there for scale: how much a WebSocket carrier
// costs over a plain one.

import { formatMbit, formatRatio } from '../format.js';
import { startThroughputSink } from '../harness.js';
import type { Context, Scenario } from '../harness.js';
import { startTunnelClient, startTunnelServer, stopAll } from '../procs.js';
import type { Child } from '../procs.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';
import { cpuPerGbOf, ratesOf, throughputInTurns, turnsSettings, turnsShape } from '../throughput-turns.js';
import { worstRound, type Contender } from '../turns.js';

const CARRIERS = 2;
const SPEED_GOAL = 0.75;
const CPU_GOAL = 1.3;
/** Built-in source/sink only (no iperf3): bytes per second it is sized for. */
const FALLBACK_RATE = 300e6;
const WS = 'mpx ws';
const TCP = 'mpx tcp';

async function startContender(name: string, scheme: 'ws' | 'tcp', targetPort: number, children: Child[]): Promise<Contender> {
  const server = await startTunnelServer(targetPort, { listen: [scheme === 'ws' ? 'ws://127.0.0.1:0/mpx' : '127.0.0.1:0'] });
  children.push(server.child);
  const port = server.ports[0] as number;
  const client = await startTunnelClient({ servers: scheme === 'ws' ? `ws://127.0.0.1:${port}/mpx|1` : `127.0.0.1:${port}|1`, carriers: CARRIERS });
  children.push(client.child);
  return { name, port: client.port, procs: [client.child, server.child] };
}

export const wsCarriers: Scenario = {
  name: 'ws-carriers',
  title: `one iperf3 stream through mpx with ${CARRIERS} ws:// carriers, upload against download, next to ${CARRIERS} TCP carriers`,
  async run(ctx: Context, rec: Recorder) {
    const shape = turnsShape(ctx.quick);
    const sink = await startThroughputSink(ctx);
    rec.data.settings = turnsSettings(shape, sink, {
      carriers: CARRIERS,
      order: 'mpx ws, mpx tcp, repeated, all uploads then all downloads',
      cpu: 'utime + stime of the tunnel client and server',
    });
    const children: Child[] = [];
    try {
      const contenders = [await startContender(WS, 'ws', sink.port, children), await startContender(TCP, 'tcp', sink.port, children)];
      const runs = await throughputInTurns(ctx, sink, contenders, shape, FALLBACK_RATE);
      for (const dir of ['up', 'down'] as const) rec.data[dir] = Object.fromEntries(runs[dir]);
      for (const dir of ['up', 'down'] as const) {
        const label = dir === 'up' ? 'upload' : 'download';
        const ws = runs[dir].get(WS) ?? [];
        const tcp = runs[dir].get(TCP) ?? [];
        const speed = worstRound(ratesOf(tcp), ratesOf(ws), true);
        rec.row({
          case: `${label}: ws:// against tcp:// carriers (ratio ${formatRatio(speed.ratio)})`,
          plain: formatMbit(speed.base),
          mpx: formatMbit(speed.candidate),
          goal: 'for scale',
          status: 'INFO',
        });
        const cpu = worstRound(cpuPerGbOf(tcp), cpuPerGbOf(ws), false);
        rec.row({
          case: `${label}: ws:// against tcp:// CPU s/GB (ratio ${formatRatio(cpu.ratio)})`,
          plain: `${cpu.base.toFixed(2)} s/GB`,
          mpx: `${cpu.candidate.toFixed(2)} s/GB`,
          goal: 'for scale',
          status: 'INFO',
        });
      }
      const up = runs.up.get(WS) ?? [];
      const down = runs.down.get(WS) ?? [];
      const speed = worstRound(ratesOf(down), ratesOf(up), true);
      rec.row({
        case: `ws:// upload against its download (ratio ${formatRatio(speed.ratio)})`,
        plain: formatMbit(speed.base),
        mpx: formatMbit(speed.candidate),
        goal: `≥ ${SPEED_GOAL} × download`,
        status: verdict(speed.ratio >= SPEED_GOAL),
      });
      const cpu = worstRound(cpuPerGbOf(down), cpuPerGbOf(up), false);
      rec.row({
        case: `ws:// upload against its download: CPU s/GB (ratio ${formatRatio(cpu.ratio)})`,
        plain: `${cpu.base.toFixed(2)} s/GB`,
        mpx: `${cpu.candidate.toFixed(2)} s/GB`,
        goal: `≤ ${CPU_GOAL} × download`,
        status: verdict(cpu.ratio <= CPU_GOAL),
      });
    } finally {
      await stopAll(children);
      await sink.stop();
    }
  },
};
