// The client's proxy listeners: `--listen socks5://[user:pass@]host:port` and
// `--listen http://[user:pass@]host:port`. Each connection first speaks the
// proxy handshake (socks5.ts, http-connect.ts) to learn its target, which
// then travels in a target stream (SPEC §6.6); the reply to the application
// waits for the server's answer, so that a refusal becomes a SOCKS5 error
// reply or an HTTP error status instead of a connection that just closes.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import type { MpxErrorCode } from '@mpx/core';
import { httpReply, parseConnectHead } from './http-connect.js';
import { ProxyError, type ParsedTarget } from './proxy-error.js';
import { chooseMethod, parseGreeting, parseRequest, parseUserPass, SocksMethod, SocksReply, socksReply, SOCKS_VERSION } from './socks5.js';

export type ProxyKind = 'socks5' | 'http';

export interface ProxyCredentials {
  readonly user: string;
  readonly pass: string;
}

export interface ProxyRequest {
  readonly target: ParsedTarget;
  /** Tells the application the target is connected; the socket then carries its bytes. */
  succeed(): void;
  /** Answers with the error reply for `code` (the stream's error code) and closes the connection. */
  fail(code: MpxErrorCode | undefined, why: string): void;
}

/** SPEC §11 codes a target stream is refused with → SOCKS5 reply and HTTP status. */
export function proxyReplyFor(code: MpxErrorCode | undefined): { socks: number; http: number } {
  switch (code) {
    case 'MPX_ERR_NOT_ALLOWED':
      return { socks: SocksReply.NOT_ALLOWED, http: 403 };
    case 'MPX_ERR_TARGET_UNREACHABLE':
      return { socks: SocksReply.HOST_UNREACHABLE, http: 502 };
    case 'MPX_ERR_STREAM_REFUSED':
      return { socks: SocksReply.CONNECTION_REFUSED, http: 502 };
    default:
      return { socks: SocksReply.GENERAL_FAILURE, http: 502 };
  }
}

/**
 * Runs the proxy handshake on `socket` until the target is known; rejects
 * with ProxyError (after answering it) when the request cannot be served.
 */
export async function acceptProxy(socket: Socket, kind: ProxyKind, credentials: ProxyCredentials | undefined): Promise<ProxyRequest> {
  const reader = new HandshakeReader(socket);
  try {
    if (kind === 'http') {
      const head = await reader.take(parseConnectHead);
      if (credentials !== undefined && (head.auth === undefined || !sameCredentials(head.auth, credentials))) {
        throw new ProxyError('proxy credentials missing or wrong', 407);
      }
      reader.done();
      return {
        target: head.target,
        succeed: () => socket.write(httpReply(200)),
        fail: (code, why) => socket.end(httpReply(proxyReplyFor(code).http, why)),
      };
    }
    const offered = await reader.take(parseGreeting);
    const method = chooseMethod(offered, credentials !== undefined);
    socket.write(Buffer.of(SOCKS_VERSION, method));
    if (method === SocksMethod.NO_ACCEPTABLE) {
      throw new ProxyError(credentials === undefined ? 'the client offers only authentication methods this listener does not use' : 'the client does not offer username/password', undefined);
    }
    if (method === SocksMethod.USER_PASS) {
      const given = await reader.take(parseUserPass);
      const ok = sameCredentials(given, credentials as ProxyCredentials);
      socket.write(Buffer.of(0x01, ok ? 0x00 : 0x01));
      if (!ok) throw new ProxyError('wrong username or password', undefined);
    }
    const target = await reader.take(parseRequest);
    reader.done();
    return {
      target,
      succeed: () => socket.write(socksReply(SocksReply.SUCCEEDED)),
      fail: (code) => socket.end(socksReply(proxyReplyFor(code).socks)),
    };
  } catch (err) {
    reader.done();
    if (err instanceof ProxyError && err.reply !== undefined) {
      socket.end(kind === 'http' ? httpReply(err.reply, err.message) : socksReply(err.reply));
    } else {
      socket.destroy();
    }
    throw err;
  }
}

function sameCredentials(a: ProxyCredentials, b: ProxyCredentials): boolean {
  const digest = (c: ProxyCredentials): Buffer => createHash('sha256').update(`${c.user}\0${c.pass}`).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Collects a socket's bytes for the parsers; done() hands what is left back to the socket, paused. */
class HandshakeReader {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #ended: Error | undefined;
  readonly #onData = (chunk: Buffer): void => {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    this.#wake?.();
  };
  readonly #onEnd = (): void => {
    this.#ended = new ProxyError('the application closed the connection during the proxy handshake', undefined);
    this.#wake?.();
  };

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.once('end', this.#onEnd);
    socket.once('close', this.#onEnd);
  }

  async take<T>(parse: (buf: Buffer) => { value: T; used: number } | undefined): Promise<T> {
    for (;;) {
      const parsed = parse(this.#buffer);
      if (parsed !== undefined) {
        this.#buffer = this.#buffer.subarray(parsed.used);
        return parsed.value;
      }
      if (this.#ended !== undefined) throw this.#ended;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  done(): void {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    this.#socket.pause();
    if (this.#buffer.length > 0) this.#socket.unshift(this.#buffer);
    this.#buffer = Buffer.alloc(0);
  }
}
