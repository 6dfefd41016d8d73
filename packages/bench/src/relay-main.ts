// Child-process entry of a plain relay: `node relay-main.js <to-host:port>`,
// prints {"port":N} on stdout, runs until stdin ends or SIGTERM. V8's defaults
// are kept (no steadyEmulatorHeap()): the relay pair is the floor a user's plain
// Node relay sets, heuristics and all.
import { startRelay } from './relay.js';

const [host, port] = (process.argv[2] ?? '').split(':');
const relay = await startRelay({ host: host ?? '127.0.0.1', port: Number(port) });
process.stdout.write(`${JSON.stringify({ port: relay.port })}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
