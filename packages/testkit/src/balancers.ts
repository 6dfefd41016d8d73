// nginx and HAProxy in front of several `mpx-tunnel server` processes
// (SPEC §3.5: every carrier of a session to one backend). The config
// functions are pure: deploy/scale-out/ holds their output for the example
// addresses (a test checks it), and tests and the bench run them as private,
// non-daemon children on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateNginxMain, privateNginxTempPaths } from './private-nginx.js';

export interface BalancerConfigOptions {
  /** Where the balancer listens, `host:port`. */
  readonly listen: string;
  /** The mpx-tunnel servers, `host:port` each. */
  readonly backends: readonly string[];
  /** nginx only: the WebSocket path the servers listen on. Default `/mpx`. */
  readonly path?: string;
  /** A private instance's directory (pid file, temp paths); omitted in the shipped example. */
  readonly dir?: string;
}

/**
 * nginx: WebSocket carriers, `hash $arg_session consistent` (the `session`
 * parameter every mpx client puts on its upgrade URL). A backend that
 * refuses the connection is skipped (proxy_next_upstream), so its clients
 * land on another one and start a new session there.
 */
export function nginxScaleOutConfig(o: BalancerConfigOptions): string {
  const path = o.path ?? '/mpx';
  const private_ = o.dir === undefined ? '' : privateNginxMain(o.dir);
  const temp = o.dir === undefined ? '' : privateNginxTempPaths(o.dir);
  return `# nginx in front of ${o.backends.length} mpx-tunnel servers (WebSocket carriers).
# Every carrier of a session goes to one backend: the client names its
# session in the upgrade URL (?session=<32 hex>, SPEC §3.5).
${private_}worker_processes auto;
events { worker_connections 4096; }
http {
${temp}  # The session id is in the query string: keep it out of the access log.
  log_format mpx '$remote_addr [$time_local] "$request_method $uri" $status $request_time';
  access_log ${o.dir === undefined ? '/var/log/nginx/mpx.log' : 'off'}${o.dir === undefined ? ' mpx' : ''};
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream mpx {
    hash $arg_session consistent;
${o.backends.map((b) => `    server ${b} max_fails=1 fail_timeout=10s;`).join('\n')}
  }
  server {
    listen ${o.listen};
    location ${path} {
      proxy_pass http://mpx;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
      # A WebSocket, once upgraded, is copied through one buffer of
      # proxy_buffer_size each way (proxy_buffering does not apply): the
      # default of one page (4k) costs a read and a write per 4 KiB.
      # 64k halved nginx's CPU per GB in the scale-out bench; it is
      # 128 KiB per carrier. proxy_buffers only has to be large enough
      # for nginx to accept it; upgraded connections do not use them.
      proxy_buffer_size 64k;
      proxy_buffers 4 64k;
      proxy_buffering off;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
    }
  }
}
`;
}

/**
 * HAProxy, `mode tcp`: waits for the 32 bytes of the ROUTE frame (SPEC §3.5)
 * and sticks the session id at offset 16 to the backend its first carrier
 * reached (a stick table: `balance hash req.payload(16,16)` gets no sample in
 * HAProxy 2.6 and falls back to round robin, as a test showed). A connection a backend refuses is
 * redispatched to another; health checks take a dead backend out in ~3 s.
 */
export function haproxyScaleOutConfig(o: BalancerConfigOptions): string {
  return `# HAProxy in front of ${o.backends.length} mpx-tunnel servers (tcp:// carriers).
# Every carrier of a session goes to one backend: the client's first 32 bytes
# are the ROUTE frame, the session id at offset 16 (SPEC §3.5).
global
  maxconn 4096
defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  retries 2
  option redispatch
frontend mpx
  bind ${o.listen}
  # Wait for the 32 bytes of ROUTE: the WAIT_END rule keeps the rules
  # undecided (re-evaluated on each read) until they came or the delay ended.
  # Clients that do not send ROUTE (older ones) wait out the delay.
  tcp-request inspect-delay 2s
  tcp-request content accept if { req.len ge 32 }
  tcp-request content accept if WAIT_END
  default_backend mpx
backend mpx
  # HAProxy 2.6 finds no sample in \`balance hash req.payload(16,16)\` (it
  # falls back to round robin), so a stick table keyed on the session id
  # keeps every carrier of a session on the backend its first one reached.
  # Several HAProxy instances share the table with a \`peers\` section.
  balance roundrobin
  stick-table type binary len 16 size 1m expire 1h
  stick on req.payload(16,16)
  # A refused connect is redispatched at once (option redispatch); checks
  # only take a dead backend out of rotation, slowly enough that a busy
  # one is not flapped out (each flap would move its sessions).
  default-server inter 1s fall 3 rise 2
${o.backends.map((b, i) => `  server mpx${i + 1} ${b} check`).join('\n')}
`;
}

export interface BalancerChild {
  readonly port: number;
  /** The balancer's main process (nginx's master; its workers are its children). */
  readonly pid: number;
  /** What it wrote to stderr/stdout, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Resolves once something accepts TCP connections on `port` (bounded by `timeoutMs`). */
async function accepting(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('exited before it accepted connections');
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing accepts on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startChild(
  program: string,
  args: (dir: string, port: number) => { argv: string[]; files: Record<string, string> },
): Promise<BalancerChild> {
  const dir = mkdtempSync(join(tmpdir(), 'mpx-balancer-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'tmp'), { mode: 0o755 });
  const port = await freePort();
  const { argv, files } = args(dir, port);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const child = spawn(program, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await accepting(port, child, 10_000);
  } catch (err) {
    await stop();
    throw new Error(`${program}: ${(err as Error).message}\n${output}`, { cause: err });
  }
  return { port, pid: child.pid ?? 0, output: () => output, stop };
}

/** A private nginx (`nginx` at `program`) on a free loopback port in front of `backends`. */
export function startNginxBalancer(program: string, backends: readonly string[], path = '/mpx'): Promise<BalancerChild> {
  return startChild(program, (dir, port) => ({
    argv: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'],
    files: { 'nginx.conf': nginxScaleOutConfig({ listen: `127.0.0.1:${port}`, backends, path, dir }) },
  }));
}

/** A private HAProxy (`haproxy` at `program`, foreground) on a free loopback port in front of `backends`. */
export function startHaproxyBalancer(program: string, backends: readonly string[]): Promise<BalancerChild> {
  return startChild(program, (dir, port) => ({
    argv: ['-db', '-f', join(dir, 'haproxy.cfg')],
    files: { 'haproxy.cfg': haproxyScaleOutConfig({ listen: `127.0.0.1:${port}`, backends }) },
  }));
}
