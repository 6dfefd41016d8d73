// The conformance suite run on plain loopback TCP sockets: net.Socket is the
// reference carrier the in-memory pair imitates, so this checks the suite
// itself (its expectations hold for a real socket).
import * as net from 'node:net';
import { runCarrierSuite } from '../src/index.js';

async function tcpPair() {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect({ port: address.port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  return {
    client,
    server: await accepted,
    cleanup: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

runCarrierSuite('loopback net.Socket', tcpPair);
