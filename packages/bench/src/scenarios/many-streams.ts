// many streams: 1,000 and 10,000 concurrent connections through the tunnel,
// each echoing a few KiB of its own pattern, all held open until every one is
// verified; peak RSS (VmHWM) of the mpx client and server. Baseline: the same
// load through a plain Node TCP relay pair (two processes, like client and
// server).

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { Pattern } from '../data.js';
import { formatBytes, formatMs } from '../format.js';
import { startRig } from '../harness.js';
import type { Context, Scenario } from '../harness.js';
import { readMemory } from '../proc.js';
import { startRelayProcess, stopAll } from '../procs.js';
import type { Child } from '../procs.js';
import { encodeHeader } from '../protocol.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';

const BYTES_EACH = 4096;
const CONNECT_CONCURRENCY = 200;
/** Issue #15: 10,000 open streams in ≤ 150 MB per process. */
const RSS_GOAL = 150e6;

interface LoadResult {
  right: number;
  wrong: number;
  failed: number;
  /** Why connections failed: error code (or "closed early") → count. */
  errors: Record<string, number>;
  ms: number;
}

/** Opens `count` connections (≤ CONNECT_CONCURRENCY connecting at once), echoes, verifies, then closes all. */
async function load(port: number, count: number, onAllOpen?: () => void): Promise<LoadResult> {
  const start = performance.now();
  const sockets: Socket[] = [];
  let right = 0;
  let wrong = 0;
  let failed = 0;
  const errors: Record<string, number> = {};
  let next = 0;
  await new Promise<void>((resolve) => {
    let settled = 0;
    const settle = (): void => {
      settled++;
      if (next < count) launch();
      if (settled === count) resolve();
    };
    const launch = (): void => {
      const id = next++;
      const expected = new Pattern(id).next(BYTES_EACH);
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      sockets.push(socket);
      const got: Buffer[] = [];
      let n = 0;
      let done = false;
      const finish = (ok: boolean | null, why = 'closed early'): void => {
        if (done) return;
        done = true;
        if (ok === null) {
          failed++;
          errors[why] = (errors[why] ?? 0) + 1;
        } else if (ok) right++;
        else wrong++;
        settle();
      };
      socket.on('error', (err: NodeJS.ErrnoException) => finish(null, err.code ?? err.message));
      socket.on('close', () => finish(null));
      socket.on('data', (chunk: Buffer) => {
        got.push(chunk);
        n += chunk.length;
        if (n >= BYTES_EACH) finish(n === BYTES_EACH && Buffer.concat(got).equals(expected));
      });
      socket.write(Buffer.concat([encodeHeader({ mode: 'echo', id, seed: id, length: BYTES_EACH }), expected]));
    };
    for (let i = 0; i < Math.min(CONNECT_CONCURRENCY, count); i++) launch();
  });
  onAllOpen?.();
  const ms = performance.now() - start;
  for (const s of sockets) s.destroy();
  return { right, wrong, failed, errors, ms };
}

/** The soft limit on open files of this process (children inherit it), or null. */
function openFilesLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** VmHWM of the children (bytes), read while they still run. */
function peaks(children: Record<string, Child>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, c] of Object.entries(children)) out[name] = readMemory(c.pid)?.hwm ?? NaN;
  return out;
}

const pair = (a: number | undefined, b: number | undefined): string => `${formatBytes(a ?? NaN)} / ${formatBytes(b ?? NaN)}`;

export const manyStreams: Scenario = {
  name: 'many-streams',
  title: `N concurrent connections, ${BYTES_EACH} bytes echoed and verified on each, peak RSS`,
  async run(ctx: Context, rec: Recorder) {
    const counts = ctx.quick ? [1000] : [1000, 10_000];
    const fdLimit = openFilesLimit();
    rec.data.settings = {
      bytesEach: BYTES_EACH,
      connectConcurrency: CONNECT_CONCURRENCY,
      carriers: 2,
      emulation: 'none (loopback)',
      openFilesLimit: fdLimit,
    };
    for (const count of counts) {
      ctx.log(`${count} connections through a plain relay pair`);
      const b = await startRelayProcess('relay B', ctx.targetPort);
      const a = await startRelayProcess('relay A', b.port);
      let plain: LoadResult;
      let plainPeak: Record<string, number>;
      try {
        plain = await load(a.port, count);
        plainPeak = peaks({ client: a.child, server: b.child });
      } finally {
        await stopAll([a.child, b.child]);
      }

      ctx.log(`${count} connections through mpx (2 carriers)`);
      const rig = await startRig({ targetPort: ctx.targetPort, carriers: 2 });
      let mpx: LoadResult;
      let mpxPeak: Record<string, number>;
      try {
        mpx = await load(rig.port, count);
        mpxPeak = peaks({ client: rig.client.child, server: rig.server.child });
      } finally {
        await rig.stop();
      }
      rec.data[String(count)] = { plain: { ...plain, peakRss: plainPeak }, mpx: { ...mpx, peakRss: mpxPeak } };
      const verified = (r: LoadResult): string => `${r.right}/${count} in ${formatMs(r.ms)}`;
      rec.row({
        case: `${count.toLocaleString('en')} streams: all bytes right`,
        plain: verified(plain),
        mpx: verified(mpx),
        goal: 'all',
        status: verdict(mpx.right === count),
      });
      const gated = count >= 10_000;
      const cOk = (mpxPeak.client ?? Infinity) <= RSS_GOAL && (mpxPeak.server ?? Infinity) <= RSS_GOAL;
      rec.row({
        case: `${count.toLocaleString('en')} streams: peak RSS client / server`,
        plain: pair(plainPeak.client, plainPeak.server),
        mpx: pair(mpxPeak.client, mpxPeak.server),
        goal: gated ? `≤ ${formatBytes(RSS_GOAL)} each` : '',
        status: gated ? verdict(cOk) : 'INFO',
      });
      for (const [name, r] of [
        ['mpx', mpx],
        ['plain relay pair', plain],
      ] as const) {
        if (r.right === count) continue;
        const why = Object.entries(r.errors)
          .map(([k, v]) => `${k} × ${v}`)
          .join(', ');
        const fds =
          name === 'plain relay pair' && 2 * count + 50 > (fdLimit ?? Infinity)
            ? `; a relay holds two sockets per connection and open files are limited to ${fdLimit} here, so its accepts fail (EMFILE) and those connections are reset`
            : '';
        rec.note(`many streams ${count}: ${name} ${r.right} right, ${r.wrong} wrong, ${r.failed} failed (${why})${fds}`);
      }
    }
  },
};
