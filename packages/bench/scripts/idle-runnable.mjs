// Where a machine's idle time goes while a task waits to run: reads the
// text of `perf script` over a `perf sched record -a` and prints, for the
// time recorded,
//
// - the share of CPU time idle, and the share idle while some task had been
//   woken and was not yet running (a wakee queued behind its waker on a busy
//   CPU while another CPU idled), split by "wakee <- waker";
// - how long wake-ups took to run, to an idle CPU and to a busy one;
// - how long each task ran while every other CPU was idle ("alone").
//
//   perf sched record -a -o sched.data -- sleep 0.5    # during a run
//   perf script -i sched.data | node packages/bench/scripts/idle-runnable.mjs [pid=name]...
//
// `pid=name` names a task in the output (the threads of one process keep
// their own pids: name the one that runs the event loop, the process's pid);
// unnamed tasks keep perf's comm. Needs `perf` (Debian: linux-perf), root,
// and a built checkout (`pnpm build`): the quantiles are the bench's own
// (format.ts).
import { createInterface } from 'node:readline';
import { median, quantile } from '../dist/format.js';

const names = new Map(
  process.argv.slice(2).map((arg) => {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      console.error('usage: perf script -i sched.data | idle-runnable.mjs [pid=name]...');
      process.exit(2);
    }
    return [arg.slice(0, eq), arg.slice(eq + 1)];
  }),
);

const LINE = /^\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:(sched_switch|sched_waking):\s*(.*)$/;
const events = [];
for await (const line of createInterface({ input: process.stdin })) {
  const m = LINE.exec(line);
  if (m !== null) events.push({ comm: m[1], pid: m[2], cpu: Number(m[3]), t: Number(m[4]), kind: m[5], rest: m[6] });
}
if (events.length === 0) {
  console.error('no sched_switch or sched_waking events on stdin (perf script of a perf sched record)');
  process.exit(1);
}
events.sort((a, b) => a.t - b.t);

const nameOf = (pid, comm) => names.get(pid) ?? comm;
/** A task as the output names it: its `pid=name`, else the comm perf last gave it. */
const label = (pid) => nameOf(pid, commOf.get(pid) ?? pid);
const IDLE = '0';
/** The task running on each CPU seen; CPUs appear as their first event does. */
const running = new Map();
/** Woken and not yet running: pid -> { at, waker, toIdle }. */
const runnable = new Map();
const idleWaiting = new Map();
const alone = new Map();
const latencies = { idle: [], busy: [] };
let idleTime = 0;
let cpuTime = 0;
let last = events[0].t;
const commOf = new Map();

const add = (map, key, v) => map.set(key, (map.get(key) ?? 0) + v);

for (const e of events) {
  const dt = e.t - last;
  last = e.t;
  if (dt > 0 && running.size > 0) {
    cpuTime += dt * running.size;
    const onCpu = new Set(running.values());
    const busy = [...running.values()].filter((pid) => pid !== IDLE);
    const idleCpus = running.size - busy.length;
    idleTime += dt * idleCpus;
    if (idleCpus > 0) {
      const waiting = [...runnable.keys()].filter((pid) => !onCpu.has(pid));
      const keys = new Set(waiting.map((pid) => `${label(pid)} <- ${runnable.get(pid).waker}`));
      for (const key of keys) add(idleWaiting, key, (dt * idleCpus) / keys.size);
      if (busy.length === 1) add(alone, label(busy[0]), dt);
    }
  }
  // A CPU's first event happens in the task it runs (pid 0: idle).
  if (!running.has(e.cpu)) running.set(e.cpu, e.pid);
  if (e.kind === 'sched_waking') {
    const m = /comm=(.+?) pid=(\d+) .*target_cpu=(\d+)/.exec(e.rest);
    if (m === null) continue;
    const [, comm, pid, target] = m;
    commOf.set(pid, comm);
    if ([...running.values()].includes(pid)) continue;
    runnable.set(pid, { at: e.t, waker: nameOf(e.pid, e.comm), toIdle: running.get(Number(target)) === IDLE });
  } else {
    const m = /prev_comm=(.+?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.+?) next_pid=(\d+)/.exec(e.rest);
    if (m === null) continue;
    const [, prevComm, prevPid, prevState, nextComm, nextPid] = m;
    commOf.set(prevPid, prevComm);
    commOf.set(nextPid, nextComm);
    // Preempted (R): still runnable, its wait counted from now.
    if (prevPid !== IDLE && prevState.startsWith('R')) runnable.set(prevPid, { at: e.t, waker: 'preempted', toIdle: false });
    else runnable.delete(prevPid);
    const woken = runnable.get(nextPid);
    if (woken !== undefined) {
      if (woken.waker !== 'preempted') (woken.toIdle ? latencies.idle : latencies.busy).push((e.t - woken.at) * 1e6);
      runnable.delete(nextPid);
    }
    running.set(e.cpu, nextPid);
  }
}

const span = events[events.length - 1].t - events[0].t;
const pct = (v, of) => `${((100 * v) / of).toFixed(1)}%`;
const quantiles = (xs) =>
  xs.length === 0
    ? 'none'
    : `${xs.length} wake-ups, median ${median(xs).toFixed(0)} µs, p90 ${quantile(xs, 0.9).toFixed(0)} µs, ${(xs.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} ms in all`;
const waitingIdle = [...idleWaiting.values()].reduce((a, b) => a + b, 0);

console.log(`${running.size} CPUs, ${span.toFixed(3)} s recorded, ${events.length} events`);
console.log(`idle: ${pct(idleTime, cpuTime)} of CPU time; idle while a woken task waited to run: ${pct(waitingIdle, cpuTime)}`);
for (const [key, v] of [...idleWaiting].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${pct(v, cpuTime).padStart(6)}  ${key}`);
console.log(`wake-ups to an idle CPU: ${quantiles(latencies.idle)}`);
console.log(`wake-ups to a busy CPU:  ${quantiles(latencies.busy)}`);
console.log('running while every other CPU idled (share of the time recorded):');
for (const [key, v] of [...alone].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${pct(v, span).padStart(6)}  ${key}`);
