// TCP_NODELAY for the in-process link emulator. @mpx/netem creates its
// sockets with Node's default (Nagle on), so a proxied connection that
// carries small frames (mpx DATA, ACK, PING) holds a small segment until the
// previous one is acknowledged, and with delayed ACKs a new stream's
// request/response through a warm carrier took ~40 ms more than the emulated
// round trip. A real path adds no such delay, so, until netem sets noDelay on
// its own sockets, this makes `net.createServer` and `net.connect` default to
// noDelay: true in the bench process (explicit options still win).

import * as net from 'node:net';
import { createRequire, syncBuiltinESMExports } from 'node:module';

let installed = false;

export function installNoDelayDefault(): void {
  if (installed) return;
  installed = true;
  const mutable = createRequire(import.meta.url)('node:net') as typeof net;
  const createServer = mutable.createServer;
  const connect = mutable.connect;
  mutable.createServer = ((options?: unknown, listener?: unknown) => {
    if (typeof options === 'function' || options === undefined) return createServer({ noDelay: true }, options as never);
    return createServer({ noDelay: true, ...(options as net.ServerOpts) }, listener as never);
  }) as typeof net.createServer;
  const patchedConnect = ((...args: unknown[]) => {
    if (typeof args[0] === 'object' && args[0] !== null) args[0] = { noDelay: true, ...(args[0] as net.NetConnectOpts) };
    return (connect as (...a: unknown[]) => net.Socket)(...args);
  }) as typeof net.connect;
  mutable.connect = patchedConnect;
  mutable.createConnection = patchedConnect;
  syncBuiltinESMExports();
}
