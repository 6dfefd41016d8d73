// iperf3 carriers: one iperf3 stream, no emulation, through two plain Node
// relays in a row and through mpx with 1, 2 and 4 TCP carriers, upload and
// download, in turns; each row is the worst round of the paired ratios.
// Throughput ≥ 0.75 × the relay pair and CPU s/GB of the two middle
// processes ≤ 1.3 × the relay pair's (issue #15).

import { startThroughputSink } from '../harness.js';
import type { Context, Scenario } from '../harness.js';
import { stopAll } from '../procs.js';
import type { Child } from '../procs.js';
import type { Recorder } from '../results.js';
import { throughputInTurns, throughputRows, turnsSettings, turnsShape } from '../throughput-turns.js';
import { RELAY, mpxName, startContenders } from '../turns.js';

const CARRIERS = [1, 2, 4] as const;
const SPEED_GOAL = 0.75;
const CPU_GOAL = 1.3;
/** Built-in source/sink only (no iperf3): bytes per second it is sized for. */
const FALLBACK_RATE = 500e6;

export const iperfCarriers: Scenario = {
  name: 'iperf-carriers',
  title: `one iperf3 stream through mpx with ${CARRIERS.join(', ')} TCP carriers vs two Node relays, throughput and CPU s/GB`,
  async run(ctx: Context, rec: Recorder) {
    const shape = turnsShape(ctx.quick);
    const sink = await startThroughputSink(ctx);
    rec.data.settings = turnsSettings(shape, sink, {
      carriers: CARRIERS,
      order: 'relay, mpx -p 1, -p 2, -p 4, repeated; each row is the round with the worst mpx ÷ relay ratio',
      cpu: 'utime + stime of the two middle processes over the whole run',
    });
    const children: Child[] = [];
    try {
      const contenders = await startContenders(sink.port, CARRIERS, children);
      const turns = await throughputInTurns(ctx, sink, contenders, shape, FALLBACK_RATE);
      for (const dir of ['up', 'down'] as const) {
        const runs = turns[dir];
        rec.data[dir] = Object.fromEntries(runs);
        const label = dir === 'up' ? 'upload' : 'download';
        for (const p of CARRIERS) {
          throughputRows(rec, `${label}, ${p} carrier${p > 1 ? 's' : ''}`, runs.get(RELAY) ?? [], runs.get(mpxName(p)) ?? [], {
            against: 'relay',
            speed: SPEED_GOAL,
            cpu: CPU_GOAL,
          });
        }
      }
    } finally {
      await stopAll(children);
      await sink.stop();
    }
  },
};
