// @mpx/netem — TCP link emulator on loopback for benchmarks and demos.

export { Path, startPaths, DEFAULT_MAX_BUFFERED_BYTES, MAX_AUTO_BUFFERED_BYTES } from './path.js';
export { DelayJitter, DEFAULT_JITTER_EVERY_MS } from './jitter.js';
export type { JitterOptions } from './jitter.js';
export { PathQueue } from './path-queue.js';
export type { QueueBound } from './path-queue.js';
export type { PathOptions, PathStats, RateChange } from './path.js';
export type { ConnectionStats } from './connection.js';
export { TokenBucket, defaultBurst, MIN_BURST_BYTES, BURST_MS, CATCH_UP_MS } from './token-bucket.js';
export { parseRate, parseDuration, formatRate } from './units.js';
export { parseCliArgs, parseHostPort } from './args.js';
export type { CliOptions } from './args.js';
export { NetemArgError } from './errors.js';
export { steadyEmulatorHeap, EMULATOR_HEAP_GROWING_PERCENT } from './emulator-heap.js';
export type { NetemErrorCode } from './errors.js';
