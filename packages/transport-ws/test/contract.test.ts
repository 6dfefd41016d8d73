// The transport contract of @mpx/core (transport.ts), checked through
// `webSocketTransport` as the code above the transports sees it: ws and wss.
import { runTransportContractSuite } from '@mpx/testkit';
import { webSocketTransport } from '../src/index.js';
import { CERT, KEY } from './helpers.js';

runTransportContractSuite('WebSocket', {
  listen: (options, onCarrier) => webSocketTransport.listen({ ...options, host: '127.0.0.1', port: 0, path: '/mpx' }, onCarrier),
  dial: (port, options) => webSocketTransport.dial({ ...options, url: `ws://127.0.0.1:${port}/mpx` }),
  handshake: true,
});

runTransportContractSuite('WebSocket over TLS', {
  listen: (options, onCarrier) =>
    webSocketTransport.listen({ ...options, host: '127.0.0.1', port: 0, path: '/mpx', tls: { cert: CERT, key: KEY } }, onCarrier),
  dial: (port, options) => webSocketTransport.dial({ ...options, url: `wss://127.0.0.1:${port}/mpx`, ca: CERT, servername: 'localhost' }),
  handshake: true,
});
