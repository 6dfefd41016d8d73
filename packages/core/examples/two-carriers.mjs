// A program that imports only @mpx/core: an echo server and a client joined by
// two plain TCP connections (carriers), one stream striped over both.
// Run: node packages/core/examples/two-carriers.mjs
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { once } from 'node:events';
import { ClientSession, MpxServer } from '@mpx/core';

// Server: every accepted TCP connection is a carrier; streams echo back.
const server = new MpxServer();
server.on('stream', (stream) => {
  // A stream emits 'error' when its session ends under it (the client closed
  // the session or went away): like a net.Socket, it needs a listener, or
  // Node throws the error and the process exits.
  stream.on('error', (err) => console.error(`server: stream ${stream.id} failed: ${err.code}`));
  stream.pipe(stream);
});
const listener = net.createServer((socket) => server.accept(socket));
listener.listen(0, '127.0.0.1');
await once(listener, 'listening');
const { port } = listener.address();

// Client: one session, two carriers with weights 1 and 2.
const client = new ClientSession();
for (const weight of [1, 2]) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  await client.addCarrier(socket, { weight });
}

// One stream: 8 MiB out, the echo back, compared by hash.
const data = randomBytes(8 * 1024 * 1024);
const stream = client.openStream();
stream.on('error', (err) => {
  console.error(`client: stream ${stream.id} failed: ${err.code}`);
  process.exitCode = 1;
});
const hash = createHash('sha256');
let received = 0;
stream.on('data', (chunk) => {
  hash.update(chunk);
  received += chunk.length;
});
stream.end(data);
await once(stream, 'end');

const same = hash.digest('hex') === createHash('sha256').update(data).digest('hex');
console.log(`echoed ${received} bytes over ${client.carrierCount} carriers: ${same ? 'identical' : 'DIFFERENT'}`);
for (const c of client.carrierStats()) {
  console.log(`  carrier ${c.id} weight ${c.weight}: ${c.bytesOut} bytes out, ${c.bytesIn} bytes in`);
}

client.close();
server.close();
listener.close();
if (!same) process.exitCode = 1;
