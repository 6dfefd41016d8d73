// Descriptor headroom end to end (issue 11, point 4): a server started under
// `ulimit -n 256` and flooded with connections that never log in keeps enough
// descriptors for the target connections of the session it already holds.
// Before the fix the flood took every descriptor and the next stream's target
// dial failed with EMFILE.
import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { descriptorLimit } from '../src/descriptors.js';
import { CLIENT_PORT, SERVER_PORT, echoThrough, killAll, startEcho, Tunnel, type EchoServer } from './helpers.js';

const KEY = 'descriptors-test-key';
const NOFILE = 256;
const FLOOD = 400;
const HEADROOM_LINE = /connection from 127\.0\.0\.1:\d+ refused: \d+ of 256 file descriptors open, the last 32 are kept for target connections/;

let echo: EchoServer | undefined;
const flood: net.Socket[] = [];

afterEach(async () => {
  for (const s of flood.splice(0)) s.destroy();
  await killAll();
  await echo?.close();
  echo = undefined;
});

describe('descriptor headroom', () => {
  it('reads the process limit on open files from /proc/self/limits', () => {
    expect(descriptorLimit()).toBeGreaterThan(0);
  });

  it('keeps target dials of an existing session working through a flood of connections that never log in', async () => {
    echo = await startEcho();
    const server = new Tunnel(
      ['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`, '--key', KEY, '--handshake-timeout', '60s'],
      {},
      { nofile: NOFILE },
    );
    const serverPort = await server.port(SERVER_PORT);
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`, '--key', KEY, '-p', '2']);
    const port = await client.port(CLIENT_PORT);
    await client.waitForCount(/carrier #\d+ to .* up/, 2);
    const before = await echoThrough(port, 64 * 1024, 1);
    expect(before.received).toEqual(before.sent);

    // Silent connections: each holds a descriptor on the server for the whole --handshake-timeout.
    let closed = 0;
    for (let i = 0; i < FLOOD; i++) {
      const socket = net.connect({ host: '127.0.0.1', port: serverPort });
      socket.on('error', () => {});
      socket.once('close', () => closed++);
      flood.push(socket);
    }
    await Promise.all(flood.flatMap((s) => (s.readyState === 'open' ? [] : [once(s, 'connect')])));
    // More than the server can hold at once: some must have been closed (refused, or dropped at EMFILE).
    await new Promise<void>((resolve) => {
      const check = (): void => (closed >= FLOOD - NOFILE ? resolve() : void setImmediate(check));
      check();
    });

    // New streams of the session already logged in still reach the target.
    for (let i = 0; i < 4; i++) {
      const { sent, received } = await echoThrough(port, 64 * 1024, 10 + i);
      expect(received).toEqual(sent);
    }
    expect(server.count(/cannot connect to target/)).toBe(0);
    // Refused with one log line, not one per connection.
    await server.waitFor(HEADROOM_LINE);
    expect(server.count(/file descriptors open/)).toBe(1);
    expect(flood.filter((s) => !s.destroyed).length).toBeGreaterThan(0); // the flood is still there
  });
});
