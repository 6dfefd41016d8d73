// The committed self-signed certificate every TLS test and the bench use
// (CN=localhost, SAN localhost/127.0.0.1/::1, valid until 2126), its key,
// and a CA that did not sign it. One copy, in this package's fixtures/.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type TlsFixture = 'localhost-cert.pem' | 'localhost-key.pem' | 'other-ca-cert.pem';

/** The file's path (for mpx-tunnel's --tls-cert, --tls-key, --tls-ca). Rationale: src/ and dist/ both sit one level below fixtures/. */
export function tlsFixturePath(name: TlsFixture): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** The file's PEM text (for tls options). */
export function tlsFixture(name: TlsFixture): string {
  return readFileSync(tlsFixturePath(name), 'utf8');
}
