// The user's path, with nothing from the workspace: every publishable package
// is packed (`pnpm pack` turns workspace:* into real versions), the tarballs
// are installed into an empty prefix with `npm install -g --prefix` (third-party
// dependencies from the registry or npm's cache), and the installed
// `mpx-tunnel` carries a transfer as server and as client.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bufferutilPrebuilt } from '@mpx/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoThrough, killAll, startEcho, Tunnel, type EchoServer } from './helpers.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Every package users install; the root script `pack:publishable` packs exactly these. */
const PUBLISHED = ['@mpx/core', '@mpx/transport-tcp', '@mpx/transport-ws', 'mpx-tunnel'];
const MiB = 1024 * 1024;

/** pnpm as the test runner was started (`pnpm test` sets npm_execpath), else from PATH. */
function pnpm(args: string[]): [string, string[]] {
  const execpath = process.env['npm_execpath'];
  if (execpath !== undefined && /pnpm/.test(execpath)) return /\.c?js$/.test(execpath) ? [process.execPath, [execpath, ...args]] : [execpath, args];
  return ['pnpm', args];
}

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  repository?: { url?: string; directory?: string };
  engines?: { node?: string };
  files?: string[];
  exports?: Record<string, unknown>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
}

let dir: string;
const tarballs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mpx-install-'));
  const [command, args] = pnpm(['run', 'pack:publishable', dir]);
  await run(command, args, { cwd: ROOT, timeout: 90_000 });
  tarballs.push(
    ...readdirSync(dir)
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => join(dir, f)),
  );
}, 120_000);

afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

async function manifestOf(tarball: string): Promise<Manifest> {
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json']);
  return JSON.parse(stdout) as Manifest;
}

describe('the published packages', () => {
  it('pack one tarball each, with a README, a license, engines, repository, files and exports, and no workspace: versions', async () => {
    const manifests = await Promise.all(tarballs.map(manifestOf));
    expect(manifests.map((m) => m.name).sort()).toEqual(PUBLISHED);
    for (const [i, tarball] of tarballs.entries()) {
      const manifest = manifests[i] as Manifest;
      const { stdout: listing } = await run('tar', ['-tzf', tarball]);
      expect(listing.split('\n'), manifest.name).toContain('package/README.md');
      expect(manifest.private, manifest.name).toBeUndefined();
      expect(manifest.license, manifest.name).toBe('MIT');
      expect(manifest.engines?.node, manifest.name).toBe('>=20.19');
      expect(manifest.repository?.url, manifest.name).toMatch(/^git\+https:\/\//);
      expect(manifest.files, manifest.name).toContain('dist');
      expect(manifest.exports?.['./package.json'], manifest.name).toBe('./package.json');
      expect(JSON.stringify(manifest.dependencies ?? {}), manifest.name).not.toContain('workspace:');
    }
    const tunnel = await manifestOf(tarballs.find((t) => /mpx-tunnel-/.test(t)) as string);
    expect(tunnel.bin).toEqual({ 'mpx-tunnel': './dist/cli.js' });
  });

  it('install with npm install -g into an empty prefix and carry 4 MiB each way through the installed mpx-tunnel, over tcp and ws carriers masked natively', async () => {
    const prefix = join(dir, 'prefix');
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], {
      cwd: dir,
      timeout: 120_000,
    });
    const bin = join(prefix, 'bin', 'mpx-tunnel');
    const { stdout: version } = await run(bin, ['--version'], { cwd: dir });
    expect(version.trim()).toBe((await manifestOf(tarballs.find((t) => /mpx-tunnel-/.test(t)) as string)).version);
    const masking = bufferutilPrebuilt
      ? /DEBUG WebSocket masking: native \(bufferutil's native build\)/
      : /WARN {2}WebSocket masking runs in JavaScript/;

    let echo: EchoServer | undefined;
    try {
      echo = await startEcho();
      const server = new Tunnel(
        [
          'server',
          '--listen',
          '127.0.0.1:0',
          '--listen',
          'ws://127.0.0.1:0/mpx',
          '--target',
          `127.0.0.1:${echo.port}`,
          '--key',
          'install-test',
          '--log-level',
          'debug',
        ],
        {},
        { command: bin },
      );
      const serverPort = await server.port(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/);
      const wsPort = await server.port(/listening on ws:\/\/127\.0\.0\.1:(\d+)/);
      await server.waitFor(masking);
      const client = new Tunnel(
        [
          'client',
          '--listen',
          '127.0.0.1:0',
          '--server',
          `127.0.0.1:${serverPort},ws://127.0.0.1:${wsPort}/mpx`,
          '--key',
          'install-test',
          '--log-level',
          'debug',
        ],
        {},
        { command: bin },
      );
      const port = await client.port(/listening on 127\.0\.0\.1:(\d+)/);
      await client.waitFor(masking);
      await client.waitFor(/carrier #\d+ to ws:\/\/127\.0\.0\.1:\d+\/mpx up/);
      const { sent, received } = await echoThrough(port, 4 * MiB, 1701);
      expect(received).toEqual(sent);
    } finally {
      await killAll();
      await echo?.close();
    }
  }, 180_000);
});
