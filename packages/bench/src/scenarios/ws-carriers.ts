// WebSocket carriers: one iperf3 stream through mpx with 2 ws:// carriers,
// upload and download, next to the same rig with 2 TCP carriers and one with
// 2 TLS carriers, in turns. A WebSocket client masks every byte it sends and
// the server unmasks it (RFC 6455 §5.3); in ws' JavaScript loop that made
// uploads over ws:// cost about four times the CPU per byte of downloads
// (@mpx/transport-ws masking.ts). Goals: the ws upload keeps ≥ 0.75 × the ws
// download's rate and ≤ 1.3 × its CPU s/GB (round i of one against round i
// of the other, worst pair). The TCP rig is there for scale: how much a
// WebSocket carrier, and a TLS one, costs over a plain one.

import { startThroughputSink } from '../harness.js';
import type { Context, Scenario } from '../harness.js';
import { stopAll } from '../procs.js';
import type { Child } from '../procs.js';
import type { Recorder } from '../results.js';
import { throughputInTurns, throughputRows, turnsSettings, turnsShape } from '../throughput-turns.js';
import { rigContender } from '../turns.js';

const CARRIERS = 2;
const SPEED_GOAL = 0.75;
const CPU_GOAL = 1.3;
/** Built-in source/sink only (no iperf3): bytes per second it is sized for. */
const FALLBACK_RATE = 300e6;
const WS = 'mpx ws';
const TCP = 'mpx tcp';
const TLS = 'mpx tls';

export const wsCarriers: Scenario = {
  name: 'ws-carriers',
  title: `one iperf3 stream through mpx with ${CARRIERS} ws:// carriers, upload against download, next to ${CARRIERS} TCP and ${CARRIERS} TLS carriers`,
  async run(ctx: Context, rec: Recorder) {
    const shape = turnsShape(ctx.quick);
    const sink = await startThroughputSink(ctx);
    rec.data.settings = turnsSettings(shape, sink, {
      carriers: CARRIERS,
      order: 'mpx ws, mpx tcp, mpx tls, repeated, all uploads then all downloads',
      cpu: 'utime + stime of the tunnel client and server',
    });
    const children: Child[] = [];
    try {
      const contenders = [
        await rigContender(WS, { targetPort: sink.port, carriers: CARRIERS, scheme: 'ws' }, children),
        await rigContender(TCP, { targetPort: sink.port, carriers: CARRIERS }, children),
        await rigContender(TLS, { targetPort: sink.port, carriers: CARRIERS, scheme: 'tls' }, children),
      ];
      const runs = await throughputInTurns(ctx, sink, contenders, shape, FALLBACK_RATE);
      for (const dir of ['up', 'down'] as const) {
        rec.data[dir] = Object.fromEntries(runs[dir]);
        const label = dir === 'up' ? 'upload' : 'download';
        throughputRows(rec, `${label}, ws:// against tcp:// carriers`, runs[dir].get(TCP) ?? [], runs[dir].get(WS) ?? []);
        throughputRows(rec, `${label}, tls:// against tcp:// carriers`, runs[dir].get(TCP) ?? [], runs[dir].get(TLS) ?? []);
      }
      throughputRows(rec, 'ws:// upload against its download', runs.down.get(WS) ?? [], runs.up.get(WS) ?? [], {
        against: 'download',
        speed: SPEED_GOAL,
        cpu: CPU_GOAL,
      });
    } finally {
      await stopAll(children);
      await sink.stop();
    }
  },
};
