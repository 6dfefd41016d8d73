// The overflow guard of one carrier. The session holds frames back from a
// full carrier, but PONG, ACK, PING and CLOSE answer the peer whatever the
// write buffer holds. A peer that sends and never reads would make them pile
// up without bound (a PING flood): past one more write buffer of them, the
// carrier is dropped. No I/O: the carrier link reports each write.

export class OverflowGuard {
  /** Bytes in the write buffer above which the carrier counts as full. */
  readonly #limit: number;
  /** Bytes written since the write buffer was last below the limit. */
  #overflow = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * `size` bytes were written onto `buffered` bytes already waiting in the
   * write buffer. True when the peer reads too little: more than the limit
   * was written while the buffer stayed at or above it.
   */
  onWrite(buffered: number, size: number): boolean {
    if (buffered < this.#limit) {
      this.#overflow = 0;
      return false;
    }
    this.#overflow += size;
    return this.#overflow > this.#limit;
  }
}
