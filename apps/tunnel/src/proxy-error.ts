// What the client's proxy listeners (socks5.ts, http-connect.ts) share.

/** Where an application asked to connect through the tunnel. */
export interface ParsedTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * A proxy request that cannot be served; `reply` is the SOCKS5 reply code or
 * HTTP status to answer with (undefined: close without a reply, e.g. the
 * bytes were not SOCKS5 at all).
 */
export class ProxyError extends Error {
  readonly reply: number | undefined;

  constructor(message: string, reply: number | undefined) {
    super(message);
    this.name = 'ProxyError';
    this.reply = reply;
  }
}
