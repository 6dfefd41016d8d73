// The default `process_*` families, as prom-client 15's
// collectDefaultMetrics gives them (lib/metrics/processCpuTotal.js,
// processStartTime.js, osMemoryHeap.js, processOpenFileDescriptors.js,
// processMaxFileDescriptors.js): the same names, HELP, types and order, the
// same sources, and its aggregators for --workers (the start time is left
// out of the merge).
import { readdirSync, readFileSync } from 'node:fs';
import { single, type Family } from './prom-text.js';

/** Whole seconds, as prom-client rounds it. */
const START_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

/** `Max open files` of /proc/self/limits; undefined where there is no procfs (and the family is left out). */
function maxFds(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return line === undefined ? undefined : Number(line.split(/ {2,}/)[1]);
  } catch {
    return undefined;
  }
}

/** VmRSS, VmSize and VmData of /proc/self/status, in bytes; undefined when it cannot be read. */
function procStatus(): Record<'VmRSS' | 'VmSize' | 'VmData', number> | undefined {
  try {
    const fields: Record<string, number> = {};
    for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const m = /^(VmRSS|VmSize|VmData):\s*(\d+) kB/.exec(line);
      if (m !== null) fields[m[1] as string] = Number(m[2]) * 1024;
    }
    return { VmRSS: fields.VmRSS ?? 0, VmSize: fields.VmSize ?? 0, VmData: fields.VmData ?? 0 };
  } catch {
    return undefined;
  }
}

/**
 * Memory: on Linux resident, virtual and data size from /proc/self/status
 * (0 when it cannot be read), elsewhere the resident size only.
 */
function memoryFamilies(): Family[] {
  if (process.platform !== 'linux')
    return [single('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', process.memoryUsage.rss())];
  const status = procStatus();
  return [
    single('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', status?.VmRSS ?? 0),
    single('process_virtual_memory_bytes', 'Virtual memory size in bytes.', 'gauge', status?.VmSize ?? 0),
    single('process_heap_bytes', 'Process heap size in bytes.', 'gauge', status?.VmData ?? 0),
  ];
}

/** Open descriptors, Linux only: /proc/self/fd less the one reading it. */
function openFdFamilies(): Family[] {
  if (process.platform !== 'linux') return [];
  let open = 0;
  try {
    open = readdirSync('/proc/self/fd').length - 1;
  } catch {
    // 0, as prom-client leaves it.
  }
  return [single('process_open_fds', 'Number of open file descriptors.', 'gauge', open)];
}

/** Starts counting CPU time (from now, as prom-client does from registration); returns the collector of the process families. */
export function processMetrics(): () => Family[] {
  const first = process.cpuUsage();
  const max = maxFds();
  return () => {
    const { user, system } = process.cpuUsage(first);
    return [
      single('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', 'counter', user / 1e6),
      single('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', 'counter', system / 1e6),
      single('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', 'counter', (user + system) / 1e6),
      single('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge', START_SECONDS, 'omit'),
      ...memoryFamilies(),
      ...openFdFamilies(),
      ...(max === undefined ? [] : [single('process_max_fds', 'Maximum number of open file descriptors.', 'gauge', max)]),
    ];
  };
}
