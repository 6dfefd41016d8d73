// The live page at / on the --metrics address: sessions, their carriers
// (address, weight, state, RTT, in-flight bytes, retransmissions) and a chart
// of each carrier's throughput, polled from /state every second. Plain HTML
// and script, with uPlot's IIFE build (web.ts serves it from the package):
// nothing to build, nothing fetched from elsewhere.
import { carrierUse, type Traffic, type TunnelView } from './stats.js';

interface LiveCarrierRow {
  /** The session's id, first 8 hex digits. */
  readonly session: string;
  readonly id: number;
  readonly address: string;
  readonly group: string;
  readonly weight: number;
  /** SPEC §8: '' for a primary carrier of both directions, else e.g. 'backup, up only'. */
  readonly use: string;
  readonly state: string;
  readonly rttMs: number | null;
  readonly inFlight: number | null;
  readonly retransmits: number | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** With --workers: the worker that holds the carrier's session. */
  readonly worker?: number;
}

/** What GET /state returns; the page turns byte counts into rates itself, with `time` as the clock. */
export interface LiveState {
  /** Milliseconds since the epoch, on the tunnel's clock. */
  readonly time: number;
  readonly sessions: number;
  readonly streams: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly carriers: readonly LiveCarrierRow[];
  /** With --workers: the primary's sum over the workers that answered (workers.ts mergeStates). */
  readonly workers?: { readonly answered: number; readonly total: number };
}

export function liveState(view: TunnelView, traffic: Traffic, now: () => number = Date.now): LiveState {
  return {
    time: now(),
    sessions: view.sessions(),
    streams: view.streams(),
    bytesIn: traffic.bytesIn,
    bytesOut: traffic.bytesOut,
    carriers: view.liveCarriers().map(({ group, session, stats }) => ({
      // The first 8 hex digits, as in the logs: without a key the full id would let a stranger join the session (SPEC §3.2).
      session: (session ?? '').slice(0, 8),
      id: stats.id,
      address: stats.label,
      group,
      weight: stats.weight,
      use: carrierUse(stats).replace(/^, /, ''),
      state: stats.state ?? 'open',
      rttMs: stats.rttMs ?? null,
      inFlight: stats.unackedBytes ?? null,
      retransmits: stats.retransmits ?? null,
      bytesIn: stats.bytesIn,
      bytesOut: stats.bytesOut,
    })),
  };
}

export const LIVE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mpx-tunnel</title>
<link rel="stylesheet" href="uplot.css">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; margin: 0 0 .3em; }
  #summary { color: #555; margin-bottom: 1em; }
  #status.down { color: #b00; font-weight: bold; }
  table { border-collapse: collapse; margin-top: 1em; }
  th, td { padding: .25em .8em; text-align: right; border-bottom: 1px solid #ddd; font-variant-numeric: tabular-nums; }
  th:nth-child(-n+3), td:nth-child(-n+3) { text-align: left; }
  tr.session td { background: #f3f3f3; font-weight: bold; text-align: left; }
</style>
</head>
<body>
<h1>mpx-tunnel</h1>
<div id="summary"><span id="status">connecting…</span> <span id="totals"></span></div>
<div id="chart"></div>
<table id="carriers">
  <thead><tr><th>carrier</th><th>address</th><th>state</th><th>weight</th><th>RTT</th><th>in flight</th><th>retransmissions</th><th>in</th><th>out</th></tr></thead>
  <tbody></tbody>
</table>
<script src="uplot.js"></script>
<script>
"use strict";
const WINDOW = 60; // seconds of history in the chart
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const times = [];
const series = new Map(); // carrier key -> { label, values: (number|null)[] }
let previous = null; // the last /state
let chart = null;
let chartKeys = '';

function rate(bytesPerSecond) {
  if (bytesPerSecond == null) return '–';
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
  let v = bytesPerSecond, u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return (u === 0 ? Math.round(v) : v.toFixed(2)) + ' ' + units[u];
}
function bytes(n) {
  if (n == null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return (u === 0 ? v : v.toFixed(1)) + ' ' + units[u];
}
const keyOf = (c) => c.session + '/' + c.id;
function cell(row, text) { const td = document.createElement('td'); td.textContent = text; row.appendChild(td); return td; }

function rates(state) {
  const out = new Map();
  const before = new Map((previous ? previous.carriers : []).map((c) => [keyOf(c), c]));
  const seconds = previous ? Math.max(state.time - previous.time, 1) / 1000 : 0;
  for (const c of state.carriers) {
    const p = before.get(keyOf(c));
    out.set(keyOf(c), p && seconds > 0 ? { in: (c.bytesIn - p.bytesIn) / seconds, out: (c.bytesOut - p.bytesOut) / seconds } : null);
  }
  return out;
}

function renderTable(state, perCarrier) {
  const body = document.querySelector('#carriers tbody');
  body.replaceChildren();
  const bySession = new Map();
  for (const c of state.carriers) {
    if (!bySession.has(c.session)) bySession.set(c.session, []);
    bySession.get(c.session).push(c);
  }
  for (const [session, carriers] of bySession) {
    const head = document.createElement('tr');
    head.className = 'session';
    const worker = carriers[0].worker === undefined ? '' : ' · worker ' + carriers[0].worker;
    cell(head, 'session ' + (session || '?') + worker + ' · ' + carriers.length + ' carriers').colSpan = 9;
    body.appendChild(head);
    for (const c of carriers) {
      const row = document.createElement('tr');
      row.className = 'carrier';
      row.dataset.carrier = keyOf(c);
      const r = perCarrier.get(keyOf(c));
      cell(row, '#' + c.id);
      cell(row, c.address);
      cell(row, c.state);
      cell(row, String(c.weight) + (c.use ? ' (' + c.use + ')' : ''));
      cell(row, c.rttMs == null ? '–' : c.rttMs.toFixed(1) + ' ms');
      cell(row, bytes(c.inFlight));
      cell(row, c.retransmits == null ? '–' : String(c.retransmits));
      cell(row, rate(r ? r.in : null));
      cell(row, rate(r ? r.out : null));
      body.appendChild(row);
    }
  }
}

function renderChart(state, perCarrier) {
  times.push(state.time / 1000);
  for (const s of series.values()) s.values.push(null);
  for (const c of state.carriers) {
    const key = keyOf(c);
    if (!series.has(key)) series.set(key, { label: '#' + c.id + ' ' + c.address, values: times.map(() => null) });
    const r = perCarrier.get(key);
    series.get(key).values[times.length - 1] = r ? r.in + r.out : null;
  }
  if (times.length > WINDOW) {
    times.shift();
    for (const s of series.values()) s.values.shift();
  }
  for (const [key, s] of series) if (s.values.every((v) => v == null) && !state.carriers.some((c) => keyOf(c) === key)) series.delete(key);
  const keys = [...series.keys()];
  const data = [times.slice(), ...keys.map((k) => series.get(k).values.slice())];
  const width = Math.max(Math.min(document.body.clientWidth, 1100), 400);
  if (chart === null || chartKeys !== keys.join(',')) {
    if (chart !== null) chart.destroy();
    chartKeys = keys.join(',');
    chart = new uPlot({
      title: 'Throughput per carrier (in + out)',
      width,
      height: 300,
      scales: { x: { time: true } },
      series: [{}, ...keys.map((k, i) => ({ label: series.get(k).label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: false, value: (u, v) => rate(v) }))],
      axes: [{}, { size: 90, values: (u, vals) => vals.map((v) => rate(v)) }],
    }, data, document.getElementById('chart'));
  } else {
    chart.setData(data);
  }
}

async function tick() {
  const status = document.getElementById('status');
  try {
    const response = await fetch('state', { cache: 'no-store' });
    const state = await response.json();
    const perCarrier = rates(state);
    status.textContent = 'live';
    status.className = '';
    document.getElementById('totals').textContent = '· ' + state.sessions + ' sessions · ' + state.carriers.length + ' carriers · ' + state.streams + ' streams · ' + bytes(state.bytesIn) + ' in, ' + bytes(state.bytesOut) + ' out' + (state.workers ? ' · ' + state.workers.answered + ' of ' + state.workers.total + ' workers' : '');
    renderTable(state, perCarrier);
    renderChart(state, perCarrier);
    previous = state;
  } catch (err) {
    status.textContent = 'no answer from the tunnel (' + err + ')';
    status.className = 'down';
  }
  setTimeout(tick, 1000);
}
tick();
</script>
</body>
</html>
`;
