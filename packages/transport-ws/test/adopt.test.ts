// adopt(): a WebSocket listener that binds nothing takes connections another
// party accepted after reading their upgrade request (the primary of
// `mpx-tunnel server --workers` reads `?session=` from it): the upgrade
// completes from the bytes handed over.
import { once } from 'node:events';
import { startHandOffFront } from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { dialWebSocket, listenWebSocket, type WebSocketCarrierInfo, type WebSocketDuplex } from '../src/index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('WebSocketCarrierListener.adopt', () => {
  it('completes the upgrade of an adopted connection from the request bytes handed over, and carries data both ways', async () => {
    let adopted: (value: [WebSocketDuplex, WebSocketCarrierInfo]) => void = () => {};
    const accepted = new Promise<[WebSocketDuplex, WebSocketCarrierInfo]>((resolve) => (adopted = resolve));
    const listener = await listenWebSocket({ path: '/mpx', bind: false }, (carrier, info) => {
      carrier.on('error', () => {}); // the client is destroyed at cleanup: 1006 before its EOF
      carrier.pipe(carrier); // echo
      adopted([carrier, info]);
    });
    cleanups.push(() => listener.closeAll());
    const { port, close } = await startHandOffFront(
      (head) => head.includes('\r\n\r\n'),
      (socket, head) => listener.adopt(socket, head),
    );
    cleanups.push(close);
    const client = await dialWebSocket({
      url: `ws://127.0.0.1:${port}/mpx?session=00112233445566778899aabbccddeeff`,
      headers: { 'x-mpx-session': '00' },
    });
    cleanups.push(() => void client.destroy());
    const [, info] = await accepted;
    expect(info.headers['x-mpx-session']).toBe('00');
    client.write('ping');
    const [echoed] = (await once(client, 'data')) as [Buffer];
    expect(echoed.toString()).toBe('ping');
  });
});
