// mpx-tunnel's version, from its package.json: `--version`, and the
// User-Agent of WebSocket upgrade requests. `../package.json` resolves from
// src/ (tests), build/ and the bundle in dist/ alike.
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The package's version, or `unknown` when its package.json cannot be read. */
export function version(): string {
  if (cached !== undefined) return cached;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    cached = pkg.version ?? 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}

/** The User-Agent of WebSocket upgrade requests, unless --header sets one: `mpx-tunnel/0.1.0`. */
export function userAgent(): string {
  return `mpx-tunnel/${version()}`;
}
