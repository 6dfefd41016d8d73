// Issue 11, point 6: a failure on either end of a tunnelled connection reaches
// the other end as a reset, never as a clean end (FIN) at a truncated length;
// only a real FIN becomes a FIN. Faults are injected at the target and at the
// application, through real `mpx-tunnel server` and `client` processes.
import { once } from 'node:events';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endSeenAs } from '../src/socket-end.js';
import { connect, killAll, Tunnel, CLIENT_PORT, SERVER_PORT } from './helpers.js';

const MiB = 1024 * 1024;
const PIECE = Buffer.alloc(64 * 1024, 0x5a);
/** What target mode 'H' writes before its reset: well past the default stream window (and the socket buffers) on the way. */
const HELD_BYTES = 32 * MiB;

/** How one end of a connection finished: a FIN ('end'), or an error, and the bytes it read. */
interface Outcome {
  readonly bytes: number;
  readonly ended: boolean;
  readonly error: string | undefined;
}

/**
 * Reads `socket` until its end (FIN) or its error, whichever comes first.
 * Linux may read a RST that arrives behind unread bytes as an end of file;
 * with `probe`, the kernel is asked after the end which it was (as pipe.ts
 * does, socket-end.ts).
 */
function outcome(socket: net.Socket, alreadyRead = 0, probe = false): Promise<Outcome> {
  return new Promise((resolve) => {
    let bytes = alreadyRead;
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    socket.once('end', () => {
      const seen = probe ? endSeenAs(socket) : 'fin';
      resolve(seen === 'fin' || seen === undefined ? { bytes, ended: true, error: undefined } : { bytes, ended: false, error: seen.code });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ bytes, ended: false, error: err.code }));
    socket.once('close', () => resolve({ bytes, ended: false, error: undefined }));
  });
}

/** Writes `n` bytes honouring backpressure; stops quietly if the socket fails. */
async function send(socket: net.Socket, n: number): Promise<void> {
  for (let sent = 0; sent < n && !socket.destroyed; sent += PIECE.length) {
    if (socket.write(PIECE)) continue;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }
}

/**
 * Resolves once `socket` has stopped taking bytes from its write buffer (the
 * path behind it is full): unchanged for STALL_POLLS polls in a row, or after
 * STALL_MAX_POLLS polls at most.
 */
async function stalled(socket: net.Socket): Promise<void> {
  const STALL_POLLS = 5;
  const STALL_MAX_POLLS = 500;
  let last = -1;
  let same = 0;
  for (let i = 0; i < STALL_MAX_POLLS && same < STALL_POLLS; i++) {
    await new Promise((r) => setTimeout(r, 20));
    same = socket.writableLength === last ? same + 1 : 0;
    last = socket.writableLength;
  }
}

/**
 * The target: the first byte of a connection says what it does.
 * 'R': sends 1 MiB, then resets. 'F': sends 1 MiB, then a FIN (and keeps reading).
 * 'U': reads (the application uploads); `targetSide` resolves with how that ended.
 * 'X': reads until 1 MiB arrived, then resets.
 * 'S': sends up to 64 MiB; `targetSide` resolves with how that ended.
 * 'H': once the application's FIN arrives, writes HELD_BYTES (more than the
 * sockets and windows on the way hold while the application reads nothing),
 * resets once its writes have stalled, and resolves `heldReset`.
 */
let target: net.Server;
const targetSockets = new Set<net.Socket>();
const targetSide: Promise<Outcome>[] = [];
let heldReset: () => void = () => {};
let server: Tunnel;
let client: Tunnel;
let port: number;

beforeAll(async () => {
  target = net.createServer({ allowHalfOpen: true }, (socket) => {
    targetSockets.add(socket);
    socket.once('close', () => targetSockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', (first: Buffer) => {
      const mode = String.fromCharCode(first[0] ?? 0);
      if (mode === 'R') void send(socket, MiB).then(() => socket.resetAndDestroy());
      else if (mode === 'F') void send(socket, MiB).then(() => socket.end());
      else if (mode === 'U') targetSide.push(outcome(socket, first.length, true));
      else if (mode === 'S') {
        targetSide.push(outcome(socket, first.length, true));
        void send(socket, 64 * MiB);
      } else if (mode === 'H') {
        socket.resume();
        socket.once('end', () => {
          for (let i = 0; i < HELD_BYTES / PIECE.length; i++) socket.write(PIECE);
          void stalled(socket).then(() => {
            socket.resetAndDestroy();
            heldReset();
          });
        });
      } else if (mode === 'X') {
        let got = first.length;
        socket.on('data', (chunk: Buffer) => {
          got += chunk.length;
          if (got >= MiB && !socket.destroyed) socket.resetAndDestroy();
        });
      }
    });
  });
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  const targetPort = (target.address() as net.AddressInfo).port;
  server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${targetPort}`]);
  const serverPort = await server.port(SERVER_PORT);
  client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`]);
  port = await client.port(CLIENT_PORT);
});

afterAll(async () => {
  await killAll();
  for (const socket of targetSockets) socket.destroy();
  await new Promise<void>((resolve) => target.close(() => resolve()));
});

/**
 * Opens a connection through the tunnel in `mode` ('U' or 'S') and waits
 * until the target has it; `atTarget` then says how it ended there.
 */
async function openToTarget(mode: 'U' | 'S'): Promise<{ app: net.Socket; atTarget: Promise<Outcome> }> {
  const app = await connect(port);
  app.on('error', () => {});
  const before = targetSide.length;
  app.write(mode);
  const deadline = Date.now() + 10_000;
  while (targetSide.length === before && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  const atTarget = targetSide[before];
  if (atTarget === undefined) throw new Error('the target never saw the connection');
  return { app, atTarget };
}

describe('a failure reaches the far end as a reset, a FIN as a FIN', () => {
  it('target resets mid-download: the application gets ECONNRESET, not a clean end', async () => {
    const app = await connect(port);
    const result = outcome(app, 0, true);
    app.write('R');
    // The client passed on a RESET from the server (not a FIN), and says where the cause is logged ...
    await client.waitFor(
      new RegExp(
        `connection from 127\\.0\\.0\\.1:${app.localPort} \\(stream \\d+\\) reset by the server: its connection to the target failed or was reset.*\\(CANCEL; the server's log has the cause\\)`,
      ),
    );
    // ... which the server logs at info ...
    await server.waitFor(
      /INFO {2}stream \w+\/\d+ reset: the connection to target 127\.0\.0\.1:\d+ failed: ECONNRESET \(\d+ bytes to the target, \d+ from it\)/,
    );
    // ... and the application saw a reset.
    const r = await result;
    expect(r).toMatchObject({ ended: false, error: 'ECONNRESET' });
    expect(r.bytes).toBeLessThanOrEqual(MiB);
  });

  it('target resets a download whose request side was closed, while the tunnel holds unread bytes: the application gets a reset, not a clean end', async () => {
    // The request is sent and its side closed (HTTP/1.0, curl -T, the bench's
    // downloads): the server has shut down its side of the target connection,
    // so Linux reads the target's RST behind the unread bytes as an end of file.
    const app = await connect(port);
    app.on('error', () => {});
    const reset = new Promise<void>((resolve) => (heldReset = resolve));
    app.pause();
    app.end('H');
    await reset;
    const result = outcome(app, 0, true);
    app.resume();
    await client.waitFor(new RegExp(`connection from 127\\.0\\.0\\.1:${app.localPort} \\(stream \\d+\\) reset by the server: `));
    const r = await result;
    expect(r).toMatchObject({ ended: false, error: 'ECONNRESET' });
    expect(r.bytes).toBeLessThan(HELD_BYTES);
  });

  it('target resets mid-upload: the uploading application gets a reset', async () => {
    const app = await connect(port);
    const result = outcome(app);
    app.write('X');
    void send(app, 16 * MiB);
    const r = await result;
    expect(r.error).toMatch(/^(ECONNRESET|EPIPE)$/);
    expect(r.ended).toBe(false);
  });

  it('target ends cleanly: the application gets every byte and a FIN, and may still write', async () => {
    const app = await connect(port);
    const result = outcome(app);
    app.write('F');
    const r = await result;
    expect(r).toEqual({ bytes: MiB, ended: true, error: undefined });
    expect(app.write('after the FIN')).toBe(true); // half-close: our side is still open
    app.end();
  });

  it('application resets mid-upload: the target gets ECONNRESET, not a clean end', async () => {
    const { app, atTarget } = await openToTarget('U');
    await send(app, MiB);
    app.resetAndDestroy();
    const r = await atTarget;
    expect(r).toMatchObject({ ended: false, error: 'ECONNRESET' });
  });

  it('application resets mid-download: the sending target gets a reset', async () => {
    const { app, atTarget } = await openToTarget('S');
    await once(app, 'data');
    app.resetAndDestroy();
    const r = await atTarget;
    expect(r.error).toMatch(/^(ECONNRESET|EPIPE)$/);
    expect(r.ended).toBe(false);
  });

  it('application ends cleanly: the target gets every byte and a FIN', async () => {
    const { app, atTarget } = await openToTarget('U');
    await send(app, MiB);
    app.end();
    const r = await atTarget;
    expect(r).toEqual({ bytes: MiB + 1, ended: true, error: undefined });
    app.destroy();
  });
});
