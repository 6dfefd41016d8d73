// One accepted client connection and its upstream: setup delay, then two pumps
// (client→target "up", target→client "down"). Ends cleanly when both sockets
// closed after both FINs were passed on; any error or premature close resets
// both sockets (RST), as a broken path would.

import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { Pump } from './pump.js';
import type { PumpLink } from './pump.js';

/** What a connection needs from its path. */
export interface ConnectionLink {
  readonly target: { host: string; port: number };
  readonly setupDelayMs: number;
  readonly up: PumpLink;
  readonly down: PumpLink;
  perConnectionRate(): number;
  isDown(): boolean;
  opened(conn: Connection): void;
  closed(conn: Connection, error: Error | undefined): void;
  upstreamError(conn: Connection, error: Error): void;
}

export interface ConnectionStats {
  id: number;
  /** 'setup' until the upstream socket is connected, then 'open'. */
  state: 'setup' | 'open' | 'closed';
  bytesUp: number;
  bytesDown: number;
  /** Bytes held by the emulator for this connection (both directions). */
  buffered: number;
}

export class Connection {
  readonly id: number;
  readonly client: Socket;
  #upstream: Socket | null = null;
  #up: Pump | null = null;
  #down: Pump | null = null;
  #state: 'setup' | 'open' | 'closed' = 'setup';
  #setupElapsed = false;
  #setupTimer: ReturnType<typeof setTimeout> | null = null;
  #clientClosed = false;
  #upstreamClosed = false;
  #error: Error | undefined;
  readonly #link: ConnectionLink;

  constructor(id: number, client: Socket, link: ConnectionLink) {
    this.id = id;
    this.client = client;
    this.#link = link;
  }

  get state(): 'setup' | 'open' | 'closed' {
    return this.#state;
  }

  begin(): void {
    const c = this.client;
    c.pause();
    c.on('error', (err) => this.#fail(err));
    c.on('close', () => {
      this.#clientClosed = true;
      this.#onSocketClosed(this.#down);
    });
    if (this.#link.setupDelayMs > 0) {
      this.#setupTimer = setTimeout(() => {
        this.#setupTimer = null;
        this.#setupElapsed = true;
        this.#maybeConnect();
      }, this.#link.setupDelayMs);
    } else {
      this.#setupElapsed = true;
      this.#maybeConnect();
    }
  }

  /** Re-evaluates after a path state change (stall/down/up/rate). */
  refresh(): void {
    if (this.#state === 'setup') this.#maybeConnect();
    this.#up?.run();
    this.#down?.run();
  }

  setRate(rate: number): void {
    this.#up?.setRate(rate);
    this.#down?.setRate(rate);
  }

  /** Abrupt close of both sockets (RST where the socket is connected). */
  reset(): void {
    if (this.#state === 'closed') return;
    resetSocket(this.client);
    if (this.#upstream) resetSocket(this.#upstream);
    this.#finish();
  }

  stats(): ConnectionStats {
    return {
      id: this.id,
      state: this.#state,
      bytesUp: this.#up?.bytes ?? 0,
      bytesDown: this.#down?.bytes ?? 0,
      buffered: (this.#up?.buffered ?? 0) + (this.#down?.buffered ?? 0),
    };
  }

  #maybeConnect(): void {
    if (this.#state !== 'setup' || !this.#setupElapsed || this.#upstream || this.#link.isDown()) return;
    const { host, port } = this.#link.target;
    const u = connect({ host, port, allowHalfOpen: true, noDelay: true });
    this.#upstream = u;
    u.pause();
    u.on('error', (err: Error) => {
      if (this.#state === 'setup') this.#link.upstreamError(this, err);
      this.#fail(err);
    });
    u.on('close', () => {
      this.#upstreamClosed = true;
      this.#onSocketClosed(this.#up);
    });
    u.once('connect', () => {
      if (this.#state !== 'setup') return;
      this.#state = 'open';
      const rate = this.#link.perConnectionRate();
      this.#up = new Pump(this.client, u, this.#link.up, rate);
      this.#down = new Pump(u, this.client, this.#link.down, rate);
      this.#up.start();
      this.#down.start();
      this.#link.opened(this);
    });
  }

  #fail(err: Error): void {
    if (this.#state === 'closed') return;
    this.#error ??= err;
    this.reset();
  }

  /** A socket closed; `into` is the pump that writes into it. */
  #onSocketClosed(into: Pump | null): void {
    if (this.#state === 'closed') return;
    // Closing before everything owed to it was delivered means the path broke.
    if (into === null || !into.finished) {
      this.reset();
      return;
    }
    if (this.#clientClosed && this.#upstreamClosed) this.#finish();
  }

  #finish(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#setupTimer !== null) clearTimeout(this.#setupTimer);
    this.#setupTimer = null;
    this.#up?.close();
    this.#down?.close();
    this.#link.closed(this, this.#error);
  }
}

function resetSocket(s: Socket): void {
  if (s.destroyed) return;
  // A socket still connecting would only be reset after 'connect'; drop it now.
  if (s.connecting) {
    s.destroy();
    return;
  }
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}
