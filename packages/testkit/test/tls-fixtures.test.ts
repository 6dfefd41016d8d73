// The one committed test certificate: what the TLS tests and the bench rely on.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tlsFixture, tlsFixturePath } from '../src/index.js';

describe('TLS fixtures', () => {
  it('a localhost certificate for 127.0.0.1 and ::1 too, valid for a century, with its key', () => {
    const cert = new X509Certificate(tlsFixture('localhost-cert.pem'));
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(new Date(cert.validTo).getFullYear()).toBeGreaterThanOrEqual(2126);
    expect(cert.checkPrivateKey(createPrivateKey(tlsFixture('localhost-key.pem')))).toBe(true);
  });

  it('another CA, which did not sign it', () => {
    const other = new X509Certificate(tlsFixture('other-ca-cert.pem'));
    expect(new X509Certificate(tlsFixture('localhost-cert.pem')).verify(other.publicKey)).toBe(false);
  });

  it('paths of files that exist, for command lines', () => {
    for (const name of ['localhost-cert.pem', 'localhost-key.pem', 'other-ca-cert.pem'] as const) expect(existsSync(tlsFixturePath(name))).toBe(true);
  });
});
