// How large the WebSocket messages of a carrier may be (SPEC §1: message
// boundaries carry no meaning, so the sender may cut its byte stream into
// messages of any size). A module of its own, without ws, so that a program
// can check a size flag before it loads the transport (mpx-tunnel loads ws
// on the first ws:// or wss:// carrier only).

/** Rationale: the receivers' default maxPayload, far below ws's 100 MiB default; a few 64 KiB frames (SPEC §12) per message. */
export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;

/**
 * The range a sender's cap on its message size (`maxMessageSize`) should
 * keep to. Rationale: below 1 KiB each message's header (up to 14 bytes)
 * and the socket write it takes cost more than the data; above the default,
 * a peer with the default maxPayload closes the carrier with 1009.
 */
export const MESSAGE_SIZE_RANGE = { min: 1024, max: DEFAULT_MAX_MESSAGE_SIZE } as const;
