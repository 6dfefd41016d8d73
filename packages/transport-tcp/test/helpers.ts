// Test-only helpers: the committed self-signed certificate (@mpx/testkit's
// tls-fixtures.ts) and carrier pairs over loopback.
import type { Duplex } from 'node:stream';
import { tlsFixture, type CarrierPair } from '@mpx/testkit';
import { dialTcp, listenTcp, type TcpDialOptions, type TcpListenOptions } from '../src/index.js';

export const CERT = tlsFixture('localhost-cert.pem');
export const KEY = tlsFixture('localhost-key.pem');
/** A CA that did not sign CERT. */
export const OTHER_CA = tlsFixture('other-ca-cert.pem');

/** Listen on `listen`, dial it with `dial`, and pair the dialled socket with the accepted one. */
export async function tcpPair(listen: Omit<TcpListenOptions, 'port'>, dial: Omit<TcpDialOptions, 'port'>): Promise<CarrierPair> {
  let accept: (carrier: Duplex) => void = () => {};
  const accepted = new Promise<Duplex>((resolve) => (accept = resolve));
  const listener = await listenTcp({ ...listen, port: 0 }, (carrier) => accept(carrier));
  const client = await dialTcp({ ...dial, port: listener.address.port });
  const server = await accepted;
  return { client, server, cleanup: () => listener.closeAll() };
}

/** Runs `use` on the pair `made` resolves with, then destroys both ends and cleans up, whatever `use` did. */
export async function withPair(made: Promise<CarrierPair>, use: (pair: CarrierPair) => Promise<void>): Promise<void> {
  const pair = await made;
  try {
    await use(pair);
  } finally {
    pair.client.destroy();
    pair.server.destroy();
    await pair.cleanup?.();
  }
}

/** A TLS pair: listening with the test certificate, dialling with it as the CA. */
export const tlsPair = (): Promise<CarrierPair> =>
  tcpPair({ host: '127.0.0.1', tls: { cert: CERT, key: KEY } }, { host: '127.0.0.1', tls: { ca: CERT, servername: 'localhost' } });

export { rejectionOf } from '@mpx/testkit';
