// The shared carrier conformance suite (SPEC §1) over real loopback sockets:
// plain TCP on IPv4 and IPv6, a host name, and TLS.
import { runCarrierSuite } from '@mpx/testkit';
import { tcpPair, tlsPair } from './helpers.js';

runCarrierSuite('TCP over 127.0.0.1', () => tcpPair({ host: '127.0.0.1' }, { host: '127.0.0.1' }));

runCarrierSuite('TCP over ::1', () => tcpPair({ host: '::1' }, { host: '::1' }));

runCarrierSuite('TLS over 127.0.0.1 (server name localhost)', () => tlsPair());
