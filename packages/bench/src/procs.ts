// Child processes of the bench: the mpx-tunnel server and client, the target,
// plain relays and iperf3. Every child runs under `ulimit -n 65536` where the
// system allows it (10,000 streams need 20,000 descriptors in a relay; where
// the hard limit is lower, the limit stays as it is), its
// output lines are kept and can be waited for, and all children are killed
// when the bench exits. mpx-tunnel is a dependency of @mpx/bench, run through
// its `bin` as a user would; its numbers come from `--metrics`, its log lines
// give only the bound addresses.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { profileFlags } from './profile-flags.js';
import { fetchMetrics, pollMetrics, type TunnelMetrics } from './tunnel-metrics.js';

const live = new Set<Child>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export class Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Recent output lines (stdout and stderr), at most 5,000. */
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  #exitCode: number | null | undefined;
  readonly #watchers = new Set<(line: string) => void>();

  constructor(name: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv) {
    this.name = name;
    const script = 'ulimit -n 65536 2>/dev/null || true; exec "$0" "$@"';
    this.proc = spawn('/bin/sh', ['-c', script, command, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    if (this.proc.pid === undefined) throw new Error(`${name}: cannot spawn ${command}`);
    this.pid = this.proc.pid;
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.#exitCode = code ?? (signal === null ? null : -1);
        live.delete(this);
        resolve(code);
      });
    });
    this.proc.on('error', () => {});
    this.proc.stdin?.on('error', () => {});
    for (const s of [this.proc.stdout, this.proc.stderr]) {
      if (s === null) continue;
      createInterface({ input: s }).on('line', (line) => {
        this.lines.push(line);
        if (this.lines.length > 5000) this.lines.splice(0, 1000);
        for (const w of this.#watchers) w(line);
      });
    }
  }

  get running(): boolean {
    return this.#exitCode === undefined;
  }

  onLine(fn: (line: string) => void): () => void {
    this.#watchers.add(fn);
    return () => this.#watchers.delete(fn);
  }

  /** Resolves with the first `count` lines matching `re` (lines already seen count too). */
  waitFor(re: RegExp, count = 1, timeoutMs = 15_000): Promise<RegExpExecArray[]> {
    const found: RegExpExecArray[] = [];
    for (const l of this.lines) {
      const m = re.exec(l);
      if (m !== null) found.push(m);
    }
    if (found.length >= count) return Promise.resolve(found.slice(0, count));
    return new Promise((resolve, reject) => {
      const stop = (): void => {
        off();
        clearTimeout(timer);
        this.proc.off('exit', onExit);
      };
      const off = this.onLine((line) => {
        const m = re.exec(line);
        if (m === null) return;
        found.push(m);
        if (found.length >= count) {
          stop();
          resolve(found.slice(0, count));
        }
      });
      const fail = (why: string): void => {
        stop();
        reject(new Error(`${this.name}: ${why} waiting for ${count} × ${re}; last output:\n  ${this.lines.slice(-8).join('\n  ')}`));
      };
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      const onExit = (code: number | null): void => fail(`exited (${code})`);
      this.proc.once('exit', onExit);
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.proc.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Runs `node <script> args` (the same Node as the bench; with --cpu-prof under profile.ts). */
export function spawnNode(name: string, script: string, args: readonly string[]): Child {
  return new Child(name, process.execPath, [...profileFlags(name, args), script, ...args]);
}

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** The `mpx-tunnel` bin of the mpx-tunnel package, resolved by package name. */
export const TUNNEL_CLI = tunnelBin();

function tunnelBin(): string {
  const manifest = createRequire(import.meta.url).resolve('mpx-tunnel/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: string | Record<string, string> };
  const file = typeof bin === 'string' ? bin : bin?.['mpx-tunnel'];
  if (file === undefined) throw new Error(`${manifest} declares no mpx-tunnel bin`);
  return join(dirname(manifest), file);
}

export function tunnelBuilt(): boolean {
  return existsSync(TUNNEL_CLI);
}

/** Starts a dist/ script that prints {"port":N} first and returns the port. */
async function startPortScript(name: string, file: string, args: readonly string[]): Promise<{ child: Child; port: number }> {
  const child = spawnNode(name, here(file), args);
  const [m] = await child.waitFor(/^\{"port":(\d+)\}$/);
  return { child, port: Number(m?.[1]) };
}

export function startTargetProcess(): Promise<{ child: Child; port: number }> {
  return startPortScript('target', './target-main.js', []);
}

export function startRelayProcess(name: string, toPort: number): Promise<{ child: Child; port: number }> {
  return startPortScript(name, './relay-main.js', [`127.0.0.1:${toPort}`]);
}

export interface TunnelServer {
  child: Child;
  /** Bound carrier ports, in --listen order. */
  ports: number[];
}

/** `mpx-tunnel server --listen … --target 127.0.0.1:<targetPort>`; listens on port 0 by default. */
export async function startTunnelServer(targetPort: number, options: { listen?: string[]; extra?: string[] } = {}): Promise<TunnelServer> {
  const listen = options.listen ?? ['127.0.0.1:0'];
  const args = [
    'server',
    ...listen.flatMap((l) => ['--listen', l]),
    '--target',
    `127.0.0.1:${targetPort}`,
    '--log-level',
    'info',
    ...(options.extra ?? []),
  ];
  const child = spawnNode('mpx server', TUNNEL_CLI, args);
  const found = await child.waitFor(/listening on (\S+)/, listen.length);
  return { child, ports: found.map((m) => portOf(m[1] ?? '')) };
}

export interface TunnelClient {
  child: Child;
  port: number;
  /** Its --metrics endpoint, `http://127.0.0.1:<port>/metrics`. */
  metricsUrl: string;
  /** One reading of the endpoint. */
  metrics(): Promise<TunnelMetrics>;
}

export interface TunnelClientOptions {
  /** The --server list, e.g. "127.0.0.1:7001|1,127.0.0.1:7002|2". */
  servers: string;
  /** -p: carriers per server address. */
  carriers: number;
  /** Open carriers (mpx_carriers) to wait for before resolving (default: addresses × carriers). */
  expectCarriers?: number;
  extra?: string[];
}

/** `mpx-tunnel client --listen 127.0.0.1:0 --metrics 127.0.0.1:0 …`; resolves once its carriers are up. */
export async function startTunnelClient(o: TunnelClientOptions): Promise<TunnelClient> {
  const args = [
    'client',
    '--listen',
    '127.0.0.1:0',
    '--server',
    o.servers,
    '-p',
    String(o.carriers),
    '--metrics',
    '127.0.0.1:0',
    '--log-level',
    'info',
    ...(o.extra ?? []),
  ];
  const child = spawnNode('mpx client', TUNNEL_CLI, args);
  const [listening] = await child.waitFor(/listening on (\S+)/);
  const [metrics] = await child.waitFor(/metrics on ([^\s,]+)/);
  const metricsUrl = metrics?.[1] ?? '';
  const expect = o.expectCarriers ?? o.servers.split(',').length * o.carriers;
  const exited = child.exited.then(
    (code) => new Error(`${child.name}: exited (${code}) before ${expect} carriers were up; last output:\n  ${child.lines.slice(-8).join('\n  ')}`),
  );
  await pollMetrics(metricsUrl, (m) => m.carriers >= expect, { abort: exited });
  return { child, port: portOf(listening?.[1] ?? ''), metricsUrl, metrics: () => fetchMetrics(metricsUrl) };
}

/** The port of "tcp://127.0.0.1:5512", "127.0.0.1:5512", "[::1]:5512" or "ws://h:80/path". */
function portOf(address: string): number {
  const m = /:(\d+)(?:\/|$)/.exec(address);
  if (m === null) throw new Error(`no port in '${address}'`);
  return Number(m[1]);
}

/** Stops children in parallel; never throws. */
export async function stopAll(children: ReadonlyArray<Child | undefined>): Promise<void> {
  await Promise.all(children.flatMap((c) => (c === undefined ? [] : [c.stop().catch(() => undefined)])));
}
