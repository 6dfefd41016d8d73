// What a failed dial's warning adds when the scheme and the port disagree: a
// wss:// or tls:// dial to a port that speaks plain HTTP or TCP, or a ws://
// dial to a TLS port. Decided from error codes and, for an HTTP answer, from
// its status and body: a proxy's answer to plain HTTP on its TLS port
// (nginx: 400 "The plain HTTP request was sent to HTTPS port") has no code.
import { MpxError } from '@mpx/core';
import type { Address } from './address.js';

/** TLS errors of a peer that answered something other than TLS (OpenSSL's record layer; EPROTO from older builds). */
const NOT_TLS_CODES: ReadonlySet<string> = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
  'EPROTO',
]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The connection closed before any answer, not by a system call's error:
 * Node's "socket hang up" (ws://) and "Client network socket disconnected
 * before secure TLS connection was established" (wss://, tls://) carry
 * ECONNRESET without a syscall. What a server of the other scheme does.
 */
function closedBeforeAnswer(err: unknown): boolean {
  return codeOf(err) === 'ECONNRESET' && (err as NodeJS.ErrnoException).syscall === undefined;
}

/** An HTTP 400 whose body says the port wanted TLS. */
function plainHttpToTlsPort(err: unknown): boolean {
  if (!MpxError.isMpxError(err) || err.code !== 'MPX_ERR_UPGRADE_REFUSED') return false;
  const { statusCode, body } = err as MpxError & { statusCode?: unknown; body?: unknown };
  return statusCode === 400 && typeof body === 'string' && /\b(https|ssl|tls)\b/i.test(body);
}

/** `; is the port TLS? …` for a dial error that suggests the other scheme, else ''. */
export function schemeHint(err: unknown, scheme: Address['scheme']): string {
  switch (scheme) {
    case 'wss':
    case 'tls': {
      const plain = scheme === 'wss' ? 'ws://' : 'tcp://';
      if (NOT_TLS_CODES.has(codeOf(err) ?? '')) return `; is the port TLS? It answered without TLS: use ${plain}`;
      if (closedBeforeAnswer(err)) return `; is the port TLS? It closed during the TLS handshake: if it is not, use ${plain}`;
      return '';
    }
    case 'ws':
      if (plainHttpToTlsPort(err) || codeOf(err)?.startsWith('HPE_') === true) return '; is the port TLS? It did not answer plain HTTP: use wss://';
      if (closedBeforeAnswer(err)) return '; is the port TLS? It closed without answering the upgrade: if it is, use wss://';
      return '';
    case 'tcp':
      return '';
    default: {
      const never: never = scheme;
      throw new Error(`unknown scheme ${String(never)}`);
    }
  }
}
