// A TCP forwarder in front of a WebSocket server that acts like a gateway or
// WAF with a message size limit: it passes the upgrade and every frame
// through, and when a data frame's payload exceeds `limit`, sends the sender
// a close frame 1009 (message too big) and cuts both connections, the
// server's without a close frame.
import * as net from 'node:net';

export interface MessageLimitProxy {
  readonly port: number;
  /** The largest frame payload seen in each direction. */
  readonly largest: { up: number; down: number };
  /** How many connections it cut for a frame over the limit. */
  cut: number;
  close(): Promise<void>;
}

/** Frame-header parser state of one direction, fed with what it forwards. */
class FrameWatch {
  #headerDone = false;
  #pending = Buffer.alloc(0);
  #skip = 0;

  /** The payload lengths of the frames that begin in `chunk`. */
  feed(chunk: Buffer): number[] {
    let data = Buffer.concat([this.#pending, chunk]);
    if (!this.#headerDone) {
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) {
        this.#pending = data;
        return [];
      }
      this.#headerDone = true;
      data = data.subarray(end + 4);
    }
    const lengths: number[] = [];
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, data.length);
        this.#skip -= n;
        data = data.subarray(n);
        if (this.#skip > 0) break;
      }
      if (data.length < 2) break;
      const second = data[1] as number;
      let length = second & 0x7f;
      let header = 2;
      if (length === 126) {
        if (data.length < 4) break;
        length = data.readUInt16BE(2);
        header = 4;
      } else if (length === 127) {
        if (data.length < 10) break;
        length = Number(data.readBigUInt64BE(2));
        header = 10;
      }
      if (second & 0x80) header += 4;
      if (data.length < header) break;
      lengths.push(length);
      data = data.subarray(header);
      this.#skip = length;
    }
    this.#pending = Buffer.from(data);
    return lengths;
  }
}

/** How long a cut connection is kept reading (and dropping) so that its sender reads the close frame before it closes. */
const CUT_LINGER_MS = 2_000;

/** A close frame 1009 as a server sends it (unmasked) and as a client must (masked, here with a zero key). */
const CLOSE_1009 = { toClient: Buffer.from([0x88, 0x02, 0x03, 0xf1]), toServer: Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xf1]) };

export async function startMessageLimitProxy(targetPort: number, limit: number): Promise<MessageLimitProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: { largest: { up: number; down: number }; cut: number } = { largest: { up: 0, down: 0 }, cut: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    const pipe = (from: net.Socket, to: net.Socket, direction: 'up' | 'down'): void => {
      const watch = new FrameWatch();
      let cut = false;
      from.on('data', (chunk: Buffer) => {
        if (cut) return; // what the sender still had in flight: read and dropped
        const lengths = watch.feed(chunk);
        proxy.largest[direction] = Math.max(proxy.largest[direction], ...lengths);
        if (lengths.some((n) => n > limit)) {
          proxy.cut++;
          cut = true;
          // The close frame and a FIN, and the sender's own close awaited: a
          // destroy with its data unread would send a RST, which may reach
          // the sender before it has read the close frame (a 1006, not 1009).
          from.end(direction === 'up' ? CLOSE_1009.toClient : CLOSE_1009.toServer);
          setTimeout(() => from.destroy(), CUT_LINGER_MS).unref();
          to.destroy();
          return;
        }
        to.write(chunk);
      });
      from.on('end', () => to.end());
    };
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(proxy, {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
