// The shared carrier conformance suite (SPEC §1) over real loopback WebSockets:
// standalone ws://, attached to an existing http.Server (over ::1), and wss://.
import { once } from 'node:events';
import * as http from 'node:http';
import { runCarrierSuite } from '@mpx/testkit';
import { CERT, KEY, wsPair } from './helpers.js';

runCarrierSuite('WebSocket, standalone listener on 127.0.0.1', () => wsPair({ host: '127.0.0.1', path: '/mpx' }, {}));

runCarrierSuite('WebSocket attached to an existing http.Server on ::1', async () => {
  const server = http.createServer((_req, res) => res.end('the application'));
  server.listen(0, '::1');
  await once(server, 'listening');
  return wsPair({ server, path: '/tunnel' }, {}, () => {
    server.close();
  });
});

runCarrierSuite('WebSocket over TLS (wss://) on 127.0.0.1', () =>
  wsPair({ host: '127.0.0.1', path: '/mpx', tls: { cert: CERT, key: KEY } }, { scheme: 'wss', ca: CERT, servername: 'localhost' }),
);
