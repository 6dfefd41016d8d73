// The peer of a connection that failed before it became a carrier, for the
// listener's 'clientError'. A socket that was destroyed no longer knows its
// remote address (Node asks the handle, which is gone), and tls.Server reports
// a failed handshake ('tlsClientError') once the TLS socket has closed: its
// remoteAddress is then undefined, and the logs said `*:0`. So the address is
// read at accept, from the TCP connection, and found again from the TLS
// socket through `_parent`, the connection under it: Node's tls.Server offers
// no public link from the one to the other.
import type * as net from 'node:net';

export interface Peer {
  remoteAddress: string;
  remotePort: number;
}

const peers = new WeakMap<object, Peer>();

/** Remembers the peer of every connection `server` accepts (a 'connection' listener ahead of the others). */
export function rememberPeers(server: net.Server): void {
  server.prependListener('connection', (connection: net.Socket) => {
    peers.set(connection, { remoteAddress: connection.remoteAddress ?? '', remotePort: connection.remotePort ?? 0 });
  });
}

/** The peer of `socket` (an accepted connection, or a TLS socket over one), even once it was destroyed. */
export function peerOf(socket: object): Peer {
  const parent = (socket as { _parent?: unknown })._parent;
  const remembered = peers.get(socket) ?? (typeof parent === 'object' && parent !== null ? peers.get(parent) : undefined);
  if (remembered !== undefined) return remembered;
  const s = socket as Partial<net.Socket>;
  return { remoteAddress: s.remoteAddress ?? '', remotePort: s.remotePort ?? 0 };
}
