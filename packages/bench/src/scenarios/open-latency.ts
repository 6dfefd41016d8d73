// open latency: request/response on a NEW logical connection through a warm
// mpx pool, against a new direct TCP connection and a new WebSocket
// connection through the same emulated path (one-way delay each way and a
// set-up delay per new connection, as a handshake round trip costs).

import { once } from 'node:events';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { formatMs, median, quantile } from '../format.js';
import { pathsTo, startRig } from '../harness.js';
import type { Context, PathSpec, Scenario } from '../harness.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';
import { encodeHeader } from '../protocol.js';
import { echoRoundTrip } from '../transfer.js';

const DELAY_MS = 10;
const SETUP_MS = 20;
const RTT_MS = 2 * DELAY_MS;
const SLACK_MS = 2;
const PAYLOAD = Buffer.alloc(100, 0x61);

async function samples(n: number, warmup: number, once: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n + warmup; i++) {
    const ms = await once();
    if (i >= warmup) out.push(ms);
  }
  return out;
}

/** Request/response on one already-open connection to the echo target: the floor of the emulated path. */
async function warmRoundTrips(port: number, n: number, warmup: number): Promise<number[]> {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(encodeHeader({ mode: 'echo', id: 0, seed: 0, length: 0 }));
  try {
    return await samples(n, warmup, async () => {
      const start = performance.now();
      socket.write(PAYLOAD);
      let got = 0;
      while (got < PAYLOAD.length) {
        const [chunk] = (await once(socket, 'data')) as [Buffer];
        got += chunk.length;
      }
      return performance.now() - start;
    });
  } finally {
    socket.destroy();
  }
}

/** Opens a WebSocket, sends one message, resolves with ms until its echo arrived. */
function wsRoundTrip(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    const timer = setTimeout(() => ws.terminate(), 10_000);
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('open', () => ws.send(PAYLOAD));
    ws.on('message', () => {
      const ms = performance.now() - start;
      clearTimeout(timer);
      ws.terminate();
      resolve(ms);
    });
  });
}

const stat = (xs: number[]) => ({ median: median(xs), p90: quantile(xs, 0.9), min: Math.min(...xs), max: Math.max(...xs), samples: xs });
const show = (xs: number[]): string => `${formatMs(median(xs))} (p90 ${formatMs(quantile(xs, 0.9))})`;

export const openLatency: Scenario = {
  name: 'open-latency',
  title: `new connection + request/response, RTT ${RTT_MS} ms, set-up ${SETUP_MS} ms per new connection`,
  async run(ctx: Context, rec: Recorder) {
    const n = ctx.quick ? 10 : 30;
    const warmup = 3;
    const spec: PathSpec = { delayMs: DELAY_MS, setupDelayMs: SETUP_MS };
    rec.data.settings = { oneWayDelayMs: DELAY_MS, rttMs: RTT_MS, setupDelayMs: SETUP_MS, samples: n, warmup, payloadBytes: PAYLOAD.length, statistic: 'median' };

    const floor = await samples(n, warmup, () => echoRoundTrip(ctx.targetPort, PAYLOAD));
    rec.data.loopbackNoEmulation = stat(floor);

    ctx.log(`new direct TCP connection through the path, ${n} samples`);
    const [tcpPath] = await pathsTo(ctx.targetPort, [spec]);
    let tcp: number[];
    let warm: number[];
    try {
      tcp = await samples(n, warmup, () => echoRoundTrip(tcpPath!.port, PAYLOAD));
      warm = await warmRoundTrips(tcpPath!.port, n, warmup);
    } finally {
      await tcpPath!.close();
    }

    ctx.log(`new WebSocket connection through the path, ${n} samples`);
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('connection', (sock) => sock.on('message', (data, isBinary) => sock.send(data, { binary: isBinary })));
    const [wsPath] = await pathsTo((wss.address() as AddressInfo).port, [spec]);
    let ws: number[];
    try {
      ws = await samples(n, warmup, () => wsRoundTrip(wsPath!.port));
    } finally {
      await wsPath!.close();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }

    ctx.log(`new stream through a warm mpx pool (2 carriers) on the same path, ${n} samples`);
    const rig = await startRig({ targetPort: ctx.targetPort, paths: [spec], carriers: 2 });
    let mpx: number[];
    try {
      mpx = await samples(n, warmup, () => echoRoundTrip(rig.port, PAYLOAD));
    } finally {
      await rig.stop();
    }
    rec.data.tcp = stat(tcp);
    rec.data.websocket = stat(ws);
    rec.data.mpx = stat(mpx);

    const m = median(mpx);
    rec.row({ case: `vs new TCP connection (median, p90)`, plain: show(tcp), mpx: show(mpx), goal: `≤ RTT + ${SLACK_MS} ms = ${RTT_MS + SLACK_MS} ms`, status: verdict(m <= RTT_MS + SLACK_MS) });
    rec.row({ case: `vs new WebSocket connection`, plain: show(ws), mpx: show(mpx), goal: 'below a new connection', status: verdict(m < median(tcp) && m < median(ws)) });
    rec.data.warmTcp = stat(warm);
    rec.note(`open latency: calibration: request/response on an already open TCP connection through the same path ${formatMs(median(warm))} (RTT ${RTT_MS} ms + the emulator's own cost); new connection without emulation ${formatMs(median(floor))}`);
  },
};
