import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/idle-runnable.mjs', import.meta.url));

const run = (input: string, ...names: string[]): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(process.execPath, [SCRIPT, ...names], { input, encoding: 'utf8' });

// Two CPUs for 2 ms. CPU 0 runs A (pid 10), which wakes B (pid 11) onto
// CPU 0 at once and runs on for 1 ms before it sleeps and B runs; CPU 1 goes
// idle at the start and stays so. Lines as `perf script` prints them.
const RECORD = [
  '               a    10 [000]   100.000000:       sched:sched_waking: comm=b pid=11 prio=120 target_cpu=000',
  '               c    12 [001]   100.000000:       sched:sched_switch: prev_comm=c prev_pid=12 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120',
  '               a    10 [000]   100.001000:       sched:sched_switch: prev_comm=a prev_pid=10 prev_prio=120 prev_state=S ==> next_comm=b next_pid=11 next_prio=120',
  '               b    11 [000]   100.002000: sched:sched_stat_runtime: comm=b pid=11 runtime=1000000 [ns]',
  '               b    11 [000]   100.002000:       sched:sched_switch: prev_comm=b prev_pid=11 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120',
].join('\n');

describe('scripts/idle-runnable.mjs', () => {
  it('splits idle time by the woken task that waited behind its waker', () => {
    const { status, stdout } = run(RECORD, '10=waker', '11=wakee');
    expect(status).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('2 CPUs, 0.002 s recorded, 4 events');
    // CPU 1 idles throughout (2 of 4 CPU-ms); for the first 1 ms B waited.
    expect(lines[1]).toBe('idle: 50.0% of CPU time; idle while a woken task waited to run: 25.0%');
    expect(lines[2]).toBe('   25.0%  wakee <- waker');
    expect(stdout).toContain('wake-ups to an idle CPU: none');
    expect(stdout).toContain('wake-ups to a busy CPU:  1 wake-ups, median 1000 µs, p90 1000 µs, 1.0 ms in all');
    expect(stdout).toContain('   50.0%  waker\n   50.0%  wakee');
  });

  it('says so when the input holds no scheduler events', () => {
    const { status, stderr } = run('not a perf record\n');
    expect(status).toBe(1);
    expect(stderr).toContain('no sched_switch or sched_waking events');
  });

  it('refuses a name without a pid', () => {
    const { status, stderr } = run(RECORD, 'waker');
    expect(status).toBe(2);
    expect(stderr).toContain('usage:');
  });
});
