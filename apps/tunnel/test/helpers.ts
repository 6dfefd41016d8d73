// End-to-end helpers: the mpx-tunnel bin (package.json `bin`) as a child process whose stderr log
// lines can be awaited, a counting echo server as the target, and clients
// that push bytes through the tunnel and hash what comes back.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { collectBytes, digestOf, randomBytes, randomSlices, seededRandom, writeChunks, type Digest } from '@mpx/testkit';

/** The log lines that give the ports a server (TCP carriers) and a client listen on. */
export const SERVER_PORT = /listening on tcp:\/\/127\.0\.0\.1:(\d+)/;
export const CLIENT_PORT = /listening on 127\.0\.0\.1:(\d+)/;

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { bin: Record<'mpx-tunnel', string> };
/** The mpx-tunnel bin as package.json names it (the bundle that build.mjs writes). */
export const CLI = fileURLToPath(new URL(manifest.bin['mpx-tunnel'], new URL('../', import.meta.url)));

const running = new Set<Tunnel>();

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One mpx-tunnel process; its stderr is kept as lines. */
export class Tunnel {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stdout = '';
  readonly exited: Promise<Exit>;
  #waiters = new Set<() => void>();
  #partial = '';

  /**
   * `command`: an installed `mpx-tunnel` executable to run instead of `node <bin>`;
   * `nofile`: run under `ulimit -n nofile` (soft and hard limit on open descriptors).
   */
  constructor(args: readonly string[], env: Record<string, string | undefined> = {}, how: { command?: string; nofile?: number } = {}) {
    const argv = how.command === undefined ? [process.execPath, CLI, ...args] : [how.command, ...args];
    const [command, rest] =
      how.nofile === undefined ? [argv[0] as string, argv.slice(1)] : ['/bin/sh', ['-c', `ulimit -n ${how.nofile} && exec "$0" "$@"`, ...argv]];
    this.child = spawn(command, rest, {
      env: { PATH: process.env['PATH'], ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this);
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const wake of this.#waiters) wake();
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        running.delete(this);
        if (this.#partial !== '') this.lines.push(this.#partial);
        for (const wake of this.#waiters) wake();
        resolve({ code, signal });
      });
    });
  }

  get log(): string {
    return this.lines.join('\n');
  }

  get done(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Resolves with the first line (already seen or future) matching `pattern`; rejects on exit or after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    let found: RegExpExecArray | null = null;
    await this.#until(
      () => {
        for (const line of this.lines) if ((found = pattern.exec(line)) !== null) return true;
        return false;
      },
      `a line matching ${String(pattern)}`,
      timeoutMs,
    );
    return found as unknown as RegExpExecArray;
  }

  /** Resolves once `n` lines match `pattern`. */
  async waitForCount(pattern: RegExp, n: number, timeoutMs = 15_000): Promise<void> {
    await this.#until(() => this.count(pattern) >= n, `${n} lines matching ${String(pattern)}`, timeoutMs);
  }

  #until(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (done()) finish(undefined);
        else if (this.done) finish(new Error(`mpx-tunnel exited before logging ${what}:\n${this.log}`));
      };
      const timer = setTimeout(() => finish(new Error(`no ${what} within ${timeoutMs} ms:\n${this.log}`)), timeoutMs);
      const finish = (err: Error | undefined): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (err !== undefined) reject(err);
        else resolve();
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** The port from the `listening on ...` line whose address matches `scheme` (tcp lines of the client have none). */
  async port(pattern = /listening on (?:tcp:\/\/)?127\.0\.0\.1:(\d+)/): Promise<number> {
    const m = await this.waitFor(pattern);
    return Number(m[1]);
  }

  count(pattern: RegExp): number {
    return this.lines.filter((line) => pattern.test(line)).length;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (!this.done) this.child.kill(signal);
    return this.exited;
  }
}

/** Kills every process still running (afterEach). */
export async function killAll(): Promise<void> {
  const left = [...running];
  for (const t of left) if (!t.done) t.child.kill('SIGKILL');
  await Promise.all(left.map((t) => t.exited));
}

/** Runs mpx-tunnel to completion (for argument errors). */
export async function runToExit(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<Exit & { stderr: string; stdout: string }> {
  const t = new Tunnel(args, env);
  const exit = await t.exited;
  return { ...exit, stderr: t.lines.join('\n'), stdout: t.stdout };
}

export interface EchoServer {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepts: number;
  close(): Promise<void>;
}

/** A target that echoes every byte and ends after its peer ended (half-close). */
export async function startEcho(): Promise<EchoServer> {
  const sockets = new Set<net.Socket>();
  let accepts = 0;
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    accepts++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get accepts() {
      return accepts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A target that never answers a connect: a listener in a child process with
 * a backlog of 1 whose event loop is blocked (it accepts nothing), its accept
 * queue filled by two connections of our own, so that Linux drops every
 * further SYN and a dial to it hangs until its deadline.
 */
export interface StuckTarget {
  readonly port: number;
  close(): Promise<void>;
}

export async function stuckTarget(): Promise<StuckTarget> {
  const script =
    "require('node:net').createServer().listen({ host: '127.0.0.1', port: 0, backlog: 1 }, function () {" +
    ' process.stdout.write(this.address().port + "\\n", () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000)); })';
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout.setEncoding('utf8'), 'data')) as [string];
  const port = Number(line.trim());
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    fillers.push(socket);
    await once(socket, 'connect');
  }
  return {
    port,
    async close() {
      for (const socket of fillers) socket.destroy();
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}

export async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await once(socket, 'connect');
  return socket;
}

export interface EchoOptions {
  /** Called with the running total of bytes that came back. */
  readonly onReceived?: (total: number) => void;
  /** Called with the socket once connected. */
  readonly onSocket?: (socket: net.Socket) => void;
}

/**
 * Sends `size` seeded random bytes to an echo through the tunnel at `port`,
 * ends, and returns the digests of what was sent and what came back.
 */
export async function echoThrough(port: number, size: number, seed: number, options: EchoOptions = {}): Promise<{ sent: Digest; received: Digest }> {
  const random = seededRandom(seed);
  const data = randomBytes(random, size);
  const socket = await connect(port);
  options.onSocket?.(socket);
  const received = collectBytes(socket);
  const { onReceived } = options;
  if (onReceived !== undefined) {
    let total = 0;
    socket.on('data', (chunk: Buffer) => onReceived((total += chunk.length)));
  }
  await writeChunks(socket, randomSlices(random, data, 256 * 1024));
  socket.end();
  const result = await received;
  socket.destroy();
  return { sent: digestOf(data), received: result };
}

/** The path of the first of `names` found on PATH, or undefined (for tests that need a system tool). */
export { onPath } from '@mpx/testkit';
