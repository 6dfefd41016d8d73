// Child-process entry of the bench target: prints {"port":N} on stdout, runs
// until stdin ends (the parent went away) or SIGTERM.
import { steadyEmulatorHeap } from '@mpx/netem';
import { startTarget } from './target.js';

// The bench's source and sink move every scenario's bytes: an instrument, kept
// clear of full collections as the emulator is.
steadyEmulatorHeap();

const target = await startTarget(Number(process.argv[2] ?? 0));
process.stdout.write(`${JSON.stringify({ port: target.port })}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
