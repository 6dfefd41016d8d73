// abuse: a real `mpx-tunnel server` (with a key) under the floods of issue
// #11, its RSS sampled from /proc/<pid>/status (VmRSS polled every 50 ms for
// each phase's peak), and a legitimate session (its own mpx-tunnel client)
// asked for a verified 1 MB download during every flood.
//
//   1. one session that knows the key opens 3,000 streams to targets that
//      each send 4 MB, and never reads; then its client is killed;
//   2. a raw carrier (key known) sends 2 million 1-byte DATA frames at every
//      other offset, 1,000 gaps per stream (under the per-stream cap of
//      SPEC §12) over 2,000 streams, within the stream and session windows;
//   3. flood 1 again, several rounds: RSS after each release;
//   4. 20,000 WebSocket connections without the key (two flooder processes),
//      each sending a text message after the upgrade, held open.
//
// Each flood gets a fresh server (floods 1 and 3 share one, as flood 3 is
// flood 1 repeated), so a flood's peak is not the previous flood's leftover.
// "After release" is read 5 s after the abusive side is gone (killed client
// plus the server's --grace of 2 s; closed carrier; flooders exited). The
// goals are in ../abuse.ts; every number is measured, none is assumed.

import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, WireCode } from '@mpx/core';
import { GAPS_PER_STREAM, gappedFrames, gappedFramesPerStream, releaseLimit, streamFloodLimit } from '../abuse.js';
import { patternSha256 } from '../data.js';
import { formatMiB } from '../format.js';
import type { Context, Scenario } from '../harness.js';
import { RssPoller, readMemory } from '../proc.js';
import { spawnNode, startTunnelClient, startTunnelServer, stopAll } from '../procs.js';
import type { Child, TunnelClient, TunnelServer } from '../procs.js';
import { encodeHeader } from '../protocol.js';
import { RawCarrier } from '../raw-carrier.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';
import { download } from '../transfer.js';

const KEY = 'bench-abuse-key';
const GRACE = '2s';
const GRACE_MS = 2000;
const SETTLE_MS = 5000;
const SOURCE_BYTES = 4e6;
const LEGIT_BYTES = 1e6;
const LEGIT_TIMEOUT_MS = 20_000;
const CONNECT_CONCURRENCY = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FLOODER = fileURLToPath(new URL('../ws-flood-main.js', import.meta.url));

interface Settings {
  streams: number;
  fillMs: number;
  rounds: number;
  gappedFrames: number;
  wsConnections: number;
  wsFlooders: number;
  wsSpreadMs: number;
}

function settings(quick: boolean): Settings {
  return quick
    ? { streams: 1000, fillMs: 3000, rounds: 2, gappedFrames: 500_000, wsConnections: 4000, wsFlooders: 2, wsSpreadMs: 5000 }
    : { streams: 3000, fillMs: 6000, rounds: 3, gappedFrames: 2_000_000, wsConnections: 20_000, wsFlooders: 2, wsSpreadMs: 15_000 };
}

function rssOf(pid: number): number {
  return readMemory(pid)?.rss ?? NaN;
}

let legitId = 100;

/**
 * A verified 1 MB download through the legitimate session; false on error or
 * after LEGIT_TIMEOUT_MS, with what its client logged meanwhile (last lines).
 */
async function legitWorks(client: TunnelClient): Promise<{ ok: boolean; error?: string }> {
  const seed = legitId++;
  const logged = client.child.lines.length;
  const r = await download({
    port: client.port,
    id: seed,
    seed,
    length: LEGIT_BYTES,
    expectedSha256: patternSha256(seed, LEGIT_BYTES),
    signal: AbortSignal.timeout(LEGIT_TIMEOUT_MS),
  });
  if (r.ok) return { ok: true };
  const said = client.child.lines.slice(logged).slice(-3);
  return { ok: false, error: `${r.error ?? 'failed'}${said.length > 0 ? `; the client logged: ${said.join(' | ')}` : ''}` };
}

/** Opens `count` connections to `port` asking the target for SOURCE_BYTES each, and never reads them. */
async function openUnread(port: number, count: number): Promise<{ sockets: Socket[]; failed: number }> {
  const sockets: Socket[] = [];
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const id = next++;
      const socket = connect({ port, host: '127.0.0.1' });
      socket.on('error', () => {});
      try {
        await once(socket, 'connect');
        socket.write(encodeHeader({ mode: 'source', id, seed: id, length: SOURCE_BYTES }));
        socket.pause();
        sockets.push(socket);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
  return { sockets, failed };
}

interface Round {
  peak: number;
  /** VmHWM when the flood ends: the server's peak since it started (round 1 of flood 1, flood 2, flood 4: this flood's peak). */
  hwm: number;
  afterRelease: number;
  legit: { ok: boolean; error?: string };
  failedConnects: number;
}

async function streamFlood(server: TunnelServer, legit: TunnelClient, rss: RssPoller, s: Settings): Promise<Round> {
  const abuser = await startTunnelClient({ servers: `127.0.0.1:${server.ports[0]}|1`, carriers: 1, extra: ['--key', KEY] });
  try {
    rss.takePeaks();
    const { sockets, failed } = await openUnread(abuser.port, s.streams);
    await sleep(s.fillMs);
    const legitResult = await legitWorks(legit);
    const peak = rss.takePeaks()['server'] ?? NaN;
    const hwm = readMemory(server.child.pid)?.hwm ?? NaN;
    abuser.child.kill('SIGKILL');
    await abuser.child.exited;
    for (const socket of sockets) socket.destroy();
    await sleep(GRACE_MS + SETTLE_MS);
    return { peak, hwm, afterRelease: rssOf(server.child.pid), legit: legitResult, failedConnects: failed };
  } finally {
    await abuser.child.stop();
  }
}

interface GapResult {
  peak: number;
  /** VmHWM when the flood ends: the server's peak since it started (round 1 of flood 1, flood 2, flood 4: this flood's peak). */
  hwm: number;
  afterRelease: number;
  legit: { ok: boolean; error?: string };
  framesSent: number;
  closeCode: number | undefined;
  closeReason: string | undefined;
}

async function gapFlood(server: TunnelServer, legit: TunnelClient, rss: RssPoller, s: Settings): Promise<GapResult> {
  rss.takePeaks();
  const { carrier, welcome } = await RawCarrier.open(server.ports[0] as number, Buffer.from(KEY));
  const perStream = gappedFramesPerStream(welcome.streamWindow);
  let sent = 0;
  let streamId = 1;
  let sentOnStream = 0;
  /** Session credit used (SPEC §7.2): the highest offsets of the full streams, 2 × perStream each. */
  let fullStreams = 0;
  // Bounded: at most s.gappedFrames frames, and never beyond the session window.
  while (sent < s.gappedFrames && !carrier.socket.destroyed && carrier.closeFrame === undefined) {
    if (sentOnStream === perStream) {
      streamId += 2;
      sentOnStream = 0;
      fullStreams += 2 * perStream;
    }
    const n = Math.min(s.gappedFrames - sent, perStream - sentOnStream); // one write per stream: ≤ 1,000 frames, 21 kB
    const firstOffset = 1 + 2 * sentOnStream;
    // The highest offset this write reaches on its stream is firstOffset + 2(n − 1) + 1.
    if (fullStreams + firstOffset + 2 * n - 1 > welcome.sessionWindow) break;
    await carrier.write(gappedFrames(streamId, firstOffset, 2, n));
    sent += n;
    sentOnStream += n;
  }
  await Promise.race([carrier.closed, sleep(3000)]);
  const legitResult = await legitWorks(legit);
  const peak = rss.takePeaks()['server'] ?? NaN;
  const hwm = readMemory(server.child.pid)?.hwm ?? NaN;
  const closeCode = carrier.closeFrame?.code;
  const closeReason = carrier.closeFrame?.reason;
  carrier.socket.destroy();
  await sleep(GRACE_MS + SETTLE_MS);
  return { peak, hwm, afterRelease: rssOf(server.child.pid), legit: legitResult, framesSent: sent, closeCode, closeReason };
}

interface WsResult {
  peak: number;
  /** VmHWM when the flood ends: the server's peak since it started (round 1 of flood 1, flood 2, flood 4: this flood's peak). */
  hwm: number;
  afterRelease: number;
  legit: { ok: boolean; error?: string };
  flooders: Array<Record<string, unknown>>;
  emfileLines: number;
  peakFds: number;
}

function countFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

async function wsFlood(server: TunnelServer, legit: TunnelClient, rss: RssPoller, s: Settings): Promise<WsResult> {
  const url = `ws://127.0.0.1:${server.ports[1]}/mpx`;
  rss.takePeaks();
  let emfileLines = 0;
  const off = server.child.onLine((l) => {
    if (/EMFILE|ENFILE/.test(l)) emfileLines++;
  });
  let peakFds = countFds(server.child.pid);
  const fdTimer = setInterval(() => (peakFds = Math.max(peakFds, countFds(server.child.pid))), 250);
  const each = Math.ceil(s.wsConnections / s.wsFlooders);
  const flooders: Child[] = Array.from({ length: s.wsFlooders }, (_, i) =>
    spawnNode(`ws flooder ${i + 1}`, FLOODER, [url, String(each), String(s.wsSpreadMs)]),
  );
  try {
    const reports = await Promise.all(flooders.map((f) => f.waitFor(/^\{"opened".*\}$/, 1, s.wsSpreadMs + 30_000)));
    const legitResult = await legitWorks(legit);
    const peak = rss.takePeaks()['server'] ?? NaN;
    const hwm = readMemory(server.child.pid)?.hwm ?? NaN;
    clearInterval(fdTimer);
    await stopAll(flooders);
    await sleep(SETTLE_MS);
    return {
      peak,
      hwm,
      afterRelease: rssOf(server.child.pid),
      legit: legitResult,
      flooders: reports.map(([m]) => JSON.parse(m?.[0] ?? '{}') as Record<string, unknown>),
      emfileLines,
      peakFds,
    };
  } finally {
    clearInterval(fdTimer);
    off();
    await stopAll(flooders);
  }
}

interface Rig {
  server: TunnelServer;
  legit: TunnelClient;
  rss: RssPoller;
  /** Server RSS with only the legitimate session, after one verified transfer. */
  baseline: number;
}

/** A fresh server (TCP and WebSocket listeners, the key, --grace 2s) and a legitimate client, for one flood. */
async function withRig<T>(ctx: Context, fn: (rig: Rig) => Promise<T>): Promise<T> {
  const server = await startTunnelServer(ctx.targetPort, {
    listen: ['127.0.0.1:0', 'ws://127.0.0.1:0/mpx'],
    extra: ['--key', KEY, '--grace', GRACE],
  });
  let legit: TunnelClient | undefined;
  const rss = new RssPoller({ server: server.child.pid });
  try {
    legit = await startTunnelClient({ servers: `127.0.0.1:${server.ports[0]}|1`, carriers: 1, extra: ['--key', KEY] });
    const warm = await legitWorks(legit);
    if (!warm.ok) throw new Error(`the legitimate session does not work before any flood: ${warm.error}`);
    await sleep(1000);
    const baseline = rssOf(server.child.pid);
    ctx.log(`fresh server: RSS ${formatMiB(baseline)} with the legitimate session up`);
    return await fn({ server, legit, rss, baseline });
  } finally {
    rss.stop();
    await stopAll([legit?.child, server.child]);
  }
}

const legitText = (l: { ok: boolean; error?: string }): string => (l.ok ? 'legit ok' : `legit FAILED (${l.error})`);

export const abuse: Scenario = {
  name: 'abuse',
  title: 'server RSS and a legitimate session under the floods of issue #11 (unread streams, gapped frames, repeats, keyless WebSockets)',
  async run(ctx: Context, rec: Recorder) {
    const s = settings(ctx.quick);
    const sessionWindow = DEFAULTS.sessionWindow;
    rec.data.settings = { ...s, sourceBytes: SOURCE_BYTES, graceMs: GRACE_MS, settleMs: SETTLE_MS, sessionWindow, legitBytes: LEGIT_BYTES };

    await withRig(ctx, async ({ server, legit, rss, baseline }) => {
      const rounds: Round[] = [];
      for (let i = 0; i < s.rounds; i++) {
        ctx.log(`flood 1${i === 0 ? '' : ` (flood 3, round ${i + 1})`}: ${s.streams} streams of ${SOURCE_BYTES / 1e6} MB never read`);
        const r = await streamFlood(server, legit, rss, s);
        rounds.push(r);
        ctx.log(
          `  peak ${formatMiB(r.peak)}, after release ${formatMiB(r.afterRelease)}, ${legitText(r.legit)}${r.failedConnects > 0 ? `, ${r.failedConnects} connects failed` : ''}`,
        );
      }
      rec.data.flood1 = { baseline, rounds };
      const first = rounds[0] as Round;
      const peak1 = Math.max(first.peak, first.hwm);
      const limit1 = streamFloodLimit(baseline, sessionWindow, s.streams);
      rec.row({
        case: `flood 1: ${s.streams} streams never read`,
        plain: `baseline ${formatMiB(baseline)}`,
        mpx: `peak ${formatMiB(peak1)} · after ${formatMiB(first.afterRelease)} · ${legitText(first.legit)}`,
        goal: `peak ≤ ${formatMiB(limit1)}, legit ok`,
        status: verdict(peak1 <= limit1 && first.legit.ok),
      });
      const limit3 = releaseLimit(baseline);
      rec.row({
        case: `flood 3: flood 1 × ${s.rounds}, RSS after each release`,
        plain: `baseline ${formatMiB(baseline)}`,
        mpx: rounds.map((r) => formatMiB(r.afterRelease)).join(' / '),
        goal: `each ≤ ${formatMiB(limit3)}`,
        status: verdict(rounds.every((r) => r.afterRelease <= limit3)),
      });
    });

    await withRig(ctx, async ({ server, legit, rss, baseline }) => {
      ctx.log(`flood 2: ${s.gappedFrames} one-byte DATA frames with gaps on one carrier, ${GAPS_PER_STREAM} per stream`);
      const g = await gapFlood(server, legit, rss, s);
      rec.data.flood2 = { baseline, ...g };
      const codeName =
        g.closeCode === undefined ? 'carrier not closed' : `CLOSE ${Object.entries(WireCode).find(([, v]) => v === g.closeCode)?.[0] ?? g.closeCode}`;
      ctx.log(
        `  ${g.framesSent} frames sent, ${codeName}${g.closeReason ? ` (${g.closeReason})` : ''}, peak ${formatMiB(g.peak)}, after release ${formatMiB(g.afterRelease)}, ${legitText(g.legit)}`,
      );
      const limit2 = streamFloodLimit(baseline, sessionWindow, 0);
      const peak2 = Math.max(g.peak, g.hwm);
      rec.row({
        case: `flood 2: ${(g.framesSent / 1e6).toFixed(1)} M gapped 1-byte frames`,
        plain: `baseline ${formatMiB(baseline)}`,
        mpx: `peak ${formatMiB(peak2)} · after ${formatMiB(g.afterRelease)} · ${codeName} · ${legitText(g.legit)}`,
        goal: `closed with an error code, peak ≤ ${formatMiB(limit2)}, legit ok`,
        status: verdict(g.closeCode !== undefined && g.closeCode !== WireCode.NO_ERROR && peak2 <= limit2 && g.legit.ok),
      });
    });

    await withRig(ctx, async ({ server, legit, rss, baseline }) => {
      ctx.log(`flood 4: ${s.wsConnections} WebSocket connections without the key in ${s.wsSpreadMs / 1000} s`);
      const w = await wsFlood(server, legit, rss, s);
      rec.data.flood4 = { baseline, ...w };
      ctx.log(
        `  flooders ${JSON.stringify(w.flooders)}, server peak fds ${w.peakFds}, EMFILE lines ${w.emfileLines}, peak ${formatMiB(w.peak)}, ${legitText(w.legit)}`,
      );
      const opened = w.flooders.reduce((a, f) => a + Number(f['opened'] ?? 0), 0);
      rec.row({
        case: `flood 4: ${s.wsConnections} keyless WebSockets`,
        plain: `baseline ${formatMiB(baseline)}`,
        mpx: `${opened} upgraded · peak ${formatMiB(Math.max(w.peak, w.hwm))} · after ${formatMiB(w.afterRelease)} · ${w.peakFds} fds · ${w.emfileLines} EMFILE lines · ${legitText(w.legit)}`,
        goal: 'legit ok, no EMFILE',
        status: verdict(w.legit.ok && w.emfileLines === 0),
      });
    });
    rec.note(
      `abuse: RSS of the mpx-tunnel server (VmRSS, 50 ms polls), a fresh server per flood (floods 1 and 3 share one); "after" = ${SETTLE_MS / 1000} s after the abusive side is gone (plus --grace ${GRACE} for a killed client); goals: flood 1 peak ≤ baseline + session window (${formatMiB(sessionWindow)}) + 16 KiB × streams + 64 MiB; flood 2 the same with no streams; flood 3 ≤ max(1.5 × baseline, baseline + 64 MiB).`,
    );
  },
};
