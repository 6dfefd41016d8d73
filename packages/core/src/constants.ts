// Wire constants of protocol versions 1 and 2. Every value here is defined in SPEC.md.

/** SPEC §3: the protocol versions this implementation speaks. */
export const MIN_VERSION = 1;
export const MAX_VERSION = 2;
/** SPEC §5.4: from this version on, every ACK carries its sender's clock (STAMPED_ACK_BODY_SIZE). */
export const STAMPED_ACK_VERSION = 2;

/** SPEC §3.1: "MPX\0", the first bytes of CHALLENGE and HELLO bodies. */
export const MAGIC = Uint8Array.of(0x4d, 0x50, 0x58, 0x00);

/** SPEC §4: every frame starts with a 12-byte header. */
export const HEADER_SIZE = 12;

/** SPEC §5: frame types. */
export const FrameType = {
  DATA: 0x00,
  WINDOW: 0x01,
  RESET: 0x02,
  ACK: 0x03,
  PING: 0x04,
  PONG: 0x05,
  CLOSE: 0x06,
  CHALLENGE: 0x10,
  HELLO: 0x11,
  WELCOME: 0x12,
  ROUTE: 0x13,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** SPEC §5.1: DATA flags. */
export const DataFlags = { SYN: 0x01, FIN: 0x02, TARGET: 0x04 } as const;
/** SPEC §5.6: CLOSE flags. */
export const CloseFlags = { SESSION: 0x01 } as const;
/** SPEC §3.2: HELLO flags. */
export const HelloFlags = { RESUME: 0x01, BACKUP: 0x02, UP_ONLY: 0x04, DOWN_ONLY: 0x08 } as const;
/** SPEC §3.3: WELCOME flags. */
export const WelcomeFlags = { CREATED: 0x01 } as const;

/** SPEC §5: fixed body sizes. */
export const DATA_PREFIX_SIZE = 8;
export const WINDOW_BODY_SIZE = 8;
export const RESET_BODY_SIZE = 12;
export const ACK_BODY_SIZE = 8;
/** SPEC §5.4: an ACK of version 2: the count, then the stamp. */
export const STAMPED_ACK_BODY_SIZE = 16;
export const PING_BODY_SIZE = 8;
export const CLOSE_PREFIX_SIZE = 4;
export const CLOSE_REASON_MAX = 256;
export const CHALLENGE_BODY_SIZE = 24;
export const HELLO_BODY_SIZE = 84;
export const WELCOME_BODY_SIZE = 48;
/** SPEC §3.5: ROUTE is "MPX\0" and the session id. */
export const ROUTE_BODY_SIZE = 20;
/** SPEC §3.5: where a balancer finds the session id in a carrier's first bytes (header plus magic). */
export const ROUTE_KEY_OFFSET = 16;
export const NONCE_SIZE = 16;
export const SESSION_ID_SIZE = 16;
export const MAC_SIZE = 32;

/** SPEC §3.2: bounds of the `max frame` handshake field. */
export const MIN_MAX_FRAME = 1024;

/**
 * SPEC §9: an ACK is sent in the turn that brings the second unacknowledged
 * counted frame, with any other frame sent on the carrier, or at the latest
 * this long after the first unacknowledged one arrived, ms.
 */
export const MAX_ACK_DELAY_MS = 5;
export const MAX_MAX_FRAME = 0xffffff;

/**
 * SPEC §8: the largest DATA payload a bulk stream sends on a fast carrier
 * (within the peer's max frame), bytes. Rationale: a payload per 64 KiB read
 * of the application's socket; against 16 KiB frames it took a quarter of
 * the frames, and 10–25 % of the tunnel's user CPU, off bulk transfers on
 * loopback (issue #15).
 */
export const BULK_PAYLOAD = 64 * 1024;
/**
 * SPEC §8: a carrier is fast when its measured rate sends BULK_PAYLOAD in
 * this long or less, ms. Rationale: a small stream's frame then waits behind
 * a bulk frame no longer than that (about 540 Mbit/s and up: loopback, a
 * LAN); on slower paths 16 KiB frames keep the striping fine and that wait
 * short.
 */
export const BULK_FRAME_MS = 1;

/**
 * SPEC §8: the carrier that took the last DATA frame keeps taking them while
 * it leads every other usable carrier by at most this many bytes (divided by
 * the other's weight). Rationale: small frames of many streams (fifty
 * clients' requests) then leave on one carrier per turn, in one write and one
 * read at the peer, instead of round-robin over every carrier: with 4
 * carriers and redis-benchmark, 0.26 carrier writes and 0.17 carrier reads per
 * request became 0.07 and 0.06, and the CPU per request fell by 13-20%. One
 * default payload (16 KiB): a bulk stream's full frames still alternate, as
 * before; the long-run byte shares of the weights are unchanged.
 */
export const CARRIER_LEAD_BYTES = 16 * 1024;

/**
 * SPEC §8: a stream that has sent and queued at most this many bytes in all,
 * or since it last woke with every byte it sent acknowledged (a long-lived
 * connection between requests: MpxStream.renewSmall), is a small stream
 * (an open, a request, an answer): its frame goes out
 * before the round of streams, on the carrier behind the least queue, and
 * may go ahead of that carrier's in-flight cap (AHEAD_OF_CAP_BYTES). Rationale: the first frame of a new request or
 * answer then waits behind no bulk stream's frames in the sender. Counted
 * from the stream's start, not from what it has queued now: a bulk stream
 * reads its source 4 KiB at a time while the carriers are at their caps
 * (apps/tunnel socket-reader.ts), and each small read, sent ahead, kept it
 * ahead (latency-under-load: the download fell to half the caps); such a
 * stream always has frames in flight, so its count never begins again. One
 * default payload: a bulk stream leaves the fast lane with its first frame.
 */
export const SMALL_STREAM_BYTES = 16 * 1024;

/**
 * SPEC §8: how far a small stream's frame (SMALL_STREAM_BYTES) and a
 * control frame may take a carrier past its in-flight cap, bytes; pacing
 * does not hold them back. Rationale: a carrier at its cap frees room only
 * as ACKs come, a few ms apart per carrier while a bulk stream fills it
 * (latency-under-load: 0-7 ms, median 2.5, between an answer read from the
 * target and its frame's write); one frame's worth bounds what small frames
 * add to the path's queue when many come at once.
 */
export const AHEAD_OF_CAP_BYTES = 16 * 1024;

/** SPEC §2: u64 values must stay exact doubles. */
export const MAX_U64_VALUE = Number.MAX_SAFE_INTEGER;

/** SPEC §6.1: stream ids are u32 and never reused. */
export const MAX_STREAM_ID = 0xffffffff;

/** SPEC §11: wire error codes carried by RESET and CLOSE. */
export const WireCode = {
  NO_ERROR: 0x00,
  PROTOCOL: 0x01,
  UNSUPPORTED_VERSION: 0x02,
  UNKNOWN_FRAME_TYPE: 0x03,
  FRAME_TOO_LARGE: 0x04,
  FLOW_CONTROL: 0x05,
  FINAL_SIZE: 0x06,
  STREAM_STATE: 0x07,
  AUTH_FAILED: 0x08,
  SESSION_UNKNOWN: 0x09,
  HANDSHAKE_TIMEOUT: 0x0a,
  LIMIT_EXCEEDED: 0x0b,
  IDLE_TIMEOUT: 0x0c,
  CANCEL: 0x0d,
  REFUSED: 0x0e,
  SESSION_EXPIRED: 0x0f,
  GOING_AWAY: 0x10,
  INTERNAL: 0x11,
  NOT_ALLOWED: 0x12,
  UNREACHABLE: 0x13,
} as const;
export type WireCode = (typeof WireCode)[keyof typeof WireCode];
