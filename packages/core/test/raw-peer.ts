// A hand-driven peer for protocol tests: it speaks frames byte by byte over one
// in-memory carrier, so tests can send what a real session never would.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { createMemoryPair, type MemoryPair } from '@mpx/testkit';
import { helloMac } from '../src/auth.js';
import { FrameType } from '../src/constants.js';
import { FrameDecoder } from '../src/decode.js';
import { encodeFrame } from '../src/encode.js';
import type { ChallengeFrame, CloseFrame, Frame, HelloFrame } from '../src/frame.js';
import type { MpxServer } from '../src/server.js';

export class RawPeer {
  readonly frames: Frame[] = [];
  readonly decoder = new FrameDecoder({ maxFrame: 1 << 24 });
  ended = false;
  #waiters: Array<() => void> = [];

  constructor(readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(chunk);
      for (let f = this.decoder.next(); f !== null; f = this.decoder.next()) this.frames.push(f);
      this.#wake();
    });
    socket.on('error', () => {});
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      this.ended = true;
      this.#wake();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves with the first received frame matching `pred` (bounded by the carrier closing). */
  async waitFor<T extends Frame>(pred: (f: Frame) => f is T): Promise<T> {
    for (;;) {
      const found = this.frames.find(pred);
      if (found !== undefined) return found;
      if (this.ended) throw new Error(`carrier closed; frames seen: ${this.frames.map((f) => f.type).join(',')}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  waitForClose(): Promise<CloseFrame> {
    return this.waitFor((f): f is CloseFrame => f.type === FrameType.CLOSE);
  }

  /** Resolves once the carrier is closed. */
  async closed(): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  send(frame: Frame): void {
    for (const chunk of encodeFrame(frame)) this.socket.write(chunk);
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Answers the server's CHALLENGE with a HELLO (valid unless overridden). */
  async hello(options: Partial<Omit<HelloFrame, 'type'>> & { key?: Uint8Array } = {}): Promise<HelloFrame> {
    const challenge = await this.waitFor((f): f is ChallengeFrame => f.type === FrameType.CHALLENGE);
    const params = {
      version: 1,
      resume: false,
      weight: 1,
      sessionId: randomBytes(16),
      nonce: randomBytes(16),
      streamWindow: 1024 * 1024,
      sessionWindow: 8 * 1024 * 1024,
      maxFrame: 65536,
      ...options,
    };
    const { key: _key, mac: givenMac, ...rest } = params as typeof params & { key?: Uint8Array; mac?: Uint8Array };
    const hello: HelloFrame = {
      type: FrameType.HELLO,
      ...rest,
      mac: givenMac ?? helloMac(options.key ?? new Uint8Array(0), challenge, rest),
    };
    this.send(hello);
    return hello;
  }
}

/** A raw client carrier accepted by `server`. */
export function rawClient(server: MpxServer): { peer: RawPeer; pair: MemoryPair } {
  const pair = createMemoryPair();
  server.accept(pair.b);
  return { peer: new RawPeer(pair.a), pair };
}
