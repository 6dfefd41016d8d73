// Test-only helpers: the committed self-signed certificate (@mpx/testkit's
// tls-fixtures.ts) and carrier pairs over loopback.
import { acceptQueue, tlsFixture, type CarrierPair } from '@mpx/testkit';
import {
  dialWebSocket,
  listenWebSocket,
  type WebSocketCarrierInfo,
  type WebSocketCarrierListener,
  type WebSocketDialOptions,
  type WebSocketDuplex,
  type WebSocketListenOptions,
} from '../src/index.js';

export const CERT = tlsFixture('localhost-cert.pem');
export const KEY = tlsFixture('localhost-key.pem');
/** A CA that did not sign CERT. */
export const OTHER_CA = tlsFixture('other-ca-cert.pem');

export interface Accepted {
  carrier: WebSocketDuplex;
  info: WebSocketCarrierInfo;
}

/** A listener whose accepted carriers are taken in order with next(). */
export async function acceptingListener(
  options: WebSocketListenOptions,
): Promise<{ listener: WebSocketCarrierListener; next: () => Promise<Accepted> }> {
  const { onCarrier, next } = acceptQueue<WebSocketDuplex, WebSocketCarrierInfo>();
  // A client destroyed at cleanup fails its accepted carrier (1006 before its EOF): tests that look for errors listen themselves.
  const accept = (carrier: WebSocketDuplex, info: WebSocketCarrierInfo): void => {
    carrier.on('error', () => {});
    onCarrier(carrier, info);
  };
  return { listener: await listenWebSocket(options, accept), next };
}

/** `ws://host:port/path` for a listener (IPv6 literals in brackets). */
export function urlOf(listener: WebSocketCarrierListener, path = '/', scheme = 'ws'): string {
  const { host, port } = listener.address;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
}

/** Listen, dial, and pair the dialled carrier with the accepted one. */
export async function wsPair(
  listen: WebSocketListenOptions,
  dial: Omit<WebSocketDialOptions, 'url'> & { scheme?: string },
  cleanupExtra?: () => Promise<void> | void,
): Promise<CarrierPair> {
  const { listener, next } = await acceptingListener(listen);
  const { scheme, ...dialOptions } = dial;
  const client = await dialWebSocket({ ...dialOptions, url: urlOf(listener, listen.path ?? '/', scheme) });
  const { carrier: server } = await next();
  return {
    client,
    server,
    cleanup: async () => {
      await listener.closeAll();
      await cleanupExtra?.();
    },
  };
}

export { rejectionOf } from '@mpx/testkit';
