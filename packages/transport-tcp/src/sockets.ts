// Socket settings and binding shared by every listener and dial over TCP
// (tcp, tls here; ws, wss in @mpx/transport-ws).
import type { EventEmitter } from 'node:events';
import type * as net from 'node:net';

/** Every carrier's TCP socket: no Nagle delay (frames are written whole), keep-alive unless 0. */
export function tuneSocket(socket: net.Socket, keepAliveMs: number): void {
  socket.setNoDelay(true);
  if (keepAliveMs > 0) socket.setKeepAlive(true, keepAliveMs);
}

/**
 * Binds `server`, then makes its listener with `make`: rejects with the bind
 * error (EADDRINUSE, ...), and forwards later errors of the listening socket
 * to the listener's 'error'.
 */
export function bindServer<L extends EventEmitter>(server: net.Server, at: net.ListenOptions, make: () => L): Promise<L> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at, () => {
      server.removeListener('error', reject);
      const listener = make();
      server.on('error', (err: Error) => listener.emit('error', err));
      resolve(listener);
    });
  });
}
