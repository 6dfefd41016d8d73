// SPEC §5: the frames of the protocol as plain objects. The codec turns them
// into bytes (encode.ts) and back (decode.ts).
import type { CarrierDirection } from './carrier-use.js';
import type { FrameType } from './constants.js';

export interface DataFrame {
  readonly type: typeof FrameType.DATA;
  readonly streamId: number;
  readonly offset: number;
  readonly syn: boolean;
  readonly fin: boolean;
  /** SPEC §5.1 flag TARGET: the stream begins with a target header (§6.6). Absent: false. */
  readonly target?: boolean;
  /** Decoded: a copy of exactly its length, or a view of a read at most PIN_RATIO times its length (decode.ts). To send: any view. */
  readonly payload: Uint8Array;
  /**
   * Decoded with `splitPayloads` only: the rest of the payload when it lay
   * across two reads (the frame carries `payload` then `rest`), else
   * undefined. Ignored when sending.
   */
  readonly rest?: Uint8Array | undefined;
}

export interface WindowFrame {
  readonly type: typeof FrameType.WINDOW;
  /** 0 for the session credit. */
  readonly streamId: number;
  readonly maxOffset: number;
}

export interface ResetFrame {
  readonly type: typeof FrameType.RESET;
  readonly streamId: number;
  readonly code: number;
  readonly finalSize: number;
}

export interface AckFrame {
  readonly type: typeof FrameType.ACK;
  readonly count: number;
  /**
   * SPEC §5.4, version 2: the sender's clock when it sent the ACK, in
   * microseconds from any origin (below 2^53). Absent in version 1.
   */
  readonly stamp?: number;
}

export interface PingFrame {
  readonly type: typeof FrameType.PING;
  /** u64 as a bigint, echoed verbatim by PONG. */
  readonly opaque: bigint;
}

export interface PongFrame {
  readonly type: typeof FrameType.PONG;
  readonly opaque: bigint;
}

export interface CloseFrame {
  readonly type: typeof FrameType.CLOSE;
  readonly session: boolean;
  readonly code: number;
  readonly reason: string;
}

/** SPEC §3.5: the routing key a client sends first, before CHALLENGE arrives. */
export interface RouteFrame {
  readonly type: typeof FrameType.ROUTE;
  readonly sessionId: Uint8Array;
}

export interface ChallengeFrame {
  readonly type: typeof FrameType.CHALLENGE;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly nonce: Uint8Array;
}

export interface HelloFrame {
  readonly type: typeof FrameType.HELLO;
  readonly version: number;
  readonly resume: boolean;
  readonly weight: number;
  /** SPEC §3.2 flag BACKUP: a standby carrier (§8). Absent: false. */
  readonly backup?: boolean;
  /** SPEC §3.2 flags UP_ONLY / DOWN_ONLY: the data the carrier carries (§8). Absent: 'both'. */
  readonly direction?: CarrierDirection;
  readonly sessionId: Uint8Array;
  readonly nonce: Uint8Array;
  readonly streamWindow: number;
  readonly sessionWindow: number;
  readonly maxFrame: number;
  readonly mac: Uint8Array;
}

export interface WelcomeFrame {
  readonly type: typeof FrameType.WELCOME;
  readonly created: boolean;
  readonly streamWindow: number;
  readonly sessionWindow: number;
  readonly maxFrame: number;
  readonly mac: Uint8Array;
}

export type Frame =
  DataFrame | WindowFrame | ResetFrame | AckFrame | PingFrame | PongFrame | CloseFrame | ChallengeFrame | HelloFrame | WelcomeFrame | RouteFrame;

/** SPEC §5, column "counted": frames that are numbered, acknowledged and retransmitted. */
export function isCounted(frame: Frame): frame is DataFrame | WindowFrame | ResetFrame {
  return frame.type <= 0x02;
}
