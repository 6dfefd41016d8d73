// listenTcp: hands out accepted sockets, and close()/closeAll() semantics.
import { once } from 'node:events';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { dialTcp, listenTcp, type CarrierInfo, type TcpCarrierListener } from '../src/index.js';
import { CERT, KEY, rejectionOf } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Accepted {
  carrier: Duplex;
  info: CarrierInfo;
}

async function listener(host = '127.0.0.1'): Promise<{ listener: TcpCarrierListener; next: () => Promise<Accepted> }> {
  const queue: Accepted[] = [];
  const waiters: Array<(accepted: Accepted) => void> = [];
  const l = await listenTcp({ host, port: 0 }, (carrier, info) => {
    carrier.on('error', () => {});
    const waiter = waiters.shift();
    if (waiter) waiter({ carrier, info });
    else queue.push({ carrier, info });
  });
  cleanups.push(() => l.closeAll());
  const next = (): Promise<Accepted> => {
    const ready = queue.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
  };
  return { listener: l, next };
}

describe('listenTcp', () => {
  it('reports the bound address and the remote address of each carrier', async () => {
    const { listener: l, next } = await listener('::1');
    expect(l.address.host).toBe('::1');
    expect(l.address.port).toBeGreaterThan(0);
    const client = await dialTcp({ host: '::1', port: l.address.port });
    cleanups.push(() => void client.destroy());
    const { carrier, info } = await next();
    expect(info).toEqual({ remoteAddress: '::1', remotePort: client.localPort, connection: carrier });
  });

  it('close() stops accepting while carriers already handed out keep working', async () => {
    const { listener: l, next } = await listener();
    const client = await dialTcp({ host: '127.0.0.1', port: l.address.port });
    cleanups.push(() => void client.destroy());
    const { carrier } = await next();
    await l.close();

    const err = await rejectionOf(dialTcp({ host: '127.0.0.1', port: l.address.port }));
    expect(err.code).toBe('ECONNREFUSED');
    client.write('still here');
    const [data] = (await once(carrier, 'data')) as [Buffer];
    expect(data.toString()).toBe('still here');
  });

  it('closeAll() also destroys every carrier still open', async () => {
    const { listener: l, next } = await listener();
    const clients = await Promise.all([1, 2].map(() => dialTcp({ host: '127.0.0.1', port: l.address.port })));
    for (const client of clients) client.on('error', () => {});
    const carriers = [await next(), await next()].map((a) => a.carrier);
    const clientsClosed = clients.map((client) => {
      client.resume();
      client.on('end', () => client.end()); // dialled sockets are half-open capable
      return once(client, 'close');
    });
    await l.closeAll();
    expect(carriers.every((carrier) => carrier.destroyed)).toBe(true);
    await Promise.all(clientsClosed);
  });

  it('keeps carriers half-open: the accepted end still writes after the client ended', async () => {
    const { listener: l, next } = await listener();
    const client = await dialTcp({ host: '127.0.0.1', port: l.address.port });
    cleanups.push(() => void client.destroy());
    const { carrier } = await next();
    client.end();
    carrier.resume();
    await once(carrier, 'end');
    carrier.end('reply after end');
    const [data] = (await once(client, 'data')) as [Buffer];
    expect(data.toString()).toBe('reply after end');
  });

  it('destroys the socket and reports clientError when onCarrier throws', async () => {
    const bug = new Error('bug in onCarrier');
    const l = await listenTcp({ host: '127.0.0.1', port: 0 }, () => {
      throw bug;
    });
    cleanups.push(() => l.closeAll());
    const clientError = once(l, 'clientError');
    const client = await dialTcp({ host: '127.0.0.1', port: l.address.port });
    client.on('error', () => {});
    client.resume();
    client.on('end', () => client.end());
    const closed = once(client, 'close');
    const [err] = (await clientError) as [Error];
    expect(err).toBe(bug);
    await closed;
  });

  it('rejects with EADDRINUSE when the port is taken', async () => {
    const { listener: l } = await listener();
    const err = await rejectionOf(listenTcp({ host: '127.0.0.1', port: l.address.port }, () => {}));
    expect(err.code).toBe('EADDRINUSE');
  });

  it('rejects TLS options without a key with MPX_ERR_INVALID_ARGUMENT', async () => {
    const err = await rejectionOf(listenTcp({ port: 0, tls: { cert: 'x' } as never }, () => {}));
    expect(err.code).toBe('MPX_ERR_INVALID_ARGUMENT');
  });
});

describe('listenTcp onConnection (before TLS)', () => {
  it('sees each connection at TCP accept, closes the refused ones at once, and names the TCP socket under a TLS carrier', async () => {
    const seen: net.Socket[] = [];
    let admit = true;
    const accepted: Accepted[] = [];
    const l = await listenTcp(
      {
        host: '127.0.0.1',
        port: 0,
        tls: { cert: CERT, key: KEY },
        onConnection: (connection) => {
          seen.push(connection);
          return admit;
        },
      },
      (carrier, info) => accepted.push({ carrier, info }),
    );
    cleanups.push(() => l.closeAll());
    const clientErrors: unknown[] = [];
    l.on('clientError', (err: unknown) => clientErrors.push(err));
    const client = await dialTcp({ host: '127.0.0.1', port: l.address.port, tls: { ca: CERT, servername: 'localhost' } });
    cleanups.push(() => void client.destroy());
    while (accepted.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const [{ carrier, info }] = accepted as [Accepted];
    expect(seen).toHaveLength(1);
    expect(info.connection).toBe(seen[0]);
    expect(info.connection).not.toBe(carrier); // the TLS socket wraps it

    admit = false;
    const refused = net.connect({ host: '127.0.0.1', port: l.address.port });
    refused.on('error', () => {});
    cleanups.push(() => void refused.destroy());
    await once(refused, 'close');
    expect(seen).toHaveLength(2);
    expect(accepted).toHaveLength(1);
    expect(clientErrors).toEqual([]); // a refused connection never reached the TLS layer
  });
});
