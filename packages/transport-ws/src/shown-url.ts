// URLs as error messages show them. The query of a carrier's upgrade URL
// holds its session id (`?session=<32 hex>`, the routing key of SPEC §3.5),
// which logs must never show in full (SECURITY.md: only its first 8 hex
// digits), and a query may hold tokens in general; user information holds
// a password. So a URL in a message keeps its scheme, host, port and path,
// and says only that a query was there.

/** `ws://host:port/path?…`: the URL without user information and with its query (and fragment) elided. */
export function shownUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(an invalid URL)';
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search === '' ? '' : '?…'}`;
}

/** A request target as a message shows it: the path, the query elided (`/tunnel?…`). */
export function shownPath(target: string | undefined): string {
  const raw = target ?? '/';
  const query = raw.search(/[?#]/);
  return query === -1 ? raw : `${raw.slice(0, query)}?…`;
}
