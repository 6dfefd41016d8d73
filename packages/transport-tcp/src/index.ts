// @mpx/transport-tcp: TCP and TLS carriers for mpx (SPEC §1). A carrier is a
// connected `stream.Duplex`; the core takes any Duplex.
export { dialTcp } from './dial.js';
export { trackConnections } from './connections.js';
export type { ConnectionOf, OnConnection } from './connections.js';
export { listenTcp, TcpCarrierListener } from './listen.js';
export type { CarrierInfo, CarrierListener, OnCarrier } from './listen.js';
export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_MS } from './options.js';
export type { PemInput, TcpDialOptions, TcpListenOptions, TlsClientOptions, TlsServerOptions } from './options.js';
