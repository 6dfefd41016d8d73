// @mpx/transport-ws: WebSocket carriers for mpx (SPEC §1), built on ws. A
// carrier is a connected `stream.Duplex` carrying the byte stream in binary messages.
export { WebSocketDuplex, DEFAULT_HIGH_WATER_MARK, DEFAULT_MAX_MESSAGE_SIZE } from './ws-duplex.js';
export type { WebSocketDuplexOptions } from './ws-duplex.js';
export { dialWebSocket, WebSocketUpgradeError, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_MS } from './dial.js';
export type { PemInput, WebSocketDialOptions } from './dial.js';
export { listenWebSocket, WebSocketCarrierListener } from './listen.js';
export type { OnWebSocketCarrier, WebSocketCarrierInfo, WebSocketListenOptions } from './listen.js';
export { CloseCode, closeCodeFor, isCleanClose } from './close-codes.js';
export { packMessages } from './batch.js';
