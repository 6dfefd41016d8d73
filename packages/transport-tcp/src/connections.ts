// The accepted TCP connection under each carrier, from the moment of accept:
// before a TLS handshake or an HTTP upgrade has even started. A server that
// bounds what is "before login" (MpxServer.admitConnection) must see a
// connection here, not only once it has become a carrier, or a flood of
// connections that never finish their TLS handshake or upgrade goes uncounted.
import type * as net from 'node:net';
import type { OnConnection } from '@mpx/core';

export type { OnConnection } from '@mpx/core';

/** Finds the accepted TCP connection under a carrier's socket (the socket itself, or the one under its TLS). */
export type ConnectionOf = (socket: net.Socket) => net.Socket;

/**
 * Runs `onConnection` on every connection `server` accepts, ahead of the
 * server's own handling: the 'connection' listeners it has so far (the TLS
 * or HTTP layer of a tls, http or https Server, added by its constructor)
 * only see the connections let in, so a refused one never starts a TLS
 * handshake or an HTTP parser (nor reports their errors). Call it right
 * after creating the server. A TLS socket is matched to the TCP connection
 * under it by its remote address and port, which stay unique while that
 * connection is open.
 */
export function trackConnections(server: net.Server, onConnection: OnConnection | undefined): ConnectionOf {
  if (onConnection === undefined) return (socket) => socket;
  const byRemote = new Map<string, net.Socket>();
  const layers = server.listeners('connection') as Array<(connection: net.Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (connection: net.Socket) => {
    if (!onConnection(connection)) {
      connection.destroy();
      return;
    }
    const key = remoteKey(connection);
    byRemote.set(key, connection);
    connection.once('close', () => {
      if (byRemote.get(key) === connection) byRemote.delete(key);
    });
    for (const layer of layers) layer.call(server, connection);
  });
  return (socket) => byRemote.get(remoteKey(socket)) ?? socket;
}

function remoteKey(socket: net.Socket): string {
  return `${socket.remoteAddress ?? ''} ${socket.remotePort ?? 0}`;
}
