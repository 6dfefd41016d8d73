// @mpx/transport-tcp: TCP and TLS carriers for mpx (SPEC §1). A carrier is a
// connected `stream.Duplex`; the core takes any Duplex. `tcpTransport`
// implements the transport contract of @mpx/core (transport.ts); the helpers
// below it (dial deadline, abort error, socket settings, option checks) are
// shared with @mpx/transport-ws.
import type { Transport } from '@mpx/core';
import type * as net from 'node:net';
import { dialTcp } from './dial.js';
import { listenTcp } from './listen.js';
import type { TcpDialOptions, TcpListenOptions } from './options.js';

export { dialTcp, startTcpDial } from './dial.js';
export type { TcpDial } from './dial.js';
export { readAcceptedWith } from './accepted-reads.js';
export { LentReadBuffers, sharedReadBuffer } from './lent-reads.js';
export { trackConnections } from './connections.js';
export { peerOf, rememberPeers, type Peer } from './peers.js';
export type { ConnectionOf, OnConnection } from './connections.js';
export { listenTcp, TcpCarrierListener } from './listen.js';
export type { CarrierInfo, CarrierListener, OnCarrier } from './listen.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_MS,
  checkCommonListenOptions,
  checkPositive,
  invalid,
  localBinding,
  resolveCommonDialOptions,
  tlsConnectSettings,
  type ResolvedCommonDialOptions,
} from './options.js';
export type { PemInput, TcpDialOptions, TcpListenOptions, TlsClientOptions, TlsServerOptions } from './options.js';
export { abortError, guardDial } from './dial-guard.js';
export { bindServer, tuneSocket } from './sockets.js';
export { CarrierListenerBase } from './listener-base.js';

/** TCP, and TLS with `tls` set, as a transport of the contract. */
export const tcpTransport: Transport<TcpDialOptions, TcpListenOptions, net.Socket> = { dial: dialTcp, listen: listenTcp };
