// Who lent a session the memory of the payloads it sends, and when the
// session is done with them. I/O-free.
//
// An application that copies what it sends into buffers of its own (a pool
// it reuses, instead of a fresh allocation per read) must know when a
// payload's bytes will not be read again: not when the stream queued them,
// nor when a carrier wrote them (the frame may go out again on another
// carrier, SPEC §9), but when the peer acknowledged the frame that carried
// them. A frame copied to a second carrier (head-of-line relief, SPEC §8)
// may still wait in the first carrier's write queue when the second copy is
// acknowledged: its memory must then never be reused.
//
// The session releases each byte at most once: when the frame carrying it is
// acknowledged, when it was copied into another frame (queued chunks joined
// into one), or when a reset stream drops its queue. Bytes lost with the
// session, or kept (above), are never released: the owner leaves that
// memory to the garbage collector.

export interface PayloadOwner {
  /** Memory for `n` bytes the session copies into: queued chunks it joins into one frame. Released like any payload. */
  take(n: number): Uint8Array;
  /** The peer acknowledged the frame carrying `payload` (a view of the bytes the stream was given): the session holds it no more. */
  release(payload: Uint8Array): void;
  /** A frame carrying `payload` was copied to a second carrier: a write of it may be pending after either copy is acknowledged. */
  keep(payload: Uint8Array): void;
}
