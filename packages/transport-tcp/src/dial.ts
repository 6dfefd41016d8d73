// Dial one TCP or TLS carrier (SPEC §1: a reliable, ordered byte stream): the
// dial of the transport contract (@mpx/core transport.ts). The promise settles
// once: connected (TLS: after `secureConnect`, so the certificate is verified), or rejected with an error whose `code` is stable:
//   MPX_ERR_CONNECT_TIMEOUT  connect (+ TLS handshake) took longer than connectTimeoutMs
//   ABORT_ERR                options.signal aborted (Node's code; `cause` is the abort reason)
//   MPX_ERR_INVALID_ARGUMENT bad options
//   anything else            the system/TLS error as Node raised it (ECONNREFUSED,
//                            ENOTFOUND, DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, ...)
// Sockets are half-open capable (`allowHalfOpen: true`): after the peer's
// end() this side still writes until it calls end() itself.
// Unless the caller reads with its own `onread`, a dialled socket lends its
// reads (lent-reads.ts): read into one reused buffer, handed to mpx without a
// copy, and to the readable side as a copy for anyone else.
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { abortError, guardDial } from './dial-guard.js';
import { gatheredLentReads } from './gathered-reads.js';
import { lentReads } from './lent-reads.js';
import { defaultServername, localBinding, resolveDialOptions, tlsConnectSettings, type TcpDialOptions, type TlsClientOptions } from './options.js';
import { tuneSocket } from './sockets.js';

export function dialTcp(options: TcpDialOptions): Promise<net.Socket | tls.TLSSocket> {
  let resolved: ReturnType<typeof resolveDialOptions>;
  try {
    resolved = resolveDialOptions(options);
  } catch (err) {
    return Promise.reject(err);
  }
  if (resolved.tls === undefined) return connect(resolved, undefined);
  // node:tls is loaded by the first TLS dial: a process with plain carriers only does not hold it.
  return import('node:tls').then((tlsModule) => connect(resolved, tlsModule));
}

function connect(resolved: ReturnType<typeof resolveDialOptions>, tlsModule: typeof tls | undefined): Promise<net.Socket | tls.TLSSocket> {
  const { host, port, connectTimeoutMs, keepAliveMs, localAddress, signal, writableHighWaterMark, onread } = resolved;
  if (signal?.aborted === true) return Promise.reject(abortError(signal));

  return new Promise((resolve, reject) => {
    const t = resolved.tls;
    // writableHighWaterMark reaches the Duplex at run time; @types/node's NetConnectOpts omits it.
    const local = localBinding(localAddress);
    // TLS carriers gather the records of a bulk turn into one read (gathered-reads.ts).
    const lent = onread !== undefined ? undefined : t === undefined ? lentReads() : gatheredLentReads();
    const reads = { onread: onread ?? lent?.onread };
    const plain = {
      host,
      port,
      allowHalfOpen: true,
      ...local,
      ...(writableHighWaterMark === undefined ? {} : { writableHighWaterMark }),
      ...reads,
    };
    const socket =
      t === undefined || tlsModule === undefined
        ? net.connect(plain as net.NetConnectOpts)
        : tlsModule.connect({ ...tlsOptions(host, port, t), ...local, ...reads });
    lent?.install(socket);
    const readyEvent = t === undefined ? 'connect' : 'secureConnect';
    const settle = guardDial(`connect to ${host}:${port}`, connectTimeoutMs, signal, fail);

    function fail(err: Error): void {
      if (!settle()) return;
      socket.removeListener(readyEvent, ready);
      // Keep a listener: destroy() may still surface a late error from the handle.
      socket.on('error', () => {});
      socket.destroy();
      reject(err);
    }
    function ready(): void {
      if (!settle()) return;
      socket.removeListener('error', fail);
      tuneSocket(socket, keepAliveMs);
      resolve(socket);
    }

    socket.once('error', fail);
    socket.once(readyEvent, ready);
  });
}

function tlsOptions(host: string, port: number, t: TlsClientOptions): tls.ConnectionOptions {
  // tls.connect passes allowHalfOpen to the TLSSocket; @types/node does not list it.
  const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
    host,
    port,
    allowHalfOpen: true,
    ...tlsConnectSettings(t, t.servername ?? defaultServername(host)),
  };
  return options;
}
