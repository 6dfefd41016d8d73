// --tls-cert, --tls-key and --tls-ca are checked at start by building a TLS
// context from them, as every handshake would later. Unchecked, a file that
// is not PEM failed at listen or dial with a bare OpenSSL code that named
// neither the flag nor the file (exit 1), and a --tls-ca file without a
// certificate was taken silently (OpenSSL skips what it cannot read), so that
// every handshake failed later. Each problem is a UsageError (exit 2) naming
// the flag and the file; which check failed says what is wrong, the error's
// `code` is kept for the details.
import { createRequire } from 'node:module';
import type * as crypto from 'node:crypto';
import type * as tls from 'node:tls';
import { UsageError } from './errors.js';

/** A --tls-* file: its path as given and its bytes. */
export interface TlsFile {
  path: string;
  pem: Buffer;
}

export interface TlsFiles {
  cert?: TlsFile | undefined;
  key?: TlsFile | undefined;
  ca?: TlsFile | undefined;
}

/** The PEM armour of a certificate, as OpenSSL reads it from a CA file. */
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Throws a UsageError naming the flag and the file when `files` cannot make a TLS context. */
export function checkTlsFiles(files: TlsFiles): void {
  if (files.cert === undefined && files.key === undefined && files.ca === undefined) return;
  // Loaded only when a --tls-* flag is given: a process with plain carriers does not hold node:tls.
  const require = createRequire(import.meta.url);
  const { createSecureContext } = require('node:tls') as typeof tls;
  const { X509Certificate } = require('node:crypto') as typeof crypto;
  const { cert, key, ca } = files;
  if (cert !== undefined) attempt('tls-cert', cert, 'is not a PEM certificate', () => createSecureContext({ cert: cert.pem }));
  if (key !== undefined) attempt('tls-key', key, 'is not a PEM private key', () => createSecureContext({ key: key.pem }));
  if (cert !== undefined && key !== undefined) {
    attempt('tls-key', key, `does not match --tls-cert file '${cert.path}'`, () => createSecureContext({ cert: cert.pem, key: key.pem }));
  }
  if (ca !== undefined) {
    const blocks = ca.pem.toString('latin1').match(CERTIFICATE_BLOCK) ?? [];
    if (blocks.length === 0) throw refused('tls-ca', ca, 'has no PEM certificate');
    for (const block of blocks) attempt('tls-ca', ca, 'holds a PEM certificate that does not parse', () => new X509Certificate(block));
    attempt('tls-ca', ca, 'is not a PEM CA certificate', () => createSecureContext({ ca: ca.pem }));
  }
}

function attempt(flag: string, file: TlsFile, what: string, make: () => unknown): void {
  try {
    make();
  } catch (err) {
    const code = (err as { code?: unknown } | undefined)?.code;
    throw refused(flag, file, `${what} (${typeof code === 'string' ? code : 'error'})`, err);
  }
}

function refused(flag: string, file: TlsFile, what: string, cause?: unknown): UsageError {
  return new UsageError('MPX_TUNNEL_ERR_FILE', `--${flag} file '${file.path}' ${what}`, cause === undefined ? undefined : { cause });
}
