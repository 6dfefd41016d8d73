// Private servers for the real-client scenarios, each a non-daemon child on a
// free loopback port with its files in its own temporary directory (no system
// configuration read or touched): redis-server without persistence, and
// nginx serving a small and a large file of the bench's pattern.

import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateNginxMain, privateNginxTempPaths } from '@mpx/testkit';
import { Pattern } from './data.js';
import { Child } from './procs.js';

export interface ServerChild {
  child: Child;
  port: number;
}

/** A free TCP port on 127.0.0.1 (bound and released; the caller binds it next). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `make(port)` on a free port and waits for `ready` in its output;
 * another port when that one was taken meanwhile (at most 4 tries).
 */
export async function startOnFreePort(make: (port: number) => Child, ready: RegExp): Promise<ServerChild> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = make(port);
    try {
      await child.waitFor(ready, 1, 10_000);
      return { child, port };
    } catch (err) {
      await child.stop();
      if (attempt >= 3) throw err;
    }
  }
}

/** `redis-server` on 127.0.0.1, no RDB or AOF files. */
export function startRedisServer(): Promise<ServerChild> {
  const dir = tmpdir();
  return startOnFreePort(
    (port) =>
      new Child('redis-server', 'redis-server', [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
      ]),
    /Ready to accept connections/,
  );
}

export interface Nginx extends ServerChild {
  /** URL path of each served file. */
  small: { path: string; bytes: number };
  medium: { path: string; bytes: number };
  large: { path: string; bytes: number; sha256: string };
  stop(): Promise<void>;
}

/** nginx.conf of a private instance rooted at `dir` (pure). */
export function nginxConfig(dir: string, port: number): string {
  return `# private nginx of the mpx bench
${privateNginxMain(dir)}worker_processes 1;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
${privateNginxTempPaths(dir)}  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
  }
}
`;
}

/** Writes `bytes` of seed's pattern to `file`, returns its sha256. */
async function writePattern(file: string, seed: number, bytes: number): Promise<string> {
  const h = createHash('sha256');
  const p = new Pattern(seed);
  const f = await open(file, 'w', 0o644);
  try {
    for (let left = bytes; left > 0;) {
      const chunk = p.next(Math.min(left, 256 * 1024));
      h.update(chunk);
      await f.write(chunk);
      left -= chunk.length;
    }
  } finally {
    await f.close();
  }
  return h.digest('hex');
}

/**
 * nginx (`-p dir -c dir/nginx.conf -e stderr`, one worker) serving
 * /small.bin, /medium.bin and /large.bin; the directory is world-readable so that the
 * worker (nobody, when started as root) reads the files, and removed by stop().
 */
export async function startNginx(smallBytes: number, mediumBytes: number, largeBytes: number): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'mpx-bench-nginx-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'www'), { mode: 0o755 });
  mkdirSync(join(dir, 'tmp'), { mode: 0o755 });
  try {
    await writePattern(join(dir, 'www', 'small.bin'), 7, smallBytes);
    await writePattern(join(dir, 'www', 'medium.bin'), 9, mediumBytes);
    const sha256 = await writePattern(join(dir, 'www', 'large.bin'), 8, largeBytes);
    const conf = join(dir, 'nginx.conf');
    const server = await startOnFreePort((port) => {
      writeFileSync(conf, nginxConfig(dir, port));
      return new Child('nginx', 'nginx', ['-p', dir, '-c', conf, '-e', 'stderr']);
    }, /start worker process/);
    return {
      ...server,
      small: { path: '/small.bin', bytes: smallBytes },
      medium: { path: '/medium.bin', bytes: mediumBytes },
      large: { path: '/large.bin', bytes: largeBytes, sha256 },
      async stop() {
        await server.child.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
