// The transport contract suite: what every transport promises to the code
// above it (the contract in @mpx/core's transport.ts), run over each transport
// by its own tests, the way runCarrierSuite checks the carriers themselves.
// Stable error codes on dial (ABORT_ERR, MPX_ERR_CONNECT_TIMEOUT,
// MPX_ERR_INVALID_ARGUMENT), onConnection at accept, onCarrier with the TCP
// connection, and the listener's close()/closeAll().
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { acceptQueue, rejectionOf } from './accept-queue.js';
import { silentServer } from './silent-server.js';
import { waitForClose } from './stream-helpers.js';

// The parts of the contract the suite drives, restated here because the core's
// own tests use this package (so it cannot depend on @mpx/core); the
// transports' `Transport` values, typed with the core's interfaces, fit them.
interface DialOptions {
  connectTimeoutMs?: number;
  keepAliveMs?: number;
  signal?: AbortSignal;
}

interface ListenOptions {
  keepAliveMs?: number;
  onConnection?: (connection: Socket) => boolean;
}

interface CarrierInfo {
  remoteAddress: string;
  remotePort: number;
  connection: Socket;
}

type OnCarrier = (carrier: Duplex, info: CarrierInfo) => void;

interface CarrierListener {
  readonly address: { host: string; port: number };
  close(): Promise<void>;
  closeAll(): Promise<void>;
  on(event: 'clientError', listener: (err: unknown) => void): unknown;
}

/** A transport with where to bind and what to dial bound in (loopback, its TLS). */
export interface TransportSubject {
  /** Listen on 127.0.0.1, an ephemeral port. */
  listen(options: ListenOptions, onCarrier: OnCarrier): Promise<CarrierListener>;
  /** Dial 127.0.0.1:`port`. */
  dial(port: number, options: DialOptions): Promise<Duplex>;
  /**
   * Whether a dial has a handshake after TCP connect (TLS, the WebSocket
   * upgrade). Without one (plain TCP) a loopback peer cannot stall a dial, so
   * the deadline and the abort during a handshake are not exercised.
   */
  handshake: boolean;
}

/** A listener whose carriers are taken in order with next(). */
async function accepting(subject: TransportSubject, options: ListenOptions = {}) {
  const { onCarrier, next } = acceptQueue<Duplex, CarrierInfo>();
  return { listener: await subject.listen(options, onCarrier), next };
}

function firstChunk(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve) => stream.once('data', (chunk: Buffer) => resolve(chunk)));
}

/** Resolves once the peer's side of `stream` has ended or the stream has closed (a half-open socket stays open after 'end'). */
function ended(stream: Duplex): Promise<void> {
  return new Promise((resolve) => {
    stream.on('error', () => {});
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.resume();
  });
}

export function runTransportContractSuite(name: string, subject: TransportSubject): void {
  describe(`transport contract: ${name}`, () => {
    it('hands a dialled carrier to onCarrier with its peer and the TCP connection under it', async () => {
      const { listener, next } = await accepting(subject);
      try {
        const client = await subject.dial(listener.address.port, {});
        const { carrier, info } = await next();
        expect(info.remoteAddress).toBe('127.0.0.1');
        expect(info.connection.remotePort).toBe(info.remotePort);
        const received = firstChunk(carrier);
        client.write(Buffer.from('contract'));
        expect((await received).toString()).toBe('contract');
        client.destroy();
      } finally {
        await listener.closeAll();
      }
    });

    it('lets onConnection refuse a connection at accept: it never becomes a carrier', async () => {
      const seen: Socket[] = [];
      const carriers: Duplex[] = [];
      const listener = await subject.listen(
        {
          onConnection: (connection) => {
            seen.push(connection);
            return false;
          },
        },
        (carrier) => carriers.push(carrier),
      );
      listener.on('clientError', () => {});
      try {
        // Refused before any handshake: a dial with one fails, a plain TCP dial connects and is closed.
        await subject.dial(listener.address.port, {}).then(
          (client) => ended(client).then(() => client.destroy()),
          () => undefined,
        );
        expect(seen).toHaveLength(1);
        expect(carriers).toHaveLength(0);
      } finally {
        await listener.closeAll();
      }
    });

    it('rejects an already aborted dial with ABORT_ERR, the reason as its cause', async () => {
      const { listener } = await accepting(subject);
      try {
        const controller = new AbortController();
        const reason = new Error('not wanted');
        controller.abort(reason);
        const err = await rejectionOf(subject.dial(listener.address.port, { signal: controller.signal }));
        expect(err.code).toBe('ABORT_ERR');
        expect(err.cause).toBe(reason);
      } finally {
        await listener.closeAll();
      }
    });

    it('rejects bad common options with MPX_ERR_INVALID_ARGUMENT', async () => {
      expect((await rejectionOf(subject.dial(1, { connectTimeoutMs: 0 }))).code).toBe('MPX_ERR_INVALID_ARGUMENT');
      expect((await rejectionOf(subject.dial(1, { keepAliveMs: -1 }))).code).toBe('MPX_ERR_INVALID_ARGUMENT');
      expect((await rejectionOf(subject.listen({ keepAliveMs: -1 }, () => {}))).code).toBe('MPX_ERR_INVALID_ARGUMENT');
    });

    it('close() stops accepting and leaves handed-out carriers open; closeAll() closes them', async () => {
      const { listener, next } = await accepting(subject);
      const client = await subject.dial(listener.address.port, {});
      const { carrier } = await next();
      await listener.close();
      const refused = await rejectionOf(subject.dial(listener.address.port, {}));
      expect(refused.code).toBe('ECONNREFUSED');
      const received = firstChunk(carrier);
      client.write(Buffer.from('still open'));
      expect((await received).toString()).toBe('still open');
      const closed = waitForClose(carrier);
      await listener.closeAll();
      await closed;
      client.destroy();
    });

    if (subject.handshake) {
      it('rejects with MPX_ERR_CONNECT_TIMEOUT when the handshake never completes', async () => {
        const silent = await silentServer();
        try {
          const err = await rejectionOf(subject.dial(silent.port, { connectTimeoutMs: 100 }));
          expect(err.code).toBe('MPX_ERR_CONNECT_TIMEOUT');
        } finally {
          silent.close();
        }
      });

      it('rejects with ABORT_ERR when the signal aborts during the handshake', async () => {
        const silent = await silentServer();
        try {
          const controller = new AbortController();
          const dialing = subject.dial(silent.port, { signal: controller.signal });
          await silent.accepted;
          controller.abort();
          expect((await rejectionOf(dialing)).code).toBe('ABORT_ERR');
        } finally {
          silent.close();
        }
      });
    }
  });
}
