// Connections before login against a real `mpx-tunnel server` (issue 11,
// points 4 and 7): WebSocket carriers that send a text message are closed at
// once even when the peer never answers the close, and the refusal log lines
// name the setting that was hit, and only that one.
import { once } from 'node:events';
import * as net from 'node:net';
import { FrameType } from '@mpx/core';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, Tunnel } from './helpers.js';

const KEY = 'prelogin-test-key';
const WS_PORT = /listening on ws:\/\/127\.0\.0\.1:(\d+)\/mpx/;
const TCP_PORT = /listening on tcp:\/\/127\.0\.0\.1:(\d+)/;

const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await killAll();
});

function rawSocket(port: number): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  socket.resume(); // reads (and drops) what comes, so the server's FIN is seen
  sockets.push(socket);
  return socket;
}

/** A masked client text frame (RFC 6455 §5.2), payload under 126 bytes. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = payload.map((b, i) => b ^ (mask[i % 4] as number));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** Upgrades by hand, sends a text message, and never answers anything: resolves when the server has closed the connection. */
async function textThenDeaf(port: number): Promise<void> {
  const socket = rawSocket(port);
  await once(socket, 'connect');
  socket.write(
    'GET /mpx HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  let head = '';
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  expect(head).toMatch(/^HTTP\/1\.1 101 /);
  // From here on it reads whatever comes (CHALLENGE, the close frame) and answers none of it.
  socket.write(textFrame('hello'));
  if (!socket.destroyed) await once(socket, 'close');
}

describe('connections before login, end to end', () => {
  // 20 s: below ws's 30 s close timeout, which is what held these connections before the fix.
  it('closes WebSocket carriers that send a text message at once, though the peer never answers the close frame', { timeout: 20_000 }, async () => {
    const server = new Tunnel(['server', '--listen', 'ws://127.0.0.1:0/mpx', '--target', '127.0.0.1:1', '--key', KEY, '--handshake-timeout', '60s']);
    const port = await server.port(WS_PORT);
    await Promise.all(Array.from({ length: 20 }, () => textThenDeaf(port)));
    await server.waitFor(/carrier from 127\.0\.0\.1:\d+ refused: .*text message/);
  });

  it('names --max-pending-handshakes alone when refusing a connection beyond it, and the fixed handshake frame limit, not --max-frame', async () => {
    const server = new Tunnel([
      'server',
      '--listen',
      '127.0.0.1:0',
      '--target',
      '127.0.0.1:1',
      '--key',
      KEY,
      '--handshake-timeout',
      '60s',
      '--max-pending-handshakes',
      '3',
    ]);
    const port = await server.port(TCP_PORT);
    const silent = [rawSocket(port), rawSocket(port), rawSocket(port)];
    // Each has had its CHALLENGE, so it is counted before the next one connects.
    await Promise.all(silent.map((s) => once(s, 'data')));
    const refused = rawSocket(port);
    await once(refused, 'close');
    const line = await server.waitFor(/carrier from 127\.0\.0\.1:\d+ refused: .*/);
    expect(line[0]).toMatch(/3 handshakes already in progress \(--max-pending-handshakes\)$/);

    // On one of them, a DATA header announcing 2,000 bytes before the handshake is done.
    const header = Buffer.alloc(12);
    header.writeUInt8(FrameType.DATA, 0);
    header.writeUInt8(0x01, 1);
    header.writeUInt32BE(2000, 4);
    header.writeUInt32BE(1, 8);
    silent[0]?.write(header);
    const tooBig = await server.waitFor(/carrier from 127\.0\.0\.1:\d+ refused: .*above max frame.*/);
    expect(tooBig[0]).toMatch(/\(handshake frames are limited to 1KiB, whatever --max-frame says\)$/);
    expect(server.count(/--max-sessions|--max-carriers-per-session|\(--max-frame\)/)).toBe(0);
  });
});
