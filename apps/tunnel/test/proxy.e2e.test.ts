// Dynamic targets (SPEC §6.6) with real clients: curl through the client's
// socks5:// and http:// listeners, across the tunnel, to a local nginx that
// the server reaches only within --allow. Needs curl and nginx: installed
// when missing and running as root, else the test says why it skipped.
import { execFile, type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureProgram, privateNginxMain, privateNginxTempPaths } from '@mpx/testkit';
import { closedPort, killAll, Tunnel } from './helpers.js';

const PAGE = 'hello through the tunnel\n';

const curl = ensureProgram({ commands: ['curl'], debianPackage: 'curl' }).path;
const nginxBin = ensureProgram({ commands: ['nginx'], debianPackage: 'nginx' }).path;
const missing = [curl === undefined ? 'curl' : '', nginxBin === undefined ? 'nginx' : ''].filter((m) => m !== '');

function runCurl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(curl as string, ['-sS', '--max-time', '10', ...args], (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

let dir = '';
let nginx: ChildProcess | undefined;
let webPort = 0;

beforeAll(async () => {
  if (missing.length > 0) return;
  dir = mkdtempSync(join(tmpdir(), 'mpx-proxy-'));
  chmodSync(dir, 0o755); // nginx's workers run as nobody and must reach www/
  mkdirSync(join(dir, 'www'));
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(join(dir, 'www', 'index.html'), PAGE);
  webPort = await closedPort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${privateNginxMain(dir)}worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
${privateNginxTempPaths(dir)}  server { listen 127.0.0.1:${webPort}; root ${dir}/www; }
}
`,
  );
  nginx = spawn(nginxBin as string, ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  // Bounded: nginx binds at once; curl retries connection refusals for up to 5 s.
  const up = await runCurl(['--retry', '50', '--retry-connrefused', '--retry-delay', '0', '--retry-max-time', '5', `http://127.0.0.1:${webPort}/`]);
  if (up.stdout !== PAGE) throw new Error(`nginx did not start: ${up.stderr}`);
});

afterAll(async () => {
  // SIGTERM: nginx's master stops its workers. A killed master (SIGKILL) left
  // its worker running, orphaned and listening, after every run.
  const child = nginx;
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'close');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await killAll();
});

/** A server allowing `allow`, and a client whose --listen is `listen` (a socks5:// or http:// URL with port 0). */
async function tunnel(allow: string[], listen: string): Promise<{ server: Tunnel; client: Tunnel; port: number }> {
  const server = new Tunnel([
    'server',
    '--listen',
    '127.0.0.1:0',
    ...allow.flatMap((a) => ['--allow', a]),
    '--key',
    'proxy-test',
    '--log-level',
    'debug',
  ]);
  const port = await server.port();
  const client = new Tunnel(['client', '--listen', listen, '--server', `127.0.0.1:${port}`, '--key', 'proxy-test']);
  const local = await client.port(/listening on \w+:\/\/127\.0\.0\.1:(\d+)/);
  return { server, client, port: local };
}

describe('SOCKS5 and HTTP CONNECT listeners, with curl and nginx', () => {
  if (missing.length > 0) {
    it('skips: needs ' + missing.join(' and '), () => {
      console.warn(
        `\n*** proxy e2e: NOT RUN: ${missing.join(' and ')} not on PATH and could not be installed (not root?); apt-get install -y curl nginx ***\n`,
      );
    });
    return;
  }

  it('curl --socks5-hostname reaches nginx by a name the server resolves, allowed by a network rule', async () => {
    const { port, server } = await tunnel([`127.0.0.0/8:${webPort}`], 'socks5://127.0.0.1:0');
    const got = await runCurl(['--socks5-hostname', `127.0.0.1:${port}`, `http://localhost:${webPort}/`]);
    expect(got).toMatchObject({ code: 0, stdout: PAGE });
    // Resolved at the server: the name reached it, the address it connected to came from its lookup.
    await server.waitFor(/stream \w+\/\d+ opened, connecting to localhost:\d+/);
  });

  it('answers a SOCKS5 request outside --allow with reply 0x02 (not allowed)', async () => {
    const { port, server } = await tunnel([`127.0.0.1:${webPort + 1}`], 'socks5://127.0.0.1:0');
    const got = await runCurl(['--socks5-hostname', `127.0.0.1:${port}`, `http://127.0.0.1:${webPort}/`]);
    expect(got.code).not.toBe(0);
    expect(got.stderr).toMatch(/\(2\)|not allowed/i);
    await server.waitFor(/stream \w+\/\d+ refused: target 127\.0\.0\.1:\d+: not allowed by --allow/);
  });

  it('curl -x http://… (CONNECT) reaches nginx within --allow, with proxy credentials', async () => {
    const { port } = await tunnel([`127.0.0.1:${webPort}`], 'http://me:secret@127.0.0.1:0');
    const got = await runCurl(['-p', '-x', `http://me:secret@127.0.0.1:${port}`, `http://127.0.0.1:${webPort}/`]);
    expect(got).toMatchObject({ code: 0, stdout: PAGE });
    const wrong = await runCurl(['-p', '-x', `http://me:wrong@127.0.0.1:${port}`, `http://127.0.0.1:${webPort}/`]);
    expect(wrong.stderr).toMatch(/407/);
  });

  it('answers a CONNECT outside --allow with 403, and to a closed port with 502', async () => {
    const closed = await closedPort();
    const { port } = await tunnel([`127.0.0.1:${closed}`], 'http://127.0.0.1:0');
    const forbidden = await runCurl(['-p', '-x', `http://127.0.0.1:${port}`, `http://127.0.0.1:${webPort}/`]);
    expect(forbidden.stderr).toMatch(/403/);
    const refused = await runCurl(['-p', '-x', `http://127.0.0.1:${port}`, `http://127.0.0.1:${closed}/`]);
    expect(refused.stderr).toMatch(/502/);
  });

  it('keeps --target streams working next to --allow', async () => {
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${webPort}`, '--allow', `127.0.0.1:${webPort}`]);
    const serverPort = await server.port();
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`]);
    const local = await client.port(/listening on 127\.0\.0\.1:(\d+)/);
    expect(await runCurl([`http://127.0.0.1:${local}/`])).toMatchObject({ code: 0, stdout: PAGE });
  });
});
