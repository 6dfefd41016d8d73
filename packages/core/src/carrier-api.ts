// What a carrier link shares with the code around it: its state, its stats,
// its options, and CarrierHost, the one interface through which it reports to
// whoever drives it (the handshake, then the session).
import type { CarrierLink } from './carrier-link.js';
import type { CarrierDirection, CarrierRole } from './carrier-use.js';
import type { PayloadOwner } from './payload-owner.js';
import type { Clock } from './clock.js';
import type { MpxError } from './errors.js';
import type { DataFrame, Frame } from './frame.js';

export type CarrierState = 'handshake' | 'open' | 'closing' | 'closed';

export interface CarrierStats {
  readonly id: number;
  readonly label: string;
  readonly state: CarrierState;
  readonly weight: number;
  /** SPEC §8: a standby carrier carries data only while no primary is usable. */
  readonly role: CarrierRole;
  /** SPEC §8: the data it carries (`up`: client → server). */
  readonly direction: CarrierDirection;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly framesIn: number;
  readonly framesOut: number;
  readonly writable: boolean;
  /** Smoothed round-trip time, ms (from PING/PONG and ACK samples). */
  readonly rttMs: number | undefined;
  /** Encoded bytes sent and not yet acknowledged. */
  readonly unackedBytes: number;
  /** Frames of this carrier that were sent again on another carrier. */
  readonly retransmits: number;
}

export interface CarrierLinkOptions {
  readonly maxFrame: number;
  /** Bytes in the Duplex's write buffer above which the carrier counts as full. */
  readonly writeBuffer: number;
  /** Most unacknowledged bytes, whatever the path estimate allows. */
  readonly maxInFlight: number;
  /** Send PING this often, ms. */
  readonly pingIntervalMs: number;
  /** Declare the carrier dead after hearing nothing this long, ms. */
  readonly deadAfterMs: number;
  readonly clock: Clock;
  readonly label?: string;
  /** Told when the payloads of DATA frames sent on this carrier are done with (payload-owner.ts). */
  readonly payloadOwner?: PayloadOwner;
}

/** Whoever drives a carrier link: the handshake, then the session (see setHost). */
export interface CarrierHost {
  /** A decoded frame other than ACK, PING, PONG and a CLOSE of the carrier alone (handled by the link). */
  onFrame(link: CarrierLink, frame: Frame): void;
  /** A full carrier can take frames again. */
  onDrain(link: CarrierLink): void;
  /** The peer acknowledged frames on this carrier. */
  onAck(link: CarrierLink): void;
  /** The peer acknowledged this DATA frame (each one, before onAck for the ACK that covered it). */
  onDataAcked?(frame: DataFrame): void;
  /** The liveness schedule ran (every ping interval) and the carrier lives. */
  onTick(link: CarrierLink): void;
  /**
   * The carrier failed (a frame that does not decode, SPEC §10.2) and is
   * closing with `error`; onClose follows once it has closed.
   */
  onError?(link: CarrierLink, error: MpxError): void;
  /** Once, when the carrier is gone. */
  onClose(link: CarrierLink, error: MpxError | undefined): void;
}

/** The host of a link nobody drives (before its handshake, between handshake and session). */
export const NO_HOST: CarrierHost = {
  onFrame: () => {},
  onDrain: () => {},
  onAck: () => {},
  onTick: () => {},
  onClose: () => {},
};
