// A hand-driven mpx carrier over TCP for the abuse scenario: it does the
// handshake with the key (SPEC §3), answers PING and acknowledges counted
// frames (SPEC §9) so the server keeps the carrier alive, and otherwise sends
// whatever bytes it is given: frames no real session would send.

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { FrameDecoder, FrameType, encodeFrame, helloMac, isCounted } from '@mpx/core';
import type { CloseFrame, Frame, HelloFrame, WelcomeFrame } from '@mpx/core';

export class RawCarrier {
  readonly socket: Socket;
  /** The server's CLOSE, if one arrived. */
  closeFrame: CloseFrame | undefined;
  readonly closed: Promise<void>;
  readonly #decoder = new FrameDecoder({ maxFrame: 1 << 24 });
  #counted = 0;
  #ackQueued = false;
  #handshake: ((f: Frame) => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = once(socket, 'close').then(() => undefined);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
  }

  /** Connects to 127.0.0.1:`port` and completes the handshake as a new session. */
  static async open(port: number, key: Uint8Array): Promise<{ carrier: RawCarrier; welcome: WelcomeFrame }> {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    const carrier = new RawCarrier(socket);
    const challenge = await carrier.#next();
    if (challenge.type !== FrameType.CHALLENGE) throw new Error(`expected CHALLENGE, got frame type ${challenge.type}`);
    const params = {
      version: 1,
      resume: false,
      weight: 1,
      sessionId: randomBytes(16),
      nonce: randomBytes(16),
      streamWindow: 1 << 20,
      sessionWindow: 8 << 20,
      maxFrame: 65536,
    };
    const hello: HelloFrame = { type: FrameType.HELLO, ...params, mac: helloMac(key, challenge, params) };
    carrier.send(hello);
    const welcome = await carrier.#next();
    if (welcome.type !== FrameType.WELCOME)
      throw new Error(
        `handshake refused: frame type ${welcome.type}${welcome.type === FrameType.CLOSE ? ` code ${welcome.code} ${welcome.reason}` : ''}`,
      );
    return { carrier, welcome };
  }

  #next(): Promise<Frame> {
    return new Promise((resolve, reject) => {
      this.#handshake = resolve;
      this.closed.then(
        () => reject(new Error('carrier closed during the handshake')),
        () => {},
      );
    });
  }

  #receive(chunk: Buffer): void {
    this.#decoder.push(chunk);
    for (let f = this.#decoder.next(); f !== null; f = this.#decoder.next()) {
      const waiter = this.#handshake;
      this.#handshake = undefined;
      if (waiter !== undefined) waiter(f);
      if (f.type === FrameType.CLOSE) this.closeFrame = f;
      else if (f.type === FrameType.PING) this.send({ type: FrameType.PONG, opaque: f.opaque });
      if (isCounted(f)) this.#counted++;
    }
    if (this.#counted > 0 && !this.#ackQueued) {
      this.#ackQueued = true;
      setImmediate(() => {
        this.#ackQueued = false;
        this.send({ type: FrameType.ACK, count: this.#counted });
      });
    }
  }

  send(frame: Frame): void {
    if (this.socket.destroyed) return;
    for (const chunk of encodeFrame(frame)) this.socket.write(chunk);
  }

  /** Writes raw bytes; resolves when the socket can take more (or is gone). */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.socket.destroyed) return;
    if (!this.socket.write(bytes)) await Promise.race([once(this.socket, 'drain'), this.closed]);
  }
}
