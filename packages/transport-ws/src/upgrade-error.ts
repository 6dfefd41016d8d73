// A WebSocket upgrade answered with a plain HTTP response (MPX_ERR_UPGRADE_REFUSED),
// on either side: the dialler's error says who answered and what; the
// listener's (its 'clientError') says why it refused and what to check.
//
// Who answered matters behind a proxy: a 502 from nginx is the proxy failing
// to reach the mpx server, a 404 from the mpx server a wrong path. The
// status, its reason phrase, the `Server` header and a short text/plain body
// (mpx-tunnel's listener says there why it refused) all go into the message.
// They are the peer's text: only printable ASCII of them is shown, cut short.
import { MpxError } from '@mpx/core';

/** What a refused upgrade's response said. */
export interface UpgradeAnswer {
  /** The reason phrase (`Bad Gateway`). */
  readonly statusMessage?: string | undefined;
  /** The `Server` response header (`nginx/1.22.1`). */
  readonly server?: string | undefined;
  /** The start of the response body, printable ASCII only (see printable()). */
  readonly body?: string | undefined;
  /** Whether the body is text/plain, and so shown in the message. */
  readonly bodyIsText?: boolean | undefined;
}

/** `text` as a message may show it: printable ASCII (and `…`, which shown-url.ts writes), runs of anything else (white space too) as one space, at most `max` characters. */
export function printable(text: string, max: number): string {
  // HTML tags go too: an error page (nginx's) says what it says in its text.
  const clean = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/[^\x21-\x7e…]+/g, ' ')
    .trim();
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}

/** Rationale: the statuses a proxy answers with when it cannot reach or hear from its upstream (RFC 9110 §15.6). */
const UPSTREAM_FAILED: ReadonlySet<number> = new Set([502, 503, 504]);

export class WebSocketUpgradeError extends MpxError {
  readonly statusCode: number;
  readonly statusMessage: string;
  /** The `Server` header of the answer, printable ASCII only; '' without one. */
  readonly server: string;
  /** The start of the answer's body, printable ASCII only; '' when not read. */
  readonly body: string;

  /**
   * `answer`: what the dialler heard; `message`: a listener's own message
   * (why it refused), instead of the dialler's.
   */
  constructor(statusCode: number, answer: UpgradeAnswer = {}, message?: string) {
    const statusMessage = printable(answer.statusMessage ?? '', 60);
    const server = printable(answer.server ?? '', 60);
    const body = printable(answer.body ?? '', 200);
    super('MPX_ERR_UPGRADE_REFUSED', message ?? refusedMessage(statusCode, statusMessage, server, answer.bodyIsText === true ? body : ''));
    this.name = 'WebSocketUpgradeError';
    this.statusCode = statusCode;
    this.statusMessage = statusMessage;
    this.server = server;
    this.body = body;
  }
}

function refusedMessage(status: number, statusMessage: string, server: string, text: string): string {
  const who = server === '' ? '' : ` from ${server}`;
  const why = UPSTREAM_FAILED.has(status) ? ': the proxy could not reach the mpx server' : text === '' ? '' : `: ${text}`;
  return `the server refused the WebSocket upgrade with HTTP ${status}${statusMessage === '' ? '' : ` ${statusMessage}`}${who}${why}`;
}
