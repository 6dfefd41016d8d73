// The default `nodejs_*` families, as prom-client 15's collectDefaultMetrics
// gives them (lib/metrics/eventLoopLag.js, processResources.js,
// processHandles.js, processRequests.js, heapSizeAndUsed.js,
// heapSpacesSizeAndUsed.js, version.js, gc.js): the same names, HELP, types,
// labels and order, the same sources, and its aggregators for --workers.
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { Histogram } from './prom-histogram.js';
import { labelled, single, type Family } from './prom-text.js';

/** prom-client's `eventLoopMonitoringPrecision` default, ms. */
const LAG_RESOLUTION_MS = 10;
/** prom-client's default GC duration buckets, seconds. */
const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];
const GC_KINDS = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

/** A gauge family with one `label`, one sample per key in `counts`' order. */
function byLabel(name: string, help: string, label: string, counts: Iterable<readonly [string, number]>): Family {
  return labelled(
    name,
    help,
    'gauge',
    Array.from(counts, ([key, value]) => [{ [label]: key }, value] as const),
  );
}

/** How many of each in `names`, in first-seen order. */
function tally(names: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

/** By constructor name, as prom-client groups `process._getActiveHandles()` and `_getActiveRequests()`. */
function byConstructor(list: readonly unknown[]): Map<string, number> {
  // An entry without a constructor (none in Node 20's lists) is left out, as prom-client leaves it.
  const names = list.map((item) =>
    typeof item === 'object' && item !== null ? (item as { constructor?: { name: string } }).constructor?.name : undefined,
  );
  return tally(names.filter((name) => name !== undefined));
}

/** The `type` families and their `_total` of handles and requests: Node's undocumented lists, which prom-client reads. */
function activeFamilies(kind: 'handles' | 'requests', what: string, list: readonly unknown[]): Family[] {
  const name = `nodejs_active_${kind}`;
  return [
    byLabel(name, `Number of active libuv ${what}s grouped by ${what} type. Every ${what} type is C++ class name.`, 'type', byConstructor(list)),
    single(`${name}_total`, `Total number of active ${kind}.`, 'gauge', list.length),
  ];
}

function heapSpaceFamilies(): Family[] {
  const spaces = getHeapSpaceStatistics().map((s) => ({ ...s, space: s.space_name.slice(0, s.space_name.indexOf('_space')) }));
  const family = (kind: string, field: 'space_size' | 'space_used_size' | 'space_available_size'): Family =>
    byLabel(
      `nodejs_heap_space_size_${kind}_bytes`,
      `Process heap space size ${kind} from Node.js in bytes.`,
      'space',
      spaces.map((s) => [s.space, s[field]] as const),
    );
  return [family('total', 'space_size'), family('used', 'space_used_size'), family('available', 'space_available_size')];
}

/** Starts the event-loop delay monitor and the GC observer; returns the collector of the nodejs families. */
export function nodeMetrics(): () => Family[] {
  const delay = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  delay.enable();
  // prom-client's lag: the time from a scrape to the next turn of the loop,
  // measured after the scrape and shown by the next one (0 at the first).
  let lag = 0;
  const measureLag = (): void => {
    const start = process.hrtime.bigint();
    setImmediate(() => {
      lag = Number(process.hrtime.bigint() - start) / 1e9;
    });
  };
  const gc = new Histogram(
    'nodejs_gc_duration_seconds',
    'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    GC_BUCKETS,
  );
  // Every entry of a batch (prom-client counted only the first).
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      gc.observe({ kind: GC_KINDS.get(kind ?? -1) ?? 'undefined' }, entry.duration / 1000);
    }
  }).observe({ entryTypes: ['gc'] });
  const [major = 0, minor = 0, patch = 0] = process.version.slice(1).split('.').map(Number);
  const version = { version: process.version, major: String(major), minor: String(minor), patch: String(patch) };

  return () => {
    const lagFamily = single('nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.', 'gauge', lag, 'average');
    measureLag();
    const delayFamily = (name: string, help: string, ns: number, aggregator: 'min' | 'max' | 'average' = 'average'): Family =>
      single(`nodejs_eventloop_lag_${name}_seconds`, help, 'gauge', ns / 1e9, aggregator);
    const delays = [
      delayFamily('min', 'The minimum recorded event loop delay.', delay.min, 'min'),
      delayFamily('max', 'The maximum recorded event loop delay.', delay.max, 'max'),
      delayFamily('mean', 'The mean of the recorded event loop delays.', delay.mean),
      delayFamily('stddev', 'The standard deviation of the recorded event loop delays.', delay.stddev),
      delayFamily('p50', 'The 50th percentile of the recorded event loop delays.', delay.percentile(50)),
      delayFamily('p90', 'The 90th percentile of the recorded event loop delays.', delay.percentile(90)),
      delayFamily('p99', 'The 99th percentile of the recorded event loop delays.', delay.percentile(99)),
    ];
    delay.reset();
    const resources = process.getActiveResourcesInfo();
    const internals = process as unknown as { _getActiveHandles(): unknown[]; _getActiveRequests(): unknown[] };
    const memory = process.memoryUsage();
    return [
      lagFamily,
      ...delays,
      byLabel(
        'nodejs_active_resources',
        'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
        'type',
        tally(resources),
      ),
      single('nodejs_active_resources_total', 'Total number of active resources.', 'gauge', resources.length),
      ...activeFamilies('handles', 'handle', internals._getActiveHandles()),
      ...activeFamilies('requests', 'request', internals._getActiveRequests()),
      single('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', 'gauge', memory.heapTotal),
      single('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', 'gauge', memory.heapUsed),
      single('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', 'gauge', memory.external),
      ...heapSpaceFamilies(),
      {
        name: 'nodejs_version_info',
        help: 'Node.js version info.',
        type: 'gauge',
        aggregator: 'first',
        samples: [{ name: 'nodejs_version_info', labels: version, value: 1 }],
      },
      gc.family(),
    ];
  };
}
