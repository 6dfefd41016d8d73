// --tls-cert, --tls-key and --tls-ca checked at start: each bad file is a
// UsageError naming the flag and the file.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tlsFixturePath, type TlsFixture } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { commonConfig } from '../src/config.js';
import { checkTlsFiles, type TlsFile } from '../src/tls-files.js';
import { usageErrorOf } from './usage-error.js';

const fixture = (name: TlsFixture): TlsFile => ({ path: name, pem: readFileSync(tlsFixturePath(name)) });
const CERT = fixture('localhost-cert.pem');
const KEY = fixture('localhost-key.pem');
const OTHER_CA = fixture('other-ca-cert.pem');
const file = (path: string, text: string): TlsFile => ({ path, pem: Buffer.from(text) });
const NOT_PEM = file('notpem.txt', 'not a PEM file\n');
const OTHER_KEY = file(
  'other-key.pem',
  generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey,
);

describe('checkTlsFiles', () => {
  it('takes a certificate with its key, a CA, and no files at all', () => {
    expect(() => checkTlsFiles({ cert: CERT, key: KEY, ca: OTHER_CA })).not.toThrow();
    expect(() => checkTlsFiles({ ca: CERT })).not.toThrow();
    expect(() => checkTlsFiles({})).not.toThrow();
  });

  it('refuses a --tls-cert file that is not a PEM certificate', () => {
    expect(usageErrorOf(() => checkTlsFiles({ cert: NOT_PEM, key: KEY }), 'MPX_TUNNEL_ERR_FILE').message).toBe(
      "--tls-cert file 'notpem.txt' is not a PEM certificate (ERR_OSSL_PEM_NO_START_LINE)",
    );
    expect(usageErrorOf(() => checkTlsFiles({ cert: KEY, key: KEY })).message).toMatch(
      /^--tls-cert file 'localhost-key.pem' is not a PEM certificate \(/,
    );
  });

  it('refuses a --tls-key file that is not a PEM private key', () => {
    expect(usageErrorOf(() => checkTlsFiles({ cert: CERT, key: NOT_PEM }), 'MPX_TUNNEL_ERR_FILE').message).toBe(
      "--tls-key file 'notpem.txt' is not a PEM private key (ERR_OSSL_UNSUPPORTED)",
    );
    expect(usageErrorOf(() => checkTlsFiles({ cert: CERT, key: CERT })).message).toMatch(
      /^--tls-key file 'localhost-cert.pem' is not a PEM private key \(/,
    );
  });

  it('refuses a --tls-key that does not match the certificate', () => {
    expect(usageErrorOf(() => checkTlsFiles({ cert: CERT, key: OTHER_KEY }), 'MPX_TUNNEL_ERR_FILE').message).toMatch(
      /^--tls-key file 'other-key.pem' does not match --tls-cert file 'localhost-cert.pem' \(ERR_OSSL_\w+\)$/,
    );
  });

  it('refuses a --tls-ca file with no PEM certificate in it, or one that does not parse', () => {
    expect(usageErrorOf(() => checkTlsFiles({ ca: NOT_PEM }), 'MPX_TUNNEL_ERR_FILE').message).toBe(
      "--tls-ca file 'notpem.txt' has no PEM certificate",
    );
    expect(usageErrorOf(() => checkTlsFiles({ ca: KEY })).message).toBe("--tls-ca file 'localhost-key.pem' has no PEM certificate");
    const broken = file('broken.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(usageErrorOf(() => checkTlsFiles({ ca: broken })).message).toMatch(
      /^--tls-ca file 'broken.pem' holds a PEM certificate that does not parse \(\w+\)$/,
    );
  });
});

describe('commonConfig checks the --tls-* files', () => {
  it('names the flag and the path as given', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mpx-tls-')), 'key1');
    writeFileSync(path, 'not a key');
    const args = { tlsCert: tlsFixturePath('localhost-cert.pem'), tlsKey: path };
    expect(usageErrorOf(() => commonConfig(args, {}, () => {}), 'MPX_TUNNEL_ERR_FILE').message).toBe(
      `--tls-key file '${path}' is not a PEM private key (ERR_OSSL_UNSUPPORTED)`,
    );
    expect(usageErrorOf(() => commonConfig({ tlsCa: path }, {}, () => {})).message).toBe(`--tls-ca file '${path}' has no PEM certificate`);
  });
});
