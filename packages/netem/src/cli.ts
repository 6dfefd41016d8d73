#!/usr/bin/env node
// mpx-netem: run one emulated path from the command line. Exits 2 with one line
// on bad arguments; Ctrl-C closes the path.

import { parseCliArgs, USAGE } from './args.js';
import { steadyEmulatorHeap } from './emulator-heap.js';
import { NetemArgError } from './errors.js';
import { DEFAULT_JITTER_EVERY_MS } from './jitter.js';
import { Path } from './path.js';
import { formatRate } from './units.js';

async function main(): Promise<void> {
  let opts;
  try {
    opts = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof NetemArgError) {
      process.stderr.write(`mpx-netem: ${err.message} (try --help)\n`);
      process.exit(2);
    }
    throw err;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const o = opts.path;
  steadyEmulatorHeap();
  const path = await Path.start(o);
  process.stdout.write(
    `mpx-netem: ${path.address} -> ${o.target.host}:${o.target.port}` +
      ` rate=${formatRate(o.perConnectionRate ?? Infinity)} path-rate=${formatRate(o.pathRate ?? Infinity)}` +
      ` delay=${o.delayMs ?? 0}ms` +
      (o.jitter === undefined ? '' : ` jitter=${o.jitter.ms}ms every ${o.jitter.everyMs ?? DEFAULT_JITTER_EVERY_MS}ms`) +
      ` setup-delay=${o.setupDelayMs ?? 0}ms\n`,
  );
  path.on('upstreamError', (err: Error, id: number) => {
    process.stderr.write(`mpx-netem: connection ${id}: upstream ${(err as NodeJS.ErrnoException).code ?? err.message}\n`);
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  if (opts.statsIntervalMs !== undefined) {
    timer = setInterval(() => {
      const s = path.stats();
      process.stdout.write(`up=${s.bytesUp} down=${s.bytesDown} connections=${s.connections} active=${s.active}\n`);
    }, opts.statsIntervalMs);
  }
  const stop = (): void => {
    if (timer) clearInterval(timer);
    void path.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`mpx-netem: ${(err as Error).message}\n`);
  process.exit(1);
});
