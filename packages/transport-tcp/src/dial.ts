// Dial one TCP or TLS carrier (SPEC §1: a reliable, ordered byte stream).
// The promise settles once: connected (TLS: after `secureConnect`, so the
// certificate is verified), or rejected with an error whose `code` is stable:
//   MPX_ERR_CONNECT_TIMEOUT  connect (+ TLS handshake) took longer than connectTimeoutMs
//   ABORT_ERR                options.signal aborted (Node's code; `cause` is the abort reason)
//   MPX_ERR_INVALID_ARGUMENT bad options
//   anything else            the system/TLS error as Node raised it (ECONNREFUSED,
//                            ENOTFOUND, DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, ...)
// Sockets are half-open capable (`allowHalfOpen: true`): after the peer's
// end() this side still writes until it calls end() itself.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { MpxError } from '@mpx/core';
import { defaultServername, resolveDialOptions, type TcpDialOptions, type TlsClientOptions } from './options.js';

export function dialTcp(options: TcpDialOptions): Promise<net.Socket | tls.TLSSocket> {
  let resolved: ReturnType<typeof resolveDialOptions>;
  try {
    resolved = resolveDialOptions(options);
  } catch (err) {
    return Promise.reject(err);
  }
  const { host, port, connectTimeoutMs, keepAliveMs, localAddress, signal } = resolved;
  // The name is resolved in the local address's family, so that the two match.
  const local = localAddress === undefined ? {} : { localAddress, family: net.isIP(localAddress) };
  if (signal?.aborted === true) return Promise.reject(abortError(signal));

  return new Promise((resolve, reject) => {
    const t = resolved.tls;
    const socket = t === undefined ? net.connect({ host, port, allowHalfOpen: true, ...local }) : tls.connect({ ...tlsOptions(host, port, t), ...local });
    const readyEvent = t === undefined ? 'connect' : 'secureConnect';

    const timer = setTimeout(() => {
      fail(new MpxError('MPX_ERR_CONNECT_TIMEOUT', `connect to ${host}:${port} timed out after ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    const onAbort = (): void => fail(abortError(signal));

    function cleanup(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', fail);
      socket.removeListener(readyEvent, ready);
    }
    function fail(err: Error): void {
      cleanup();
      // Keep a listener: destroy() may still surface a late error from the handle.
      socket.on('error', () => {});
      socket.destroy();
      reject(err);
    }
    function ready(): void {
      cleanup();
      socket.setNoDelay(true);
      if (keepAliveMs > 0) socket.setKeepAlive(true, keepAliveMs);
      resolve(socket);
    }

    socket.once('error', fail);
    socket.once(readyEvent, ready);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function tlsOptions(host: string, port: number, t: TlsClientOptions): tls.ConnectionOptions {
  // tls.connect passes allowHalfOpen to the TLSSocket; @types/node does not list it.
  const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
    host,
    port,
    allowHalfOpen: true,
    rejectUnauthorized: t.insecure !== true,
  };
  if (t.ca !== undefined) options.ca = t.ca;
  if (t.cert !== undefined) options.cert = t.cert;
  if (t.key !== undefined) options.key = t.key;
  const servername = t.servername ?? defaultServername(host);
  if (servername !== undefined) options.servername = servername;
  return options;
}

function abortError(signal: AbortSignal | undefined): Error {
  const err = new Error('The dial was aborted', { cause: signal?.reason });
  err.name = 'AbortError';
  (err as Error & { code: string }).code = 'ABORT_ERR';
  return err;
}
