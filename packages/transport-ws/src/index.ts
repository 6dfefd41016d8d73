// @mpx/transport-ws: WebSocket carriers for mpx (SPEC §1), built on ws. A
// carrier is a connected `stream.Duplex` carrying the byte stream in binary
// messages. `webSocketTransport` implements the transport contract of
// @mpx/core (transport.ts), with the dial deadline, abort error and option
// checks of @mpx/transport-tcp.
import type { Transport } from '@mpx/core';
import { dialWebSocket, type WebSocketDialOptions } from './dial.js';
import { listenWebSocket, type WebSocketCarrierInfo, type WebSocketListenOptions } from './listen.js';
import type { WebSocketDuplex } from './ws-duplex.js';

export { WebSocketDuplex, DEFAULT_HIGH_WATER_MARK } from './ws-duplex.js';
export { DEFAULT_MAX_MESSAGE_SIZE, MESSAGE_SIZE_RANGE } from './message-size.js';
export type { WebSocketDuplexOptions } from './ws-duplex.js';
export { dialWebSocket, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_MS } from './dial.js';
export { WebSocketUpgradeError } from './upgrade-error.js';
export type { UpgradeAnswer } from './upgrade-error.js';
export type { PemInput, WebSocketDialOptions } from './dial.js';
export { listenWebSocket, WebSocketCarrierListener } from './listen.js';
export type { OnWebSocketCarrier, WebSocketCarrierInfo, WebSocketListenOptions } from './listen.js';
export { CloseCode, closeCodeFor, isCleanClose } from './close-codes.js';
export { WebSocketClosedError, describeCloseCode } from './closed-error.js';
export { packMessages } from './batch.js';
export { webSocketMasking } from './masking.js';
export type { WebSocketMasking } from './masking.js';

/** ws, and wss with a `wss://` URL (dial) or `tls` (listen), as a transport of the contract. */
export const webSocketTransport: Transport<WebSocketDialOptions, WebSocketListenOptions, WebSocketDuplex, WebSocketCarrierInfo> = {
  dial: dialWebSocket,
  listen: listenWebSocket,
};
