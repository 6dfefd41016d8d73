// What every carrier listener shares (the CarrierListener of the contract in
// @mpx/core's transport.ts): an EventEmitter for 'clientError' and 'error',
// and a close() that stops accepting once, however often it is called.
// @mpx/transport-ws's listener extends it too.
import { EventEmitter } from 'node:events';
import type { CarrierListener } from '@mpx/core';

export abstract class CarrierListenerBase extends EventEmitter implements CarrierListener {
  abstract readonly address: { host: string; port: number };
  #closed = false;

  /** True once close() (or closeAll()) was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Stops accepting; carriers already handed out stay open. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.stopAccepting();
    }
    return Promise.resolve();
  }

  abstract closeAll(): Promise<void>;

  /** Called once, by the first close(). */
  protected abstract stopAccepting(): void;
}
