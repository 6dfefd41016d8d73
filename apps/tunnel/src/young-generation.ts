// The young generation keeps V8's initial size: the process's one setting of
// `--semi-space-growth-factor` (docs/decisions/0003-young-generation.md).
//
// V8 doubles the young generation's semispaces (1 → 16 MiB each) whenever a
// scavenge finds that more bytes survived than it holds, and never gives them
// back. Two bursts do that in the tunnel, neither of which profits from it:
// - start-up: loading yargs and the tunnel's modules allocates ~40 MB in
//   250 ms, much of it surviving while the module graph is linked; an idle
//   client or server then held 71-75 MB RSS instead of 63-64 MB;
// - a storm of new connections: their sockets and streams live long, so
//   they survive and grow it to the full 32 MiB (10,000 streams: peak RSS
//   185 MB instead of 168 MB on the client).
// Traffic does not need the room: bulk transfers scavenge on external-memory
// pressure (socket buffers), not when the young generation fills, and
// redis-benchmark -c 50 ran the same 210-225 scavenges per 200k requests in
// each process with growth on or off (node --trace-gc, both measured here).
//
// cli.ts calls this before it imports the rest of the program: an ES module
// graph is parsed and compiled as a whole before any of it runs. An
// operator's own `--semi-space-growth-factor` on node's command line wins.
import { setV8FlagUnlessSet } from './v8-flag.js';

/** Keeps the young generation at its initial size unless the operator said otherwise; returns what was set. */
export function keepYoungGenerationSmall(execArgv: readonly string[] = process.execArgv): string | undefined {
  return setV8FlagUnlessSet('semi-space-growth-factor', 1, execArgv);
}
