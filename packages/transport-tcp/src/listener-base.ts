// What every carrier listener shares (the CarrierListener of the contract in
// @mpx/core's transport.ts): an EventEmitter for 'clientError' and 'error',
// and a close() that stops accepting once, however often it is called.
// @mpx/transport-ws's listener extends it too.
import { EventEmitter } from 'node:events';
import type { Server, Socket } from 'node:net';
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

  /** The server whose 'connection' event accepts connections (net, tls, http or https). */
  protected abstract get acceptor(): Server;

  adopt(connection: Socket, head: Uint8Array): void {
    if (this.#closed) {
      connection.destroy();
      return;
    }
    // Every server's connection listener (and the onConnection gate) runs
    // synchronously, so the carrier's or the HTTP parser's 'data' listener is
    // attached when the bytes already read are replayed; what the socket
    // reads next follows them.
    this.acceptor.emit('connection', connection);
    if (head.length > 0 && !connection.destroyed) connection.emit('data', Buffer.from(head.buffer, head.byteOffset, head.length));
    connection.resume();
  }

  /** Called once, by the first close(). */
  protected abstract stopAccepting(): void;
}
