// direction: a satellite downlink with a terrestrial uplink. Two carriers:
// one `|up` over a path capped at UP_MBIT, one `|down` over a path capped at
// DOWN_MBIT (each cap in both directions of its path). An upload and a
// download run at once (verified, sha256); each must reach its own path's
// cap, and the data of each direction must leave only on its own path (the
// other path sees only acknowledgements and window updates). Baseline: none
// (one plain TCP connection cannot use two paths); the goal is the caps.
import { patternSha256 } from '../data.js';
import { formatBytes, formatMbit, formatPercent, formatRatio, mbit } from '../format.js';
import { startRig } from '../harness.js';
import type { Context, PathSpec, Scenario } from '../harness.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';
import { download, upload } from '../transfer.js';

const UP_MBIT = 10;
const DOWN_MBIT = 30;
const DELAY_MS = 5;
/** Of each path's cap, end to end with start-up included. */
const GOAL = 0.85;
/** Most bytes the wrong way on a path, as a share of the data it carried (ACKs, WINDOWs, PINGs). */
const WRONG_WAY_GOAL = 0.05;

export const direction: Scenario = {
  name: 'direction',
  title: `upload on a |up carrier (${UP_MBIT} Mbit/s) and download on a |down carrier (${DOWN_MBIT} Mbit/s), at once`,
  async run(ctx: Context, rec: Recorder) {
    const seconds = ctx.quick ? 4 : 8;
    const upLength = Math.round((mbit(UP_MBIT) * seconds) / 1e5) * 1e5;
    const downLength = Math.round((mbit(DOWN_MBIT) * seconds) / 1e5) * 1e5;
    const specs: PathSpec[] = [
      { perConnectionRate: mbit(UP_MBIT), delayMs: DELAY_MS },
      { perConnectionRate: mbit(DOWN_MBIT), delayMs: DELAY_MS },
    ];
    rec.data.settings = { upMbit: UP_MBIT, downMbit: DOWN_MBIT, oneWayDelayMs: DELAY_MS, upBytes: upLength, downBytes: downLength, entryOptions: ['up', 'down'] };
    ctx.log(`mpx: ${formatBytes(upLength)} up on the ${UP_MBIT} Mbit/s path and ${formatBytes(downLength)} down on the ${DOWN_MBIT} Mbit/s path, at once`);
    const rig = await startRig({ targetPort: ctx.targetPort, paths: specs, entryOptions: ['up', 'down'], carriers: 1 });
    try {
      const [upPath, downPath] = rig.paths as [(typeof rig.paths)[0], (typeof rig.paths)[0]];
      const [down, up] = await Promise.all([
        download({ port: rig.port, id: 1, seed: 31, length: downLength, expectedSha256: patternSha256(31, downLength) }),
        upload({ port: rig.port, id: 2, seed: 32, length: upLength }),
      ]);
      const rate = (r: typeof up): number => r.bytes / ((r.doneAt - r.startAt) / 1000);
      const upPathStats = upPath.stats();
      const downPathStats = downPath.stats();
      const metrics = await rig.client.metrics().catch(() => null);
      rec.data.result = {
        up: { ok: up.ok, error: up.error, bytesPerSecond: rate(up) },
        down: { ok: down.ok, error: down.error, bytesPerSecond: rate(down) },
        upPath: { bytesUp: upPathStats.bytesUp, bytesDown: upPathStats.bytesDown },
        downPath: { bytesUp: downPathStats.bytesUp, bytesDown: downPathStats.bytesDown },
        retransmits: metrics?.retransmits ?? null,
      };
      rec.row({ case: 'bytes verified (sha256), both ways', plain: '—', mpx: up.ok && down.ok ? '✓' : `✗ ${up.error ?? down.error ?? ''}`, goal: 'nothing lost', status: verdict(up.ok && down.ok) });
      for (const [name, r, cap] of [['upload', up, UP_MBIT], ['download', down, DOWN_MBIT]] as const) {
        const share = rate(r) / mbit(cap);
        rec.row({ case: `${name} rate, of its path's ${cap} Mbit/s`, plain: '—', mpx: r.ok ? `${formatMbit(rate(r))} (${formatRatio(share)})` : '✗', goal: `≥ ${GOAL}`, status: verdict(r.ok && share >= GOAL) });
      }
      // Client → server bytes on the down path, and server → client bytes on the up path: control only.
      const wrongOnDown = downPathStats.bytesUp / Math.max(1, downPathStats.bytesDown);
      const wrongOnUp = upPathStats.bytesDown / Math.max(1, upPathStats.bytesUp);
      rec.row({
        case: 'bytes against the path\'s direction (control frames only)',
        plain: '—',
        mpx: `up path ${formatBytes(upPathStats.bytesDown)} (${formatPercent(wrongOnUp)}), down path ${formatBytes(downPathStats.bytesUp)} (${formatPercent(wrongOnDown)})`,
        goal: `< ${formatPercent(WRONG_WAY_GOAL)} each`,
        status: verdict(wrongOnUp < WRONG_WAY_GOAL && wrongOnDown < WRONG_WAY_GOAL),
      });
    } finally {
      await rig.stop();
    }
  },
};
