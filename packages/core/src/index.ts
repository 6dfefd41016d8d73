// @mpx/core: the protocol core of mpx. See SPEC.md for the wire format.
export * from './constants.js';
export * from './errors.js';
export type * from './frame.js';
export { isCounted } from './frame.js';
export { encodeFrame, encodedLength } from './encode.js';
export { FrameDecoder } from './decode.js';
/** For tools that speak the handshake by hand (the bench's abusive peers). */
export { helloMac } from './auth.js';
export { GAP_CHARGE, GapBudget, ReorderBuffer, type ReorderBufferOptions } from './reorder-buffer.js';
export { PIN_RATIO, PinBudget, sessionPinLimit } from './pinning.js';
export { ReceiveWindow, SendCredit } from './flow-control.js';
export { ByteCount, OFFSET_STEP, small } from './small-integers.js';
export { WeightedPicker, type CarrierPicker, type PickableCarrier } from './scheduler.js';
export { RoundRobin, type QueuePositions } from './round-robin.js';
export { systemClock, type Clock, type Timer } from './clock.js';
export type { PayloadOwner } from './payload-owner.js';
export { pageBuffer, PAGE_BUFFER_MIN } from './page-buffer.js';
export { MAX_FREE_READ_BLOCKS, READ_BLOCK_SIZE, ReadBlocks, readBlocks } from './read-blocks.js';
export {
  CLIENT_BOUNDS,
  SERVER_BOUNDS,
  SESSION_BOUNDS,
  SESSION_RULES,
  WEIGHT_BOUND,
  checkChoice,
  checkOption,
  checkWeight,
  inBounds,
  type Bound,
  type OptionRule,
  type SessionBoundName,
} from './bounds.js';
export { DEFAULTS, resolveOptions, type ResolvedSessionOptions, type SessionOptions } from './config.js';
export type { CarrierState, CarrierStats } from './carrier-link.js';
export { CARRIER_DIRECTIONS, CARRIER_ROLES, type CarrierDirection, type CarrierRole, type CarrierUse } from './carrier-use.js';
export { Session, type OpenStreamOptions, type SessionEvents, type SessionRole, type SessionStats, type StreamForwarder } from './session.js';
export {
  MAX_TARGET_NAME,
  TARGET_CONNECTED,
  TargetKind,
  encodeTargetHeader,
  readTargetHeader,
  readTargetReply,
  type StreamTarget,
} from './target-header.js';
export { ClientSession, type AddCarrierOptions, type ClientSessionOptions } from './client.js';
export {
  MpxClient,
  type CarrierRoute,
  type CarrierTarget,
  type ClientEvents,
  type MpxClientOptions,
  type MpxClientStats,
  type TargetStats,
} from './client-pool.js';
export { backoffDelay, WAITING_REDIAL_CAP_MS, YOUNG_CARRIER_MS, type BackoffOptions } from './backoff.js';
export { MpxServer, SERVER_DEFAULTS, type AcceptInfo, type ServerEvents, type ServerOptions } from './server.js';
export type { EventMap, TypedEmitter } from './typed-events.js';
export { MpxStream, RESUME_ROOM, SEND_AHEAD, type StreamSink, type StreamStats } from './stream.js';
export type * from './transport.js';
export { GATHER_FROM_BYTES, GATHER_READS, LEND_READS } from './transport.js';
