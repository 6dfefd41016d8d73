// The transport contract of @mpx/core (transport.ts), checked through
// `tcpTransport` as the code above the transports sees it: plain TCP and TLS.
import { runTransportContractSuite } from '@mpx/testkit';
import { tcpTransport } from '../src/index.js';
import { CERT, KEY } from './helpers.js';

runTransportContractSuite('TCP', {
  listen: (options, onCarrier) => tcpTransport.listen({ ...options, host: '127.0.0.1', port: 0 }, onCarrier),
  dial: (port, options) => tcpTransport.dial({ ...options, host: '127.0.0.1', port }),
  handshake: false,
});

runTransportContractSuite('TLS', {
  listen: (options, onCarrier) => tcpTransport.listen({ ...options, host: '127.0.0.1', port: 0, tls: { cert: CERT, key: KEY } }, onCarrier),
  dial: (port, options) => tcpTransport.dial({ ...options, host: '127.0.0.1', port, tls: { ca: CERT, servername: 'localhost' } }),
  handshake: true,
});
