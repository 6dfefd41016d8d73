// adopt(): a listener that binds nothing takes connections another party
// accepted (the primary of `mpx-tunnel server --workers`), with the bytes
// that party already read, in order.
import { once } from 'node:events';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { startHandOffFront } from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { listenTcp } from '../src/index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('TcpCarrierListener.adopt', () => {
  it('hands out an adopted connection whose first bytes are the head, then what follows', async () => {
    const received: Buffer[] = [];
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => (done = resolve));
    let adopted: (carrier: Duplex) => void = () => {};
    const carrier = new Promise<Duplex>((resolve) => (adopted = resolve));
    // Like a session, the carrier's owner reads from it as soon as it is handed out.
    const listener = await listenTcp({ port: 0, bind: false }, (c) => {
      c.on('data', (chunk: Buffer) => {
        received.push(chunk);
        if (Buffer.concat(received).length >= 11) done();
      });
      adopted(c);
    });
    cleanups.push(() => listener.closeAll());
    expect(listener.address).toEqual({ host: '', port: 0 });
    const { port, close } = await startHandOffFront(
      (head) => head.length >= 5,
      (socket, head) => listener.adopt(socket, head),
    );
    cleanups.push(close);
    const client = net.connect({ host: '127.0.0.1', port });
    cleanups.push(() => void client.destroy());
    client.write('hello');
    (await carrier).write('more?');
    await once(client, 'data');
    client.write(' world');
    await all;
    expect(Buffer.concat(received).toString()).toBe('hello world');
  });

  it('destroys a connection adopted after close()', async () => {
    const listener = await listenTcp({ port: 0, bind: false }, () => {
      throw new Error('no carrier expected');
    });
    await listener.close();
    const { port, close } = await startHandOffFront(
      (head) => head.length >= 1,
      (socket, head) => listener.adopt(socket, head),
    );
    cleanups.push(close);
    const client = net.connect({ host: '127.0.0.1', port });
    client.on('error', () => {});
    client.write('x');
    await once(client, 'close');
  });
});
